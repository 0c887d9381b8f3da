"""DagPlan -> Airflow DAG of provider operators, with notifier callbacks.

The only module of the spine that imports Airflow at parse time; operators are imported once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Asset, AssetAny, AssetOrTimeSchedule, AssetWatcher, BaseNotifier, BaseOperator
from airflow.sdk.definitions.timetables.simple import OnceTimetable
from pendulum import UTC, instance

from frogml_airflow_provider.assets import frogml_batch_output, frogml_build, frogml_model
from frogml_airflow_provider.automations import CustomWebhook, Notification, SlackNotification
from frogml_airflow_provider.dags.plan import DagPlan, MetricWatch, SchedulePlan
from frogml_airflow_provider.dags.timetable import FrogMLCronTimetable
from frogml_airflow_provider.dags.upstream import upstream_assets
from frogml_airflow_provider.notifications.slack import FrogMLSlackNotifier
from frogml_airflow_provider.notifications.webhook import FrogMLWebhookNotifier
from frogml_airflow_provider.operators.approval import FrogMLApprovalOperator
from frogml_airflow_provider.operators.batch import FrogMLBatchOperator
from frogml_airflow_provider.operators.build import FrogMLBuildOperator
from frogml_airflow_provider.operators.deploy import FrogMLDeployOperator
from frogml_airflow_provider.operators.gate import FrogMLBuildMetricBranchOperator
from frogml_airflow_provider.tasks import (
    APPROVE_DEPLOY,
    BUILD,
    CHECK_BUILD_METRIC,
    DEPLOY,
    RUN_BATCH,
    SKIP_DEPLOY,
    metric_asset_name,
    metric_asset_uri,
)
from frogml_airflow_provider.triggers.metric import FrogMLMetricTrigger

OPERATORS: dict[str, Callable[..., BaseOperator]] = {
    BUILD: FrogMLBuildOperator,
    CHECK_BUILD_METRIC: FrogMLBuildMetricBranchOperator,
    DEPLOY: FrogMLDeployOperator,
    SKIP_DEPLOY: EmptyOperator,
    RUN_BATCH: FrogMLBatchOperator,
    APPROVE_DEPLOY: FrogMLApprovalOperator,  # only where [frogml] approval_required names the automation
}


def render(plan: DagPlan) -> DAG:
    watched = _watched_asset(plan) if plan.schedule.watch else None
    # Handed over: the asset without its watcher, only as an inlet, so that its state is kept (plan.py).
    metric_asset = watched or (_metric_asset(plan.dag_id, []) if plan.schedule.keeps_metric_state else None)
    also_after = upstream_assets(plan.automation_name)
    dag = DAG(
        dag_id=plan.dag_id,
        schedule=_schedule(plan, watched, also_after),
        start_date=instance(plan.schedule.start_date, tz=UTC) if plan.schedule.start_date else None,
        catchup=False,
        max_active_runs=1,
        is_paused_upon_creation=plan.is_paused_upon_creation,
        tags=set(plan.tags),
        description=plan.description,
        doc_md=plan.doc_md + _upstream_doc(also_after),
        default_args={"owner": "frogml"},
        auto_register=False,
    )
    # Task-level callbacks: they run in the task's process, once, when the run's outcome is known
    # (a failure is final only when no retry is left; success is the end task's), and need no
    # re-parse in the dag-processor as DAG-level callbacks do.
    on_success = _notifier(plan.on_success, plan)
    on_error = _notifier(plan.on_error, plan)
    tasks: dict[str, BaseOperator] = {}
    for task in plan.tasks:
        extra: dict[str, Any] = {}
        if on_error is not None:
            extra["on_failure_callback"] = on_error
        if on_success is not None and task.task_id in plan.success_tasks:
            extra["on_success_callback"] = on_success
        if metric_asset is not None and not task.upstream:
            extra["inlets"] = [metric_asset]  # the run's first task takes the crossing (operators/_crossing.py)
        if task.task_id == APPROVE_DEPLOY:
            # The request and a rejection go where the automation reports its outcomes: on_success's
            # target (a rejected deploy is a decision, not a failure), else on_error's.
            extra["notifier"] = on_success or on_error
        outlets = _outlets(plan, task.task_id, task.arguments)
        if outlets:
            extra["outlets"] = outlets
        tasks[task.task_id] = OPERATORS[task.task_id](task_id=task.task_id, dag=dag, **task.arguments, **extra)
    for task in plan.tasks:
        for upstream in task.upstream:
            tasks[upstream] >> tasks[task.task_id]
    return dag


def _outlets(plan: DagPlan, task_id: str, arguments: Any) -> list[Any]:
    """What a task produces, as assets (``assets.py``): the operator fills each event's extra at run time."""
    if task_id == BUILD:
        return [frogml_build(plan.model_id)]
    if task_id == DEPLOY:
        variation = arguments["deployment_spec"].get("variation_name") or "default"
        return [frogml_model(plan.model_id, variation)]
    if task_id == RUN_BATCH:
        return [frogml_batch_output(plan.dag_id)]
    return []


