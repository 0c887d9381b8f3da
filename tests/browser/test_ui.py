"""The whole thing as a person meets it: ``airflow standalone`` on free ports, headless Chromium
logs in, opens a generated DAG's graph, triggers it, the run builds, gates and deploys the sample
model and notifies a local receiver; then the JFrog ML tabs on the DAG's and the run's pages (the
chart drawn on a dated axis, the notification shown as delivered, the dark theme followed) and on a
plain DAG. Screenshots go into a temporary folder, so that running the tests leaves the checkout as
it was; ``bash scripts/screenshots.sh`` sets ``FROGML_SCREENSHOTS=docs`` to refresh the docs' copies.
One Airflow start for all of it: it is the slow part."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from frogml_airflow_provider.cli import main as cli
from frogml_airflow_provider.platform.local.platform import LocalPlatform
from tests.browser.chrome import CHROMEDRIVER, CHROMIUM, log_in, new_driver
from tests.browser.standalone import Standalone, start
from tests.support import EXAMPLES, ROOT

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SCREENSHOT = "dag-graph.png"  # the README shows docs/dag-graph.png
TAB_SHOTS = ("tab-dag.png", "tab-run.png", "tab-dag-dark.png", "tab-plain-dag.png")  # docs/ui.md shows them
DAG = "retrain_iris_classifier"
PLAIN = "plain_dag"
PLAIN_DAG = """
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG("plain_dag", schedule=None, tags=["team-a"]):
    EmptyOperator(task_id="noop")
"""


@pytest.fixture
def airflow(tmp_path: Path, make_repo, receiver) -> Standalone:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail("Debian's chromium and chromium-driver are needed: .ci/run installs them")
    dags = tmp_path / "dags"
    assert cli(["init", str(dags)]) == 0
    shutil.copy(EXAMPLES / "automations" / "iris_classifier.py", dags / "automations")
    (dags / "plain_dag.py").write_text(PLAIN_DAG)
    env = {"FROGML_SAMPLE_MODEL_REPO": str(make_repo(sample=True)), "FROGML_DEMO_WEBHOOK_URL": f"{receiver.url}/hook"}
    instance = start(tmp_path / "home", dags, env)
    yield instance
    instance.stop()
    LocalPlatform(tmp_path / "home" / "frogml-local").shutdown()


@pytest.fixture
def browser(tmp_path: Path):
    driver = new_driver(tmp_path / "chrome")
    yield driver
    driver.quit()


def wait_for_dag(airflow: Standalone, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            airflow.api(f"/dags/{DAG}")
            airflow.api(f"/dags/{PLAIN}")
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


def test_log_in_trigger_the_generated_dag_and_watch_it_succeed(
    airflow: Standalone, browser, screenshots: Path, receiver
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shown
    from selenium.webdriver.support.ui import WebDriverWait

    docs_copy = ROOT / "docs" / SCREENSHOT
    before = docs_copy.read_bytes() if docs_copy.exists() else None
    wait = WebDriverWait(browser, 90)
    wait_for_dag(airflow)
    log_in(browser, wait, airflow.url, airflow.password)

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
    assert "SERVING" in browser.page_source and "f1_score per build" in wait_for_chart(browser, wait)["title"]

    run_id = runs[-1]["dag_run_id"]
    check_the_tabs(airflow, browser, wait, screenshots, run_id, receiver)
    if screenshots != docs_copy.parent:
        for name in TAB_SHOTS:
            assert (screenshots / name).stat().st_size > 10_000, name  # rendered pages


def wait_for_chart(browser: Any, wait: Any) -> dict[str, Any]:
    """The first chart once uPlot drew it: its title and the x axis' tick labels."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shown

    figure = wait.until(shown.presence_of_element_located((By.CSS_SELECTOR, "figure.chart[data-drawn]")))
    assert figure.find_elements(By.CSS_SELECTOR, "canvas"), "uPlot drew no canvas"
    return {"title": figure.find_element(By.TAG_NAME, "figcaption").text, "ticks": figure.get_attribute("data-x-ticks")}


