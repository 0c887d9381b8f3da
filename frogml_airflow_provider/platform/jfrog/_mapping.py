"""Pure translations between JFrog ML's wire values and the provider's value objects.

Statuses are matched by their proto *names* (not numbers), so this module needs no SDK and the
tables can be read, and tested, on their own.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from frogml_airflow_provider.platform.base import BuildState, DeploymentState

RUN_TAG_PREFIX = "airflow-run-"

# com.qwak.build.v1.BuildStatus -> BuildState. An unknown (newer) status keeps the build polled:
# the build's deadline still bounds the wait.
BUILD_STATES: dict[str, BuildState] = {
    "INVALID": BuildState.QUEUED,  # not set yet: the build was just requested
    "BUILD_REQUESTED": BuildState.QUEUED,
    "BUILD_PENDING": BuildState.QUEUED,
    "REMOTE_BUILD_INITIALIZING": BuildState.QUEUED,
    "IN_PROGRESS": BuildState.RUNNING,
    "SYNCING_ENVIRONMENTS": BuildState.RUNNING,  # built; its image is being copied to the environments
    "SUCCESSFUL": BuildState.SUCCESSFUL,
    "FINISHED_SYNCING": BuildState.SUCCESSFUL,
    "FAILED": BuildState.FAILED,
    "FAILED_INITIATING_BUILD": BuildState.FAILED,
    "REMOTE_BUILD_UNKNOWN": BuildState.FAILED,  # the platform lost track of it: retrying starts anew
    "REMOTE_BUILD_CANCELLED": BuildState.CANCELLED,
    "REMOTE_BUILD_TIMED_OUT": BuildState.TIMED_OUT,
}

# qwak.deployment.management.ModelDeploymentStatus -> DeploymentState.
DEPLOYMENT_STATES: dict[str, DeploymentState] = {
    "INVALID_DEPLOYMENT": DeploymentState.DEPLOYING,  # not set yet
    "UNSET": DeploymentState.DEPLOYING,
    "INITIATING_DEPLOYMENT": DeploymentState.DEPLOYING,
    "PENDING_DEPLOYMENT": DeploymentState.DEPLOYING,
    "SUCCESSFUL_DEPLOYMENT": DeploymentState.SERVING,
    "FAILED_UNDEPLOYMENT": DeploymentState.SERVING,  # an undeployment failed: it still serves
    "FAILED_DEPLOYMENT": DeploymentState.FAILED,
    "FAILED_INITIATING_DEPLOYMENT": DeploymentState.FAILED,
    "CANCELLED_DEPLOYMENT": DeploymentState.FAILED,  # it will not come to serve
    "INITIATING_CANCEL_DEPLOYMENT": DeploymentState.FAILED,
    "INITIATING_UNDEPLOYMENT": DeploymentState.STOPPED,
    "PENDING_UNDEPLOYMENT": DeploymentState.STOPPED,
    "SUCCESSFUL_UNDEPLOYMENT": DeploymentState.STOPPED,
    "ALL_BUILDS_UNDEPLOYED": DeploymentState.STOPPED,
}

INTEGER_TYPES = {"TINYINT", "SMALLINT", "INT", "BIGINT", "INTEGER", "LONG"}
FLOAT_TYPES = {"DOUBLE", "FLOAT", "DECIMAL", "REAL"}
TEXT_TYPES = {"CHAR", "STRING", "VARCHAR", "BINARY", "DATE", "TIMESTAMP"}
_NULLS = {"", "null", "NULL", "None", "\\N"}
_INT = re.compile(r"^[+-]?\d+$")


def build_state(status_name: str) -> BuildState:
    return BUILD_STATES.get(status_name, BuildState.RUNNING)


def deployment_state(status_name: str) -> DeploymentState:
    return DEPLOYMENT_STATES.get(status_name, DeploymentState.DEPLOYING)


def run_tag(run_key: str) -> str:
    """The build tag that marks the build of one DAG run: ``find_build`` looks builds up by it.

    A digest, not the key itself: run keys hold DAG ids and dates, and tags are short and plain.
    """
    return RUN_TAG_PREFIX + hashlib.sha256(run_key.encode()).hexdigest()[:24]


def metric(value: float) -> float:
    """A build metric as it was logged: the platform stores them as 32-bit floats, so ``0.9``
    comes back as ``0.8999999761581421``; this returns the shortest decimal with the same float32."""
    packed = struct.pack("<f", value)
    for digits in range(6, 10):
        candidate = float(f"{value:.{digits}g}")
        if struct.pack("<f", candidate) == packed:
            return candidate
    return float(value)


def shown_uri(uri: str) -> str:
    """A git URI fit for a log line: without credentials in it, nor the ``#sub/dir``."""
    parts = urlsplit(uri.split("#", 1)[0])
    if "@" not in parts.netloc:
        return parts.geturl()
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def key_values(items: Iterable[str] | dict[str, Any] | None) -> dict[str, str]:
    """``["A=1", "B=x=y"]`` -> ``{"A": "1", "B": "x=y"}``; a dict is kept (values as strings)."""
    if not items:
        return {}
    if isinstance(items, dict):
        return {str(k): str(v) for k, v in items.items()}
    pairs: dict[str, str] = {}
    for item in items:
        key, _, value = str(item).partition("=")
        if key.strip():
            pairs[key.strip()] = value
    return pairs


def memory(text: str | None, *, what: str) -> tuple[int, str]:
    """``"2Gi"`` -> ``(2, "GIB")``; a bare number is MiB (the SDK's grammar)."""
    match = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", str(text or ""))
    unit = (match.group(2) if match else "").lower() or "mi"
    if not match or unit not in ("gi", "gib", "mi", "mib"):
        raise ValueError(f"{what} = {text!r}: expected '<integer>[Gi|GiB|Mi|MiB]', e.g. '2Gi' or '512Mi'")
    return int(match.group(1)), "GIB" if unit.startswith("g") else "MIB"


def typed(text: str | None, column_type: str = "") -> Any:
    """One analytics value (the service sends strings) as a Python value of its column's type.

    Numeric columns become int/float; text columns stay text; a column of unknown type (CSV
    results carry none) becomes a number when the whole value reads as one.
    """
    if text is None or text in _NULLS:
        return None
    kind = column_type.upper()
    if kind == "BOOLEAN":
        return text.strip().lower() in ("true", "1", "t", "yes")
    if kind in TEXT_TYPES:
        return text
    value = text.strip()
    try:
        if kind in INTEGER_TYPES or (kind not in FLOAT_TYPES and _INT.match(value)):
            return int(value)
        return float(value)
    except ValueError:
        if kind in INTEGER_TYPES | FLOAT_TYPES:
            raise ValueError(f"the analytics service sent {text!r} in a {kind} column") from None
        return text


def typed_rows(rows: Iterable[Sequence[str]], types: Sequence[str]) -> tuple[tuple[Any, ...], ...]:
    return tuple(
        tuple(typed(value, types[index] if index < len(types) else "") for index, value in enumerate(row))
        for row in rows
    )


def endpoint(model_api_url: str, model_id: str) -> str:
    """The real-time prediction URL of ``model_id`` in an environment whose model API is at
    ``model_api_url`` (JFrog ML's ``/v1/<model>/predict`` convention)."""
    if not model_api_url:
        return ""
    base = model_api_url.strip().rstrip("/")
    if "://" not in base:
        base = f"https://{base}"
    return f"{base}/v1/{model_id}/predict"
