"""``FrogMLBatchOperator``: run a batch job on the model (task ``run_batch``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import Context

from frogml_airflow_provider.assets import output_uri
from frogml_airflow_provider.errors import FrogMLBatchFailed, PlatformError
from frogml_airflow_provider.operators._base import (
    FrogMLBaseOperator,
    run_key,
)
from frogml_airflow_provider.operators._crossing import take_crossing
from frogml_airflow_provider.operators._outputs import emit_batch_output, platform_kind, run_facts
from frogml_airflow_provider.operators.links import FrogMLBatchJobLink, FrogMLModelLink
from frogml_airflow_provider.platform.base import BatchJob, BatchJobRequest, BatchJobState
from frogml_airflow_provider.platform.batch_folders import TEMPLATED_FIELDS, bare_codes, render_data_spec
from frogml_airflow_provider.tasks import BATCH_JOB_ID, BUILD_ID
from frogml_airflow_provider.triggers.batch import FrogMLBatchTrigger

_RESTARTABLE = (BatchJobState.FAILED, BatchJobState.CANCELLED, BatchJobState.TIMED_OUT)
PLATFORM_GRACE = 60.0  # seconds the platform has to report its own job_timeout before the task cancels
RUN_START_SLACK = 120.0  # seconds of clock difference allowed between Airflow and the platform


__all__ = ["FrogMLBatchFailed", "FrogMLBatchOperator"]  # FrogMLBatchFailed: defined in errors.py


class FrogMLBatchOperator(FrogMLBaseOperator):
    """Runs a batch execution of ``model_id`` (on ``build_id``, else the deployed build, else the
    latest successful one) over every input file of the source folder, and waits for it deferred.
    Pushes ``batch_job_id`` and ``build_id`` to XCom; returns the job id.

    ``{strftime}`` templates in the folders (``"scores/{%Y-%m-%d}"``) are rendered from the DAG
    run's logical date (UTC). One job per DAG run: a retry re-attaches to the job it started, unless
    that job failed, was cancelled or timed out. The wait is bounded by ``job_timeout`` when the
    execution specification sets one, else by ``batch_timeout``; then the job is cancelled.

    :param build_id: the build to run; "" for the deployed build, else the latest successful one.
    :param data_specifications: a ``BatchJobDataSpecifications`` as data (buckets, folders, file types).
    :param execution_specifications: a ``BatchJobExecutionSpecifications`` as data (executors, timeouts, params).
    :param batch_timeout: how long a job without ``job_timeout`` may take (default: ``[frogml] batch_timeout``).
    :param poll_interval: seconds between status checks while deferred (default: ``[frogml] poll_interval``).
    :param model_id: the JFrog ML model (its id, as in the automation's ``model_id``).
    :param automation_name: the automation this task belongs to (for logs and the console); "".
    :param frogml_conn_id: the ``frogml`` connection: the local embedded platform, or JFrog ML.
        Default ``frogml_default``.
    :param kwargs: the arguments of Airflow's ``BaseOperator`` (``task_id``, ``retries``...).
    """

    # Not data_specifications: its folders hold JFrog ML's templates, "{%Y-%m-%d}", which Jinja would
    # read as the start of a block and fail on; they are rendered from the logical date instead.
    template_fields: Sequence[str] = ("model_id", "build_id", "execution_specifications")
    template_fields_renderers = {"execution_specifications": "json"}
    operator_extra_links = (FrogMLBatchJobLink(), FrogMLModelLink())

    def __init__(
        self,
        *,
        build_id: str = "",
        data_specifications: dict[str, Any],
        execution_specifications: dict[str, Any],
        batch_timeout: timedelta | None = None,
        poll_interval: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.build_id = build_id
        self.data_specifications = data_specifications
        self.execution_specifications = execution_specifications
        self.batch_timeout = batch_timeout
        self.poll_interval = poll_interval
        self._job_id: str | None = None
        self.lineage_extra: dict[str, Any] | None = None  # the output's asset event extra, for OpenLineage too

    def execute(self, context: Context) -> Any:
        crossing = take_crossing(context, self.inlets, self.log)
        platform = self.hook.platform
        request = self._request(context, crossing)
        job = platform.find_batch_job(request)
        if job is None or job.state in _RESTARTABLE:
            job = platform.submit_batch_job(request)
            self.log.info(
                "Started batch job %s of model %s on build %s: %d %s file(s) from %s to %s",
                job.job_id,
                self.model_id,
                job.build_id or "(the deployed build)",
                job.files_total,
                request.data_spec.get("input_file_type"),
                job.source,
                job.destination,
            )
        else:
            self.log.info("Re-attached to batch job %s of this run (%s)", job.job_id, job.state.value)
        self._job_id = job.job_id
        context["ti"].xcom_push(key=BATCH_JOB_ID, value=job.job_id)
        if job.build_id:
            context["ti"].xcom_push(key=BUILD_ID, value=job.build_id)
        if job.state.terminal:
            return self._finish(context, job.to_event())
        deadline = job.started_at + self._bound().total_seconds()
        self.defer_until(FrogMLBatchTrigger, deadline, self.poll_interval, job_id=job.job_id)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        job_id = event.get("job_id") or context["ti"].xcom_pull(task_ids=self.task_id, key=BATCH_JOB_ID)
        if event.get("timed_out"):
            job = self.hook.platform.cancel_batch_job(job_id, timed_out=True)
            raise FrogMLBatchFailed(
                f"batch job {job_id} of model {self.model_id!r} did not finish within {self._bound()} "
                f"({self._bound_name()}); it was cancelled after {_progress(job)}.{_tail(job.log_tail)}"
            )
        if event.get("state") == "ERROR":
            raise PlatformError(f"could not follow batch job {job_id} of model {self.model_id!r}: {event.get('error')}")
        return self._finish(context, event)

    def _finish(self, context: Context, event: dict[str, Any]) -> str:
        state = BatchJobState(event["state"])
        job_id = event["job_id"]
        if state is not BatchJobState.SUCCESSFUL:
            why = {
                BatchJobState.FAILED: "failed",
                BatchJobState.CANCELLED: "was cancelled",
                BatchJobState.TIMED_OUT: "timed out",
            }[state]
            detail = f": {event['error']}" if event.get("error") else ""
            raise FrogMLBatchFailed(
                f"batch job {job_id} of model {self.model_id!r} {why}{detail}{_tail(event.get('log_tail', ''))}"
            )
        self.log.info(
            "Batch job %s succeeded: %d file(s), %d row(s) scored into %s",
            job_id,
            event.get("files_done", 0),
            event.get("rows_done", 0),
            event.get("destination") or "the destination",
        )
        self.lineage_extra = self._extra(context, event)
        emit_batch_output(context, self.outlets, str(event.get("destination") or ""), self.lineage_extra, self.log)
        return job_id

    def _extra(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """The output folder's asset event's extra (``assets.py``): nothing secret (URLs lose any login)."""
        return {
            **run_facts(self, context, self.task_id),
            "job_id": event["job_id"],
            "build_id": event.get("build_id") or "",
            "source": output_uri(str(event.get("source") or "")),
            "destination": output_uri(str(event.get("destination") or "")),
            "files": event.get("files_done", 0),
            "rows": event.get("rows_done", 0),
        }

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """OpenLineage (when its provider is installed): the input folder in, the output folder out."""
        from frogml_airflow_provider import lineage as _lineage

        extra = self.lineage_extra or {}
        source = _lineage.folder_dataset(str(extra.get("source") or ""))
        destination = _lineage.folder_dataset(str(extra.get("destination") or ""))
        metric = _lineage.metric_datasets(self.inlets, platform_kind(self.hook))
        inputs = ([source] if source else []) + metric
        return _lineage.lineage(inputs, [destination] if destination else [], extra, self.model_id)

    def get_openlineage_facets_on_failure(self, task_instance: Any) -> Any:
        from frogml_airflow_provider import lineage as _lineage

        facet = {"job_id": self._job_id, "automation": self.automation_name}
        return _lineage.lineage([], [], facet, self.model_id)

    def on_kill(self) -> None:
        if self._job_id:
            job = self.hook.platform.get_batch_job(self._job_id, log_tail=False)
            if not job.state.terminal:
                self.log.info("Cancelling batch job %s", self._job_id)
                self.hook.platform.cancel_batch_job(self._job_id)

    def _request(self, context: Context, crossing: dict[str, Any] | None = None) -> BatchJobRequest:
        when = _run_time(context)
        for name in TEMPLATED_FIELDS:
            if bare_codes(self.data_specifications.get(name)):
                self.log.warning(
                    "%s %r has strftime codes outside {...}: they are kept literally, as on JFrog ML; "
                    "write {%%Y-%%m-%%d} to have them rendered",
                    name,
                    self.data_specifications.get(name),
                )
        dag_run = context.get("dag_run")
        started = getattr(dag_run, "start_date", None)
        return BatchJobRequest(
            model_id=self.model_id,
            build_id=self.build_id or "",
            data_spec=render_data_spec(self.data_specifications, when),
            execution_spec=dict(self.execution_specifications),
            run_key=run_key(context, crossing),
            not_before=started.timestamp() - RUN_START_SLACK if isinstance(started, datetime) else 0.0,
        )

    def _bound(self) -> timedelta:
        job_timeout = int(self.execution_specifications.get("job_timeout") or 0)
        if job_timeout > 0:
            return timedelta(seconds=job_timeout + PLATFORM_GRACE)
        if self.batch_timeout is not None:
            return self.batch_timeout
        from airflow.configuration import conf

        return timedelta(seconds=conf.getfloat("frogml", "batch_timeout", fallback=6 * 3600.0))

    def _bound_name(self) -> str:
        if int(self.execution_specifications.get("job_timeout") or 0) > 0:
            return "the execution specification's job_timeout"
        return "the operator's batch_timeout" if self.batch_timeout is not None else "[frogml] batch_timeout"


def _run_time(context: Context) -> datetime:
    """The run's logical date (a manual run may have none: then when it was due), in UTC."""
    dag_run = context.get("dag_run")
    when = context.get("logical_date") or getattr(dag_run, "logical_date", None) or getattr(dag_run, "run_after", None)
    if not isinstance(when, datetime):
        when = datetime.now(UTC)
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def _progress(job: BatchJob) -> str:
    return f"{job.files_done} of {job.files_total} file(s) and {job.rows_done} row(s)"


def _tail(log_tail: str) -> str:
    return f"\n--- last lines of the batch job's log ---\n{log_tail}" if log_tail else ""
