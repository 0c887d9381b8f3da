"""The local platform console: its pages over a real platform state, its charts, its plugin."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from frogml_airflow_provider.console.app import create_app
from frogml_airflow_provider.console.charts import Point, chart
from frogml_airflow_provider.platform.base import BuildRequest
from frogml_airflow_provider.platform.local.platform import LocalPlatform
from tests.support import spec, wait_build, wait_serving


def test_pages_show_builds_metrics_logs_deployments_and_charts(local_platform: LocalPlatform, make_repo) -> None:
    repo = make_repo()
    done = wait_build(
        local_platform,
        local_platform.submit_build(BuildRequest("tiny-model", spec(repo, env_vars=["METRIC_F1_SCORE=0.9"]), "run-1")),
    )
    local_platform.deploy("tiny-model", done.build_id, {})
    serving = wait_serving(local_platform, "tiny-model")
    local_platform.record_decision(
        "gate", "tiny-model", done.build_id, {"metric": "f1_score", "value": 0.9, "threshold": 0.8, "passed": True}
    )
    local_platform.record_decision(
        "gate", "tiny-model", "b-2", {"metric": "f1_score", "value": 0.7, "threshold": 0.8, "passed": False}
    )
    local_platform.record_decision(
        "trigger", "tiny-model", "dag", {"trigger": "error_rate", "value": 0.4, "threshold": 0.25, "retrain": True}
    )
    client = TestClient(create_app(lambda: local_platform))

    index = client.get("/").text
    assert done.build_id in index and "f1_score = 0.9" in index and serving.endpoint in index
    build = client.get(f"/builds/{done.build_id}").text
    assert "SUCCESSFUL" in build and "BUILD SUCCESSFUL" in build  # the log's tail
    model = client.get("/models/tiny-model").text
    assert model.count("<svg") == 2 and "f1_score per build" in model and "error_rate per evaluation" in model
    assert len(re.findall(r'class="marked"', model)) == 2 and len(re.findall(r'class="unmarked"', model)) == 1
    assert client.get("/builds/nope").status_code == 404


def test_a_chart_places_values_against_the_threshold() -> None:
    svg = chart([Point("a", 1.0, 2.0, False), Point("b", 3.0, 2.0, True)], title="m", marked_as="yes", unmarked_as="no")
    assert svg.count("<circle") == 2 and svg.count('class="threshold"') == 2
    (high, low) = re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)"', svg)
    assert float(high) > float(low)  # SVG y grows downwards: the larger value sits higher
    assert "nothing recorded yet" in chart([], title="m", marked_as="", unmarked_as="")


def test_the_plugin_mounts_the_console_and_builds_it_on_first_use() -> None:
    import sys

    from fastapi import FastAPI

    from frogml_airflow_provider.plugins import FrogMLPlugin, LazyConsole

    (app,) = FrogMLPlugin.fastapi_apps
    assert app["url_prefix"] == "/frogml" and isinstance(app["app"], LazyConsole)
    assert FrogMLPlugin.external_views[0]["href"] == "/frogml/"
    server = FastAPI()
    server.mount(app["url_prefix"], app["app"])  # as Airflow's API server does
    page = TestClient(server).get("/frogml/")
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
