"""A metric watcher on the JFrog ML backend: its evaluation (``triggers/metric_evaluation.evaluate``,
as the triggerer runs it) queries JFrog ML's Model Analytics through the session of its ``frogml``
connection, and a failing query is an error entry, never a value.

The SDK's own AnalyticsQueryService mock answers four canned queries and never returns data: it
serves the failure; ``tests.support.jfrog.Analytics`` serves the values."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from frogml_airflow_provider.triggers import metric_evaluation
from frogml_airflow_provider.triggers.metric import FrogMLMetricTrigger
from tests.support.jfrog import TOKEN, Analytics, connection, result_data, start_control_plane

pytestmark = pytest.mark.sdk

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ERROR_RATE = "SELECT AVG(error) AS error_rate FROM churn_model"


def kwargs(**changes: Any) -> dict[str, Any]:
    """The watcher's arguments, as Airflow stores them and rebuilds it from."""
    arguments: dict[str, Any] = {
        "dag_id": "retrain_churn",
        "automation_name": "retrain_churn",
        "model_id": "churn_model",
        "trigger_name": "error_rate",
        "sql_query": ERROR_RATE,
        "direction": "ABOVE",
        "threshold": "0.3",
        "cron": "*/5 * * * *",
        "frogml_conn_id": "frogml_jfrog",
        **changes,
    }
    trigger = FrogMLMetricTrigger(**arguments)
    return trigger.serialize()[1]


@pytest.fixture
def plane(sdk: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``plane(analytics_servicer)``: a control plane, the watchers' connection pointed at it."""
    planes: list[Any] = []
    monkeypatch.setattr(metric_evaluation, "_PLATFORMS", {})  # no platform of another test's connection

    def start(analytics: Any = None) -> Any:
        started = start_control_plane(sdk, analytics=analytics)
        planes.append(started)
        monkeypatch.setenv("AIRFLOW_CONN_FROGML_JFROG", connection(started.port))
        return started

    yield start
    for _, platform in metric_evaluation._PLATFORMS.values():
        platform.close()
    for started in planes:
        started.server.stop(0)


def test_a_watcher_evaluates_its_metric_on_jfrog_ml_analytics(plane: Any) -> None:
    analytics = Analytics(pages=[result_data([("error_rate", "DOUBLE")], [["0.5"]])])
    control = plane(analytics.servicer())
    raw = asyncio.run(metric_evaluation.evaluate(kwargs(), T0))
    assert raw == {"at": T0.timestamp(), "value": 0.5, "threshold": None}
    assert analytics.queries == [ERROR_RATE]
    methods = [method for method, _ in control.faults.calls]
    assert methods[:3] == ["GetAnalyticsEngineUrl", "Query", "GetQueryResultsPage"]
    assert all(metadata["authorization"] == f"Bearer {TOKEN}" for _, metadata in control.faults.calls)
    kind = type(metric_evaluation._PLATFORMS["frogml_jfrog"][1]).__name__
    assert kind == "JFrogMLPlatform"  # the connection's backend, not the local one


def test_a_sql_threshold_is_queried_on_jfrog_ml_too(plane: Any) -> None:
    analytics = Analytics(pages=[result_data([("v", "DOUBLE")], [["0.25"]])])
    plane(analytics.servicer())
    raw = asyncio.run(metric_evaluation.evaluate(kwargs(threshold="SELECT 0.25 AS v"), T0))
    assert raw == {"at": T0.timestamp(), "value": 0.25, "threshold": 0.25}
    assert analytics.queries == [ERROR_RATE, "SELECT 0.25 AS v"]


def test_a_query_jfrog_ml_fails_is_an_error_entry_never_a_value(plane: Any) -> None:
    from frogml_services_mock.mocks.analytics_api import FAILED_QUERY, FAILURE_REASON

    plane()  # the SDK's own AnalyticsQueryService mock
    raw = asyncio.run(metric_evaluation.evaluate(kwargs(sql_query=FAILED_QUERY), T0))
    assert set(raw) == {"at", "error"}, raw
    assert FAILURE_REASON in raw["error"] and "trigger 'error_rate' (DAG 'retrain_churn')" in raw["error"]
    assert TOKEN not in raw["error"]


def test_a_shape_jfrog_ml_returns_that_is_no_number_is_an_error_entry(plane: Any) -> None:
    analytics = Analytics(pages=[result_data([("a", "DOUBLE"), ("b", "DOUBLE")], [["0.5", "0.6"]])])
    plane(analytics.servicer())
    raw = asyncio.run(metric_evaluation.evaluate(kwargs(), T0))
    assert set(raw) == {"at", "error"} and "1 row(s) x 2 column(s)" in raw["error"], raw
