"""Automation -> DagPlan: a pure description of the DAG an automation becomes.

No Airflow here: the plan says which tasks, in which order, on which schedule, with which
(JSON-able, secret-free) operator arguments; ``render`` turns it into Airflow objects.

Schedules are UTC. ``ScheduledTrigger(cron=...)`` keeps its cron; ``interval`` Daily/Weekly/Hourly
become ``@daily``/``@weekly``/``@hourly``; a ``MetricBasedTrigger`` evaluates on ``override_cron``
or on ``METRIC_TRIGGER_DEFAULT_CRON``; ``NoneTrigger``/``OnBoardingTrigger`` run only when
triggered. ``execute_immediately`` says whether a new (or unpaused) DAG runs at once, as on
JFrog ML where it runs the automation right after registration:

- True: the DAG runs its most recent scheduled time as soon as it is active, then follows the
  schedule (a fixed past ``start_date`` with ``run_immediately``); a manual-only automation runs
  once (``@once``).
- False: the first run waits for the next scheduled time. Airflow ignores ``run_immediately``
  when a DAG has a ``start_date`` (it would run the latest past tick at once), so these DAGs
  have none; catchup is off either way, so no past run is ever created.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any

from frogml_airflow_provider.automations import (
    Automation,
    BatchExecution,
    BuildMetric,
    CustomWebhook,
    DeployedBuildMetric,
    FrogmlBuildDeploy,
    MetricBasedTrigger,
    Notification,
    ScheduledTrigger,
    SlackNotification,
)
from frogml_airflow_provider.automations._checks import is_sql
from frogml_airflow_provider.tasks import (
    BUILD,
    CHECK_BUILD_METRIC,
    DEPLOY,
    EVALUATE_TRIGGER_METRIC,
    RUN_BATCH,
    SKIP_DEPLOY,
)

START_DATE = datetime(2024, 1, 1)  # fixed, UTC; see execute_immediately above for when it is set
METRIC_TRIGGER_DEFAULT_CRON = "*/15 * * * *"
INTERVAL_PRESETS = {"daily": "@daily", "weekly": "@weekly", "hourly": "@hourly"}
_DAG_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class SchedulePlan:
    cron: str | None  # None: manual only
    once: bool = False  # a single run as soon as the DAG is active
    run_immediately: bool = False  # run the latest scheduled time as soon as the DAG is active
    summary: str = ""

    @property
    def start_date(self) -> datetime | None:
        """The fixed start date, where it does not turn a wait for the next tick into a run now."""
        return START_DATE if self.cron is None or self.run_immediately else None


@dataclass(frozen=True)
class TaskPlan:
    task_id: str
    upstream: tuple[str, ...]
    arguments: Mapping[str, Any]  # JSON-able, no secrets


@dataclass(frozen=True)
class DagPlan:
    dag_id: str
    automation_name: str
    model_id: str
    schedule: SchedulePlan
    is_paused_upon_creation: bool
    tags: tuple[str, ...]
    description: str
    doc_md: str
    tasks: tuple[TaskPlan, ...]
    on_success: Notification | None  # held in memory only: secrets never go into arguments
    on_error: Notification | None

    @property
    def success_tasks(self) -> tuple[str, ...]:
        """The tasks whose success ends a successful run (JFrog ML's on_success: after a build whose
        deployment condition was not met, and after build and deploy). Only one of them runs."""
        ends = {DEPLOY, SKIP_DEPLOY, RUN_BATCH}
        return tuple(task.task_id for task in self.tasks if task.task_id in ends)


def dag_id_for(name: str) -> str:
    """The automation name, with characters Airflow refuses in a dag_id replaced by '_'."""
    return _DAG_ID_UNSAFE.sub("_", name.strip())[:250]


def plan_dag(
    automation: Automation,
    *,
    source: str = "",
    metric_default_cron: str = METRIC_TRIGGER_DEFAULT_CRON,
    runs_elsewhere: str | None = None,
) -> DagPlan:
    """The DAG for one valid automation (validation already happened in the spec).

    ``runs_elsewhere`` says where the automation runs instead of Airflow (the hand-over ledger): its
    DAG stays, with its history, but unscheduled and paused on creation, and its docs say so.
    """
    schedule = _schedule(automation, metric_default_cron)
    doc = _doc(automation, schedule, source)
    if runs_elsewhere:
        doc = (
            f"> **Runs on {runs_elsewhere}**, not in Airflow: this DAG keeps its history but has no schedule.\n\n{doc}"
        )
        schedule = SchedulePlan(None, summary=f"not in Airflow: runs on {runs_elsewhere}")
    tasks = _tasks(automation)
    return DagPlan(
        dag_id=dag_id_for(automation.name),
        automation_name=automation.name,
        model_id=automation.model_id,
        schedule=schedule,
        is_paused_upon_creation=not automation.is_enabled or runs_elsewhere is not None,
        tags=("frogml", automation.model_id[:100]),
        description=(automation.description or f"JFrog ML automation for model {automation.model_id}")[:1000],
        doc_md=doc,
        tasks=tasks,
        on_success=automation.on_success,
        on_error=automation.on_error,
    )


def _schedule(automation: Automation, metric_default_cron: str) -> SchedulePlan:
    trigger = automation.trigger
    now = automation.execute_immediately
    if isinstance(trigger, ScheduledTrigger):
        if trigger.interval:
            preset = INTERVAL_PRESETS[trigger.interval.strip().lower()]
            return SchedulePlan(preset, run_immediately=now, summary=f"{trigger.interval.strip()} ({preset}, UTC)")
        return SchedulePlan(trigger.cron.strip(), run_immediately=now, summary=f"cron `{trigger.cron.strip()}` (UTC)")
    if isinstance(trigger, MetricBasedTrigger):
        cron = (trigger.override_cron or "").strip() or metric_default_cron
        return SchedulePlan(
            cron, run_immediately=now, summary=f"evaluates metric {trigger.name!r} on cron `{cron}` (UTC)"
        )
    if now:
        return SchedulePlan(None, once=True, summary="once, as soon as the DAG is active; then manual only")
    return SchedulePlan(None, summary="manual only (trigger the DAG to run it)")


def _tasks(automation: Automation) -> tuple[TaskPlan, ...]:
    common = {"model_id": automation.model_id, "automation_name": automation.name}
    tasks: list[TaskPlan] = []
    first_upstream: tuple[str, ...] = ()
    trigger = automation.trigger
    if isinstance(trigger, MetricBasedTrigger):
        tasks.append(
            TaskPlan(
                EVALUATE_TRIGGER_METRIC,
                (),
                {
                    **common,
                    "trigger_name": trigger.name,
                    "sql_query": trigger.metric.sql_query,  # type: ignore[attr-defined]
                    "direction": trigger.direction.name,
                    "threshold": trigger.threshold,
                },
            )
        )
        first_upstream = (EVALUATE_TRIGGER_METRIC,)
    action = automation.action
    if isinstance(action, BatchExecution):
        tasks.append(
            TaskPlan(
                RUN_BATCH,
                first_upstream,
                {
                    **common,
                    "build_id": action.build_id,
                    "data_specifications": to_plain(action.data_specifications),
                    "execution_specifications": to_plain(action.execution_specifications),
                },
            )
        )
        return tuple(tasks)
    assert isinstance(action, FrogmlBuildDeploy)
    condition = action.deployment_condition
    assert isinstance(condition, (BuildMetric, DeployedBuildMetric))
    gate: dict[str, Any] = {"metric_name": condition.metric_name, "direction": condition.direction.name}
    if isinstance(condition, BuildMetric):
        gate["threshold"] = condition.threshold
    else:
        gate["variation"] = condition.variation
    tasks += [
        TaskPlan(BUILD, first_upstream, {**common, "build_spec": to_plain(action.build_spec)}),
        TaskPlan(CHECK_BUILD_METRIC, (BUILD,), {**common, **gate}),
        TaskPlan(DEPLOY, (CHECK_BUILD_METRIC,), {**common, "deployment_spec": to_plain(action.deployment_spec)}),
        TaskPlan(SKIP_DEPLOY, (CHECK_BUILD_METRIC,), {}),
    ]
    return tuple(tasks)


def to_plain(value: Any, *, defaults: bool = False) -> Any:
    """A spec object as JSON-able data: dataclasses -> dicts with ``kind`` (the class name), enums -> names.

    Only the fields that differ from the class's defaults, unless ``defaults``: a task argument
    carries what the automation says, and ``complete`` adds the rest where the value is used.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        plain: dict[str, Any] = {"kind": type(value).__name__}
        standard = {} if defaults else _defaults(type(value))
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if f.name in standard and _same(to_plain(item, defaults=True), standard[f.name]):
                continue  # as the default: ``complete`` puts it back
            plain[f.name] = to_plain(item, defaults=defaults)
        return plain
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, dict):
        return {str(k): to_plain(v, defaults=defaults) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v, defaults=defaults) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def complete(plain: Mapping[str, Any], kind: str = "") -> dict[str, Any]:
    """``to_plain``'s sparse form with every default filled in, nested specs too: what the platform gets.

    ``kind`` names the spec class when ``plain`` has none (a hand-written operator argument);
    keys that are not fields of the class are kept as given, and an unknown kind leaves ``plain`` as is.
    """
    name = str(plain.get("kind") or kind)
    cls = _spec_classes().get(name)
    given = {key: _complete_value(value) for key, value in plain.items() if key != "kind"}
    if cls is None:
        return {"kind": name, **given} if "kind" in plain else given
    return {"kind": name, **copy.deepcopy(_defaults(cls)), **given}


