"""``FrogMLBuildMetricBranchOperator``: deploy or skip, by the build's metric (task ``check_build_metric``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseBranchOperator, Context

from frogml_airflow_provider.hooks.frogml import DEFAULT_CONN_ID
from frogml_airflow_provider.operators._base import FROGML_GREEN, FrogMLOperatorMixin
from frogml_airflow_provider.plan import BUILD, DEPLOY, SKIP_DEPLOY


class FrogMLBuildMetricBranchOperator(FrogMLOperatorMixin, BaseBranchOperator):
    """Compares the metric the build logged with a threshold (``BuildMetric``: a number or a SQL
    query) or with the build deployed in ``variation`` (``DeployedBuildMetric``), and follows
    ``deploy_task_id`` when the condition holds, ``skip_task_id`` otherwise.
    """

    template_fields: Sequence[str] = ("model_id", "metric_name", "threshold")
    ui_color = FROGML_GREEN

    def __init__(
        self,
        *,
        model_id: str,
        metric_name: str,
        direction: str,
        threshold: str | None = None,
        variation: str | None = None,
        automation_name: str = "",
        build_task_id: str = BUILD,
        deploy_task_id: str = DEPLOY,
        skip_task_id: str = SKIP_DEPLOY,
        frogml_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (threshold is None) == (variation is None):
            raise ValueError("give exactly one of threshold (BuildMetric) or variation (DeployedBuildMetric)")
        self.model_id = model_id
        self.metric_name = metric_name
        self.direction = direction
        self.threshold = threshold
        self.variation = variation
        self.automation_name = automation_name
        self.build_task_id = build_task_id
        self.deploy_task_id = deploy_task_id
        self.skip_task_id = skip_task_id
        self.frogml_conn_id = frogml_conn_id

    def choose_branch(self, context: Context) -> str:
        raise NotImplementedError("the metric gate lands with issue #3")
