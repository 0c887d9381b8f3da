"""Batch jobs on JFrog ML, against a loopback batch job service: the StartBatchJob request (as a
BatchExecution automation sends it), states and progress, re-attaching, cancel, the deferred task."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from airflow.sdk.exceptions import TaskDeferred

from frogml_airflow_provider.operators.batch import FrogMLBatchOperator
from frogml_airflow_provider.platform.base import BatchJobRequest, BatchJobState, PlatformError
from frogml_airflow_provider.platform.jfrog.batch import batch_state, same_place
from tests.support import TaskInstanceXCom
from tests.support.jfrog import MODEL, connection

pytestmark = pytest.mark.sdk

DATA = {
    "kind": "BatchJobDataSpecifications",
    "access_token_secret_name": "aws-key-id",
    "access_secret_secret_name": "aws-secret",
    "session_token_secret_name": None,
    "source_bucket": "acme-input",
    "source_folder": "daily/2024-03-09",
    "input_file_type": "parquet",
    "destination_bucket": "acme-scores",
    "destination_folder": "scores/2024-03-09",
    "output_file_type": "csv",
}
EXECUTION = {
    "kind": "BatchJobExecutionSpecifications",
    "job_timeout": 3600,
    "task_timeout": 600,
    "executors": 4,
    "cpu": 2.0,
    "memory": "4Gi",
    "gpu_type": None,
    "gpu_amount": 0,
    "custom_iam_role_arn": "arn:aws:iam::1:role/batch",
    "params": {"THRESHOLD": "0.7"},
    "instance": "",
}


@pytest.fixture
def service(control_plane: Any, sdk: Any) -> Any:
    """The SDK mock's batch job service, registered on the running control plane, where it behaves
    as the platform does: jobs found by the request's model, with their start time and paths."""
    from frogml._proto.qwak.batch_job.v1 import batch_job_service_pb2 as pb
    from frogml._proto.qwak.batch_job.v1.batch_job_service_pb2_grpc import (
        add_BatchJobManagementServiceServicer_to_server,
    )
    from frogml_services_mock.mocks.batch_job_manager_service import BatchJobManagerService

    class Service(BatchJobManagerService):
        def __init__(self) -> None:
            super().__init__()
            self.requests: list[Any] = []
            self.cancelled: list[str] = []
            self.records: dict[str, int] = {}
            self.on_status: Any = None

        def StartBatchJob(self, request: Any, context: Any) -> Any:
            self.requests.append(request)
            response = super().StartBatchJob(request, context)
            if response.success:
                self.id_to_batch_job[response.batch_id].start_time.GetCurrentTime()
            return response

        def GetBatchJobStatus(self, request: Any, context: Any) -> Any:
            if self.on_status is not None and request.batch_id in self.id_to_batch_job:
                self.on_status(self.id_to_batch_job[request.batch_id])
            return super().GetBatchJobStatus(request, context)

        def CancelBatchJob(self, request: Any, context: Any) -> Any:
            self.cancelled.append(request.batch_id)
            return super().CancelBatchJob(request, context)

        def ListBatchJobs(self, request: Any, context: Any) -> Any:
            jobs = [
                job
                for job in self.id_to_batch_job.values()
                if job.start_request.batch_job_request.model_details.model_id == request.model_id
                and (
                    not request.build_id
                    or job.start_request.batch_job_request.model_details.build_id == request.build_id
                )
            ]
            return pb.ListBatchJobsResponse(
                batch_jobs=[
                    pb.BatchJobDetails(job_id=job.id, job_status=job.status, start_time=job.start_time) for job in jobs
                ]
            )

        def GetBatchJobDetails(self, request: Any, context: Any) -> Any:
            job = self.id_to_batch_job.get(request.job_id)
            if job is None:
                return pb.GetBatchJobDetailsResponse(success=False, failure_message="Batch Job Not Found")
            spec = job.start_request.batch_job_request
            source, destination = spec.data_details.source_path, spec.data_details.destination_path
            return pb.GetBatchJobDetailsResponse(
                success=True,
                batch_job=pb.BatchJobMessage(
                    job_id=job.id,
                    model_id=spec.model_details.model_id,
                    build_id=spec.model_details.build_id or "deployed-build",
                    start_time=job.start_time,
                    job_status=job.status,
                    total_records=self.records.get(job.id, 0),
                    report_messages=[pb.ExecutionReportLine(line=line) for line in job.report],
                    execution_file_details=pb.ExecutionFileDetails(
                        source_bucket=source.source_bucket,
                        source_path=source.source_folder,
                        destination_bucket=destination.destination_bucket,
                        destination_path=destination.destination_folder,
                        finished_files=job.finished_files,
                        total_files=job.total_files,
                    ),
                ),
            )

        def status(self, job_id: str, name: str, done: int = 0, total: int = 0) -> None:
            job = self.id_to_batch_job[job_id]
            job.status, job.finished_files, job.total_files = pb.BatchJobStatusMessage.Value(name), done, total

    servicer = Service()
    add_BatchJobManagementServiceServicer_to_server(servicer, control_plane.server)
    return servicer


