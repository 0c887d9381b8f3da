"""The JFrog ML tabs on a generated DAG's and DAG run's pages: served by Airflow's own API app behind
its authentication, over a real local platform and the rows Airflow's database holds for the DAG, its
run and the asset events the run's tasks emitted. Per-DAG access is tested against a real API server
with a limited user in ``test_status.py``."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from frogml_airflow_provider.console import status
from frogml_airflow_provider.platform.base import BuildRequest
from frogml_airflow_provider.platform.local.platform import LocalPlatform
from frogml_airflow_provider.plugins import FrogMLPlugin
from frogml_airflow_provider.triggers import metric_history as history
from tests.support import spec, store_watcher_state, wait_build, wait_serving
from tests.support.story import add_dag, add_run

pytestmark = pytest.mark.airflow_db

DAG, PLAIN, MODEL, RUN = "retrain_tabs", "plain_tabs", "tabs-model", "manual__2026-12-05T10:00:00+00:00"
SECRET_URL = "https://hooks.example.invalid/T000/B000/very-secret"


def chart_data(html: str) -> dict:
    found = re.search(r'<figure class="chart" data-chart="([^"]*)"', html)
    assert found, "no chart on the page"
    return json.loads(unescape(found.group(1)))


@pytest.fixture
def story(airflow_api, local_conn: LocalPlatform, make_repo) -> dict:
    """One generated DAG's run that built, passed the gate, deployed and notified (one notification
    delivered, one not), a metric watcher's evaluations, and a plain DAG beside it."""
    platform = local_conn
    build = wait_build(
        platform,
        platform.submit_build(
            BuildRequest(MODEL, spec(make_repo(), env_vars=["METRIC_F1_SCORE=0.9"]), f"{DAG}/{RUN}/build")
        ),
    )
    platform.deploy(MODEL, build.build_id, {})
    serving = wait_serving(platform, MODEL)
    gate = {"metric": "f1_score", "value": 0.9, "direction": "ABOVE", "threshold": 0.8, "against": "the threshold"}
    platform.record_decision("gate", MODEL, build.build_id, {**gate, "passed": True})
    subject = f"{DAG}/{RUN}"
    sent = {"status": "SUCCESSFUL", "delivered": True, "attempts": 1, "http_status": 200, "reason": ""}
    platform.record_decision("notification", MODEL, subject, {**sent, "notifier": "webhook"})
    lost = {"delivered": False, "attempts": 4, "http_status": 503, "reason": "HTTP 503 (retried up to 4 attempts)"}
    platform.record_decision("notification", MODEL, subject, {**sent, **lost, "notifier": "slack"})
    approved = {"decision": "approved", "responded_by": "ops-lead", "responded_at": "2026-12-05T10:05:00+00:00"}
    platform.record_decision("approval", MODEL, build.build_id, {**approved, "dag_id": DAG, "run_id": RUN})
    platform.record_decision("approval", MODEL, "other", {**approved, "dag_id": DAG, "run_id": "another_run"})
    add_dag(DAG, ["frogml", MODEL])
    add_dag(PLAIN, ["team-a"])
    extra = {"model_id": MODEL, "build_id": build.build_id, "variation": "default", "endpoint": serving.endpoint}
    add_run(
        DAG,
        RUN,
        [(f"frogml://builds/{MODEL}", {"build_id": build.build_id}), (f"frogml://models/{MODEL}/default", extra)],
    )
    at = 1_796_000_000.0
    store_watcher_state(
        DAG,
        {
            history.ABOUT_KEY: {"dag_id": DAG, "model_id": MODEL, "trigger_name": "error_rate"},
            "evaluations.0": [
                {"t": at, "d": "quiet", "v": 0.1, "th": 0.25},
                {"t": at + 60, "d": "retrain", "v": 0.4, "th": 0.25, "c": "x"},
            ],
        },
    )
    add_dag(DAG, ["frogml", MODEL])  # store_watcher_state merged the DagModel: its tags stay
    status._ACCESS.clear()  # the viewer's DAGs, cached for a few seconds: asked anew
    status.SNAPSHOT.clear()
    return {"build": build, "endpoint": serving.endpoint, "at": at}


def get(airflow_api, path: str):
    client, token = airflow_api
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


def test_the_dag_tab_tells_the_models_story(airflow_api, story: dict) -> None:
    page = get(airflow_api, f"/frogml/dags/{DAG}")
    assert page.status_code == 200, page.text
    html = page.text
    build_id = story["build"].build_id
    serving = html.split("<h2>Serving now</h2>")[1].split("<h2>")[0]
    assert build_id in serving and "SERVING" in serving and story["endpoint"] in serving
    builds = html.split("<h2>Builds</h2>")[1].split("</table>")[0]
    assert build_id in builds and "f1_score = 0.9" in builds and "passed: deploy" in builds
    assert f"/dags/{DAG}/runs/manual__2026-12-05T10%3A00%3A00%2B00%3A00" in builds  # the Airflow run, in the top window
    gate = chart_data(html.split("f1_score across builds")[1])
    assert (gate["s"], gate["v"], gate["th"], gate["m"]) == ([build_id], [0.9], [0.8], [1])
    trigger = chart_data(html.split("error_rate over time")[1])
    assert (trigger["t"], trigger["v"], trigger["m"]) == ([story["at"], story["at"] + 60], [0.1, 0.4], [0, 1])
    assert [e["label"] for e in trigger["events"]] == ["retrain started"]
    last = html.split("<h2>Last evaluations</h2>")[1]
    assert last.index("retrain") < last.index("quiet")  # newest first


