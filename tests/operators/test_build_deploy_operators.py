"""The operators against the real local platform, through the real deferral path: execute ->
TaskDeferred -> the trigger's own run() -> execute_complete."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import TaskDeferred

from frogml_airflow_provider.operators.build import FrogMLBuildFailed, FrogMLBuildOperator
from frogml_airflow_provider.operators.deploy import FrogMLDeployFailed, FrogMLDeployOperator
from frogml_airflow_provider.platform.base import BuildState, DeploymentState
from frogml_airflow_provider.platform.local.machine import this_machine
from frogml_airflow_provider.platform.local.platform import LocalPlatform
from frogml_airflow_provider.triggers.build import FrogMLBuildTrigger
from frogml_airflow_provider.triggers.deployment import FrogMLDeploymentTrigger
from tests.support import TaskInstanceXCom


def run_trigger(trigger: Any) -> dict[str, Any]:
    rebuilt_class, kwargs = trigger.serialize()
    assert rebuilt_class == f"{type(trigger).__module__}.{type(trigger).__name__}"
    rebuilt = type(trigger)(**json.loads(json.dumps(kwargs)))  # what the triggerer stores and rebuilds

    async def first_event() -> dict[str, Any]:
        async for event in rebuilt.run():
            return event.payload
        raise AssertionError("the trigger ended without an event")

    return asyncio.run(first_event())


def build_operator(repo: Path, **kwargs: Any) -> FrogMLBuildOperator:
    spec = {"git_uri": str(repo), "git_branch": "main", "main_dir": "main", **kwargs.pop("spec", {})}
    return FrogMLBuildOperator(task_id="build", model_id="tiny-model", build_spec=spec, poll_interval=0.2, **kwargs)


def test_build_defers_and_completes_with_metrics(local_conn: LocalPlatform, make_repo) -> None:
    operator = build_operator(make_repo(), spec={"env_vars": ["METRIC_F1_SCORE=0.9"]})
    ti = TaskInstanceXCom("build")
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute({"ti": ti})
    trigger = deferred.value.trigger
    assert isinstance(trigger, FrogMLBuildTrigger)
    assert trigger.serialize()[1]["platform"] == {
        "kind": "local",
        "state_dir": str(local_conn.state_dir),
        "machine": this_machine(),
    }
    event = run_trigger(trigger)
    build_id = operator.execute_complete({"ti": ti}, event)
    assert build_id == ti.xcom_pull("build", "build_id")
    assert ti.xcom_pull("build", "metrics") == {"f1_score": 0.9}


def test_a_sparse_spec_from_the_dag_reaches_the_platform_with_every_default(
    local_conn: LocalPlatform, make_repo
) -> None:
    """Generated DAGs carry only what the automation says (``tasks.to_plain``); the operator completes it."""
    operator = FrogMLBuildOperator(
        task_id="build",
        model_id="tiny-model",
        build_spec={"kind": "BuildSpecifications", "git_uri": str(make_repo()), "env_vars": ["BUILD_SECONDS=0"]},
        poll_interval=0.2,
    )
    with pytest.raises(TaskDeferred):
        operator.execute({"ti": TaskInstanceXCom("build")})
    (row,) = local_conn.store.builds("tiny-model")
    stored = json.loads(row["spec"])
    assert (stored["git_branch"], stored["main_dir"], stored["push_image"], stored["purchase_option"]) == (
        "main",
        "main",
        True,
        "spot",
    )
    assert stored["resources"] == {"kind": "CpuResources", "cpu_fraction": 2, "memory": "2Gi"}
    assert stored["env_vars"] == ["BUILD_SECONDS=0"]


def test_a_retry_reattaches_to_the_runs_build(local_conn: LocalPlatform, make_repo) -> None:
    repo = make_repo()
    ti = TaskInstanceXCom("build")
    first, retry = build_operator(repo, spec={"env_vars": ["BUILD_SECONDS=3"]}), build_operator(repo)
    with pytest.raises(TaskDeferred) as attempt_1:
        first.execute({"ti": ti})
    with pytest.raises(TaskDeferred) as attempt_2:  # the worker died; Airflow retries the task
        retry.execute({"ti": ti})
    assert attempt_1.value.trigger.build_id == attempt_2.value.trigger.build_id
    retry.execute_complete({"ti": ti}, run_trigger(attempt_2.value.trigger))
    assert len(local_conn.store.builds("tiny-model")) == 1
    # A rerun after success re-attaches too, finishing at once.
    assert retry.execute({"ti": ti}) == attempt_1.value.trigger.build_id
    assert len(local_conn.store.builds("tiny-model")) == 1
    # Another DAG run builds anew.
    with pytest.raises(TaskDeferred):
        retry.execute({"ti": TaskInstanceXCom("build", run_id="manual__2")})
    assert len(local_conn.store.builds("tiny-model")) == 2


def test_a_failed_build_fails_the_task_with_the_log_tail_and_a_retry_rebuilds(
    local_conn: LocalPlatform, make_repo
) -> None:
    repo = make_repo()
    ti = TaskInstanceXCom("build")
    operator = build_operator(repo, spec={"env_vars": ["BUILD_FAILS=1"]})
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute({"ti": ti})
    with pytest.raises(FrogMLBuildFailed, match="failed: RuntimeError: training data is missing") as failed:
        operator.execute_complete({"ti": ti}, run_trigger(deferred.value.trigger))
    assert "last lines of the build log" in str(failed.value) and "Traceback" in str(failed.value)
    with pytest.raises(TaskDeferred):
        build_operator(repo).execute({"ti": ti})
    failed_one, new_one = local_conn.store.builds("tiny-model")
    assert failed_one["state"] == "FAILED" and new_one["state"] in ("QUEUED", "RUNNING")


def test_a_build_past_its_deadline_is_cancelled(local_conn: LocalPlatform, make_repo) -> None:
    operator = build_operator(make_repo(), spec={"env_vars": ["BUILD_SECONDS=120"]}, build_timeout=timedelta(seconds=2))
    ti = TaskInstanceXCom("build")
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute({"ti": ti})
    assert deferred.value.timeout <= timedelta(seconds=2 + 300)
    event = run_trigger(deferred.value.trigger)
    # Whichever sees the deadline first stops the build: the trigger (the build still running, then
    # cancelled by the task) or the build itself (it stops at its own deadline and records TIMED_OUT).
    trigger_first = bool(event.get("timed_out")) and event["state"] == "RUNNING"
    assert trigger_first or event["state"] == "TIMED_OUT", event
    said = "did not finish within 0:00:02; it was cancelled" if trigger_first else "timed out"
    with pytest.raises(FrogMLBuildFailed, match=said):
        operator.execute_complete({"ti": ti}, event)
    (row,) = local_conn.store.builds("tiny-model")
    assert row["state"] == BuildState.TIMED_OUT.value


def deployed_build(platform: LocalPlatform, make_repo, ti: TaskInstanceXCom, **spec: Any) -> str:
    operator = build_operator(make_repo(), spec=spec)
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute({"ti": ti})
    return operator.execute_complete({"ti": ti}, run_trigger(deferred.value.trigger))


def test_deploy_waits_until_the_model_serves(local_conn: LocalPlatform, make_repo) -> None:
    ti = TaskInstanceXCom("build")
    build_id = deployed_build(local_conn, make_repo, ti)
    ti.task_id = "deploy"
    deploy = FrogMLDeployOperator(
        task_id="deploy", model_id="tiny-model", poll_interval=0.2, deployment_spec={"variation_name": "blue"}
    )
    with pytest.raises(TaskDeferred) as deferred:
        deploy.execute({"ti": ti})
    assert isinstance(deferred.value.trigger, FrogMLDeploymentTrigger)
    endpoint = deploy.execute_complete({"ti": ti}, run_trigger(deferred.value.trigger))
    assert endpoint.endswith("/v1/tiny-model/predict") and ti.xcom_pull("deploy", "endpoint") == endpoint
    serving = local_conn.get_deployment("tiny-model", "blue")
    assert serving is not None and serving.state is DeploymentState.SERVING and serving.build_id == build_id
    assert deploy.execute({"ti": ti}) == endpoint  # idempotent: serving already, no second server


def test_a_deployment_that_never_serves_fails_the_task(local_conn: LocalPlatform, make_repo) -> None:
    ti = TaskInstanceXCom("build")
    build_id = deployed_build(local_conn, make_repo, ti)
    (local_conn.state_dir / "builds" / build_id / "artifact" / "model.pkl").write_bytes(b"broken")
    ti.task_id = "deploy"
    deploy = FrogMLDeployOperator(task_id="deploy", model_id="tiny-model", poll_interval=0.2, deployment_spec={})
    with pytest.raises(TaskDeferred) as deferred:
        deploy.execute({"ti": ti})
    with pytest.raises(FrogMLDeployFailed, match="is FAILED: model failed to load"):
        deploy.execute_complete({"ti": ti}, run_trigger(deferred.value.trigger))


def test_deploy_without_a_build_fails_clearly(local_conn: LocalPlatform) -> None:
    deploy = FrogMLDeployOperator(task_id="deploy", model_id="tiny-model", deployment_spec={})
    with pytest.raises(FrogMLDeployFailed, match="no build_id from task 'build'"):
        deploy.execute({"ti": TaskInstanceXCom("deploy")})
