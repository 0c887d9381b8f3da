"""What the approval step's notifications say (``approve_deploy``, ``dags.approval``): the request with
its link, a rejection with who rejected, a time-out; over real loopback servers, as the step calls them."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from airflow.sdk import DAG

from frogml_airflow_provider.notifications._delivery import DeliveryPolicy
from frogml_airflow_provider.notifications.slack import FrogMLSlackNotifier
from frogml_airflow_provider.notifications.webhook import FrogMLWebhookNotifier
from frogml_airflow_provider.tasks import APPROVAL_CONTEXT
from tests.support import TaskInstanceXCom

FAST = DeliveryPolicy(timeout=2.0, attempts=2, backoff=0.01)
LINK = "https://airflow.example/dags/retrain/runs/manual__1/tasks/approve_deploy/required_actions?map_index=-1"


def context() -> dict[str, object]:
    ti = TaskInstanceXCom("build")
    ti.xcom_push("build_id", "b-42")
    ti.task_id, ti.state = "approve_deploy", "running"
    ti.log_url = "http://airflow.test/dags/retrain/runs/manual__1"
    run = SimpleNamespace(logical_date=datetime(2026, 12, 5, tzinfo=UTC), run_id="manual__1", dag_id="retrain")
    return {"ti": ti, "dag": DAG(dag_id="retrain", schedule=None), "dag_run": run}


def news(status: str, url: str = "", by: str = "") -> dict[str, object]:
    return {**context(), APPROVAL_CONTEXT: {"status": status, "url": url, "responded_by": by, "timeout_hours": 24.0}}


@pytest.mark.parametrize(
    ("status", "url", "by", "title", "footer"),
    [
        ("AWAITING_APPROVAL", LINK, "", "wants to deploy build b-42: approve or reject", f"<{LINK}|Approve or reject"),
        ("AWAITING_APPROVAL", "", "", "approve or reject", "[api] base_url is not set: no link"),
        ("DEPLOY_REJECTED", "", "alice", "deploy rejected by alice, deploy skipped", "Open the Airflow run"),
        ("APPROVAL_TIMED_OUT", "", "", "no approval within 24 h, deploy skipped", "Open the Airflow run"),
    ],
)
def test_slack_says_each_stage(receiver, status: str, url: str, by: str, title: str, footer: str) -> None:
    FrogMLSlackNotifier(f"{receiver.url}/slack", model_id="churn", automation="retrain", policy=FAST).notify(
        news(status, url, by)
    )
    (request,) = receiver.requests
    message = request["json"]
    assert message["text"] == f"retrain: {status}"
    assert title in message["blocks"][0]["text"]["text"]
    assert footer in message["blocks"][-1]["elements"][0]["text"]


def test_the_webhook_gets_the_status_the_link_and_who_answered(receiver) -> None:
    notifier = FrogMLWebhookNotifier(
        f"{receiver.url}/hook", "POST", model_id="churn", automation="retrain", policy=FAST
    )
    notifier.notify(news("AWAITING_APPROVAL", LINK))
    notifier.notify(news("DEPLOY_REJECTED", by="alice"))
    notifier.notify(context())  # an ordinary run's notification keeps JFrog ML's fields only
    asked, rejected, ordinary = (request["json"] for request in receiver.requests)
    assert asked["status"] == "AWAITING_APPROVAL" and asked["approval_url"] == LINK and asked["build_id"] == "b-42"
    assert rejected["status"] == "DEPLOY_REJECTED" and rejected["responded_by"] == "alice"
    assert ordinary["status"] == "SUCCESSFUL" and "approval_url" not in ordinary
