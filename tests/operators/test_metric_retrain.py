"""A metric-based trigger end to end: a model served locally, real prediction traffic, the metric
crossing, exactly one retrain, none more while it stays crossed inside the cool-down."""

from __future__ import annotations

from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

from frogml_airflow_provider.cli import main as cli
from frogml_airflow_provider.demo.traffic import send_traffic
from frogml_airflow_provider.operators.trigger_metric import FrogMLTriggerMetricOperator
from frogml_airflow_provider.platform.base import (
    BuildRequest,
    DeploymentState,
    PlatformError,
    QueryShapeError,
    QueryTimeout,
)
from tests.support import TaskInstanceXCom, spec, wait_build, wait_serving
from tests.support.bounded import outcome_within

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


def evaluate(dag) -> dict[str, str]:
    run = dag.test()
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


def builds(platform) -> int:
    return len(platform.store.builds("tiny-model"))


def test_one_crossing_starts_one_retrain(served) -> None:
    platform, endpoint, dag = served
    send_traffic(endpoint, {"x": 1.0}, requests=10)
    quiet = evaluate(dag)
    assert quiet["evaluate_trigger_metric"] == "skipped" and quiet["build"] == "skipped"
    assert builds(platform) == 1

    statuses = send_traffic(endpoint, {"x": 1.0}, requests=10, bad=0.6)
    assert statuses[400] >= 4  # real failed predictions, recorded by the model server
    crossed = evaluate(dag)
    assert crossed["evaluate_trigger_metric"] == "success" and crossed["build"] == "success"
    assert crossed["deploy"] == "success"
    assert builds(platform) == 2

    # Still crossed (the redeployed model serves, the failed predictions are still the latest),
    # inside the cool-down: no second retrain.
    still = evaluate(dag)
    assert still["evaluate_trigger_metric"] == "skipped" and still["build"] == "skipped"
    assert builds(platform) == 2

    # It recovers (re-arms), then crosses again: one more retrain.
    new_endpoint = platform.get_deployment("tiny-model", "default").endpoint
    send_traffic(new_endpoint, {"x": 1.0}, requests=10)
    assert evaluate(dag)["evaluate_trigger_metric"] == "skipped"
    send_traffic(new_endpoint, {"x": 1.0}, requests=10, bad=1.0)
    assert evaluate(dag)["build"] == "success"
    assert builds(platform) == 3


@pytest.mark.parametrize(
    ("sql", "shape"),
    [
        ("SELECT error FROM tiny_model WHERE 0", r"0 row\(s\) x 1 column\(s\)"),
        ("SELECT 1 UNION ALL SELECT 2", r"2 row\(s\) x 1 column\(s\)"),
        ("SELECT 1, 2", r"1 row\(s\) x 2 column\(s\)"),
        ("SELECT 'many'", "must return a number; it returned 'many'"),
        ("SELECT * FROM no_such_table", "no such table: no_such_table"),
    ],
)
def test_a_bad_query_fails_the_evaluation_and_never_counts_as_crossed(local_conn, sql: str, shape: str) -> None:
    local_conn.analytics.ensure_table("tiny-model")
    operator = FrogMLTriggerMetricOperator(
        task_id="evaluate_trigger_metric",
        model_id="tiny-model",
        trigger_name="error_rate",
        sql_query=sql,
        direction="ABOVE",
        threshold="0.3",
    )
    ti = TaskInstanceXCom("evaluate_trigger_metric")
    with pytest.raises(Exception, match=shape) as failed:
        operator.execute({"ti": ti})
    assert isinstance(failed.value, QueryShapeError) or "analytics query failed" in str(failed.value)
    assert ti.xcom == {}  # nothing decided, nothing stored


FOREVER = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"


def trigger_operator(sql: str, threshold: str = "0.3") -> FrogMLTriggerMetricOperator:
    return FrogMLTriggerMetricOperator(
        task_id="evaluate_trigger_metric",
        model_id="tiny-model",
        automation_name="retrain_on_errors",
        trigger_name="error_rate",
        sql_query=sql,
        direction="ABOVE",
        threshold=threshold,
    )


@pytest.mark.parametrize(
    ("sql", "threshold", "role"), [(FOREVER, "0.3", "metric"), ("SELECT 0.5", FOREVER, "threshold")]
)
def test_a_query_that_never_ends_fails_at_query_timeout(
    local_conn, monkeypatch: pytest.MonkeyPatch, sql: str, threshold: str, role: str
) -> None:
    monkeypatch.setenv("AIRFLOW__FROGML__QUERY_TIMEOUT", "0.5")
    local_conn.analytics.ensure_table("tiny-model")
    ti = TaskInstanceXCom("evaluate_trigger_metric")
    _, error = outcome_within(60, lambda: trigger_operator(sql, threshold).execute({"ti": ti}))
    assert isinstance(error, QueryTimeout), error
    assert (
        f"the {role} query of trigger 'error_rate' of automation 'retrain_on_errors' "
        "(DAG 'retrain', task 'evaluate_trigger_metric') did not finish within 0.5 s"
    ) in str(error)
    assert ti.xcom == {}


@pytest.mark.parametrize(
    ("sql", "threshold", "what"),
    [
        ("SELECT 1e999", "0.3", r"the metric query of trigger 'error_rate' .* is inf, not a finite number"),
        ("SELECT 0.5", "SELECT -1e999", r"the threshold query of trigger 'error_rate' .* is -inf"),
        ("SELECT 0.5", "1e999", r"the threshold of trigger 'error_rate' .* is inf"),
    ],
)
def test_a_value_or_threshold_that_is_not_finite_is_an_error_not_a_crossing(
    local_conn, sql: str, threshold: str, what: str
) -> None:
    local_conn.analytics.ensure_table("tiny-model")
    ti = TaskInstanceXCom("evaluate_trigger_metric")
    with pytest.raises(PlatformError, match=what):
        trigger_operator(sql, threshold).execute({"ti": ti})
    assert ti.xcom == {}
