"""The JFrog ML client: credentials in, one authenticated session out. Every caller of JFrog ML
uses it: ``JFrogMLPlatform`` (builds, deployments, analytics) and the ``frogml-airflow`` commands
(automations).

    session = open_session("frogml_default")        # or Session(load_sdk(), credentials(...))
    session.automations.named("churn_retrain")      # AutomationManagementService
    session.batch_jobs                              # BatchJobManagementService (a stub)
    session.call(session.models.GetModel, request, rpc="GetModel", about="model 'churn'")
    session.close()                                 # or: with open_session(...) as session:

One session is one channel per address, all with ``CHANNEL_OPTIONS``; every call carries the
token and the JFrog tenant id in its own metadata, has a deadline, is retried when transient
(bounded: ``tries``, doubling waits), and fails as a ``JFrogMLCallError`` that names the RPC and
what to check, with the token and every secret in ``session.secrets`` scrubbed from it.

Calls go through the SDK's generated stubs on our own channel, not through the SDK's clients:
those read credentials from process-wide state (``JF_URL``, ``~/.frogml``, one DI container), and
a triggerer may follow builds of several connections at once. Nothing is imported, read or opened
until a session is made (DAG parsing imports the package).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from frogml_airflow_provider.errors import JFrogMLNotFoundError, PlatformError
from frogml_airflow_provider.get_provider_info import DEFAULT_CONN_ID
from frogml_airflow_provider.platform.jfrog import _sdk
from frogml_airflow_provider.platform.jfrog._credentials import Credentials, grpc_target, resolve
from frogml_airflow_provider.platform.jfrog._rpc import TRIES, Caller, scrub
from frogml_airflow_provider.platform.jfrog._sdk import INSTALL_HINT

if TYPE_CHECKING:
    from frogml_airflow_provider.platform.jfrog.automations import AutomationsService

__all__ = [
    "CHANNEL_OPTIONS",
    "INSTALL_HINT",
    "RPC_TIMEOUT",
    "TENANT_HEADER",
    "TRIES",
    "Credentials",
    "Session",
    "credentials",
    "load_sdk",
    "open_session",
    "scrub",
]

log = logging.getLogger(__name__)

RPC_TIMEOUT = 30.0  # seconds each call may take, unless the caller says otherwise
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


def load_sdk() -> Any:
    """The frogml SDK's modules (``sdk.grpc``, ``sdk.automation``...), imported once, safely (a
    writable HOME, the process's logging left alone); ``SetupError`` says what to install."""
    return _sdk.load()


def credentials(conn_id: str = DEFAULT_CONN_ID, url: str = "") -> Credentials:
    """Where JFrog ML is and the token for it: the ``frogml`` connection ``conn_id``, else
    ``JF_URL`` / ``JF_ACCESS_TOKEN``. ``SetupError`` when there is no token or no address."""
    return resolve(conn_id, url)


def open_session(
    conn_id: str = DEFAULT_CONN_ID,
    url: str = "",
    *,
    timeout: float = RPC_TIMEOUT,
    tries: int = TRIES,
    sleep: Callable[[float], None] = time.sleep,
    origin: str = "this worker",
) -> Session:
    """A session on the connection ``conn_id`` (``url``: the host when the connection has none).
    The SDK is imported first, so a missing SDK is what is said before anything else."""
    sdk = load_sdk()
    return Session(sdk, credentials(conn_id, url), timeout=timeout, tries=tries, sleep=sleep, origin=origin)


class Session:
    """One JFrog ML account: stubs of the core services on one channel, the per-environment ones
    (logs, analytics) on demand, ``automations`` and ``batch_jobs``, and ``call`` to run any of
    their RPCs.

    :param sdk: ``load_sdk()``.
    :param credentials: ``credentials(conn_id)``.
    :param timeout: seconds each call may take (a call may ask for more).
    :param tries: tries of a transient failure (1: no retry); waits double from 0.5 s.
    :param sleep: how to wait between tries (tests pass a recorder).
    :param origin: where the calls come from, for "check that ... is reachable from <origin>".
    """

    def __init__(
        self,
        sdk: Any,
        credentials: Credentials,
        *,
        timeout: float = RPC_TIMEOUT,
        tries: int = TRIES,
        sleep: Callable[[float], None] = time.sleep,
        origin: str = "this worker",
    ) -> None:
        self.sdk = sdk
        self.credentials = credentials
        # Values scrubbed from every message besides the token (webhook URLs, header values of
        # the automations seen); add to it freely.
        self.secrets: set[str] = {credentials.token}
        self._channels: dict[str, Any] = {}
        self._lock = threading.Lock()
        tenant = credentials.tenant_id or self._tenant_id()
        metadata = [("authorization", f"Bearer {credentials.token}")]
        if tenant:
            metadata.append((TENANT_HEADER, tenant))
        self.call = Caller(
            grpc=sdk.grpc,
            metadata=metadata,
            secrets=self.secrets,
            token_source=credentials.token_source,
            where=credentials.where,
            timeout=timeout,
            sleep=sleep,
            tries=tries,
            origin=origin,
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
        self._automations: AutomationsService | None = None
        self._batch_jobs: Any = None

    @property
    def where(self) -> str:
        """The JFrog URL (or the bare gRPC address), as messages name this account."""
        return self.credentials.where

    @property
    def automations(self) -> AutomationsService:
        """The AutomationManagementService: list, look up by name, create, update, toggle, run..."""
        if self._automations is None:
            from frogml_airflow_provider.platform.jfrog.automations import AutomationsService

            self._automations = AutomationsService(self)
        return self._automations

    @property
    def batch_jobs(self) -> Any:
        """The BatchJobManagementService stub: start, watch, list and cancel batch jobs."""
        if self._batch_jobs is None:
            channel = self.channel(self.credentials.grpc_address, self.credentials.tls)
            self._batch_jobs = self.sdk.batch_grpc.BatchJobManagementServiceStub(channel)
        return self._batch_jobs

    def scrub(self, text: str) -> str:
        """``text`` with the token and every value of ``secrets`` replaced by ``<hidden>``."""
        return scrub(text, self.secrets)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
            reason = self.scrub(f"{type(error).__name__}: {getattr(error, 'message', None) or error}")
            raise PlatformError(
                f"cannot read the JFrog tenant id from {credentials.url} ({reason}): check the URL and the access "
                f"token ({credentials.token_source or 'the connection password'}): the URL is your JFrog platform's "
                "(the connection's host, or JF_URL); or set the connection's extra.tenant_id"
            ) from None
