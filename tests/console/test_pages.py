"""The local platform console: its pages over a real platform state, read through the platform's
value objects, served by Airflow's own API app behind Airflow's authentication."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import time
from html import unescape

import pytest

from frogml_airflow_provider.console import pages, status
from frogml_airflow_provider.console.app import watchers_of
from frogml_airflow_provider.console.charts import Event, Point, chart
from frogml_airflow_provider.platform.base import (
    Build,
    BuildRequest,
    BuildState,
    Decision,
    Deployment,
    DeploymentState,
    ShowsHistory,
)
from frogml_airflow_provider.platform.local.platform import LocalPlatform, process_alive
from frogml_airflow_provider.triggers import metric_history as history
from tests.support import spec, store_watcher_state, wait_build, wait_serving

pytestmark = pytest.mark.airflow_db


def test_pages_show_builds_metrics_logs_deployments_and_charts(
    airflow_api, local_conn: LocalPlatform, make_repo
) -> None:
    client, token = airflow_api
    platform = local_conn
    done = wait_build(
        platform,
        platform.submit_build(BuildRequest("tiny-model", spec(make_repo(), env_vars=["METRIC_F1_SCORE=0.9"]), "run-1")),
    )
    platform.deploy("tiny-model", done.build_id, {})
    serving = wait_serving(platform, "tiny-model")
    platform.record_decision(
        "gate", "tiny-model", done.build_id, {"metric": "f1_score", "value": 0.9, "threshold": 0.8, "passed": True}
    )
    platform.record_decision(
        "gate", "tiny-model", "b-2", {"metric": "f1_score", "value": 0.7, "threshold": 0.8, "passed": False}
    )
    platform.record_decision(
        "trigger", "tiny-model", "dag", {"trigger": "error_rate", "value": 0.4, "threshold": 0.25, "retrain": True}
    )
    auth = {"Authorization": f"Bearer {token}"}

    index = client.get("/frogml/", headers=auth).text
    assert done.build_id in index and "f1_score = 0.9" in index and serving.endpoint in index
    build = client.get(f"/frogml/builds/{done.build_id}", headers=auth).text
    assert "SUCCESSFUL" in build and "BUILD SUCCESSFUL" in build  # the log's tail
    model = client.get("/frogml/models/tiny-model", headers=auth).text
    # Other tests of this session record metric watchers of tiny-model in the shared database: read this
    # test's two charts by their headings.
    sections = {part.split("</h2>")[0]: part for part in model.split("<h2>")[1:]}
    gate = chart_data(sections["f1_score across builds"])
    trigger = chart_data(sections["error_rate over time (DAG dag)"])
    assert gate["title"] == "f1_score per build, at the gate" and trigger["title"] == "error_rate per evaluation"
    assert (gate["s"], gate["v"], gate["th"], gate["m"]) == ([done.build_id, "b-2"], [0.9, 0.7], [0.8, 0.8], [1, 0])
    assert [e["label"] for e in gate["events"]] == [f"deployed {done.build_id}"]
    assert (trigger["v"], trigger["m"]) == ([0.4], [1])
    assert client.get("/frogml/builds/nope", headers=auth).status_code == 404


def test_the_model_page_charts_each_metric_watchers_evaluations(
    airflow_api, local_conn: LocalPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read from the asset state store the triggerer writes (Airflow's database), per watcher."""
    client, token = airflow_api
    about = {"dag_id": "retrain_tiny", "model_id": "tiny-model", "trigger_name": "latency_p99"}
    at = 1_796_000_000.0
    store_watcher_state(
        "retrain_tiny",
        {
            history.ABOUT_KEY: about,
            "evaluations.0": [
                {"t": at, "d": "quiet", "v": 80.0, "th": 120.0},
                {"t": at + 60, "d": "retrain", "v": 150.0, "th": 120.0, "c": "x"},
                {"t": at + 120, "d": "error", "e": "timed out"},
            ],
        },
    )
    store_watcher_state("retrain_churn", {history.ABOUT_KEY: {**about, "dag_id": "retrain_churn", "model_id": "churn"}})
    status._ACCESS.clear()  # the viewer's DAGs, as the console caches them for a few seconds: asked anew
    page = client.get("/frogml/models/tiny-model", headers={"Authorization": f"Bearer {token}"}).text
    assert "latency_p99 over time (DAG retrain_tiny)" in page
    drawn = chart_data(page.split("latency_p99 over time (DAG retrain_tiny)")[1])
    assert (drawn["t"], drawn["v"], drawn["th"], drawn["m"]) == ([at, at + 60], [80.0, 150.0], [120.0, 120.0], [0, 1])
    assert drawn["s"] == ["quiet", "retrain"] and drawn["y"] == "latency_p99"
    assert "1 evaluation(s) failed" in page
    assert "retrain_churn" not in page  # another model's watcher
    # Per-DAG access: a user who may not read the DAG does not see its watcher.
    assert [w.dag_id for w in watchers_of("tiny-model", frozenset({"retrain_tiny"}))] == ["retrain_tiny"]
    assert watchers_of("tiny-model", frozenset({"retrain_churn"})) == []


