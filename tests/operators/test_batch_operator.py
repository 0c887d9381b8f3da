"""The batch operator against the real local platform, through the real deferral path: execute ->
TaskDeferred -> the trigger's own run() -> execute_complete."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from airflow.sdk.exceptions import TaskDeferred

from frogml_airflow_provider.operators.batch import FrogMLBatchFailed, FrogMLBatchOperator
from frogml_airflow_provider.platform.base import BatchJobState, BuildRequest
from frogml_airflow_provider.platform.local.platform import LocalPlatform
from frogml_airflow_provider.triggers.batch import FrogMLBatchTrigger
from tests.support import BATCH_MODEL, TaskInstanceXCom, spec, wait_build

MODEL = "tiny-model"
WHEN = datetime(2024, 3, 9, 2, 0, tzinfo=UTC)


def run_trigger(trigger: Any) -> dict[str, Any]:
    rebuilt_class, kwargs = trigger.serialize()
    assert rebuilt_class == f"{type(trigger).__module__}.{type(trigger).__name__}"
    rebuilt = type(trigger)(**json.loads(json.dumps(kwargs)))  # what the triggerer stores and rebuilds

    async def first_event() -> dict[str, Any]:
        async for event in rebuilt.run():
            return event.payload
        raise AssertionError("the trigger ended without an event")

    return asyncio.run(first_event())


@pytest.fixture
def built(local_conn: LocalPlatform, make_repo) -> str:
    repo = make_repo(files={"main/model.py": BATCH_MODEL.replace("BatchModel", "TinyModel")})
    build = wait_build(local_conn, local_conn.submit_build(BuildRequest(MODEL, spec(repo), "build-run")))
    assert build.state.value == "SUCCESSFUL", build.log_tail
    rows = pd.DataFrame({"id": ["a", "b", "c"], "x": [1.0, 2.0, 3.0]})
    folder = local_conn.state_dir / "buckets" / "in" / "2024-03-09"
    folder.mkdir(parents=True)
    rows.to_csv(folder / "rows.csv", index=False)
    return build.build_id


def batch_operator(**execution: Any) -> FrogMLBatchOperator:
    return FrogMLBatchOperator(
        task_id="run_batch",
        model_id=MODEL,
        data_specifications={
            "kind": "BatchJobDataSpecifications",
            "source_bucket": "in",
            "source_folder": "{%Y-%m-%d}",
            "input_file_type": "csv",
            "destination_bucket": "out",
            "destination_folder": "scores/{%Y}/{%m-%d}",
            "output_file_type": "feather",
        },
        execution_specifications={"kind": "BatchJobExecutionSpecifications", **execution},
        poll_interval=0.2,
    )


def context(ti: TaskInstanceXCom) -> dict[str, Any]:
    return {"ti": ti, "logical_date": WHEN}


def test_a_batch_job_defers_and_writes_every_row_to_the_rendered_folders(local_conn: LocalPlatform, built: str) -> None:
    operator, ti = batch_operator(executors=1), TaskInstanceXCom("run_batch")
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute(context(ti))
    trigger = deferred.value.trigger
    assert isinstance(trigger, FrogMLBatchTrigger)
    assert trigger.serialize()[1]["platform"] == local_conn.locator()
    assert local_conn.locator()["state_dir"] == str(local_conn.state_dir)
    job_id = operator.execute_complete(context(ti), run_trigger(trigger))
    assert job_id == ti.xcom_pull("run_batch", "batch_job_id") and ti.xcom_pull("run_batch", "build_id") == built
    scored = pd.read_feather(local_conn.state_dir / "buckets" / "out" / "scores" / "2024" / "03-09" / "rows.feather")
    assert scored.to_dict("list") == {
        "id": ["a", "b", "c"],
        "x": [1.0, 2.0, 3.0],
        "y": [2.0, 4.0, 6.0],
        "scored_by": [""] * 3,
    }
    # A rerun of the same DAG run after success re-attaches, finishing at once; no second job.
    assert batch_operator().execute(context(ti)) == job_id
    assert len(local_conn.batch_jobs(MODEL)) == 1


def test_a_failed_job_fails_the_task_naming_the_file_and_a_retry_runs_anew(
    local_conn: LocalPlatform, built: str
) -> None:
    bad = local_conn.state_dir / "buckets" / "in" / "2024-03-09" / "zz-negative.csv"
    bad.write_text("id,x\nq,-1\n")
    operator, ti = batch_operator(), TaskInstanceXCom("run_batch")
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute(context(ti))
    with pytest.raises(FrogMLBatchFailed, match=r"failed: zz-negative.csv: the model failed on row 1") as failed:
        operator.execute_complete(context(ti), run_trigger(deferred.value.trigger))
    assert "last lines of the batch job's log" in str(failed.value)
    bad.unlink()
    with pytest.raises(TaskDeferred) as retried:  # the retry starts a new job: the failed one is done with
        batch_operator().execute(context(ti))
    assert retried.value.trigger.job_id != deferred.value.trigger.job_id
    first, second = local_conn.batch_jobs(MODEL)
    assert first.state is BatchJobState.FAILED and not second.state.terminal


def test_a_job_past_its_bound_is_cancelled_and_the_bound_named(local_conn: LocalPlatform, built: str) -> None:
    operator = batch_operator(params={"PREDICT_SECONDS": "120"})
    operator.batch_timeout = timedelta(seconds=2)
    ti = TaskInstanceXCom("run_batch")
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute(context(ti))
    event = run_trigger(deferred.value.trigger)
    assert event["timed_out"] is True
    with pytest.raises(FrogMLBatchFailed, match=r"did not finish within 0:00:02 \(the operator's batch_timeout\)"):
        operator.execute_complete(context(ti), event)
    (job,) = local_conn.batch_jobs(MODEL)
    assert job.state is BatchJobState.TIMED_OUT
    assert not (local_conn.state_dir / "buckets" / "out" / "scores" / "2024" / "03-09").exists() or not any(
        (local_conn.state_dir / "buckets" / "out" / "scores" / "2024" / "03-09").iterdir()
    )


def test_job_timeout_bounds_the_wait_and_the_default_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    assert batch_operator(job_timeout=600)._bound() == timedelta(seconds=660)  # the platform reports it first
    monkeypatch.setenv("AIRFLOW__FROGML__BATCH_TIMEOUT", "90")
    assert batch_operator()._bound() == timedelta(seconds=90)
    assert batch_operator()._bound_name() == "[frogml] batch_timeout"


def test_mistakes_fail_the_task_at_once(local_conn: LocalPlatform, built: str) -> None:
    operator = batch_operator()
    operator.data_specifications = {**operator.data_specifications, "source_folder": "{%Y}/missing"}
    with pytest.raises(Exception, match=r"buckets/in/2024/missing does not exist"):
        operator.execute(context(TaskInstanceXCom("run_batch")))


def test_strftime_codes_outside_brackets_are_warned_about(capsys: pytest.CaptureFixture[str]) -> None:
    operator = batch_operator()
    operator.data_specifications = {**operator.data_specifications, "destination_folder": "daily/%Y-%m-%d"}
    request = operator._request(context(TaskInstanceXCom("run_batch")))
    assert request.data_spec["destination_folder"] == "daily/%Y-%m-%d"
    assert request.data_spec["source_folder"] == "2024-03-09"
    assert "destination_folder 'daily/%Y-%m-%d' has strftime codes outside {...}" in capsys.readouterr().out


def test_jinja_does_not_touch_the_folder_templates() -> None:
    assert "data_specifications" not in FrogMLBatchOperator.template_fields