def request(run_key: str = "dag/run-1/run_batch", not_before: float = 0.0, **data: Any) -> BatchJobRequest:
    return BatchJobRequest(MODEL, "", {**DATA, **data}, EXECUTION, run_key, not_before=not_before)


def test_start_sends_the_automations_batch_request(platform, service, sdk) -> None:
    job = platform.submit_batch_job(request())
    assert job.state is BatchJobState.QUEUED and job.model_id == MODEL and job.run_key == "dag/run-1/run_batch"
    assert job.started_at > 0 and job.destination == "acme-scores/scores/2024-03-09"
    (sent,) = service.requests
    message = sent.batch_job_request
    assert message.model_details.model_id == MODEL and message.model_details.build_id == ""
    data = message.data_details
    assert (data.token_secret, data.secret_secret) == ("aws-key-id", "aws-secret")  # secret names only
    assert (data.source_path.source_bucket, data.source_path.source_folder) == ("acme-input", "daily/2024-03-09")
    assert data.source_path.input_file_type == 3 and data.destination_path.output_file_type == 1  # PARQUET, CSV
    execution = message.execution_details
    assert (execution.job_timeout, execution.task_timeout) == (3600, 600)
    assert execution.batch_job_deployment_size.number_of_pods == 4
    cpu = execution.batch_job_deployment_size.client_pod_compute_resources.cpu_resources
    assert (cpu.cpu, cpu.memory_amount) == (2.0, 4)
    assert execution.advanced_deployment_options.custom_iam_role_arn == "arn:aws:iam::1:role/batch"
    assert [(p.key, p.value) for p in execution.parameters] == [("THRESHOLD", "0.7")]
    # Exactly what the SDK's own BatchExecution automation puts on the wire.
    from frogml.core.automations import BatchExecution, BatchJobDataSpecifications, BatchJobExecutionSpecifications

    expected = (
        BatchExecution(
            data_specifications=BatchJobDataSpecifications(**{k: v for k, v in DATA.items() if k != "kind"}),
            execution_specifications=BatchJobExecutionSpecifications(
                **{k: v for k, v in EXECUTION.items() if k != "kind"}
            ),
        )
        .to_proto()
        .batch_execution.execute_batch_job
    )
    expected.model_details.model_id = MODEL
    assert message == expected


def test_a_refused_start_says_why(platform, service) -> None:
    service.models_to_fail.add(MODEL)
    with pytest.raises(PlatformError, match="did not start the batch job of model 'churn_model': Model start failed"):
        platform.submit_batch_job(request())


