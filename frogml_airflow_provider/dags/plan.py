"""Automation -> DagPlan: a pure description of the DAG an automation becomes.

No Airflow here: the plan says which tasks, in which order, on which schedule, with which
(JSON-able, secret-free) operator arguments; ``render`` turns it into Airflow objects.

Schedules are UTC. ``ScheduledTrigger(cron=...)`` keeps its cron; ``interval`` Daily/Weekly/Hourly
become ``@daily``/``@weekly``/``@hourly``; a ``MetricBasedTrigger`` is watched in the triggerer
(evaluated on ``override_cron`` or on ``METRIC_TRIGGER_DEFAULT_CRON``) and its DAG runs only when the
metric crosses (``MetricWatch``: an asset with a watcher); ``NoneTrigger``/``OnBoardingTrigger`` run
only when triggered. ``execute_immediately`` says whether a new (or unpaused) DAG runs at once, as on
JFrog ML where it runs the automation right after registration:

- True: the DAG runs its most recent scheduled time as soon as it is active, then follows the
  schedule (a fixed past ``start_date`` with ``run_immediately``); a manual-only automation runs
  once (``@once``).
- False: the first run waits for the next scheduled time. Airflow ignores ``run_immediately``
  when a DAG has a ``start_date`` (it would run the latest past tick at once), so these DAGs
  have none; catchup is off either way, so no past run is ever created.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
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
    RUN_BATCH,
    SKIP_DEPLOY,
    to_plain,
)

START_DATE = datetime(2024, 1, 1)  # fixed, UTC; see execute_immediately above for when it is set
METRIC_TRIGGER_DEFAULT_CRON = "*/15 * * * *"
INTERVAL_PRESETS = {"daily": "@daily", "weekly": "@weekly", "hourly": "@hourly"}
_DAG_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class MetricWatch:
    """A metric trigger watched in the triggerer: the DAG is scheduled on its asset, and runs on a crossing."""

    trigger_name: str
    sql_query: str
    direction: str  # a ThresholdDirection name
    threshold: str  # a number, or a SQL query returning one
    cron: str  # when to evaluate, UTC
    evaluate_at_start: bool  # execute_immediately: evaluate as soon as the watcher starts


@dataclass(frozen=True)
class SchedulePlan:
    cron: str | None  # None: manual only (or, with ``watch``, on the metric's crossings)
    once: bool = False  # a single run as soon as the DAG is active
    run_immediately: bool = False  # run the latest scheduled time as soon as the DAG is active
    summary: str = ""
    watch: MetricWatch | None = None
    # A metric automation run elsewhere (handed over): no watcher, but its asset stays referenced, as
    # the first task's inlet. Airflow's scheduler deletes the state store of an asset no DAG references
    # (every [scheduler] parsing_cleanup_interval): the watcher's state and history must outlast a hand-over.
    keeps_metric_state: bool = False

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
    approval: tuple[str, ...] = ()  # the [frogml] approval_required entries naming it (dags.approval)

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
        schedule = SchedulePlan(
            None, summary=f"not in Airflow: runs on {runs_elsewhere}", keeps_metric_state=schedule.watch is not None
        )
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
        watch = MetricWatch(
            trigger_name=trigger.name,
            sql_query=trigger.metric.sql_query,  # type: ignore[attr-defined]
            direction=trigger.direction.name,
            threshold=trigger.threshold,
            cron=cron,
            evaluate_at_start=now,
        )
        summary = f"when metric {trigger.name!r} crosses (evaluated in the triggerer on cron `{cron}`, UTC)"
        return SchedulePlan(None, summary=summary, watch=watch)
    if now:
        return SchedulePlan(None, once=True, summary="once, as soon as the DAG is active; then manual only")
    return SchedulePlan(None, summary="manual only (trigger the DAG to run it)")


def _tasks(automation: Automation) -> tuple[TaskPlan, ...]:
    common = {"model_id": automation.model_id, "automation_name": automation.name}
    tasks: list[TaskPlan] = []
    first_upstream: tuple[str, ...] = ()  # the first task starts the run
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