def _watched_asset(plan: DagPlan) -> Asset:
    """The asset a metric-based automation's DAG is scheduled on, watched in the triggerer."""
    watch: MetricWatch | None = plan.schedule.watch
    assert watch is not None
    trigger = FrogMLMetricTrigger(
        dag_id=plan.dag_id,
        automation_name=plan.automation_name,
        model_id=plan.model_id,
        trigger_name=watch.trigger_name,
        sql_query=watch.sql_query,
        direction=watch.direction,
        threshold=watch.threshold,
        cron=watch.cron,
        evaluate_at_start=watch.evaluate_at_start,
    )
    return _metric_asset(plan.dag_id, [AssetWatcher(name=f"frogml_metric_{plan.dag_id}", trigger=trigger)])


def _metric_asset(dag_id: str, watchers: list[AssetWatcher]) -> Asset:
    return Asset(name=metric_asset_name(dag_id), uri=metric_asset_uri(dag_id), group="frogml", watchers=watchers)


def _schedule(plan: DagPlan, watched: Asset | None, upstream: list[Asset]) -> Any:
    """The plan's schedule, or that *or* an event of an upstream asset (``dags/upstream.py``)."""
    if watched is not None:
        return AssetAny(watched, *upstream) if upstream else [watched]
    timetable = _timetable(plan.schedule)
    if not upstream:
        return timetable
    if timetable is None:
        return AssetAny(*upstream)
    if timetable == "@once":
        timetable = OnceTimetable()
    return AssetOrTimeSchedule(timetable=timetable, assets=AssetAny(*upstream))


def _upstream_doc(upstream: list[Asset]) -> str:
    if not upstream:
        return ""
    listed = ", ".join(f"`{asset.uri}`" for asset in upstream)
    return f"\n\nAlso runs after each event of {listed} (`[frogml] upstream_assets`)."


def _timetable(schedule: SchedulePlan) -> Any:
    if schedule.once:
        return "@once"
    if schedule.cron is None:
        return None
    # timedelta(0): with no start date, never run a past tick; wait for the next one.
    run_immediately: bool | timedelta = True if schedule.run_immediately else timedelta(0)
    return FrogMLCronTimetable.utc(schedule.cron, run_immediately=run_immediately)


def _notifier(notification: Notification | None, plan: DagPlan) -> BaseNotifier | None:
    if notification is None:
        return None
    return notifier_for(notification, model_id=plan.model_id, automation=plan.automation_name)


def notifier_for(notification: Notification, *, model_id: str, automation: str) -> BaseNotifier:
    if isinstance(notification, SlackNotification):
        return FrogMLSlackNotifier(notification.webhook, model_id=model_id, automation=automation)
    if isinstance(notification, CustomWebhook):
        return FrogMLWebhookNotifier(
            notification.url,
            notification.http_method,
            notification.headers,
            notification.data,
            model_id=model_id,
            automation=automation,
        )
    raise TypeError(f"unknown notification {type(notification).__name__}")
