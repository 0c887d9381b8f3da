"""The two notifiers called as Airflow calls a task callback, against real loopback servers."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from types import SimpleNamespace

from airflow.sdk import DAG

from frogml_airflow_provider.notifications._delivery import DeliveryPolicy
from frogml_airflow_provider.notifications.slack import FrogMLSlackNotifier, slack_message
from frogml_airflow_provider.notifications.webhook import FrogMLWebhookNotifier
from tests.support import TaskInstanceXCom

FAST = DeliveryPolicy(timeout=2.0, attempts=2, backoff=0.01)
WHEN = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


def context(*, failed: bool = False, build_id: str | None = "b-42") -> dict[str, object]:
    ti = TaskInstanceXCom("build")
    if build_id:
        ti.xcom_push("build_id", build_id)
    ti.task_id = "deploy"
    ti.state = "failed" if failed else "success"
    ti.log_url = "http://airflow.test/dags/retrain/runs/manual__1"
    found: dict[str, object] = {
        "ti": ti,
        "dag": DAG(dag_id="retrain", schedule=None),
        "dag_run": SimpleNamespace(logical_date=WHEN, run_id="manual__1", dag_id="retrain"),
        "logical_date": WHEN,
    }
    if failed:
        found["exception"] = RuntimeError("build failed")
    return found


def test_webhook_post_carries_the_platform_fields_and_data_in_the_body(receiver) -> None:
    notifier = FrogMLWebhookNotifier(
        f"{receiver.url}/hooks/t0ken-in-path",
        "post",
        headers={"Authorization": "Bearer s3cr3t-header"},
        data={"team": "growth", "run": "{{ dag_run.run_id }}"},
        model_id="churn-model",
        automation="retrain",
        policy=FAST,
    )
    notifier(context())
    (request,) = receiver.requests
    assert request["method"] == "POST" and request["path"] == "/hooks/t0ken-in-path"
    assert request["headers"]["authorization"] == "Bearer s3cr3t-header"
    assert request["json"] == {
        "team": "growth",
        "run": "manual__1",
        "execution_date": WHEN.isoformat(),
        "model_id": "churn-model",
        "automation": "retrain",
        "status": "SUCCESSFUL",
        "build_id": "b-42",
    }
    assert notifier.data["run"] == "{{ dag_run.run_id }}"  # rendered per run, not in place


def test_webhook_get_puts_everything_in_the_query_string(receiver) -> None:
    notifier = FrogMLWebhookNotifier(
        f"{receiver.url}/hook", data={"a1": "b1"}, model_id="m", automation="a", policy=FAST
    )
    notifier(context(failed=True))
    (request,) = receiver.requests
    assert request["method"] == "GET" and request["json"] is None
    assert request["query"] == {
        "a1": "b1",
        "execution_date": WHEN.isoformat(),
        "model_id": "m",
        "automation": "a",
        "status": "FAILED",
        "build_id": "b-42",
    }


def test_slack_gets_a_readable_block_kit_message(receiver) -> None:
    FrogMLSlackNotifier(f"{receiver.url}/services/T0/B0/X", model_id="churn-model", automation="retrain", policy=FAST)(
        context()
    )
    (request,) = receiver.requests
    message = request["json"]
    assert message["text"] == "retrain: SUCCESSFUL"
    text = str(message["blocks"])
    for expected in (
        "succeeded",
        WHEN.isoformat(),
        "churn-model",
        "retrain",
        "SUCCESSFUL",
        "b-42",
        "http://airflow.test/dags/retrain/runs/manual__1",
    ):
        assert expected in text, expected
    assert [block["type"] for block in message["blocks"]] == ["section", "section", "context"]


def test_slack_failure_message_without_a_build() -> None:
    from frogml_airflow_provider.notifications._context import RunFacts

    message = slack_message(RunFacts("t", "m", "a", "FAILED", "", "d", "r"))
    assert "failed" in message["blocks"][0]["text"]["text"] and "—" in str(message["blocks"][1])


def test_a_delivery_that_fails_is_logged_and_never_raises(closed_port: int, caplog) -> None:
    url = f"http://127.0.0.1:{closed_port}/services/T0/B0/SLACK-SECRET"
    with caplog.at_level(logging.INFO):
        FrogMLSlackNotifier(url, model_id="m", automation="a", policy=FAST)(context())
        FrogMLWebhookNotifier(url, "PUT", headers={"X-Key": "HEADER-SECRET"}, policy=FAST)(context())
    assert caplog.text.count("NOT delivered") == 2
    assert "SLACK-SECRET" not in caplog.text and "HEADER-SECRET" not in caplog.text


def test_reprs_hide_the_credentials() -> None:
    shown = repr(FrogMLSlackNotifier("https://hooks.slack.com/services/T/B/SECRET")) + repr(
        FrogMLWebhookNotifier("https://h.test/?k=SECRET", headers={"Authorization": "SECRET"})
    )
    assert "SECRET" not in shown and "Authorization" in shown


def test_each_delivery_outcome_is_recorded_for_the_runs_tab(receiver, closed_port: int, local_conn) -> None:
    """Delivered or not and why, on the local platform for the run's JFrog ML tab; never the URL."""
    FrogMLWebhookNotifier(f"{receiver.url}/hooks/t0ken-in-path", "post", model_id="churn-model", policy=FAST)(context())
    FrogMLSlackNotifier(f"http://127.0.0.1:{closed_port}/services/T0/B0/s3cret", model_id="churn-model", policy=FAST)(
        context(failed=True)
    )
    webhook, slack = local_conn.decisions("notification", "churn-model")
    assert webhook.subject == slack.subject == "retrain/manual__1"
    assert {k: webhook.detail[k] for k in ("notifier", "status", "delivered", "attempts", "http_status")} == {
        "notifier": "webhook",
        "status": "SUCCESSFUL",
        "delivered": True,
        "attempts": 1,
        "http_status": 200,
    }
    assert (slack.detail["notifier"], slack.detail["status"], slack.detail["delivered"]) == ("slack", "FAILED", False)
    assert "refused" in slack.detail["reason"] and slack.detail["attempts"] == 2
    assert "s3cret" not in str(slack.detail) and "t0ken" not in str(webhook.detail)
