"""The whole thing as a person meets it: ``airflow standalone`` on free ports, headless Chromium
logs in, opens a generated DAG's graph, triggers it, the run builds, gates and deploys the sample
model, and a screenshot of the graph is saved: into a temporary folder, so that running the tests
leaves the checkout as it was; ``bash scripts/screenshots.sh`` sets ``FROGML_SCREENSHOTS=docs`` to
refresh the README's copy."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from frogml_airflow_provider.cli import main as cli
from frogml_airflow_provider.platform.local.platform import LocalPlatform
from tests.browser.standalone import Standalone, start
from tests.support import EXAMPLES, ROOT

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
SCREENSHOT = "dag-graph.png"  # the README shows docs/dag-graph.png
DAG = "retrain_iris_classifier"


@pytest.fixture
def airflow(tmp_path: Path, make_repo) -> Standalone:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail("Debian's chromium and chromium-driver are needed: .ci/run installs them")
    dags = tmp_path / "dags"
    assert cli(["init", str(dags)]) == 0
    shutil.copy(EXAMPLES / "automations" / "iris_classifier.py", dags / "automations")
    instance = start(tmp_path / "home", dags, {"FROGML_SAMPLE_MODEL_REPO": str(make_repo(sample=True))})
    yield instance
    instance.stop()
    LocalPlatform(tmp_path / "home" / "frogml-local").shutdown()


@pytest.fixture
def browser(tmp_path: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,900",
        f"--user-data-dir={tmp_path / 'chrome'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()


def wait_for_dag(airflow: Standalone, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            airflow.api(f"/dags/{DAG}")
            return
        except OSError:
            assert time.monotonic() < deadline, "the generated DAG never appeared"
            time.sleep(2)


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where the screenshot goes: a temporary folder, or ``$FROGML_SCREENSHOTS`` (scripts/screenshots.sh)."""
    folder = Path(os.environ.get("FROGML_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def log_in(browser: Any, wait: Any, airflow: Standalone) -> None:
    """Airflow's UI sends a browser without a session on to its login page after the first page loads:
    a form found before that navigation is gone ("aborted by navigation"), so the login starts over."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shown

    for attempt in range(3):
        try:
            browser.get(f"{airflow.url}/")
            wait.until(shown.presence_of_element_located((By.NAME, "username"))).send_keys("admin")
            browser.find_element(By.NAME, "password").send_keys(airflow.password)
            browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            wait.until(shown.url_to_be(f"{airflow.url}/"))
            return
        except (StaleElementReferenceException, WebDriverException) as error:
            if attempt == 2 or (not isinstance(error, StaleElementReferenceException) and "navigat" not in str(error)):
                raise
            time.sleep(1)


def test_log_in_trigger_the_generated_dag_and_watch_it_succeed(airflow: Standalone, browser, screenshots: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shown
    from selenium.webdriver.support.ui import WebDriverWait

    docs_copy = ROOT / "docs" / SCREENSHOT
    before = docs_copy.read_bytes() if docs_copy.exists() else None
    wait = WebDriverWait(browser, 90)
    wait_for_dag(airflow)
    log_in(browser, wait, airflow)

    browser.get(f"{airflow.url}/dags/{DAG}")
    wait.until(shown.element_to_be_clickable((By.CSS_SELECTOR, "button[aria-label='Show Graph (Press g)']"))).click()
    for task in ("build", "check_build_metric", "deploy", "skip_deploy"):
        wait.until(shown.presence_of_element_located((By.XPATH, f"//*[text()='{task}']")))
    wait.until(shown.element_to_be_clickable((By.CSS_SELECTOR, "button[aria-label='Trigger Dag']"))).click()
    confirm = wait.until(
        lambda driver: [b for b in driver.find_elements(By.CSS_SELECTOR, "[role=dialog] button") if b.text == "Trigger"]
    )
    confirm[0].click()

    deadline = time.monotonic() + 240
    while True:
        runs = airflow.api(f"/dags/{DAG}/dagRuns")["dag_runs"]
        states = [run["state"] for run in runs]
        if states and states[-1] in ("success", "failed"):
            break
        assert time.monotonic() < deadline, f"the run did not finish: {states}"
        time.sleep(2)
    assert states == ["success"], states  # one run, the one the browser triggered
    tasks = {t["task_id"]: t["state"] for t in airflow.api(f"/dags/{DAG}/dagRuns/~/taskInstances")["task_instances"]}
    assert tasks == {"build": "success", "check_build_metric": "success", "deploy": "success", "skip_deploy": "skipped"}

    browser.get(f"{airflow.url}/dags/{DAG}")
    wait.until(shown.presence_of_element_located((By.XPATH, "//*[text()='deploy']")))
    time.sleep(2)  # let the graph settle its layout
    screenshot = screenshots / SCREENSHOT
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000  # a rendered page, not an empty one
    if screenshots != docs_copy.parent:  # a test run leaves the tracked copy alone
        assert (docs_copy.read_bytes() if docs_copy.exists() else None) == before

    browser.get(f"{airflow.url}/frogml/models/iris-classifier")  # the console the task links to
    wait.until(shown.presence_of_element_located((By.TAG_NAME, "svg")))
    assert "SERVING" in browser.page_source and "f1_score per build" in browser.page_source
