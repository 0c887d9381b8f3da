"""Whole DAG runs (``dag.test()``) on the local platform, notifying real loopback servers:
on_success after deploy and after a skipped deploy, on_error when the build fails; once each."""

from __future__ import annotations

from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

from frogml_airflow_provider.cli import main as cli

pytestmark = pytest.mark.slow

AUTOMATION = """
from frogml.core.automations import *

automation = Automation(
    name="{name}",
    model_id="tiny-model",
    trigger=NoneTrigger(),
    action=FrogmlBuildDeploy(
        BuildSpecifications(git_uri="{repo}", env_vars={env_vars!r}),
        BuildMetric("f1_score", ThresholdDirection.ABOVE, "{threshold}"),
        DeploymentSpecifications(variation_name="{name}"),
    ),
    on_success=CustomWebhook(url="{url}/success", http_method="POST", headers={{"X-Key": "k3y-value"}},
                             data={{"team": "ml"}}),
    on_error=SlackNotification(webhook="{url}/slack/T0/B0/SECRET"),
)
"""


@pytest.fixture
def dags(airflow_db: Path, local_conn, make_repo, receiver, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    monkeypatch.setenv("AIRFLOW__FROGML__POLL_INTERVAL", "0.3")
    folder = airflow_db / "dags"
    assert cli(["init", str(folder)]) == 0
    repo = make_repo()
    cases = {
        "notify_met": (["METRIC_F1_SCORE=0.9"], "0.5"),
        "notify_not_met": (["METRIC_F1_SCORE=0.4"], "0.5"),
        "notify_build_fails": (["BUILD_FAILS=1"], "0.5"),
    }
    for name, (env_vars, threshold) in cases.items():
        (folder / "automations" / f"{name}.py").write_text(
            AUTOMATION.format(name=name, repo=repo, env_vars=env_vars, threshold=threshold, url=receiver.url)
        )
    bag = DagBag(dag_folder=str(folder))
    assert bag.import_errors == {}
    yield bag.dags
    for name in cases:
        (folder / "automations" / f"{name}.py").unlink()


def states(run) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


def test_met_deploys_and_notifies_success_once(dags, receiver) -> None:
    run = dags["notify_met"].test()
    assert str(run.state) == "success", states(run)
    assert states(run)["deploy"] == "success" and states(run)["skip_deploy"] == "skipped"
    (request,) = receiver.requests
    assert request["path"] == "/success" and request["headers"]["x-key"] == "k3y-value"
    assert request["json"]["status"] == "SUCCESSFUL" and request["json"]["team"] == "ml"
    assert request["json"]["automation"] == "notify_met" and request["json"]["model_id"] == "tiny-model"
    assert request["json"]["build_id"].startswith("tiny-model-")


def test_not_met_skips_the_deploy_and_notifies_success_once(dags, receiver) -> None:
    run = dags["notify_not_met"].test()
    assert str(run.state) == "success", states(run)
    assert states(run)["deploy"] == "skipped" and states(run)["skip_deploy"] == "success"
    (request,) = receiver.requests
    assert request["path"] == "/success" and request["json"]["status"] == "SUCCESSFUL"


def test_a_failed_build_notifies_the_error_once(dags, receiver) -> None:
    run = dags["notify_build_fails"].test()
    assert str(run.state) == "failed", states(run)
    (request,) = receiver.requests
    assert request["path"] == "/slack/T0/B0/SECRET"
    assert request["json"]["text"] == "notify_build_fails: FAILED"


def test_credentials_are_masked_once_a_notifier_ran(receiver) -> None:
    from airflow.sdk.log import redact

    from frogml_airflow_provider.notifications.webhook import FrogMLWebhookNotifier

    url = f"{receiver.url}/hook/URL-SECRET-0123"
    FrogMLWebhookNotifier(url, "POST", headers={"Authorization": "Bearer HEADER-SECRET-0123"}).deliver(
        {"dag": None, "dag_run": None, "logical_date": None}
    )
    shown = str(redact(f"calling {url} with Bearer HEADER-SECRET-0123"))
    assert "URL-SECRET-0123" not in shown and "HEADER-SECRET-0123" not in shown
