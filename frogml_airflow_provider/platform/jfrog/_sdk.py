"""The frogml SDK and grpc, imported on first use only, from a HOME the SDK can write to.

Nothing here runs at import: DAG parsing imports the provider, and the SDK costs ~1 s and ~630
modules. Importing any ``frogml`` module runs ``frogml/__init__``, which creates
``$HOME/.frogml`` (``os.makedirs`` in ``frogml.storage.logging._log_config``) and derives its log
and config paths from HOME (``os.path.expanduser("~")``, ``Path.home()``) *at import*. On a worker
whose HOME is read-only, or not a directory, that import raises; so before the first import a
HOME that cannot hold ``.frogml`` is replaced, for this process, by a private temporary folder.
The import would also reconfigure logging (closing the process's handlers): ``load`` asks the
SDK not to (its ``IS_LOGGER_SHADED`` switch).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys
import tempfile
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

from frogml_airflow_provider.errors import SetupError

log = logging.getLogger(__name__)

INSTALL_HINT = "install airflow-provider-frogml[frogml] (pip install 'airflow-provider-frogml[frogml]')"
SHADED = "IS_LOGGER_SHADED"

# Short name -> module. Every module is already loaded by ``frogml/__init__`` (it imports all the
# clients), so importing them all costs nothing more than the first one.
_MODULES = {
    "grpc": "grpc",
    "wrappers": "google.protobuf.wrappers_pb2",
    "json_format": "google.protobuf.json_format",
    "build_v1": "frogml._proto.qwak.build.v1.build_pb2",
    "build_api": "frogml._proto.qwak.build.v1.build_api_pb2",
    "build_api_grpc": "frogml._proto.qwak.build.v1.build_api_pb2_grpc",
    "builds": "frogml._proto.qwak.builds.build_pb2",
    "orchestrator": "frogml._proto.qwak.builds.builds_orchestrator_service_pb2",
    "orchestrator_grpc": "frogml._proto.qwak.builds.builds_orchestrator_service_pb2_grpc",
    "models": "frogml._proto.qwak.models.models_pb2",
    "models_grpc": "frogml._proto.qwak.models.models_pb2_grpc",
    "deployment": "frogml._proto.qwak.deployment.deployment_pb2",
    "deployment_service": "frogml._proto.qwak.deployment.deployment_service_pb2",
    "deployment_grpc": "frogml._proto.qwak.deployment.deployment_service_pb2_grpc",
    "resources": "frogml._proto.qwak.user_application.common.v0.resources_pb2",
    "auto_scaling": "frogml._proto.qwak.auto_scaling.v1.auto_scaling_pb2",
    "ecosystem_service": "frogml._proto.qwak.ecosystem.v0.ecosystem_runtime_service_pb2",
    "ecosystem_grpc": "frogml._proto.qwak.ecosystem.v0.ecosystem_runtime_service_pb2_grpc",
    "logs": "frogml._proto.qwak.logging.log_reader_service_pb2",
    "logs_grpc": "frogml._proto.qwak.logging.log_reader_service_pb2_grpc",
    "log_source": "frogml._proto.qwak.logging.log_source_pb2",
    "analytics": "frogml._proto.qwak.analytics.analytics_pb2",
    "analytics_service": "frogml._proto.qwak.analytics.analytics_service_pb2",
    "analytics_grpc": "frogml._proto.qwak.analytics.analytics_service_pb2_grpc",
    "discovery": "frogml._proto.qwak.service_discovery.service_discovery_location_service_pb2",
    "discovery_grpc": "frogml._proto.qwak.service_discovery.service_discovery_location_service_pb2_grpc",
    "automation": "frogml._proto.qwak.automation.v1.automation_pb2",
    "automation_service": "frogml._proto.qwak.automation.v1.automation_management_service_pb2",
    "automation_grpc": "frogml._proto.qwak.automation.v1.automation_management_service_pb2_grpc",
    "automation_execution": "frogml._proto.qwak.automation.v1.automation_execution_pb2",
    "batch_service": "frogml._proto.qwak.batch_job.v1.batch_job_service_pb2",
    "batch_grpc": "frogml._proto.qwak.batch_job.v1.batch_job_service_pb2_grpc",
    # The SDK's own BatchExecution, whose to_proto makes the request a batch automation sends.
    "batch_action": "frogml.core.automations.batch_execution_action",
    # The CLI's own build configuration and RemoteBuildSpec mapping, so a build request carries
    # exactly what ``frogml models build`` sends.
    "build_config": "frogml.core.inner.build_config.build_config_v1",
    "build_request": "frogml.core.clients.build_orchestrator.build_model_request_getter",
    # The tenant id the control plane expects next to the token, looked up as the SDK does it.
    "auth": "frogml.core.inner.tool.auth",
    "auth_models": "frogml.storage.authentication.models",
}

_lock = threading.Lock()
_loaded: SimpleNamespace | None = None


def load() -> Any:
    """The SDK's modules as attributes (``sdk.grpc``, ``sdk.build_api``...), imported once.

    Raises ``SetupError`` saying what to install when the SDK (or grpc) is missing.
    """
    global _loaded
    if _loaded is not None:
        return _loaded
    with _lock:
        if _loaded is None:
            _loaded = import_modules(_MODULES)
    return _loaded


def import_modules(names: dict[str, str]) -> SimpleNamespace:
    """Import ``{short: module}`` of the SDK safely: a writable HOME, logging left alone.

    Raises ``SetupError`` saying what to install when the SDK (or grpc) is missing, or what
    failed when it is installed but does not import.
    """
    _require("frogml")
    _require("grpc")
    grpc_address_problem = "" if "frogml.core" in sys.modules else _grpc_address_env_problem()  # read at import
    if grpc_address_problem:
        raise SetupError(grpc_address_problem)
    ensure_writable_home()
    modules: dict[str, Any] = {}
    with warnings.catch_warnings(), _logging_left_alone():
        warnings.simplefilter("ignore")  # the SDK's import-time warnings are not the task's concern
        for short, name in names.items():
            try:
                modules[short] = importlib.import_module(name)
            except ImportError as error:
                raise SetupError(
                    f"talking to JFrog ML needs the frogml SDK, which is not installed ({error}); {INSTALL_HINT}"
                ) from None
            except Exception as error:  # noqa: BLE001 - the SDK's import runs its own code: say what broke
                if type(error).__name__ == "FrogmlGrpcAddressException" and os.environ.get(GRPC_ADDRESS_ENV):
                    raise SetupError(_grpc_address_message(str(error).rpartition("Details: ")[2].strip())) from None
                raise SetupError(
                    f"the frogml SDK failed to import ({type(error).__name__}: {error}); reinstall it: {INSTALL_HINT}"
                ) from None
    return SimpleNamespace(**modules)


GRPC_ADDRESS_ENV = "CONTROL_PLANE_GRPC_ADDRESS"  # read by the SDK itself when it is imported


def _grpc_address_env_problem() -> str:
    """What is wrong with ``CONTROL_PLANE_GRPC_ADDRESS``, as the SDK checks it at import ("" if fine):
    the SDK takes a bare host name, and refuses the whole import otherwise."""
    from urllib.parse import urlsplit

    value = os.environ.get(GRPC_ADDRESS_ENV, "")
    if not value:
        return ""
    if "://" in value:
        return _grpc_address_message(f"it has a URL scheme ({value.split('://', 1)[0]}://)")
    parts = urlsplit(f"//{value}")
    if parts.path not in ("", "/"):
        return _grpc_address_message(f"it has a path ({parts.path})")
    if ":" in parts.netloc:
        return _grpc_address_message("it has a port; the SDK always uses 443 (TLS)")
    host = parts.hostname or ""
    labels = host.rstrip(".").split(".")
    valid = all(label and len(label) <= 63 and label.replace("-", "").isalnum() and label.isascii() for label in labels)
    if not host or not valid or any(label.startswith("-") or label.endswith("-") for label in labels):
        return _grpc_address_message("it is not a host name")
    return ""


def _grpc_address_message(what: str) -> str:
    shown = os.environ.get(GRPC_ADDRESS_ENV, "")
    return (
        f"the environment variable {GRPC_ADDRESS_ENV}={shown!r} is not a valid JFrog ML control plane address: "
        f"{what}. The frogml SDK reads it when imported and takes a bare host name (grpc.acme.jfrog.io). "
        "Fix or unset it; for a port or plaintext (a port-forward), set the frogml connection's host to "
        "grpc://host:port instead"
    )


@contextmanager
def _logging_left_alone() -> Iterator[None]:
    """While the SDK is imported, its ``IS_LOGGER_SHADED`` switch is on: otherwise its import runs
    ``logging.config.dictConfig``, which closes every logging handler of the process (a task's,
    the triggerer's). The SDK reads it only then; it is put back after, for child processes."""
    previous = os.environ.get(SHADED)
    os.environ[SHADED] = previous or "1"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(SHADED, None)


def _require(package: str) -> None:
    """Fail before touching HOME when the SDK is not installed at all."""
    try:
        found = importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise SetupError(
            f"talking to JFrog ML needs the frogml SDK, which is not installed ({package!r} is missing); {INSTALL_HINT}"
        )


def home_is_usable(home: str) -> bool:
    """True when the SDK can create (or write to) ``home/.frogml``; checked without writing."""
    folder = os.path.join(home, ".frogml")
    if os.path.isdir(folder):
        return os.access(folder, os.W_OK | os.X_OK)
    if os.path.lexists(folder):
        return False
    return os.path.isdir(home) and os.access(home, os.W_OK | os.X_OK)


def ensure_writable_home() -> str | None:
    """Point HOME at a private temporary folder when the SDK could not write under it.

    For the whole process, not just the import: the SDK resolves paths under HOME at import and
    again lazily (its logger, its config file), and they must agree. Returns the new HOME, or
    None when the current one is fine.
    """
    home = os.path.expanduser("~")
    if home_is_usable(home):
        return None
    replacement = tempfile.mkdtemp(prefix="frogml-home-")
    os.environ["HOME"] = replacement
    log.warning(
        "HOME (%s) cannot hold the frogml SDK's .frogml folder (read-only or not a directory); "
        "using %s as HOME for this process",
        home,
        replacement,
    )
    return replacement
