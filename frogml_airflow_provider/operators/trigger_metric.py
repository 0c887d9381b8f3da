"""``FrogMLTriggerMetricOperator``: evaluate a ``MetricBasedTrigger`` (task ``evaluate_trigger_metric``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import Context
from airflow.sdk.exceptions import AirflowSkipException

from frogml_airflow_provider.automations import ThresholdDirection
from frogml_airflow_provider.automations._checks import is_sql
from frogml_airflow_provider.errors import FrogMLProviderError
from frogml_airflow_provider.operators._base import FrogMLBaseOperator
from frogml_airflow_provider.operators._numbers import query_number, threshold_number, where
from frogml_airflow_provider.operators.links import FrogMLModelLink
from frogml_airflow_provider.operators.trigger_state import TriggerState, decide
from frogml_airflow_provider.platform.base import RecordsDecisions
from frogml_airflow_provider.tasks import EVALUATION

DEFAULT_COOLDOWN = timedelta(hours=24)


class FrogMLNoRetrain(FrogMLProviderError, AirflowSkipException):
    """The metric did not call for a retrain: the task, and the rest of the run, are skipped.
    An Airflow skip (Airflow skips a task only for its own exception), listed in errors.py."""


class FrogMLTriggerMetricOperator(FrogMLBaseOperator):
    """Runs ``sql_query`` on the platform's model analytics and lets the retrain go on only when
    the value crosses ``threshold`` (a number, or a SQL query returning one) in ``direction``.

    Edge-triggered: one crossing starts one retrain; while the metric stays crossed, no new
    retrain until it recovers or ``cooldown`` (default ``[frogml] metric_trigger_cooldown``,
    24 h) has passed. The state lives in the Airflow Variable ``frogml_trigger_state__<dag_id>``,
    so it survives restarts. When there is no retrain, this task is skipped, and so is the rest
    of the run. A query that fails, does not return one finite number, or runs past
    ``[frogml] query_timeout`` (60 s) fails the task and changes no state: it never counts as crossed.

    :param trigger_name: the trigger's name, for logs, XCom and the console.
    :param sql_query: the SQL (model analytics) whose one numeric value is the metric.
    :param direction: a ``ThresholdDirection`` name: ``ABOVE``, ``ABOVE_OR_EQUAL``, ``BELOW``...
    :param threshold: a number, or a SQL query returning one.
    :param cooldown: how long a metric that stays crossed waits before it retrains again
        (default: ``[frogml] metric_trigger_cooldown``, 24 h).
    :param model_id: the JFrog ML model (its id, as in the automation's ``model_id``).
    :param automation_name: the automation this task belongs to (for logs and the console); "".
    :param frogml_conn_id: the ``frogml`` connection: the local embedded platform, or JFrog ML.
        Default ``frogml_default``.
    :param kwargs: the arguments of Airflow's ``BaseOperator`` (``task_id``, ``retries``...).
    """

    template_fields: Sequence[str] = ("model_id", "sql_query", "threshold")
    operator_extra_links = (FrogMLModelLink(),)
    template_fields_renderers = {"sql_query": "sql"}

    def __init__(
        self,
        *,
        trigger_name: str,
        sql_query: str,
        direction: str,
        threshold: str,
        cooldown: timedelta | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.trigger_name = trigger_name
        self.sql_query = sql_query
        self.direction = direction
        self.threshold = threshold
        self.cooldown = cooldown

    def execute(self, context: Context) -> Any:
        platform = self.hook.platform
        place = f"trigger {self.trigger_name!r} of " + where(self.automation_name, context["ti"].dag_id, self.task_id)
        value = query_number(platform, self.sql_query, role="metric", where=place)
        if is_sql(self.threshold):
            target = query_number(platform, self.threshold, role="threshold", where=place)
        else:
            target = threshold_number(self.threshold, place)
        direction = ThresholdDirection[self.direction]
        crossed = direction.holds(value, target)
        key = state_key(context["ti"].dag_id)
        decision = decide(load_state(key), crossed=crossed, now=datetime.now(UTC), cooldown=self._cooldown())
        save_state(key, decision.state)
        evaluation = {
            "trigger": self.trigger_name,
            "value": value,
            "threshold": target,
            "direction": direction.name,
            "crossed": crossed,
            "retrain": decision.retrain,
            "reason": decision.reason,
        }
        context["ti"].xcom_push(key=EVALUATION, value=evaluation)
        if isinstance(platform, RecordsDecisions):
            platform.record_decision("trigger", self.model_id, context["ti"].dag_id, evaluation)
        self.log.info("%s = %s, %s %s: %s", self.trigger_name, value, direction.name.lower(), target, decision.reason)
        if not decision.retrain:
            raise FrogMLNoRetrain(f"no retrain: {decision.reason}")
        return evaluation

    def _cooldown(self) -> timedelta:
        if self.cooldown is not None:
            return self.cooldown
        from airflow.configuration import conf

        seconds = conf.getfloat("frogml", "metric_trigger_cooldown", fallback=DEFAULT_COOLDOWN.total_seconds())
        return timedelta(seconds=seconds)


def state_key(dag_id: str) -> str:
    return f"frogml_trigger_state__{dag_id}"


def load_state(key: str) -> TriggerState:
    from airflow.sdk import Variable

    raw = Variable.get(key, default=None)
    try:
        return TriggerState.from_json(json.loads(raw) if raw else None)
    except ValueError:
        return TriggerState()


def save_state(key: str, state: TriggerState) -> None:
    from airflow.sdk import Variable

    Variable.set(
        key,
        json.dumps(state.to_json()),
        description="Edge-trigger state of a JFrog ML metric-based trigger (airflow-provider-frogml)",
    )
