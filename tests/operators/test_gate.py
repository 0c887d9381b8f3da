"""``check_build_metric``: every direction at, above and below its threshold; SQL thresholds on the
platform's analytics; the deployed build as the bar; and a missing metric."""

from __future__ import annotations

import pytest

from frogml_airflow_provider.operators.gate import FrogMLBuildMetricBranchOperator
from frogml_airflow_provider.platform.base import (
    BuildRequest,
    BuildState,
    DeploymentState,
    PlatformError,
    QueryTimeout,
)
from frogml_airflow_provider.platform.local.platform import LocalPlatform
from tests.support import TaskInstanceXCom, spec, wait_build, wait_serving
from tests.support.bounded import outcome_within

# (direction, metric, threshold) -> deploy?
CASES = [
    ("ABOVE", 0.8, "0.7", True),
    ("ABOVE", 0.7, "0.7", False),
    ("ABOVE", 0.6, "0.7", False),
    ("BELOW", 0.6, "0.7", True),
    ("BELOW", 0.7, "0.7", False),
    ("BELOW", 0.8, "0.7", False),
    ("EQUALS", 0.7, "0.7", True),
    ("EQUALS", 0.8, "0.7", False),
    ("EQUALS", 0.6, "0.7", False),
    ("ABOVE_OR_EQUALS", 0.8, "0.7", True),
    ("ABOVE_OR_EQUALS", 0.7, "0.7", True),
    ("ABOVE_OR_EQUALS", 0.6, "0.7", False),
    ("BELOW_OR_EQUALS", 0.6, "0.7", True),
    ("BELOW_OR_EQUALS", 0.7, "0.7", True),
    ("BELOW_OR_EQUALS", 0.8, "0.7", False),
]


def gate(**kwargs: object) -> FrogMLBuildMetricBranchOperator:
    return FrogMLBuildMetricBranchOperator(task_id="check_build_metric", model_id="tiny-model", **kwargs)


def after_build(metrics: dict[str, float], build_id: str = "b-1") -> dict[str, TaskInstanceXCom]:
    ti = TaskInstanceXCom("build")
    ti.xcom_push("build_id", build_id)
    ti.xcom_push("metrics", metrics)
    ti.task_id = "check_build_metric"
    return {"ti": ti}


@pytest.mark.parametrize(("direction", "value", "threshold", "deploys"), CASES)
def test_each_direction_at_above_and_below(
    local_conn: LocalPlatform, direction: str, value: float, threshold: str, deploys: bool
) -> None:
    context = after_build({"f1_score": value})
    chosen = gate(metric_name="f1_score", direction=direction, threshold=threshold).choose_branch(context)
    assert chosen == ("deploy" if deploys else "skip_deploy")
    recorded = context["ti"].xcom_pull("check_build_metric", "gate")
    assert recorded == {
        "metric": "f1_score",
        "value": value,
        "direction": direction,
        "threshold": 0.7,
        "against": "the threshold",
        "passed": deploys,
    }


def test_a_sql_threshold_is_evaluated_on_the_analytics(local_conn: LocalPlatform) -> None:
    local_conn.analytics.ensure_table("tiny-model")
    for latency in (10.0, 30.0):
        local_conn.analytics.record(
            "tiny-model",
            variation="default",
            build_id="b",
            request="{}",
            response="[]",
            latency_ms=latency,
            error=None,
            status=200,
        )
    sql = "SELECT AVG(latency_ms) / 100 FROM tiny_model"  # 0.2
    assert gate(metric_name="m", direction="ABOVE", threshold=sql).choose_branch(after_build({"m": 0.25})) == "deploy"
    assert (
        gate(metric_name="m", direction="ABOVE", threshold=sql).choose_branch(after_build({"m": 0.15})) == "skip_deploy"
    )
    with pytest.raises(PlatformError, match=r"returned 2 row\(s\) x 1 column\(s\)"):
        gate(metric_name="m", direction="ABOVE", threshold="SELECT latency_ms FROM tiny_model").choose_branch(
            after_build({"m": 1})
        )


def test_a_missing_metric_names_the_metrics_the_build_logged(local_conn: LocalPlatform) -> None:
    with pytest.raises(PlatformError, match=r"build b-1 logged no metric 'f1_score' \(it logged: accuracy, auc\)"):
        gate(metric_name="f1_score", direction="ABOVE", threshold="0.5").choose_branch(
            after_build({"auc": 0.7, "accuracy": 0.9})
        )


def test_deployed_build_metric_compares_with_the_serving_build(local_conn: LocalPlatform, make_repo) -> None:
    repo = make_repo()
    context = after_build({"f1_score": 0.8})
    judge = gate(metric_name="f1_score", direction="ABOVE", variation="default")
    assert judge.choose_branch(context) == "deploy"  # nothing serves yet: the first build deploys
    assert "no build serving" in context["ti"].xcom_pull("check_build_metric", "gate")["against"]

    serving = wait_build(
        local_conn,
        local_conn.submit_build(BuildRequest("tiny-model", spec(repo, env_vars=["METRIC_F1_SCORE=0.85"]), "old")),
    )
    assert serving.state is BuildState.SUCCESSFUL
    local_conn.deploy("tiny-model", serving.build_id, {})
    assert wait_serving(local_conn, "tiny-model").state is DeploymentState.SERVING
    assert judge.choose_branch(after_build({"f1_score": 0.8})) == "skip_deploy"
    assert judge.choose_branch(after_build({"f1_score": 0.9})) == "deploy"


FOREVER = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"


def test_a_threshold_query_that_never_ends_fails_at_query_timeout(
    local_conn: LocalPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW__FROGML__QUERY_TIMEOUT", "0.5")
    local_conn.analytics.ensure_table("tiny-model")
    judge = gate(metric_name="m", direction="ABOVE", threshold=FOREVER, automation_name="retrain_tiny")
    _, error = outcome_within(60, lambda: judge.choose_branch(after_build({"m": 1.0})))
    assert isinstance(error, QueryTimeout), error
    message = str(error)
    assert "the threshold query of automation 'retrain_tiny' (DAG 'retrain', task 'check_build_metric')" in message
    assert "did not finish within 0.5 s" in message and "[frogml] query_timeout" in message


@pytest.mark.parametrize(
    ("metrics", "threshold", "what"),
    [
        ({"m": 1.0}, "SELECT 1e999", r"the threshold query of .* is inf, not a finite number"),
        ({"m": 1.0}, "SELECT -1e999", r"the threshold query of .* is -inf, not a finite number"),
        ({"m": 1.0}, "1e999", r"the threshold of .* is inf, not a finite number"),
        ({"m": float("inf")}, "0.5", r"metric 'm' of build b-1 is inf, not a finite number"),
        ({"m": float("nan")}, "0.5", r"metric 'm' of build b-1 is nan, not a finite number"),
    ],
)
def test_a_value_or_threshold_that_is_not_finite_is_an_error_not_a_decision(
    local_conn: LocalPlatform, metrics: dict[str, float], threshold: str, what: str
) -> None:
    local_conn.analytics.ensure_table("tiny-model")
    context = after_build(metrics)
    with pytest.raises(PlatformError, match=what):
        gate(metric_name="m", direction="BELOW", threshold=threshold).choose_branch(context)
    assert context["ti"].xcom_pull("check_build_metric", "gate") is None  # nothing decided
