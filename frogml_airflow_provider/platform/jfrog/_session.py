"""One authenticated connection to a JFrog ML control plane: channels, stubs and small caches.

Built on first use by ``JFrogMLPlatform`` (never in its constructor). Calls go through the SDK's
generated stubs on our own channel, with the connection's token in each call's metadata: the
SDK's clients would read credentials from process-wide state (``JF_URL``, ``~/.frogml``, one DI
container), and a triggerer may follow builds of several connections at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from frogml_airflow_provider.platform.base import PlatformError
from frogml_airflow_provider.platform.jfrog._credentials import Credentials, grpc_target
from frogml_airflow_provider.platform.jfrog._rpc import Caller, JFrogMLNotFoundError

log = logging.getLogger(__name__)

TENANT_HEADER = "x-jfrog-tenant-id"  # the SDK's FrogMLConstants.JFROG_TENANT_HEADER_KEY, lower-cased
# As the SDK's channels: keepalives, and a capped reconnect backoff so a blip heals within ~10 s.
CHANNEL_OPTIONS: tuple[tuple[str, int], ...] = (
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.min_reconnect_backoff_ms", 1_000),
    ("grpc.max_reconnect_backoff_ms", 10_000),
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
)


class Session:
    """Stubs of the core services on one channel, plus the per-environment ones on demand."""

    def __init__(
        self, sdk: Any, credentials: Credentials, *, timeout: float, sleep: Callable[[float], None], tries: int
    ) -> None:
        self.sdk = sdk
        self.credentials = credentials
        self._channels: dict[str, Any] = {}
        self._lock = threading.Lock()
        tenant = credentials.tenant_id or self._tenant_id()
        metadata = [("authorization", f"Bearer {credentials.token}")]
        if tenant:
            metadata.append((TENANT_HEADER, tenant))
        self.call = Caller(
            grpc=sdk.grpc,
            metadata=metadata,
            secret=credentials.token,
            token_source=credentials.token_source,
            where=credentials.where,
            timeout=timeout,
            sleep=sleep,
            tries=tries,
        )
        core = self.channel(credentials.grpc_address, credentials.tls)
        self.builds = sdk.build_api_grpc.BuildAPIStub(core)
        self.orchestrator = sdk.orchestrator_grpc.BuildsOrchestratorServiceStub(core)
        self.models = sdk.models_grpc.ModelsManagementServiceStub(core)
        self.deployments = sdk.deployment_grpc.DeploymentManagementServiceStub(core)
        self.ecosystem = sdk.ecosystem_grpc.QwakEcosystemRuntimeStub(core)
        self.discovery = sdk.discovery_grpc.LocationDiscoveryServiceStub(core)
        self._model_uuids: dict[str, str] = {}
        self._model_ids: dict[str, str] = {}
        self._account: Any = None
        self._base_images: dict[bool, str] = {}
        self._analytics: Any = None

    def channel(self, address: str, tls: bool) -> Any:
        grpc = self.sdk.grpc
        key = f"{'tls' if tls else 'plain'}://{address}"
        with self._lock:
            if key not in self._channels:
                if tls:
                    channel = grpc.secure_channel(address, grpc.ssl_channel_credentials(), options=CHANNEL_OPTIONS)
                else:
                    channel = grpc.insecure_channel(address, options=CHANNEL_OPTIONS)
                self._channels[key] = channel
            return self._channels[key]

    def close(self) -> None:
        with self._lock:
            channels, self._channels = list(self._channels.values()), {}
        for channel in channels:
            channel.close()

    # -- models ----------------------------------------------------------------------------
    def model_uuid(self, model_id: str) -> str:
        """The model's uuid (builds and deployments are listed by it); NOT_FOUND says which model."""
        if model_id not in self._model_uuids:
            response = self.call(
                self.models.GetModel,
                self.sdk.models.GetModelRequest(model_id=model_id),
                rpc="GetModel",
                about=f"model {model_id!r}",
            )
            self._remember(model_id, response.model.uuid)
        return self._model_uuids[model_id]

    def model_id(self, model_uuid: str) -> str:
        if model_uuid and model_uuid not in self._model_ids:
            try:
                response = self.call(
                    self.models.GetModel,
                    self.sdk.models.GetModelRequest(model_uuid=model_uuid),
                    rpc="GetModel",
                    about=f"the model with uuid {model_uuid!r}",
                )
            except JFrogMLNotFoundError:
                return ""
            self._remember(response.model.model_id, model_uuid)
        return self._model_ids.get(model_uuid, "")

    def _remember(self, model_id: str, model_uuid: str) -> None:
        self._model_uuids[model_id] = model_uuid
        self._model_ids[model_uuid] = model_id

    # -- builds ----------------------------------------------------------------------------
    def base_image(self, *, gpu: bool) -> str:
        """The platform's default base image (CPU or GPU), as the CLI fills it in before a build."""
        if gpu not in self._base_images:
            orchestrator, builds = self.sdk.orchestrator, self.sdk.builds
            response = self.call(
                self.orchestrator.GetBaseDockerImageName,
                orchestrator.GetBaseDockerImageNameRequest(
                    base_docker_image_type=builds.BaseDockerImageType.Value("GPU" if gpu else "CPU")
                ),
                rpc="GetBaseDockerImageName",
                about="the default base image",
            )
            self._base_images[gpu] = response.base_docker_image_name
        return self._base_images[gpu]

    # -- environments ----------------------------------------------------------------------
    def account(self) -> Any:
        """The account's details: environments by id (names, model API and logs URLs), the default."""
        if self._account is None:
            response = self.call(
                self.ecosystem.GetAuthenticatedUserContext,
                self.sdk.ecosystem_service.GetAuthenticatedUserContextRequest(),
                rpc="GetAuthenticatedUserContext",
                about="the account's environments",
            )
            self._account = response.authenticated_user_context.user.account_details
        return self._account

    def environment_ids(self, names: Sequence[str], *, model_id: str) -> list[str]:
        """Environment names (from the spec) -> ids; none -> the account's default environment."""
        account = self.account()
        if not names:
            if not account.default_environment_id:
                raise PlatformError(
                    f"cannot deploy model {model_id!r}: the JFrog ML account has no default environment; "
                    "name one in the deployment spec's environments"
                )
            return [account.default_environment_id]
        by_name = {env.name: env_id for env_id, env in account.environment_by_id.items()}
        missing = [name for name in names if name not in by_name and name not in account.environment_by_id]
        if missing:
            raise PlatformError(
                f"cannot deploy model {model_id!r}: no environment named {', '.join(map(repr, missing))} "
                f"in the JFrog ML account (it has: {', '.join(sorted(by_name)) or 'none'})"
            )
        return [by_name.get(name, name) for name in names]

    def environment(self, environment_id: str) -> Any | None:
        account = self.account()
        environment_id = environment_id or account.default_environment_id
        if environment_id in account.environment_by_id:
            return account.environment_by_id[environment_id]
        return None

    def logs_stub(self, environment_id: str) -> Any | None:
        """The log reader of an environment (its edge services), or None when it has none."""
        environment = self.environment(environment_id)
        edge = environment.configuration.edge_services_url if environment is not None else ""
        if not edge:
            return None
        address, tls = grpc_target(edge, self.credentials.tls)
        return self.sdk.logs_grpc.LogReaderServiceStub(self.channel(address, tls))

    def analytics(self) -> Any:
        """The analytics query service: where the control plane says it is (its own endpoint)."""
        if self._analytics is None:
            address = self.credentials.analytics_address
            if not address:
                response = self.call(
                    self.discovery.GetAnalyticsEngineUrl,
                    self.sdk.discovery.GetServingUrlRequest(),
                    rpc="GetAnalyticsEngineUrl",
                    about="the analytics engine's location",
                )
                address = response.location.service_url
            if not address:
                raise PlatformError(f"JFrog ML at {self.credentials.where} did not say where its analytics engine is")
            target, tls = grpc_target(address, self.credentials.tls)
            self._analytics = self.sdk.analytics_grpc.AnalyticsQueryServiceStub(self.channel(target, tls))
        return self._analytics

    def _tenant_id(self) -> str:
        """The JFrog tenant id the control plane expects with the token, read as the SDK reads it
        (REST, from the platform URL). A bare gRPC address (``grpc://``) has no platform URL to
        ask: a port-forward or a test double, which then takes ``extra.tenant_id`` if it needs one."""
        credentials = self.credentials
        if not credentials.url:
            return ""
        try:
            client = self.sdk.auth.FrogMLAuthClient(
                self.sdk.auth_models.AuthConfig(artifactory_url=credentials.url, access_token=credentials.token)
            )
            return str(client.get_tenant_id())
        except Exception as error:  # noqa: BLE001 - login errors, HTTP errors: one clear message
            reason = (getattr(error, "message", None) or str(error)).replace(credentials.token, "***")
            raise PlatformError(
                f"cannot read the JFrog tenant id from {credentials.url} ({reason}); check that the connection's "
                f"host is your JFrog platform URL and that {credentials.token_source or 'its token'} is a valid "
                "access token, or set the connection's extra.tenant_id"
            ) from None