def test_the_console_is_behind_airflows_authentication(airflow_api, local_conn: LocalPlatform) -> None:
    client, token = airflow_api
    client.cookies.clear()
    assert client.get("/api/v2/dags").status_code == 401  # what the console now matches
    for path in ("/frogml/", "/frogml/builds/b-1", "/frogml/models/m"):
        assert client.get(path).status_code == 401, path
        assert client.get(path, headers={"Authorization": "Bearer not-a-token"}).status_code in (401, 403), path
    browser = client.get("/frogml/models/m", headers={"Accept": "text/html"}, follow_redirects=False)
    assert browser.status_code == 303
    assert "/login" in browser.headers["location"] and "next=" in browser.headers["location"]

    assert client.get("/frogml/", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    client.cookies.set("_token", token)  # the UI's session cookie: what the nav entry's iframe sends
    try:
        page = client.get("/frogml/")
        assert page.status_code == 200 and "JFrog ML local platform" in page.text
    finally:
        client.cookies.clear()


def test_a_page_view_changes_nothing(airflow_api, local_conn: LocalPlatform, make_repo) -> None:
    """A build whose process died and a server that died read as FAILED and STOPPED, and the
    registry is not written by the read (a GET used to mark the build FAILED)."""
    client, token = airflow_api
    platform = local_conn
    done = wait_build(platform, platform.submit_build(BuildRequest("tiny-model", spec(make_repo()), "run-1")))
    platform.deploy("tiny-model", done.build_id, {})
    wait_serving(platform, "tiny-model")
    slow_spec = spec(make_repo(name="slow"), env_vars=["BUILD_SECONDS=60"])
    slow = platform.submit_build(BuildRequest("tiny-model", slow_spec, "run-2"))
    for pid in (
        platform.store.build_row(slow.build_id)["pid"],
        platform.store.deployment_row("tiny-model", "default")["pid"],
    ):
        os.killpg(pid, signal.SIGKILL)
        while process_alive(pid):
            time.sleep(0.05)

    def registry() -> list[tuple[object, ...]]:
        with sqlite3.connect(platform.store.path) as db:
            tables = ("builds", "deployments", "deployment_history", "decisions")
            return [tuple(row) for table in tables for row in db.execute(f"SELECT * FROM {table}")]

    before = registry()
    auth = {"Authorization": f"Bearer {token}"}
    index = client.get("/frogml/", headers=auth).text
    build = client.get(f"/frogml/builds/{slow.build_id}", headers=auth).text
    model = client.get("/frogml/models/tiny-model", headers=auth).text
    assert "FAILED" in index and "exited without a result" in build and "STOPPED" in model
    assert registry() == before


def test_a_page_view_creates_no_state_folder(airflow_api, tmp_path, monkeypatch) -> None:
    import json

    client, token = airflow_api
    state = tmp_path / "never-used"
    monkeypatch.setenv(
        "AIRFLOW_CONN_FROGML_DEFAULT", json.dumps({"conn_type": "frogml", "extra": {"state_dir": str(state)}})
    )
    page = client.get("/frogml/", headers={"Authorization": f"Bearer {token}"})
    assert page.status_code == 200 and "Nothing deployed" in page.text
    assert not state.exists()


def test_an_unreadable_registry_is_a_503_naming_the_file(airflow_api, local_conn: LocalPlatform) -> None:
    client, token = airflow_api
    local_conn.state_dir.mkdir(parents=True)
    broken = local_conn.state_dir / "platform.db"
    broken.write_bytes(b"not a database" * 100)
    try:
        for path in ("/frogml/", "/frogml/builds/b-1", "/frogml/models/m"):
            page = client.get(path, headers={"Authorization": f"Bearer {token}"})
            assert page.status_code == 503 and f"{broken} is not a readable SQLite database" in page.text, path
    finally:
        broken.unlink()  # the fixture's shutdown reads it


class History:
    """Value objects only, no registry behind them: what the pages are written against."""

    def __init__(self) -> None:
        self.build = Build(
            "b-1", "churn", BuildState.SUCCESSFUL, metrics={"auc": 0.81}, log_tail="done", started_at=1.0
        )
        self.deployment = Deployment(
            "churn", "default", "b-1", DeploymentState.SERVING, "http://127.0.0.1:9/v1/churn/predict"
        )
        self.gate = Decision(
            "gate", "churn", "b-1", {"metric": "auc", "value": 0.81, "threshold": 0.8, "passed": True}, 2.0
        )

    def builds(self, model_id: str | None = None) -> list[Build]:
        return [self.build]

    def deployments(self, model_id: str | None = None) -> list[Deployment]:
        return [self.deployment]

    def decisions(self, kind: str, model_id: str) -> list[Decision]:
        return [self.gate] if kind == "gate" else []

    def get_build(self, build_id: str, *, log_tail: bool = True) -> Build:
        return self.build


def test_the_pages_read_value_objects_not_the_store() -> None:
    history = History()
    assert isinstance(history, ShowsHistory)
    index = pages.index(history, "/frogml")
    assert "b-1" in index and "auc = 0.81" in index and "http://127.0.0.1:9/v1/churn/predict" in index
    assert "done" in pages.build_page(history, "b-1", "/frogml")
    model = pages.model_page(history, "churn", "/frogml")
    drawn = chart_data(model)
    assert drawn["title"] == "auc per build, at the gate" and (drawn["t"], drawn["m"]) == ([2.0], [1])


def chart_data(html: str) -> dict:
    """The first chart's data, as ``static/console.js`` reads it from ``data-chart``."""
    found = re.search(r'<figure class="chart" data-chart="([^"]*)"', html)
    assert found, "no chart on the page"
    return json.loads(unescape(found.group(1)))


def test_a_chart_carries_time_values_thresholds_and_marks_for_the_browser() -> None:
    points = [
        Point(200.0, 3.0, 2.0, True, "b-2"),
        Point(100.0, 1.0, float("inf"), False, "<b-1>"),  # unordered; an infinite threshold is no line
        Point(150.0, float("nan"), 2.0, False, "broken"),  # not a number: not drawn
    ]
    html = chart(points, title="m <x>", y_label="auc", marked_as="yes", unmarked_as="no", events=[Event(200.0, "d")])
    data = chart_data(html)
    assert (data["t"], data["v"], data["th"], data["m"]) == ([100.0, 200.0], [1.0, 3.0], [None, 2.0], [0, 1])
    assert data["s"] == ["<b-1>", "b-2"] and data["events"] == [{"t": 200.0, "label": "d"}] and data["y"] == "auc"
    assert "<b-1>" not in html and "m <x>" not in html  # escaped in the attribute and the no-JS table
    table = html.split("<noscript>")[1]
    assert "1970-01-01 00:03:20 UTC" in table and table.index("b-2") < table.index("b-1")  # newest first
    assert "nothing recorded yet" in chart([], title="m", y_label="", marked_as="", unmarked_as="")


def test_the_plugin_mounts_the_console_and_builds_it_on_first_use(airflow_api, local_conn) -> None:
    import sys

    from frogml_airflow_provider.plugins import FrogMLPlugin, LazyConsole

    (app,) = FrogMLPlugin.fastapi_apps
    assert app["url_prefix"] == "/frogml" and isinstance(app["app"], LazyConsole)
    assert FrogMLPlugin.external_views[0]["href"] == "/frogml/"
    client, token = airflow_api  # Airflow's API app mounted the plugin's app
    page = client.get("/frogml/", headers={"Authorization": f"Bearer {token}"})
    assert page.status_code == 200 and "JFrog ML local platform" in page.text
    assert "frogml_airflow_provider.console.app" in sys.modules


def test_loading_the_plugin_imports_no_web_framework(tmp_path) -> None:
    from tests.support import run_python

    out = run_python(
        "import sys, airflow.sdk; import frogml_airflow_provider.plugins; "
        "print(sorted(m for m in ('fastapi', 'frogml_airflow_provider.console.app') if m in sys.modules))",
        home=tmp_path,
        cwd=tmp_path,
    )
    assert out.strip().splitlines()[-1] == "[]"


def test_extra_links_open_the_console_or_the_jfrog_ui(monkeypatch) -> None:
    import json

    from frogml_airflow_provider.operators import links
    from frogml_airflow_provider.operators.build import FrogMLBuildOperator

    monkeypatch.setattr(
        links.XCom, "get_value", staticmethod(lambda *, ti_key, key: "b-7" if key == "build_id" else None)
    )
    operator = FrogMLBuildOperator(task_id="build", model_id="churn model", build_spec={})
    monkeypatch.delenv("AIRFLOW_CONN_FROGML_DEFAULT", raising=False)
    assert links.FrogMLBuildLink().get_link(operator, ti_key=None) == "/frogml/builds/b-7"
    assert links.FrogMLModelLink().get_link(operator, ti_key=None) == "/frogml/models/churn%20model"

    jfrog = FrogMLBuildOperator(task_id="build", model_id="churn", build_spec={})
    monkeypatch.setenv(
        "AIRFLOW_CONN_FROGML_DEFAULT",
        json.dumps({"conn_type": "frogml", "host": "https://acme.jfrog.io/", "password": "t0k3n"}),
    )
    assert links.FrogMLBuildLink().get_link(jfrog, ti_key=None) == "https://acme.jfrog.io/ui/ml/models/churn/build/b-7"
    assert links.FrogMLModelLink().get_link(jfrog, ti_key=None) == "https://acme.jfrog.io/ui/ml/models/churn"
