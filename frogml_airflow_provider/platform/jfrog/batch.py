"""Batch jobs on JFrog ML: start, watch and cancel them through the SDK's batch job service.

``BatchJobManagementService`` (``qwak.batchjob``), the session's ``batch_jobs`` stub, with the
session's caller (token, deadlines, retries, error mapping), as builds go: StartBatchJob, GetBatchJobStatus
(cheap polling: state, files), GetBatchJobDetails (model, build, rows, report lines),
ListBatchJobs (a retry re-attaching), CancelBatchJob. The request is the one a ``BatchExecution``
automation sends: the SDK's own ``to_proto`` of the specification, with the model id set and the
folders' templates already rendered from the run's logical date.

A job is found again by what JFrog ML itself holds unique among concurrent executions (model,
build, source and destination bucket and folder), among the jobs started since the DAG run began.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

from frogml_airflow_provider.platform.base import BatchJob, BatchJobRequest, BatchJobState, PlatformError

log = logging.getLogger(__name__)

# qwak.batchjob.BatchJobStatusMessage -> BatchJobState; an unknown (newer) status keeps polling.
BATCH_STATES: dict[str, BatchJobState] = {
    "UNDEFINED_BATCH_JOB_STATUS": BatchJobState.QUEUED,
    "BATCH_JOB_COMMITTED_STATUS": BatchJobState.QUEUED,
    "BATCH_JOB_PENDING_STATUS": BatchJobState.QUEUED,
    "BATCH_JOB_RUNNING_STATUS": BatchJobState.RUNNING,
    "BATCH_JOB_FINISHED_STATUS": BatchJobState.SUCCESSFUL,
    "BATCH_JOB_FAILED_STATUS": BatchJobState.FAILED,
    "BATCH_JOB_CANCELLED_STATUS": BatchJobState.CANCELLED,
    "BATCH_JOB_TIMEOUT_STATUS": BatchJobState.TIMED_OUT,
}


def batch_state(status_name: str) -> BatchJobState:
    return BATCH_STATES.get(status_name, BatchJobState.RUNNING)


def same_place(bucket: str, folder: str, got_bucket: str, got_path: str) -> bool:
    """Whether a job's recorded bucket and path are this request's bucket and folder."""
    want, got = (folder or "").strip("/"), (got_path or "").strip("/")
    return (bucket or "").strip() == (got_bucket or "").strip() and (got == want or got.endswith(f"/{want}"))


class JFrogMLBatchJobs:
    """Mixed into ``JFrogMLPlatform``: the batch half of the ``Platform`` interface."""

    def session(self) -> Any:  # provided by JFrogMLPlatform
        raise NotImplementedError

    def _batch(self) -> tuple[Any, Any, Any]:
        """(session, the SDK's modules, the batch job service's stub)."""
        session = self.session()
        return session, session.sdk, session.batch_jobs

    def submit_batch_job(self, request: BatchJobRequest) -> BatchJob:
        session, sdk, stub = self._batch()
        model_id = request.model_id
        session.model_uuid(model_id)  # a missing model fails here, with its name
        message = batch_job_request(sdk, request)
        submitted = time.time()
        response = session.call(
            stub.StartBatchJob,
            sdk.batch_service.StartBatchJobRequest(batch_job_request=message),
            rpc="StartBatchJob",
            about=f"model {model_id!r}",
            idempotent=False,
        )
        if not response.success or not response.batch_id:
            raise PlatformError(
                f"JFrog ML did not start the batch job of model {model_id!r}: "
                f"{session.scrub(response.failure_message) or 'no reason given'}; a batch automation needs the "
                "model deployed as batch first (frogml models deploy batch)"
            )
        data = request.data_spec
        log.info("Started batch job %s of model %s", response.batch_id, model_id)
        job = self.get_batch_job(response.batch_id, log_tail=False)
        return replace(
            job,
            model_id=model_id,
            build_id=job.build_id or request.build_id,
            run_key=request.run_key,
            source=f"{data.get('source_bucket')}/{data.get('source_folder') or ''}",
            destination=f"{data.get('destination_bucket')}/{data.get('destination_folder') or ''}",
            started_at=job.started_at or submitted,
        )

    def find_batch_job(self, request: BatchJobRequest) -> BatchJob | None:
        session, sdk, stub = self._batch()
        response = session.call(
            stub.ListBatchJobs,
            sdk.batch_service.ListBatchJobsRequest(model_id=request.model_id, build_id=request.build_id),
            rpc="ListBatchJobs",
            about=f"the batch jobs of model {request.model_id!r}",
        )
        data = request.data_spec
        candidates = sorted(
            (job for job in response.batch_jobs if _seconds(job.start_time) >= request.not_before),
            key=lambda job: _seconds(job.start_time),
            reverse=True,
        )
        for candidate in candidates:
            details = self._details(candidate.job_id)
            files = details.execution_file_details
            if same_place(
                str(data.get("source_bucket") or ""),
                str(data.get("source_folder") or ""),
                files.source_bucket,
                files.source_path,
            ) and same_place(
                str(data.get("destination_bucket") or ""),
                str(data.get("destination_folder") or ""),
                files.destination_bucket,
                files.destination_path,
            ):
                return replace(self.get_batch_job(candidate.job_id), run_key=request.run_key)
        return None

    def _job_call(self, rpc: str, request: Any, job_id: str, refused: str) -> Any:
        """``rpc`` about one job; a reply that is not ``success`` raises ``PlatformError``: "JFrog ML
        <refused> batch job <id>: <its reason, scrubbed>"."""
        session, _, stub = self._batch()
        reply = session.call(getattr(stub, rpc), request, rpc=rpc, about=f"batch job {job_id!r}")
        if not reply.success:
            reason = session.scrub(reply.failure_message) or "no reason given"
            raise PlatformError(f"JFrog ML {refused} batch job {job_id!r}: {reason}")
        return reply

    def get_batch_job(self, job_id: str, *, log_tail: bool = True) -> BatchJob:
        _, sdk, _ = self._batch()
        status = self._job_call(
            "GetBatchJobStatus", sdk.batch_service.GetBatchJobStatusRequest(batch_id=job_id), job_id, "could not report"
        )
        names = sdk.batch_service.BatchJobStatusMessage
        name = names.Name(status.job_status) if status.job_status in names.values() else "UNKNOWN"
        state = batch_state(name)
        job = BatchJob(
            job_id=job_id,
            model_id="",
            build_id="",
            state=state,
            files_total=status.total_files,
            files_done=status.finished_files,
            error=status.failure_message if state is not BatchJobState.SUCCESSFUL else "",
        )
        if not log_tail:
            return job
        details = self._details(job_id)
        files = details.execution_file_details
        lines = [line.line.rstrip("\n") for line in details.report_messages]
        return replace(
            job,
            model_id=details.model_id,
            build_id=details.build_id,
            rows_done=details.total_records,
            source=f"{files.source_bucket}/{files.source_path}".rstrip("/"),
            destination=f"{files.destination_bucket}/{files.destination_path}".rstrip("/"),
            log_tail="\n".join(lines[-40:]),
            started_at=_seconds(details.start_time),
        )

    def cancel_batch_job(self, job_id: str, *, timed_out: bool = False) -> BatchJob:
        _, sdk, _ = self._batch()
        job = self.get_batch_job(job_id, log_tail=False)
        if job.state.terminal:
            return self.get_batch_job(job_id)
        self._job_call(
            "CancelBatchJob", sdk.batch_service.CancelBatchJobRequest(batch_id=job_id), job_id, "did not cancel"
        )
        wanted = BatchJobState.TIMED_OUT if timed_out else BatchJobState.CANCELLED
        log.info("Cancelled batch job %s (%s)", job_id, wanted.value)
        after = self.get_batch_job(job_id)
        if after.state in (BatchJobState.QUEUED, BatchJobState.RUNNING, BatchJobState.CANCELLED):
            # The platform stops it asynchronously; it will not be used, whatever it reports next.
            after = replace(after, state=wanted, error="timed out; cancelled" if timed_out else "cancelled")
        return after

    def _details(self, job_id: str) -> Any:
        _, sdk, _ = self._batch()
        request = sdk.batch_service.GetBatchJobDetailsRequest(job_id=job_id)
        return self._job_call("GetBatchJobDetails", request, job_id, "has no details of").batch_job


def batch_job_request(sdk: Any, request: BatchJobRequest) -> Any:
    """``qwak.batchjob.BatchJobRequest`` exactly as a ``BatchExecution`` automation sends it."""
    action = sdk.batch_action
    data = {k: v for k, v in request.data_spec.items() if k != "kind"}
    execution = {k: v for k, v in request.execution_spec.items() if k != "kind"}
    try:
        proto = action.BatchExecution(
            build_id=request.build_id,
            data_specifications=action.BatchJobDataSpecifications(**data),
            execution_specifications=action.BatchJobExecutionSpecifications(**execution),
        ).to_proto()
    except (TypeError, ValueError) as error:
        raise PlatformError(f"cannot express the batch execution of model {request.model_id!r}: {error}") from None
    message = proto.batch_execution.execute_batch_job
    message.model_details.model_id = request.model_id
    return message


def _seconds(stamp: Any) -> float:
    return float(stamp.seconds) + stamp.nanos / 1e9
