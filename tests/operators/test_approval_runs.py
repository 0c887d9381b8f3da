"""Approval before a protected deploy, in whole DAG runs (``dag.test()``) on the local platform:
a human answers through a real Airflow API server's HITL endpoint (the one the Required Actions
UI calls), sharing the test's metadata database. Approve -> deployed; Reject -> deploy skipped and
notified; no answer -> the scheduler's own time-out sweep answers Reject -> skipped and notified.
The request's notification carries the link to the task's Required Actions page."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from airflow.dag_processing.dagbag import DagBag

from frogml_airflow_provider.cli import main as cli
from tests.support.airflow import ApiServer, start_api_server

pytestmark = pytest.mark.slow

AUTOMATION = """
from frogml.core.automations import *

automation = Automation(
    name="{name}",
    model_id="approved-model",
    trigger=NoneTrigger(),
    action=FrogmlBuildDeploy(
        BuildSpecifications(git_uri="{repo}", env_vars=["METRIC_F1_SCORE=0.9"]),
        BuildMetric("f1_score", ThresholdDirection.ABOVE, "0.5"),
        DeploymentSpecifications(variation_name="{name}"),
    ),
    on_success={notification},
)
"""
WEBHOOK = 'CustomWebhook(url="{url}/hook", http_method="POST", headers={{"X-Key": "k3y-value"}})'
SLACK = 'SlackNotification(webhook="{url}/slack/T0/B0/SECRET")'
NAMES = {"approve_me": WEBHOOK, "reject_me": SLACK, "nobody_answers": WEBHOOK}


@pytest.fixture(scope="module")
def api(airflow_db: Path) -> Any:
    folder = airflow_db / "dags"
    assert cli(["init", str(folder)]) == 0
    server = start_api_server(airflow_db, folder)
    yield server
    server.stop()


@pytest.fixture
def dags(api: ApiServer, local_conn, make_repo, receiver, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AIRFLOW__FROGML__POLL_INTERVAL", "0.3")
    monkeypatch.setenv("AIRFLOW__FROGML__APPROVAL_REQUIRED", "model:approved-model")
    monkeypatch.setenv("AIRFLOW__FROGML__APPROVAL_TIMEOUT", "2")  # only the sweep (called below) enforces it
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", f"{api.url}/airflow")
    folder = api.home / "dags" / "automations"
    repo = make_repo()
    for name, notification in NAMES.items():
        text = AUTOMATION.format(name=name, repo=repo, notification=notification.format(url=receiver.url))
        (folder / f"{name}.py").write_text(text)
    bag = DagBag(dag_folder=str(api.home / "dags"))
    assert bag.import_errors == {}
    yield bag.dags
    for name in NAMES:
        (folder / f"{name}.py").unlink()


def awaiting(api: ApiServer, dag_id: str, stop: threading.Event) -> dict[str, Any] | None:
    """The run's approval request, once its task waits in ``awaiting_input``; None if the run ended."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not stop.is_set():
        details = api.api("GET", f"/dags/{dag_id}/dagRuns/~/hitlDetails")["hitl_details"]
        waiting = [d for d in details if d["task_instance"]["state"] == "awaiting_input"]
        if waiting:
            return waiting[0]
        time.sleep(0.5)
    return None


def answer(api: ApiServer, dag_id: str, option: str | None, seen: dict[str, Any], stop: threading.Event) -> None:
    """Answer as a user in the UI does (PATCH .../hitlDetails); ``None``: let the time run out and
    run the scheduler's own sweep of timed-out requests (``dag.test()`` has no scheduler)."""
    try:
        request = awaiting(api, dag_id, stop)
        if request is None:
            return
        seen["request"] = request
        ti = request["task_instance"]
        if option is None:
            from airflow.jobs.scheduler_job_runner import SchedulerJobRunner

            time.sleep(2.5)  # past [frogml] approval_timeout
            SchedulerJobRunner.check_awaiting_input_timeouts(SimpleNamespace(log=logging.getLogger("sweep")))
            return
        path = f"/dags/{dag_id}/dagRuns/{ti['dag_run_id']}/taskInstances/{ti['task_id']}/-1/hitlDetails"
        seen["response"] = api.api("PATCH", path, {"chosen_options": [option], "params_input": {}})
    except BaseException as error:  # reported by run_answered; the waiting task is failed so the run ends
        seen["error"] = error
        fail_waiting(dag_id)


