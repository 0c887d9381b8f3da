"""What every FrogML operator shares: the connection id, a lazily built hook, the run key."""

from __future__ import annotations

import time
from datetime import timedelta
from functools import cached_property
from typing import Any

from airflow.sdk import BaseOperator, Context

from frogml_airflow_provider.hooks.frogml import DEFAULT_CONN_ID, FrogMLHook
from frogml_airflow_provider.operators import _lineage_once

FROGML_GREEN = "#41bf47"


def poll_interval(given: float | None) -> float:
    """Seconds between status checks while deferred: the operator's own, else ``[frogml] poll_interval``."""
    if given is not None:
        return given
    from airflow.configuration import conf

    return conf.getfloat("frogml", "poll_interval", fallback=5.0)


def trigger_initial_delay() -> float:
    """Seconds a trigger waits before its first check (``[frogml] trigger_initial_delay``)."""
    from airflow.configuration import conf

    return conf.getfloat("frogml", "trigger_initial_delay", fallback=10.0)


def run_key(context: Context, crossing: dict[str, Any] | None = None) -> str:
    """What makes a build 'this run's build': one per DAG run and task, across retries; for a run a
    metric crossing started, one per crossing (a second delivery of that crossing finds it too)."""
    ti = context["ti"]
    if crossing is not None:
        return f"{ti.dag_id}/crossing/{crossing['crossing']}/{ti.task_id}"
    return f"{ti.dag_id}/{ti.run_id}/{ti.task_id}"


class FrogMLOperatorMixin:
    """Mixed into each operator; keeps ``execute`` thin by putting platform access in one place."""

    frogml_conn_id: str

    @cached_property
    def hook(self) -> FrogMLHook:
        return FrogMLHook(frogml_conn_id=self.frogml_conn_id)


class FrogMLBaseOperator(_lineage_once.OneStartPerRun, FrogMLOperatorMixin, BaseOperator):
    """What the FrogML operators that act on one model share.

    :param model_id: the JFrog ML model (its id, as in the automation's ``model_id``).
    :param automation_name: the automation this task belongs to (for logs and the console); "".
    :param frogml_conn_id: the ``frogml`` connection: the local embedded platform, or JFrog ML.
        Default ``frogml_default``.
    :param kwargs: the arguments of Airflow's ``BaseOperator`` (``task_id``, ``retries``...).
    """

    ui_color = FROGML_GREEN

    def __init__(
        self, *, model_id: str, automation_name: str = "", frogml_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.model_id = model_id
        self.automation_name = automation_name
        self.frogml_conn_id = frogml_conn_id

    def defer_until(self, trigger_class: type[Any], deadline: float, poll: float | None, **identity: Any) -> None:
        """Wait in the triggerer for the platform's job named by ``identity`` (a build, a batch job)
        until ``deadline`` (epoch seconds), then ``execute_complete``. The trigger reports the
        deadline itself, so the job gets cancelled; Airflow's own timeout is only a safety net."""
        self.defer(
            trigger=trigger_class(
                platform=self.hook.locator,
                deadline=deadline,
                poll_interval=poll_interval(poll),
                initial_delay=trigger_initial_delay(),
                **identity,
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=max(0.0, deadline - time.time()) + 300),
        )
