"""The platform interface the operators, triggers and hook use: value objects and one Protocol.

Pure: no Airflow, no network, no SDK. A platform implementation (the local embedded one, or JFrog
ML through the frogml SDK) turns these calls into builds, deployments and analytics queries.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

# Defined with every other error in errors.py; imported here too, where platforms used to find them.
from frogml_airflow_provider.errors import PlatformError as PlatformError
from frogml_airflow_provider.errors import QueryShapeError as QueryShapeError
from frogml_airflow_provider.errors import QueryTimeout as QueryTimeout


class BuildState(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCESSFUL = "SUCCESSFUL"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    TIMED_OUT = "TIMED_OUT"

    @property
    def terminal(self) -> bool:
        return self not in (BuildState.QUEUED, BuildState.RUNNING)


class DeploymentState(StrEnum):
    DEPLOYING = "DEPLOYING"
    SERVING = "SERVING"
    FAILED = "FAILED"
    STOPPED = "STOPPED"

    @property
    def terminal(self) -> bool:
        return self is not DeploymentState.DEPLOYING


@dataclass(frozen=True)
class Build:
    build_id: str
    model_id: str
    state: BuildState
    run_key: str = ""
    metrics: Mapping[str, float] = field(default_factory=dict)
    error: str = ""
    log_tail: str = ""
    started_at: float = 0.0  # epoch seconds: deadlines are absolute, from the build's start

    def to_event(self) -> dict[str, Any]:
        """What a trigger sends back to the operator (JSON-able)."""
        return {
            "build_id": self.build_id,
            "model_id": self.model_id,
            "state": self.state.value,
            "metrics": dict(self.metrics),
            "error": self.error,
            "log_tail": self.log_tail,
        }


@dataclass(frozen=True)
class Deployment:
    model_id: str
    variation: str
    build_id: str
    state: DeploymentState
    endpoint: str = ""
    error: str = ""

    def to_event(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "variation": self.variation,
            "build_id": self.build_id,
            "state": self.state.value,
            "endpoint": self.endpoint,
            "error": self.error,
        }


class BatchJobState(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCESSFUL = "SUCCESSFUL"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    TIMED_OUT = "TIMED_OUT"

    @property
    def terminal(self) -> bool:
        return self not in (BatchJobState.QUEUED, BatchJobState.RUNNING)


@dataclass(frozen=True)
class BatchJob:
    """One batch execution: a model's predictions over every input file of a folder."""

    job_id: str
    model_id: str
    build_id: str
    state: BatchJobState
    run_key: str = ""
    files_total: int = 0
    files_done: int = 0
    rows_done: int = 0
    source: str = ""  # where it reads (a folder, or bucket/folder on JFrog ML)
    destination: str = ""
    error: str = ""
    log_tail: str = ""
    started_at: float = 0.0  # epoch seconds

    def to_event(self) -> dict[str, Any]:
        """What a trigger sends back to the operator (JSON-able)."""
        return {
            "job_id": self.job_id,
            "model_id": self.model_id,
            "build_id": self.build_id,
            "state": self.state.value,
            "files_total": self.files_total,
            "files_done": self.files_done,
            "rows_done": self.rows_done,
            "source": self.source,
            "destination": self.destination,
            "error": self.error,
            "log_tail": self.log_tail,
        }


@dataclass(frozen=True)
class BatchJobRequest:
    """A batch execution to start; the folders' ``{strftime}`` templates are already rendered."""

    model_id: str
    build_id: str  # "" = the platform picks (the deployed build, ...)
    data_spec: Mapping[str, Any]  # a BatchJobDataSpecifications as plain data (tasks.to_plain)
    execution_spec: Mapping[str, Any]  # a BatchJobExecutionSpecifications as plain data
    run_key: str  # one job per key: retries and reruns of a DAG run re-attach to it
    not_before: float = 0.0  # epoch seconds: a job of this run did not start earlier (the run's start)


