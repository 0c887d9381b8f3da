"""JFrog ML's ``AutomationManagementService``: the SDK on first use, the endpoint, one method per RPC.

The calls go through the SDK's own generated stub, not through its ``AutomationsManagementClient``:
that client has no ToggleAutomationActivity, turns gRPC status codes into one exception type,
and after an update runs ``Automation.from_proto`` on the request, which can fail after the
server already accepted the write. Like the client, new specs are sent with ``is_sdk_v1=True``
(``register`` sets it when it builds them); a spec restored by a rollback goes back unchanged.

Credentials: host = the JFrog URL, password = the access token of the ``frogml`` connection
(``frogml_default`` unless told), else ``JF_URL`` / ``JF_ACCESS_TOKEN`` (read by
``platform.jfrog._credentials``). Every call carries ``authorization: Bearer <token>`` and the
JFrog tenant id, as the SDK's channel does. The token never appears in any output: platform
messages are scrubbed of it.

Tests (or a caller with its own channel) replace the endpoint with ``set_endpoint_factory``.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from frogml_airflow_provider.errors import FrogMLProviderError
from frogml_airflow_provider.platform.base import PlatformError
from frogml_airflow_provider.platform.jfrog._rpc import status_details, status_name

INSTALL_HINT = "pip install 'airflow-provider-frogml[frogml]'"
DEFAULT_CONN_ID = "frogml_default"
TIMEOUT = 60.0  # seconds per call
HIDDEN = "<hidden>"
_TENANT_HEADER = "x-jfrog-tenant-id"
_MODULES = {
    "grpc": "grpc",
    "json_format": "google.protobuf.json_format",
    "automation": "frogml._proto.qwak.automation.v1.automation_pb2",
    "service": "frogml._proto.qwak.automation.v1.automation_management_service_pb2",
    "service_grpc": "frogml._proto.qwak.automation.v1.automation_management_service_pb2_grpc",
    "execution": "frogml._proto.qwak.automation.v1.automation_execution_pb2",
}


class ManagementError(FrogMLProviderError):
    """A management command failed; ``exit_code`` is what the CLI returns."""

    exit_code = 1


class SetupError(ManagementError):
    """The command cannot start: the frogml SDK is missing, or JFrog ML cannot be located."""

    exit_code = 2


class RemoteCallError(ManagementError):
    """An RPC failed. ``rpc`` names it, ``code`` is the gRPC status name."""

    def __init__(self, message: str, *, rpc: str, code: str) -> None:
        super().__init__(message)
        self.rpc = rpc
        self.code = code


# -- the SDK ------------------------------------------------------------------------------------------
_lock = threading.Lock()
_sdk: SimpleNamespace | None = None


def load_sdk() -> Any:
    """grpc, protobuf's json_format and the automation protos of the frogml SDK, imported once."""
    global _sdk
    with _lock:
        if _sdk is None:
            from frogml_airflow_provider.platform.jfrog._sdk import import_modules

            try:  # the backend's import: a writable HOME for ~/.frogml, logging left alone
                _sdk = import_modules(_MODULES)
            except PlatformError:
                raise SetupError(
                    f"this command talks to JFrog ML through the frogml SDK, which is not installed; "
                    f"install it with: {INSTALL_HINT}"
                ) from None
            except Exception as error:  # noqa: BLE001 - any other failure of the SDK's import
                raise SetupError(f"the frogml SDK failed to import ({type(error).__name__}: {error})") from None
        return _sdk


# -- where JFrog ML is ----------------------------------------------------------------------------------
@dataclass
class Endpoint:
    """A gRPC channel to a control plane, and what every call on it carries."""

    channel: Any
    where: str  # for messages: the JFrog URL, or the gRPC address
    metadata: tuple[tuple[str, str], ...] = ()
    secret: str = field(default="", repr=False)  # the token: scrubbed from every message
    token_source: str = ""

    def close(self) -> None:
        close = getattr(self.channel, "close", None)
        if callable(close):
            close()


EndpointFactory = Callable[[str], Endpoint]
_factory: EndpointFactory | None = None


def set_endpoint_factory(factory: EndpointFactory | None) -> EndpointFactory | None:
    """Use ``factory(conn_id)`` instead of the connection (``None``: back to it); returns the
    previous one. For tests, and for callers that bring their own channel."""
    global _factory
    previous, _factory = _factory, factory
    return previous


def open_endpoint(conn_id: str) -> Endpoint:
    load_sdk()  # first: without the SDK, say what to install before anything else
    return (_factory or connect)(conn_id)


def connect(conn_id: str) -> Endpoint:
    """The endpoint of the ``frogml`` connection ``conn_id`` (or of ``JF_URL`` / ``JF_ACCESS_TOKEN``)."""
    sdk = load_sdk()
    from frogml_airflow_provider.platform.base import PlatformError
    from frogml_airflow_provider.platform.jfrog._credentials import resolve

    try:
        credentials = resolve(conn_id)
    except PlatformError as error:
        raise SetupError(str(error)) from None
    if credentials.url and (urlsplit(credentials.url).hostname or "") in ("local", "localhost"):
        raise SetupError(
            f"connection {conn_id!r} names the local embedded platform ({credentials.url}); these commands manage "
            "JFrog ML: set its host to your JFrog URL (https://<name>.jfrog.io), or use --conn-id"
        )
    token = credentials.token
    metadata = [("authorization", f"Bearer {token}")]
    tenant = credentials.tenant_id or (
        _tenant_id(credentials.url, token, credentials.token_source) if credentials.url else ""
    )
    if tenant:
        metadata.append((_TENANT_HEADER, tenant))
    grpc = sdk.grpc
    if credentials.tls:
        channel = grpc.secure_channel(credentials.grpc_address, grpc.ssl_channel_credentials())
    else:
        channel = grpc.insecure_channel(credentials.grpc_address)
    return Endpoint(channel, credentials.where, tuple(metadata), token, credentials.token_source)