def test_states_progress_rows_and_report(platform, service) -> None:
    job = platform.submit_batch_job(request())
    service.status(job.job_id, "BATCH_JOB_RUNNING_STATUS", done=2, total=5)
    running = platform.get_batch_job(job.job_id, log_tail=False)
    assert (running.state, running.files_done, running.files_total) == (BatchJobState.RUNNING, 2, 5)
    service.status(job.job_id, "BATCH_JOB_FINISHED_STATUS", done=5, total=5)
    service.records[job.job_id] = 12_345
    service.id_to_batch_job[job.job_id].add_report_messages(["task 1 finished", "job finished"])
    done = platform.get_batch_job(job.job_id)
    assert (done.state, done.rows_done, done.build_id) == (BatchJobState.SUCCESSFUL, 12_345, "deployed-build")
    assert done.log_tail == "task 1 finished\njob finished"
    assert done.source == "acme-input/daily/2024-03-09"
    with pytest.raises(PlatformError, match="could not report batch job 'nope': Batch Job Not Found"):
        platform.get_batch_job("nope")


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("BATCH_JOB_COMMITTED_STATUS", BatchJobState.QUEUED),
        ("BATCH_JOB_PENDING_STATUS", BatchJobState.QUEUED),
        ("BATCH_JOB_FAILED_STATUS", BatchJobState.FAILED),
        ("BATCH_JOB_CANCELLED_STATUS", BatchJobState.CANCELLED),
        ("BATCH_JOB_TIMEOUT_STATUS", BatchJobState.TIMED_OUT),
        ("SOMETHING_NEWER", BatchJobState.RUNNING),  # unknown: keep polling, the deadline bounds it
    ],
)
def test_status_names_map_to_states(status: str, state: BatchJobState) -> None:
    assert batch_state(status) is state


def test_a_retry_re_attaches_to_the_job_of_its_run_only(platform, service) -> None:
    started = time.time()
    job = platform.submit_batch_job(request(not_before=started - 60))
    found = platform.find_batch_job(request(not_before=started - 60))
    assert found is not None and found.job_id == job.job_id
    assert platform.find_batch_job(request(not_before=started - 60, destination_folder="scores/2024-03-10")) is None
    assert platform.find_batch_job(request(not_before=time.time() + 60)) is None  # started before this run


def test_same_place_matches_folders_as_the_platform_records_them() -> None:
    assert same_place("b", "in/day", "b", "/in/day/")
    assert same_place("b", "in/day", "b", "tenant/in/day")
    assert not same_place("b", "in/day", "other", "in/day")
    assert not same_place("b", "in/day", "b", "in/day2")


def test_cancel_stops_the_job(platform, service) -> None:
    job = platform.submit_batch_job(request())
    service.status(job.job_id, "BATCH_JOB_RUNNING_STATUS")
    cancelled = platform.cancel_batch_job(job.job_id, timed_out=True)
    assert cancelled.state is BatchJobState.TIMED_OUT and service.cancelled == [job.job_id]
    assert platform.cancel_batch_job(job.job_id).state is BatchJobState.CANCELLED  # already over: no second call
    assert service.cancelled == [job.job_id]


def test_the_task_defers_and_completes_on_jfrog_ml(control_plane, service, monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_FROGML_DEFAULT", connection(control_plane.port))
    operator = FrogMLBatchOperator(
        task_id="run_batch",
        model_id=MODEL,
        data_specifications={**DATA, "source_folder": "daily/{%Y-%m-%d}"},
        execution_specifications=EXECUTION,
        poll_interval=0.05,
    )
    ti = TaskInstanceXCom("run_batch")
    context = {"ti": ti, "logical_date": datetime(2024, 3, 9, tzinfo=UTC)}
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute(context)
    (sent,) = service.requests
    assert sent.batch_job_request.data_details.source_path.source_folder == "daily/2024-03-09"
    polls = {"n": 0}

    def progress(job: Any) -> None:
        polls["n"] += 1
        if polls["n"] >= 2:
            from frogml._proto.qwak.batch_job.v1.batch_job_service_pb2 import BatchJobStatusMessage

            job.status, job.finished_files, job.total_files = (
                BatchJobStatusMessage.Value("BATCH_JOB_FINISHED_STATUS"),
                3,
                3,
            )

    service.on_status = progress
    trigger = deferred.value.trigger
    _path, kwargs = trigger.serialize()
    assert kwargs["platform"]["kind"] == "jfrog" and "password" not in str(kwargs)

    async def first() -> dict[str, Any]:
        async for event in type(trigger)(**kwargs).run():
            return dict(event.payload)
        raise AssertionError("no event")

    event = asyncio.run(first())
    assert (event["state"], event["files_done"]) == ("SUCCESSFUL", 3)
    assert operator.execute_complete(context, event) == ti.xcom_pull("run_batch", "batch_job_id")
