"""Where JFrog ML is and how to authenticate: from the Airflow connection, else the environment.

The connection (type ``frogml``): host = the JFrog platform URL (``https://acme.jfrog.io``),
password = a JFrog access token. Its ``extra`` may set ``grpc_address`` (the control plane's gRPC
``host[:port]``), ``grpc_tls`` (bool), ``tenant_id`` and ``analytics_address``. A host written
``grpc://host:port`` (plaintext) or ``grpcs://host:port`` (TLS) *is* the gRPC address: for a
port-forward or a test double. Without a connection: ``JF_URL`` / ``JF_ACCESS_TOKEN``, and the
SDK's own ``CONTROL_PLANE_GRPC_ADDRESS``.

The token is registered with Airflow's secrets masker when it is read, is left out of ``repr``,
and is never put in an error message.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from frogml_airflow_provider.errors import SetupError

log = logging.getLogger(__name__)

# The SDK's default control plane (frogml/core/inner/di_configuration/config.yml), TLS on 443.
DEFAULT_GRPC_ADDRESS = "grpc.qwak.ai:443"
GRPC_ADDRESS_ENV = "CONTROL_PLANE_GRPC_ADDRESS"
URL_ENV = "JF_URL"
TOKEN_ENV = "JF_ACCESS_TOKEN"
PLAINTEXT, TLS = "grpc", "grpcs"


@dataclass(frozen=True)
class Credentials:
    """One JFrog ML control plane and the token for it."""

    grpc_address: str  # host:port
    tls: bool
    token: str = field(repr=False)
    url: str = ""  # the JFrog platform URL (REST: the tenant id lookup); "" for a bare gRPC address
    tenant_id: str = ""
    analytics_address: str = ""
    token_source: str = ""  # where the token came from, for error messages ("the password of ...")

    @property
    def where(self) -> str:
        return self.url or self.grpc_address


def resolve(conn_id: str, url_hint: str = "") -> Credentials:
    """Read the connection ``conn_id`` (falling back to the environment) into ``Credentials``."""
    connection = _connection(conn_id)
    extra: dict[str, Any] = {}
    host, port, token, token_source = "", None, "", ""
    if connection is not None:
        host = (connection.host or "").strip()
        port = connection.port
        token = (connection.password or "").strip()
        token_source = f"the password of Airflow connection {conn_id!r}"
        extra = dict(connection.extra_dejson or {})
    if not host:
        host = (url_hint or os.environ.get(URL_ENV, "")).strip()
    if not token and os.environ.get(TOKEN_ENV, "").strip():
        token = os.environ[TOKEN_ENV].strip()
        token_source = TOKEN_ENV
    if not token:
        raise SetupError(
            f"no JFrog access token for JFrog ML: set the password of Airflow connection {conn_id!r} "
            f"(type 'frogml') to a JFrog access token, or set {TOKEN_ENV}"
        )
    _mask(token)
    address, tls, url = _addresses(host, port, extra)
    if not address:
        raise SetupError(
            f"JFrog ML has no address: set the host of Airflow connection {conn_id!r} to your JFrog URL "
            f"(https://<name>.jfrog.io), or set {URL_ENV}"
        )
    return Credentials(
        grpc_address=address,
        tls=tls,
        token=token,
        url=url,
        tenant_id=str(extra.get("tenant_id") or ""),
        analytics_address=str(extra.get("analytics_address") or ""),
        token_source=token_source,
    )


def grpc_target(address: str, tls: bool) -> tuple[str, bool]:
    """``host:port`` (443 for TLS, when absent) and whether to use TLS, from ``address`` that may
    carry a ``grpc://`` / ``grpcs://`` / ``https://`` scheme (as discovered service URLs do)."""
    address = address.strip()
    if "://" in address:
        parts = urlsplit(address)
        tls = parts.scheme not in (PLAINTEXT, "http")
        address = parts.netloc
    address = address.rstrip("/")
    if tls and ":" not in address.rsplit("]", 1)[-1]:
        address += ":443"
    return address, tls


def _addresses(host: str, port: int | None, extra: dict[str, Any]) -> tuple[str, bool, str]:
    """(gRPC address, TLS, platform URL) from the connection's host, port and extra."""
    parts = urlsplit(host if "://" in host else f"https://{host}") if host else None
    if parts is not None and parts.scheme in (PLAINTEXT, TLS):
        netloc = parts.netloc if parts.port or not port else f"{parts.netloc}:{port}"
        address, tls = grpc_target(netloc, parts.scheme == TLS)
        return address, _flag(extra.get("grpc_tls"), tls), str(extra.get("url") or "")
    url = ""
    if parts is not None and parts.netloc:
        netloc = parts.netloc if parts.port or not port else f"{parts.netloc}:{port}"
        url = f"{parts.scheme}://{netloc}{parts.path}".rstrip("/")
    configured = str(extra.get("grpc_address") or os.environ.get(GRPC_ADDRESS_ENV) or "").strip()
    if not configured and not url:
        return "", True, ""
    address, tls = grpc_target(configured or DEFAULT_GRPC_ADDRESS, True)
    return address, _flag(extra.get("grpc_tls"), tls), url


def _flag(value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _connection(conn_id: str) -> Any:
    """The Airflow connection, or None when it does not exist (or Airflow cannot be asked)."""
    try:
        from airflow.sdk import BaseHook
        from airflow.sdk.exceptions import AirflowNotFoundException
    except ImportError:  # pragma: no cover - Airflow is a hard dependency of the provider
        return None
    try:
        return BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return None
    except Exception as error:  # noqa: BLE001 - e.g. no secrets backend reachable: use the environment
        log.debug("cannot read Airflow connection %r (%s); using the environment", conn_id, type(error).__name__)
        return None


def _mask(token: str) -> None:
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:  # pragma: no cover
        return
    mask_secret(token)