def open_tab(browser: Any, wait: Any, page: str, url_route: str) -> None:
    """Open an Airflow page, find the plugin's tab among its tabs (by the route Airflow gives it), open it
    (by its link: a narrow tab bar may fold it out of view) and enter its iframe."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shown

    browser.switch_to.default_content()
    browser.get(page)
    tab = wait.until(shown.presence_of_element_located((By.CSS_SELECTOR, f"a[href$='/plugin/{url_route}']")))
    assert tab.get_attribute("title") == "JFrog ML"  # its label (a narrow tab bar shows the icon alone)
    browser.get(tab.get_attribute("href"))
    wait.until(shown.frame_to_be_available_and_switch_to_it((By.CSS_SELECTOR, "iframe[title='JFrog ML']")))
    wait.until(shown.presence_of_element_located((By.TAG_NAME, "h1")))


def no_horizontal_scroll(browser: Any) -> bool:
    """The page is no wider than its frame; if it is, the assertion names the elements that stick out."""
    wider = browser.execute_script(
        "var w = document.documentElement.clientWidth;"
        "if (document.documentElement.scrollWidth <= w) return [];"
        "return Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > w)"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));"
    )
    assert not wider, wider
    return True


def check_the_tabs(airflow: Standalone, browser: Any, wait: Any, screenshots: Path, run_id: str, receiver: Any) -> None:
    from urllib.parse import quote

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shown

    dag_page = f"{airflow.url}/dags/{DAG}"
    browser.get(dag_page)  # back to the grid view (the graph was shown above): the tabs get the width
    wait.until(shown.element_to_be_clickable((By.CSS_SELECTOR, "button[aria-label='Show Grid (Press g)']"))).click()
    open_tab(browser, wait, dag_page, "frogml-dag")
    assert "JFrog ML: retrain_iris_classifier" in browser.find_element("tag name", "h1").text
    chart = wait_for_chart(browser, wait)
    assert chart["title"] == "f1_score per build, at the gate"
    ticks = json.loads(chart["ticks"])
    assert ticks and all(re.fullmatch(r"\d{4}-\d\d-\d\d\n\d\d:\d\d", tick) for tick in ticks), ticks
    assert "SERVING" in browser.page_source and no_horizontal_scroll(browser)
    browser.switch_to.default_content()
    time.sleep(1)  # let the tab's layout settle
    assert browser.save_screenshot(str(screenshots / TAB_SHOTS[0]))

    # The run's tab: its build, gate and deployment; the notification the dag-processor sent on success.
    deadline = time.monotonic() + 90
    while not receiver.requests:
        assert time.monotonic() < deadline, "the success notification never arrived"
        time.sleep(1)
    run_page = f"{airflow.url}/dags/{DAG}/runs/{quote(run_id, safe='')}"
    while True:
        open_tab(browser, wait, run_page, "frogml-run")
        text = browser.find_element("tag name", "body").text
        if "delivered" in text or time.monotonic() > deadline:
            break
        time.sleep(2)  # the outcome is recorded right after the delivery
    assert "passed: deploy" in text and "SERVING" in text and "build log" in text, text
    assert "webhook" in text and "NOT delivered" not in text and "delivered" in text, text
    assert receiver.url not in browser.page_source and "/hook" not in text
    browser.switch_to.default_content()
    time.sleep(1)
    assert browser.save_screenshot(str(screenshots / TAB_SHOTS[1]))

    # A task instance's tab: the run's, opened at the task's part (the gate, for check_build_metric).
    open_tab(browser, wait, f"{run_page}/tasks/check_build_metric", "frogml-task")
    assert browser.execute_script("return location.hash") == "#task-check_build_metric"
    assert browser.execute_script("return document.getElementById('task-check_build_metric').textContent") == "Gate"

    # Airflow's dark theme: the tab follows it, at a narrower width too.
    browser.execute_script("localStorage.setItem('theme', 'dark')")
    browser.set_window_size(1100, 900)
    try:
        open_tab(browser, wait, dag_page, "frogml-dag")
        wait_for_chart(browser, wait)
        assert browser.execute_script("return document.documentElement.classList.contains('dark')")
        background = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
        assert background != "rgb(255, 255, 255)", background
        assert no_horizontal_scroll(browser)
        browser.switch_to.default_content()
        time.sleep(1)
        assert browser.save_screenshot(str(screenshots / TAB_SHOTS[2]))
    finally:
        browser.switch_to.default_content()
        browser.execute_script("localStorage.setItem('theme', 'light')")
        browser.set_window_size(1400, 900)

    # A plain DAG: Airflow 3.3 shows a plugin's tab on every DAG; the page says it has nothing here.
    open_tab(browser, wait, f"{airflow.url}/dags/{PLAIN}", "frogml-dag")
    assert "is not a JFrog ML DAG" in browser.find_element("tag name", "body").text
    browser.switch_to.default_content()
    assert browser.save_screenshot(str(screenshots / TAB_SHOTS[3]))
