"""``FrogMLBuildMetricBranchOperator``: deploy or skip, by the build's metric (task ``check_build_metric``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseBranchOperator, Context

from frogml_airflow_provider.assets import json_safe
from frogml_airflow_provider.automations import ThresholdDirection
from frogml_airflow_provider.automations._checks import is_sql
from frogml_airflow_provider.errors import OperatorArgumentError, PlatformError
from frogml_airflow_provider.hooks.frogml import DEFAULT_CONN_ID
from frogml_airflow_provider.operators._base import FROGML_GREEN, FrogMLOperatorMixin
from frogml_airflow_provider.operators.links import FrogMLModelLink
from frogml_airflow_provider.platform.base import RecordsDecisions
from frogml_airflow_provider.platform.numbers import finite, query_number, threshold_number, where
from frogml_airflow_provider.tasks import BUILD, BUILD_ID, DEPLOY, GATE, METRICS, SKIP_DEPLOY


class FrogMLBuildMetricBranchOperator(FrogMLOperatorMixin, BaseBranchOperator):
    """Compares the metric the build logged with a threshold (``BuildMetric``: a number or a SQL
    query) or with the build deployed in ``variation`` (``DeployedBuildMetric``), and follows
    ``deploy_task_id`` when the condition holds, ``skip_task_id`` otherwise.

    :param model_id: the JFrog ML model whose build is checked.
    :param metric_name: the metric the build logged (``frogml.log_metric``) to compare.
    :param direction: a ``ThresholdDirection`` name: ``ABOVE``, ``ABOVE_OR_EQUAL``, ``BELOW``...
    :param threshold: a number, or a SQL query returning one (``BuildMetric``). Exactly one of
        ``threshold`` and ``variation`` is given.
    :param variation: compare with the build serving in this variation instead
        (``DeployedBuildMetric``); a variation with nothing serving always deploys.
    :param automation_name: the automation this task belongs to (for logs and the console); "".
    :param build_task_id: the task whose XCom ``build_id`` and ``metrics`` are checked. Default ``build``.
    :param deploy_task_id: the task to follow when the condition holds. Default ``deploy``.
    :param skip_task_id: the task to follow otherwise. Default ``skip_deploy``.
    :param frogml_conn_id: the ``frogml`` connection: the local embedded platform, or JFrog ML.
        Default ``frogml_default``.
    :param kwargs: the arguments of Airflow's ``BaseOperator`` (``task_id``, ``retries``...).
    """

    template_fields: Sequence[str] = ("model_id", "metric_name", "threshold")
    operator_extra_links = (FrogMLModelLink(),)
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
            raise OperatorArgumentError(
                f"task {kwargs.get('task_id')!r}: give exactly one of threshold (BuildMetric) or variation "
                "(DeployedBuildMetric)"
            )
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
        self._gate: dict[str, Any] = {}  # the comparison made, for OpenLineage

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """OpenLineage (when its provider is installed): the build in (and the tables a SQL threshold
        reads), the gate's decision as the ``frogml`` run facet."""
        from frogml_airflow_provider import lineage as _lineage
        from frogml_airflow_provider.operators._outputs import platform_kind

        inputs = [_lineage.build_dataset(self.model_id)]
        if self.threshold is not None and is_sql(self.threshold):
            inputs += _lineage.analytics_datasets(self.threshold, platform_kind(self.hook))
        facet = {**self._gate, "automation": self.automation_name, "platform": platform_kind(self.hook)}
        return _lineage.lineage(inputs, [], json_safe(facet), self.model_id)

    get_openlineage_facets_on_failure = get_openlineage_facets_on_complete

    def choose_branch(self, context: Context) -> str:
        ti = context["ti"]
        build_id = ti.xcom_pull(task_ids=self.build_task_id, key=BUILD_ID)
        metrics = ti.xcom_pull(task_ids=self.build_task_id, key=METRICS) or {}
        value = _metric(metrics, self.metric_name, f"build {build_id}")
        target, against = self._target(where(self.automation_name, ti.dag_id, self.task_id))
        direction = ThresholdDirection[self.direction]
        passed = direction.holds(value, target)
        verdict = "deploy" if passed else "skip the deployment"
        self.log.info(
            "%s = %s is %s%s %s (%s): %s",
            self.metric_name,
            value,
            "" if passed else "not ",
            direction.name.lower(),
            target,
            against,
            verdict,
        )
        gate = {
            "metric": self.metric_name,
            "value": value,
            "direction": direction.name,
            "threshold": target,
            "against": against,
            "passed": passed,
        }
        ti.xcom_push(key=GATE, value=gate)
        self._gate = {"build_id": str(build_id), "gate": gate}
        if isinstance(self.hook.platform, RecordsDecisions):
            self.hook.platform.record_decision("gate", self.model_id, str(build_id), gate)
        return self.deploy_task_id if passed else self.skip_task_id

    def _target(self, place: str) -> tuple[float, str]:
        """The number to compare with, and where it came from."""
        platform = self.hook.platform
        if self.threshold is not None:
            if not is_sql(self.threshold):
                return threshold_number(self.threshold, place), "the threshold"
            value = query_number(platform, self.threshold, role="threshold", where=place)
            return value, f"the threshold query {self.threshold.strip()!r}"
        variation = self.variation or "default"
        deployed = platform.get_deployment(self.model_id, variation)
        if deployed is None or deployed.state.value != "SERVING":
            # Nothing to beat: the first build of a variation always deploys.
            return float("-inf") if self.direction.startswith("ABOVE") else float(
                "inf"
            ), f"no build serving in variation {variation!r}"
        current = platform.get_build(deployed.build_id)
        return _metric(
            current.metrics, self.metric_name, f"the deployed build {current.build_id}"
        ), f"build {current.build_id}, deployed in variation {variation!r}"


def _metric(metrics: dict[str, float] | Any, name: str, whose: str) -> float:
    if name not in metrics:
        logged = ", ".join(sorted(metrics)) or "none"
        raise PlatformError(
            f"{whose} logged no metric {name!r} (it logged: {logged}); log it in the model's "
            f"build() with frogml.log_metric({{{name!r}: value}}) or fix metric_name"
        )
    return finite(float(metrics[name]), f"metric {name!r} of {whose}")