def _complete_value(value: Any) -> Any:
    if isinstance(value, Mapping) and "kind" in value:
        return complete(value)
    if isinstance(value, list):
        return [_complete_value(item) for item in value]
    return value


def _same(value: Any, default: Any) -> bool:
    """Equal and of the same type: ``2.0`` given where the default is ``2`` is kept, as written."""
    return type(value) is type(default) and value == default


@cache
def _defaults(cls: type) -> dict[str, Any]:
    """The plain form of each field's default (fields without one are always written)."""
    found: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            found[f.name] = to_plain(f.default, defaults=True)
        elif f.default_factory is not dataclasses.MISSING:
            found[f.name] = to_plain(f.default_factory(), defaults=True)
    return found


@cache
def _spec_classes() -> dict[str, type]:
    from frogml_airflow_provider import automations

    return {
        name: value
        for name, value in vars(automations).items()
        if isinstance(value, type) and dataclasses.is_dataclass(value)
    }


def _doc(automation: Automation, schedule: SchedulePlan, source: str) -> str:
    """A readable page for the DAG's docs. Names secrets' presence, never their values."""
    lines = [f"### JFrog ML automation `{automation.name}`", ""]
    if automation.description:
        lines += [automation.description, ""]
    lines += [f"- **Model:** `{automation.model_id}`", f"- **Runs:** {schedule.summary}"]
    trigger = automation.trigger
    if isinstance(trigger, MetricBasedTrigger):
        lines.append(
            f"- **Retrains when:** `{trigger.metric.sql_query}` is "  # type: ignore[attr-defined]
            f"{_direction(trigger.direction.name)} {_threshold(trigger.threshold)}"
        )
    action = automation.action
    if isinstance(action, FrogmlBuildDeploy):
        spec = action.build_spec
        lines.append(f"- **Builds:** `{spec.git_uri}` branch `{spec.git_branch}`, main dir `{spec.main_dir}`")
        condition = action.deployment_condition
        if isinstance(condition, BuildMetric):
            gate = (
                f"`{condition.metric_name}` is {_direction(condition.direction.name)} {_threshold(condition.threshold)}"
            )
        else:
            assert isinstance(condition, DeployedBuildMetric)
            gate = (
                f"`{condition.metric_name}` is {_direction(condition.direction.name)} "
                f"the build deployed in variation `{condition.variation}`"
            )
        deploy = action.deployment_spec
        lines.append(
            f"- **Deploys when:** {gate} (variation `{deploy.variation_name}`, {deploy.number_of_pods} pod(s))"
        )
    elif isinstance(action, BatchExecution):
        lines.append(f"- **Runs a batch job** on build `{action.build_id or 'deployed'}`")
    for label, notification in (("On success", automation.on_success), ("On error", automation.on_error)):
        if notification is not None:
            lines.append(f"- **{label}:** {_describe_notification(notification)}")
    if not automation.is_enabled:
        lines.append("- Paused on creation (`is_enabled=False`).")
    if source:
        lines += ["", f"Defined in `{source}`."]
    return "\n".join(lines)


def _direction(name: str) -> str:
    return name.lower().replace("_or_", " or ").replace("_", " ")


def _threshold(threshold: str) -> str:
    return f"the value of `{threshold.strip()}`" if is_sql(threshold) else f"`{threshold.strip()}`"


def _describe_notification(notification: Notification) -> str:
    if isinstance(notification, SlackNotification):
        return "Slack message (webhook URL kept secret)"
    if isinstance(notification, CustomWebhook):
        hidden = " and headers" if notification.headers else ""
        return f"custom webhook, HTTP {notification.http_method.upper()} (URL{hidden} kept secret)"
    return type(notification).__name__
