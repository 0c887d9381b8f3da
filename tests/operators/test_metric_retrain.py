"""A metric-based trigger over real traffic: a model served locally, real predictions recorded, the
watcher the generated DAG carries evaluating them: one crossing, one event, none more while it stays
crossed inside the cool-down; a manual run of the DAG retrains at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from airflow.dag_processing.dagbag import DagBag

from frogml_airflow_provider.cli import main as cli
from frogml_airflow_provider.demo.traffic import send_traffic
from frogml_airflow_provider.platform.base import BuildRequest, DeploymentState
from frogml_airflow_provider.tasks import EVALUATION
from frogml_airflow_provider.triggers import metric_history as history
from frogml_airflow_provider.triggers.metric import FrogMLMetricTrigger, MemoryStore
from frogml_airflow_provider.triggers.metric_evaluation import evaluate
from tests.support import spec, wait_build, wait_serving

pytestmark = pytest.mark.slow

ERROR_RATE = (
    "SELECT COALESCE(AVG(CASE WHEN error IS NULL THEN 0.0 ELSE 1.0 END), 0) "
    "FROM (SELECT error FROM tiny_model ORDER BY ts DESC LIMIT 10)"
)
AUTOMATION = f"""
from frogml.core.automations import *

automation = Automation(
    name="retrain_on_errors",
    model_id="tiny-model",
    trigger=MetricBasedTrigger(name="error_rate", metric=SqlMetric(sql_query="{ERROR_RATE}"),
                               direction=ThresholdDirection.ABOVE, threshold="0.3"),
    action=FrogmlBuildDeploy(
        BuildSpecifications(git_uri="{{repo}}", env_vars=["METRIC_F1_SCORE=0.9"]),
        BuildMetric("f1_score", ThresholdDirection.ABOVE, "0.5"),
        DeploymentSpecifications(variation_name="default"),
    ),
)
"""


@pytest.fixture
def served(local_conn, make_repo, airflow_db: Path, monkeypatch: pytest.MonkeyPatch):
    """The tiny model built, deployed and serving; the metric DAG loaded."""
    monkeypatch.setenv("AIRFLOW__FROGML__POLL_INTERVAL", "0.3")
    monkeypatch.setenv("AIRFLOW__FROGML__METRIC_TRIGGER_COOLDOWN", "3600")
    repo = make_repo()
    first = wait_build(
        local_conn,
        local_conn.submit_build(
            BuildRequest("tiny-model", spec(repo, env_vars=["METRIC_F1_SCORE=0.9"]), "first-deploy")
        ),
    )
    local_conn.deploy("tiny-model", first.build_id, {})
    deployment = wait_serving(local_conn, "tiny-model")
    assert deployment.state is DeploymentState.SERVING
    folder = airflow_db / "dags"
    assert cli(["init", str(folder)]) == 0
    path = folder / "automations" / "retrain_on_errors.py"
    path.write_text(AUTOMATION.replace("{repo}", str(repo)))
    dag = DagBag(dag_folder=str(folder)).dags["retrain_on_errors"]
    yield local_conn, deployment.endpoint, dag
    path.unlink()


def builds(platform) -> int:
    return len(platform.store.builds("tiny-model"))


def watcher_of(dag) -> FrogMLMetricTrigger:
    (asset,) = dag.timetable.asset_condition.objects
    (watch,) = asset.watchers
    _, kwargs = watch.trigger.serialize()
    return FrogMLMetricTrigger(**kwargs)  # as the triggerer rebuilds it


def tick(watcher: FrogMLMetricTrigger, store: MemoryStore, minute: int) -> list[dict[str, Any]]:
    """One tick of the watcher: a real evaluation of the query on the analytics store, then its decision."""

    async def once() -> list[dict[str, Any]]:
        at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC) + timedelta(minutes=minute)
        raw = await evaluate(watcher.serialize()[1], at)

        async def one():
            yield raw

        watcher.asset_state_store = store  # type: ignore[assignment]
        return [event.payload async for event in watcher.watch(one())]

    return asyncio.run(once())


def test_real_traffic_crosses_once_and_a_manual_run_retrains_now(served) -> None:
    platform, endpoint, dag = served
    watcher, store = watcher_of(dag), MemoryStore()
    assert dag.task_ids == ["build", "check_build_metric", "deploy", "skip_deploy"]  # no evaluation task

    send_traffic(endpoint, {"x": 1.0}, requests=10)
    assert tick(watcher, store, 0) == []

    statuses = send_traffic(endpoint, {"x": 1.0}, requests=10, bad=0.6)
    assert statuses[400] >= 4  # real failed predictions, recorded by the model server
    (event,) = tick(watcher, store, 1)
    assert (event["trigger"], event["direction"], event["threshold"]) == ("error_rate", "ABOVE", 0.3)
    assert event["value"] >= 0.4 and event["dag_id"] == "retrain_on_errors"

    # Still crossed, inside the cool-down: nothing more is sent, whoever evaluates (a restarted watcher too).
    assert tick(watcher, store, 2) == []
    assert tick(watcher_of(dag), store, 3) == []
    assert [e.decision for e in history.evaluations(store.values)] == ["quiet", "retrain", "held", "held"]
    assert builds(platform) == 1  # evaluations build nothing

    # A manual run retrains now, as JFrog ML's "run now": no crossing, the build runs.
    run = dag.test()
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert states["build"] == "success" and states["deploy"] == "success"
    assert builds(platform) == 2
    assert run.get_task_instance("build").xcom_pull(task_ids="build", key=EVALUATION) is None
