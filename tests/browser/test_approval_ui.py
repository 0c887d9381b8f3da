"""Approval before a protected deploy, as a person does it: ``airflow standalone`` (scheduler, workers,
API server) with ``[frogml] approval_required`` naming a model; two runs wait in ``approve_deploy``;
headless Chromium logs in, opens each run's Required Actions page, and clicks Approve on one (it
deploys) and Reject on the other (the deploy is skipped and the rejection is notified)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from frogml_airflow_provider.cli import main as cli
from frogml_airflow_provider.platform.local.platform import LocalPlatform
from tests.browser.chrome import CHROMEDRIVER, CHROMIUM, log_in, new_driver
from tests.browser.standalone import Standalone, start

pytestmark = [pytest.mark.slow, pytest.mark.browser]

AUTOMATION = """
from frogml.core.automations import *

automation = Automation(
    name="{name}",
    model_id="guarded-model",
    trigger=NoneTrigger(),
    action=FrogmlBuildDeploy(
        BuildSpecifications(git_uri="{repo}", env_vars=["METRIC_F1_SCORE=0.9"]),
        BuildMetric("f1_score", ThresholdDirection.ABOVE, "0.5"),
        DeploymentSpecifications(variation_name="{name}"),
    ),
    on_success=CustomWebhook(url="{url}/hook", http_method="POST"),
)
"""
NAMES = ("approve_in_ui", "reject_in_ui")


@pytest.fixture
def airflow(tmp_path: Path, make_repo, receiver) -> Any:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail("Debian's chromium and chromium-driver are needed: .ci/run installs them")
    dags = tmp_path / "dags"
    assert cli(["init", str(dags)]) == 0
    repo = make_repo()
    for name in NAMES:
        (dags / "automations" / f"{name}.py").write_text(AUTOMATION.format(name=name, repo=repo, url=receiver.url))
    settings = {
        "AIRFLOW__FROGML__APPROVAL_REQUIRED": "model:guarded-model",
        "AIRFLOW__FROGML__TRIGGER_INITIAL_DELAY": "1",
    }
    instance = start(tmp_path / "home", dags, settings)
    yield instance
    instance.stop()
    LocalPlatform(tmp_path / "home" / "frogml-local").shutdown()


@pytest.fixture
def chrome(tmp_path: Path) -> Any:
    driver = new_driver(tmp_path / "chrome")
    yield driver
    driver.quit()


def wait_for(what: str, check: Any, timeout: float = 240) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = check()
        except OSError:  # the API server still starting, the DAG not parsed yet
            found = None
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}: not within {timeout:g} s"
        time.sleep(2)


def tasks(airflow: Standalone, dag_id: str, run_id: str) -> dict[str, str]:
    listed = airflow.api(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]
    return {t["task_id"]: t["state"] for t in listed}


def trigger_and_wait_for_the_request(airflow: Standalone, dag_id: str) -> str:
    wait_for(f"DAG {dag_id}", lambda: airflow.api(f"/dags/{dag_id}"))
    run_id = str(airflow.api(f"/dags/{dag_id}/dagRuns", {"logical_date": None})["dag_run_id"])
    wait_for(
        f"{dag_id}'s approval request", lambda: tasks(airflow, dag_id, run_id).get("approve_deploy") == "awaiting_input"
    )
    return run_id


def click(browser: Any, wait: Any, airflow: Standalone, dag_id: str, run_id: str, option: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{airflow.url}/dags/{dag_id}/runs/{run_id}/tasks/approve_deploy/required_actions")
    wait.until(lambda driver: "wants to deploy build" in driver.page_source)  # the request's body
    (button,) = wait.until(
        lambda driver: [b for b in driver.find_elements(By.TAG_NAME, "button") if b.text.strip() == option]
    )
    button.click()


def test_approve_and_reject_in_airflows_required_actions_page(airflow: Standalone, chrome: Any, receiver) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    browser = chrome
    wait = WebDriverWait(browser, 90)
    runs = {name: trigger_and_wait_for_the_request(airflow, name) for name in NAMES}
    log_in(browser, wait, airflow.url, airflow.password)
    click(browser, wait, airflow, "approve_in_ui", runs["approve_in_ui"], "Approve")
    click(browser, wait, airflow, "reject_in_ui", runs["reject_in_ui"], "Reject")

    def finished(name: str) -> dict[str, str] | None:
        run = airflow.api(f"/dags/{name}/dagRuns/{runs[name]}")
        return tasks(airflow, name, runs[name]) if run["state"] in ("success", "failed") else None

    approved, rejected = (wait_for(f"{name} to finish", lambda name=name: finished(name)) for name in NAMES)
    assert approved["approve_deploy"] == "success" and approved["deploy"] == "success", approved
    assert rejected["approve_deploy"] == "success" and rejected["deploy"] == "skipped", rejected
    for name in NAMES:
        detail = airflow.api(f"/dags/{name}/dagRuns/{runs[name]}/taskInstances/approve_deploy/-1/hitlDetails")
        assert detail["responded_by_user"]["name"] == "admin"
    statuses = {(r["json"]["automation"], r["json"]["status"]) for r in receiver.requests}
    assert statuses == {
        ("approve_in_ui", "AWAITING_APPROVAL"),
        ("approve_in_ui", "SUCCESSFUL"),
        ("reject_in_ui", "AWAITING_APPROVAL"),
        ("reject_in_ui", "DEPLOY_REJECTED"),
    }
