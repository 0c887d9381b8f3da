"""``FrogMLTriggerMetricOperator``: evaluate a ``MetricBasedTrigger`` (task ``evaluate_trigger_metric``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import Context

from frogml_airflow_provider.operators._base import FrogMLBaseOperator


class FrogMLTriggerMetricOperator(FrogMLBaseOperator):
    """Runs ``sql_query`` on the platform's model analytics and lets the retrain proceed only
    when the value crosses ``threshold`` in ``direction``; otherwise the rest of the run is skipped.
    """

    template_fields: Sequence[str] = ("model_id", "sql_query", "threshold")
    template_fields_renderers = {"sql_query": "sql"}

    def __init__(self, *, trigger_name: str, sql_query: str, direction: str, threshold: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.trigger_name = trigger_name
        self.sql_query = sql_query
        self.direction = direction
        self.threshold = threshold

    def execute(self, context: Context) -> Any:
        raise NotImplementedError("metric-based triggers land with issue #4")