@dataclass(frozen=True)
class BuildRequest:
    model_id: str
    build_spec: Mapping[str, Any]  # a BuildSpecifications as plain data (tasks.to_plain)
    run_key: str  # one build per key: retries and reruns of a DAG run re-attach to it
    git_token: str | None = field(default=None, repr=False)  # resolved secret: never logged
    # Seconds the build may run from its start; a platform that can stops it there itself, even
    # when no trigger watches it (a task cleared while deferred). None: no limit of its own.
    timeout: float | None = None

    @property
    def tags(self) -> Sequence[str]:
        return list(self.build_spec.get("tags") or [])


@dataclass(frozen=True)
class Decision:
    """One recorded decision: ``kind`` "gate" (subject: the build; detail: metric, value, threshold,
    passed), "trigger" (subject: the DAG; detail: trigger, value, threshold, retrain) or "approval"
    (subject: the build; detail: decision, responded_by, responded_at, variation, dag_id, run_id)."""

    kind: str
    model_id: str
    subject: str
    detail: Mapping[str, Any]
    at: float  # epoch seconds


@dataclass(frozen=True)
class QueryResult:
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def single_number(self, what: str) -> float:
        """The one numeric value of a one-row, one-column result, or a clear error quoting its shape."""
        shape = f"{len(self.rows)} row(s) x {len(self.columns)} column(s)"
        if len(self.rows) != 1 or len(self.columns) != 1:
            raise QueryShapeError(
                f"{what} must return exactly one row with one numeric column; it returned {shape}"
                + (f" (columns: {', '.join(self.columns)})" if self.columns else "")
            )
        value = self.rows[0][0]
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise QueryShapeError(f"{what} must return a number; it returned {value!r} in column {self.columns[0]!r}")
        number = float(value)
        if math.isnan(number):
            raise QueryShapeError(f"{what} returned NaN in column {self.columns[0]!r}")
        return number


@runtime_checkable
class RecordsDecisions(Protocol):
    """A platform that keeps the gate's and the metric trigger's decisions, to chart them."""

    def record_decision(self, kind: str, model_id: str, subject: str, detail: dict[str, Any]) -> None: ...


@runtime_checkable
class ShowsHistory(Protocol):
    """A platform whose builds, deployments and decisions can be listed (the local console).

    Reads only: listing changes nothing, so serving a page never alters a build or a deployment.
    """

    def builds(self, model_id: str | None = None) -> list[Build]:
        """Oldest first, without log tails."""
        ...

    def deployments(self, model_id: str | None = None) -> list[Deployment]: ...

    def decisions(self, kind: str, model_id: str) -> list[Decision]:
        """Oldest first."""
        ...

    def get_build(self, build_id: str, *, log_tail: bool = True) -> Build: ...


class Platform(Protocol):
    """What a platform offers the operators. Implementations do no I/O in their constructors."""

    name: str

    def submit_build(self, request: BuildRequest) -> Build: ...

    def find_build(self, model_id: str, run_key: str) -> Build | None: ...

    def get_build(self, build_id: str, *, log_tail: bool = True) -> Build:
        """The build's state; ``log_tail=False`` skips reading its log (cheap polling)."""
        ...

    def cancel_build(self, build_id: str, *, timed_out: bool = False) -> Build: ...

    def deploy(self, model_id: str, build_id: str, deployment_spec: Mapping[str, Any]) -> Deployment: ...

    def get_deployment(self, model_id: str, variation: str) -> Deployment | None: ...

    def query(self, sql: str, *, timeout: float | None = None) -> QueryResult:
        """Run one read-only analytics query; past ``timeout`` seconds (``None``: the platform's
        default) it is stopped and ``QueryTimeout`` raised."""
        ...

    def submit_batch_job(self, request: BatchJobRequest) -> BatchJob: ...

    def find_batch_job(self, request: BatchJobRequest) -> BatchJob | None:
        """The newest job this request's run started (a retry re-attaches to it), or None."""
        ...

    def get_batch_job(self, job_id: str, *, log_tail: bool = True) -> BatchJob: ...

    def cancel_batch_job(self, job_id: str, *, timed_out: bool = False) -> BatchJob: ...