def fail_waiting(dag_id: str) -> None:
    """Without an answer ``dag.test()`` waits forever: fail the task that waits, so the test ends and says why."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState

    with create_session() as session:
        for ti in session.query(TaskInstance).filter_by(dag_id=dag_id, state=TaskInstanceState.AWAITING_INPUT):
            ti.state = TaskInstanceState.FAILED


def run_answered(dag: Any, api: ApiServer, option: str | None) -> tuple[Any, dict[str, Any]]:
    seen: dict[str, Any] = {}
    stop = threading.Event()
    responder = threading.Thread(target=answer, args=(api, dag.dag_id, option, seen, stop), daemon=True)
    responder.start()
    try:
        run = dag.test()
    finally:
        stop.set()
        responder.join(timeout=60)
    assert "error" not in seen, seen.get("error")
    return run, seen


def states(run: Any) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


def approval_of(run: Any) -> dict[str, Any]:
    (ti,) = [ti for ti in run.get_task_instances() if ti.task_id == "approve_deploy"]
    return dict(ti.xcom_pull(task_ids="approve_deploy", key="approval"))


def test_approved_deploys_and_says_who_approved(dags, api: ApiServer, receiver, local_conn) -> None:
    run, seen = run_answered(dags["approve_me"], api, "Approve")
    assert str(run.state) == "success", states(run)
    assert states(run)["approve_deploy"] == "success" and states(run)["deploy"] == "success"
    assert seen["response"]["responded_by"]["name"] == "admin"
    request = seen["request"]
    assert request["subject"] == "Deploy model approved-model to variation approve_me?"
    assert "f1_score" in request["body"] and request["defaults"] == ["Reject"]
    approval = approval_of(run)
    assert approval["decision"] == "approved" and approval["responded_by"] == "admin"
    assert approval["responded_at"].startswith(str(run.run_after.year))
    # The request (with the link to its Required Actions page), then the run's success: in that order.
    asked, done = receiver.requests
    assert asked["json"]["status"] == "AWAITING_APPROVAL" and asked["headers"]["x-key"] == "k3y-value"
    run_path = run.run_id.replace(":", "%3A").replace("+", "%2B")
    assert asked["json"]["approval_url"] == (
        f"{api.url}/airflow/dags/approve_me/runs/{run_path}/tasks/approve_deploy/required_actions?map_index=-1"
    )
    assert done["json"]["status"] == "SUCCESSFUL"
    serving = local_conn.get_deployment("approved-model", "approve_me")
    assert serving is not None and serving.state.value == "SERVING"
    (decision,) = local_conn.decisions("approval", "approved-model")
    assert decision.detail["responded_by"] == "admin" and decision.subject == approval["build_id"]


def test_rejected_skips_the_deploy_and_notifies(dags, api: ApiServer, receiver, local_conn) -> None:
    run, _ = run_answered(dags["reject_me"], api, "Reject")
    assert str(run.state) == "success", states(run)
    assert states(run)["approve_deploy"] == "success"
    assert states(run)["deploy"] == "skipped" and states(run)["skip_deploy"] == "skipped"
    assert approval_of(run)["decision"] == "rejected" and approval_of(run)["responded_by"] == "admin"
    asked, rejected = receiver.requests  # Slack: the request, then the rejection; no success message
    assert asked["json"]["text"] == "reject_me: AWAITING_APPROVAL"
    assert "Approve or reject in Airflow" in str(asked["json"]["blocks"])
    assert rejected["json"]["text"] == "reject_me: DEPLOY_REJECTED"
    assert "deploy rejected by admin" in str(rejected["json"]["blocks"])
    assert local_conn.get_deployment("approved-model", "reject_me") is None


def test_no_answer_in_time_counts_as_reject(dags, api: ApiServer, receiver, local_conn) -> None:
    run, _ = run_answered(dags["nobody_answers"], api, None)
    assert str(run.state) == "success", states(run)
    assert states(run)["deploy"] == "skipped"
    approval = approval_of(run)
    assert approval["decision"] == "timed_out" and approval["responded_by"] == ""
    asked, timed_out = receiver.requests
    assert asked["json"]["status"] == "AWAITING_APPROVAL"
    assert timed_out["json"]["status"] == "APPROVAL_TIMED_OUT" and timed_out["json"]["responded_by"] == ""
    assert local_conn.get_deployment("approved-model", "nobody_answers") is None