def test_the_run_tab_shows_its_build_gate_deployment_and_notifications(airflow_api, story: dict) -> None:
    page = get(airflow_api, f"/frogml/dags/{DAG}/runs/{RUN}")
    assert page.status_code == 200, page.text
    html = page.text
    build_id = story["build"].build_id
    assert f"<h2 id='task-build'>Build {build_id}</h2>" in html and "f1_score = 0.9" in html
    assert "<h2 id='task-check_build_metric'>Gate</h2>" in html and "<h2 id='task-deploy'>Deployment</h2>" in html
    assert f"/frogml/builds/{build_id}" in html and "/tasks/build" in html  # the build's log and its task's log
    gate = html.split(">Gate</h2>")[1].split("<h2")[0]
    assert "f1_score = 0.9 above 0.8" in gate and "passed: deploy" in gate and "the threshold" in gate
    approval = html.split("<h2 id='task-approve_deploy'>Approval</h2>")[1].split("</table>")[0]
    assert build_id in approval and "approved" in approval and "ops-lead" in approval and "other" not in approval
    deployment = html.split(">Deployment</h2>")[1].split("</table>")[0]
    assert build_id in deployment and story["endpoint"] in deployment and "SERVING" in deployment
    notes = html.split("<h2>Notifications</h2>")[1]
    rows = notes.split("<tr>")[2:]
    assert "webhook" in rows[0] and ">delivered<" in rows[0] and "HTTP 200" in rows[0]
    assert "slack" in rows[1] and "NOT delivered" in rows[1] and "HTTP 503 (retried up to 4 attempts)" in rows[1]
    assert "hooks.example" not in html


def test_a_plain_dag_says_it_is_not_a_jfrog_ml_dag(airflow_api, story: dict) -> None:
    for path in (f"/frogml/dags/{PLAIN}", f"/frogml/dags/{PLAIN}/runs/any"):
        page = get(airflow_api, path)
        assert page.status_code == 200 and "is not a JFrog ML DAG" in page.text, path
        assert "<a href='/frogml/'>JFrog ML console</a>" in page.text


def test_what_does_not_exist_is_a_404_page(airflow_api, story: dict) -> None:
    assert get(airflow_api, "/frogml/dags/no_such_dag").status_code == 404
    missing = get(airflow_api, f"/frogml/dags/{DAG}/runs/no_such_run")
    assert missing.status_code == 404 and "has no run" in missing.text


def test_the_tabs_are_behind_airflows_login(airflow_api, story: dict) -> None:
    client, _ = airflow_api
    client.cookies.clear()
    for path in (f"/frogml/dags/{DAG}", f"/frogml/dags/{DAG}/runs/{RUN}", "/frogml/static/console.js"):
        assert client.get(path).status_code == 401, path


def test_the_charting_library_ships_inside_the_package(airflow_api) -> None:
    script = get(airflow_api, "/frogml/static/uPlot.iife.min.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert script.text.startswith("/*! https://github.com/leeoniya/uPlot")
    assert get(airflow_api, "/frogml/static/uPlot.LICENSE").text.startswith("The MIT License")
    for name in ("..%2Fapp.py", "app.py", ".hidden.js", "nope.js"):
        assert get(airflow_api, f"/frogml/static/{name}").status_code == 404, name
    page = get(airflow_api, "/frogml/").text
    assert "/frogml/static/uPlot.iife.min.js" in page and "/frogml/static/console.js" in page


def test_the_plugin_puts_the_tabs_on_dag_and_run_pages() -> None:
    views = {view["destination"]: view for view in FrogMLPlugin.external_views}
    assert views["dag"]["href"] == "/frogml/dags/{DAG_ID}"
    assert views["dag_run"]["href"] == "/frogml/dags/{DAG_ID}/runs/{RUN_ID}"
    assert views["task_instance"]["href"] == "/frogml/dags/{DAG_ID}/runs/{RUN_ID}#task-{TASK_ID}"
    routes = [view["url_route"] for view in FrogMLPlugin.external_views]
    assert len(set(routes)) == len(routes)  # the UI finds the view to show by its url_route
    assert all(views[d]["applies_to"] == {"dag_tags": ["frogml"]} for d in ("dag", "dag_run", "task_instance"))
