"""Batch jobs on the local platform: JFrog ML's batch execution, over folders of this machine.

``submit_batch_job`` checks everything it can before a job exists (the model's build, the buckets,
the input files), so a mistake fails the task at once with its reason; then the job runs detached
(``batch_runner``), under ``<state>/batch/<job id>/`` (its plan and log).

Which build scores: ``build_id`` when given; else the build serving in the ``default`` variation;
else the model's latest successful build.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from frogml_airflow_provider.platform.base import BatchJob, BatchJobRequest, BatchJobState, BuildState, PlatformError
from frogml_airflow_provider.platform.batch_folders import OUTPUT_EXTENSION, file_type
from frogml_airflow_provider.platform.local.batch_files import (
    STAGING_PREFIX,
    folder_path,
    input_files,
    output_names,
)
from frogml_airflow_provider.platform.local.batch_store import BatchStore, job_from_row
from frogml_airflow_provider.platform.local.paths import StateDir
from frogml_airflow_provider.platform.local.processes import runs, spawn, terminate
from frogml_airflow_provider.platform.local.store import Store

DIED_BATCH = "the batch process exited without a result"

LOG_TAIL_LINES = 40


class LocalBatchJobs:
    """Mixed into ``LocalPlatform``: the batch half of the ``Platform`` interface."""

    state_dir: Path
    paths: StateDir
    machine: str
    store: Store

    @property
    def batch_store(self) -> BatchStore:
        return BatchStore(self.store)

    def submit_batch_job(self, request: BatchJobRequest) -> BatchJob:
        from frogml_airflow_provider.platform.local.machine import claim

        self.machine = claim(self.state_dir)
        model_id, data = request.model_id, request.data_spec
        build_id = self.batch_build(model_id, request.build_id)
        input_type, output_type = file_type(data, "input_file_type"), file_type(data, "output_file_type")
        for name, value in (("input_file_type", input_type), ("output_file_type", output_type)):
            if value not in OUTPUT_EXTENSION:
                raise PlatformError(f"{name} {value!r} is not one of {', '.join(OUTPUT_EXTENSION)}")
        source = folder_path(self.state_dir, data.get("source_bucket"), data.get("source_folder"), kind="source")
        destination = folder_path(
            self.state_dir, data.get("destination_bucket"), data.get("destination_folder"), kind="destination"
        )
        inputs = input_files(source, input_type, destination=destination)
        outputs = output_names(inputs, output_type)
        execution = request.execution_spec
        jobs = self.batch_store
        job_id = jobs.new_job(model_id, build_id, request.run_key, str(source), str(destination), len(inputs))
        job_dir = self.paths.inside("batch job", "batch", job_id)
        job_dir.mkdir(parents=True, exist_ok=True)
        plan = {
            "model_id": model_id,
            "build_id": build_id,
            "build_dir": str(self.paths.build_dir(build_id)),
            "source": str(source),
            "destination": str(destination),
            "inputs": inputs,
            "outputs": outputs,
            "input_file_type": input_type,
            "output_file_type": output_type,
            "executors": int(execution.get("executors") or 1),
            "job_timeout": int(execution.get("job_timeout") or 0),
            "task_timeout": int(execution.get("task_timeout") or 0),
            "params": {str(k): str(v) for k, v in dict(execution.get("params") or {}).items()},
        }
        (job_dir / "job.json").write_text(json.dumps(plan, indent=2))
        process = spawn("batch_runner", [str(self.state_dir), job_id], job_dir / "batch.log", env=dict(os.environ))
        jobs.set(job_id, pid=process.pid)
        return self.get_batch_job(job_id)

    def find_batch_job(self, request: BatchJobRequest) -> BatchJob | None:
        row = self.batch_store.latest_for(request.model_id, request.run_key)
        return self.get_batch_job(row["job_id"]) if row else None

    def get_batch_job(self, job_id: str, *, log_tail: bool = True) -> BatchJob:
        """The job as it is; a runner that died is reported FAILED, not recorded (reads change nothing:
        the console calls this on a page view). ``cancel_batch_job`` records and cleans up."""
        row = self.batch_store.row(job_id)
        if row is None:
            raise PlatformError(f"no local batch job {job_id!r} (state folder {self.state_dir})")
        tail = self.batch_log_tail(job_id) if log_tail else ""
        if not BatchJobState(row["state"]).terminal and row["pid"] and not runs(row["pid"], "batch_runner"):
            row = self.batch_store.row(job_id) or row  # it may have recorded its result as it exited
            if not BatchJobState(row["state"]).terminal:
                return replace(job_from_row(row, tail), state=BatchJobState.FAILED, error=DIED_BATCH)
        return job_from_row(row, tail)

    def cancel_batch_job(self, job_id: str, *, timed_out: bool = False) -> BatchJob:
        jobs = self.batch_store
        row = jobs.row(job_id)
        if row is None:
            raise PlatformError(f"no local batch job {job_id!r} to cancel")
        if not BatchJobState(row["state"]).terminal:
            terminate(row["pid"], "batch_runner")
            state = BatchJobState.TIMED_OUT if timed_out else BatchJobState.CANCELLED
            jobs.finish_if_running(job_id, state, "timed out; cancelled" if timed_out else "cancelled")
            self._clean_staging(row)  # the runner removes it on SIGTERM; not if it had to be killed
        return self.get_batch_job(job_id)

    def batch_jobs(self, model_id: str | None = None) -> list[BatchJob]:
        """Every batch job (of ``model_id``), oldest first: for the console."""
        return [job_from_row(row) for row in self.batch_store.jobs(model_id)]

    def batch_log_tail(self, job_id: str, lines: int = LOG_TAIL_LINES) -> str:
        path = self.paths.inside("batch job", "batch", job_id) / "batch.log"
        if not path.exists():
            return ""
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - 64_000))
            text = handle.read().decode(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def batch_build(self, model_id: str, build_id: str) -> str:
        """The build a batch job of ``model_id`` runs (see the module's docstring)."""
        store = self.store
        if build_id:
            row = store.build_row(build_id)
            if row is None or row["model_id"] != model_id:
                raise PlatformError(
                    f"build_id {build_id!r} is not a build of model {model_id!r} on the local platform "
                    f"({self.state_dir}); leave build_id empty to use the deployed or latest build"
                )
            if row["state"] != BuildState.SUCCESSFUL.value:
                raise PlatformError(f"build {build_id} of model {model_id!r} is {row['state']}: it has no model to run")
            return build_id
        deployment = store.deployment_row(model_id, "default")
        if deployment is not None and deployment["state"] == "SERVING":
            return str(deployment["build_id"])
        successful = [row for row in store.builds(model_id) if row["state"] == BuildState.SUCCESSFUL.value]
        if successful:
            return str(successful[-1]["build_id"])
        raise PlatformError(
            f"model {model_id!r} has no build to run a batch job on: no build_id was given, nothing serves in its "
            f"'default' variation and it has no successful build on the local platform ({self.state_dir}); "
            "build it first (a FrogmlBuildDeploy automation) or set BatchExecution(build_id=...)"
        )

    def _clean_staging(self, row: Any) -> None:
        shutil.rmtree(Path(row["destination"]) / f"{STAGING_PREFIX}{row['job_id']}", ignore_errors=True)