def _tenant_id(url: str, token: str, token_source: str) -> str:
    """The JFrog tenant id, looked up the way the SDK's channel does (REST calls to ``url``)."""
    auth = importlib.import_module("frogml.core.inner.tool.auth")
    models = importlib.import_module("frogml.storage.authentication.models")
    try:
        return str(auth.FrogMLAuthClient(models.AuthConfig(artifactory_url=url, access_token=token)).get_tenant_id())
    except Exception as error:  # noqa: BLE001 - the SDK raises its own login errors, and requests'
        reason = scrub(f"{type(error).__name__}: {error}", [token])
        raise ManagementError(
            f"cannot read the JFrog tenant id from {url} ({reason}): check the URL and the access token "
            f"({token_source or 'the connection password'}), or set extra.tenant_id on the connection"
        ) from None


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value in it replaced (platforms echo URLs and headers). Values
    under 4 characters are left: replacing them would garble the text, and hide nothing real."""
    for secret in sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
    return text


# -- the service --------------------------------------------------------------------------------------
class AutomationsApi:
    """One method per RPC of ``AutomationManagementService``; protos in, protos out."""

    def __init__(self, endpoint: Endpoint, *, timeout: float = TIMEOUT) -> None:
        self.sdk = load_sdk()
        self.endpoint = endpoint
        self._stub = self.sdk.service_grpc.AutomationManagementServiceStub(endpoint.channel)
        self._timeout = timeout
        self.secrets: set[str] = set()  # values to scrub from messages besides the token

    @property
    def where(self) -> str:
        return self.endpoint.where

    def automations(self) -> list[Any]:
        """Every automation of the environment (``qwak.automation.v1.Automation``)."""
        reply = self._call("ListAutomations", self.sdk.service.ListAutomationsRequest(), "the automations")
        return list(reply.automations)

    def create(self, spec: Any) -> str:
        request = self.sdk.service.CreateAutomationRequest(automation_spec=spec)
        reply = self._call("CreateAutomation", request, f"automation {spec.automation_name!r}")
        return str(reply.automation_id)

    def update(self, automation_id: str, spec: Any) -> None:
        request = self.sdk.service.UpdateAutomationRequest(automation_id=automation_id, automation_spec=spec)
        self._call("UpdateAutomation", request, f"automation {spec.automation_name!r}")

    def delete(self, automation_id: str, name: str) -> None:
        request = self.sdk.service.DeleteAutomationRequest(automation_id=automation_id)
        self._call("DeleteAutomation", request, f"automation {name!r}")

    def toggle(self, automation_id: str, name: str, *, enabled: bool) -> None:
        request = self.sdk.service.ToggleAutomationActivityRequest(automation_id=automation_id, is_enabled=enabled)
        self._call("ToggleAutomationActivity", request, f"automation {name!r}")

    def run(self, automation_id: str, name: str) -> None:
        request = self.sdk.service.RunAutomationRequest(automation_id=automation_id)
        self._call("RunAutomation", request, f"automation {name!r}")

    def executions(self, automation_id: str, name: str) -> list[Any]:
        request = self.sdk.service.ListAutomationExecutionsRequest(automation_id=automation_id)
        reply = self._call("ListAutomationExecutions", request, f"automation {name!r}")
        return list(reply.automation_executions)

    def _call(self, rpc: str, request: Any, about: str) -> Any:
        method = getattr(self._stub, rpc)
        try:
            return method(request, metadata=self.endpoint.metadata or None, timeout=self._timeout)
        except self.sdk.grpc.RpcError as error:
            code = status_name(error)
            details = scrub(status_details(error), [self.endpoint.secret, *self.secrets]).strip() or "no details"
            raise RemoteCallError(
                f"JFrog ML {rpc} for {about} failed ({code}): {details}. {self._advice(code)}", rpc=rpc, code=code
            ) from None

    def _advice(self, code: str) -> str:
        source = self.endpoint.token_source or "the connection's password"
        if code == "UNAUTHENTICATED":
            return f"Check the JFrog access token ({source}): it may be wrong, expired, or for another platform"
        if code == "PERMISSION_DENIED":
            return f"The token ({source}) may not manage automations: ask your JFrog administrator"
        if code in ("UNAVAILABLE", "DEADLINE_EXCEEDED"):
            return f"Check that {self.where} is reachable (network, proxy, the connection's host)"
        if code in ("INVALID_ARGUMENT", "FAILED_PRECONDITION", "ALREADY_EXISTS"):
            return "The platform rejected the request: check the automation's definition"
        return "This is an error of the JFrog ML platform"
