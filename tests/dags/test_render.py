"""The examples through a real DagBag: shape, schedule, callbacks, and no secret in the serialized DAG."""

from __future__ import annotations

import json

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.serialization.serialized_objects import DagSerialization

from frogml_airflow_provider.automations import (
    Automation,
    BuildMetric,
    BuildSpecifications,
    CustomWebhook,
    DeploymentSpecifications,
    FrogmlBuildDeploy,
    MetricBasedTrigger,
    NoneTrigger,
    ScheduledTrigger,
    SlackNotification,
    SqlMetric,
    ThresholdDirection,
)
from frogml_airflow_provider.dags.plan import plan_dag
from frogml_airflow_provider.dags.render import render
from frogml_airflow_provider.notifications.slack import FrogMLSlackNotifier
from frogml_airflow_provider.notifications.webhook import FrogMLWebhookNotifier
from tests.support import EXAMPLES

SECRETS = (
    "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "XXXXXXXXXXXXXXXXXXXXXXXX",
    "EXAMPLE-NOT-A-REAL-KEY",
    "EXAMPLE-NOT-A-REAL-TOKEN",
    "releases.example.com/api",
)


def timetable(dag: object) -> dict:
    """The timetable as Airflow stores it (type checked: the provider's cron trigger timetable)."""
    stored = DagSerialization.to_dict(dag)["dag"]["timetable"]
    assert stored["__type"] == "frogml_airflow_provider.dags.timetable.FrogMLCronTimetable"
    return stored["__var"]


@pytest.fixture(scope="module")
def bag() -> DagBag:
    return DagBag(dag_folder=str(EXAMPLES))


def test_examples_load_without_import_errors(bag: DagBag) -> None:
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == {
        "retrain_my_model",
        "notify_on_retrain",
        "retrain_on_error_rate",
        "nightly_batch",
        "retrain_iris_classifier",
        "retrain_iris_on_errors",
        "smoke_test_iris_classifier",  # an ordinary DAG scheduled on the iris model's deployment asset
    }


def test_reference_example_becomes_the_documented_dag(bag: DagBag) -> None:
    dag = bag.dags["retrain_my_model"]
    assert timetable(dag) == {"expression": "0 0 * * 0", "timezone": "UTC", "interval": 0.0, "run_immediately": 0.0}
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert dag.start_date is None  # execute_immediately=False: the first run waits for Sunday
    assert {"frogml", "my-model-id"} <= set(dag.tags)
    assert set(dag.task_ids) == {"build", "check_build_metric", "deploy", "skip_deploy"}
    assert dag.get_task("build").downstream_task_ids == {"check_build_metric"}
    assert dag.get_task("check_build_metric").downstream_task_ids == {"deploy", "skip_deploy"}
    assert type(dag.get_task("build")).__name__ == "FrogMLBuildOperator"
    assert type(dag.get_task("check_build_metric")).__name__ == "FrogMLBuildMetricBranchOperator"
    assert type(dag.get_task("deploy")).__name__ == "FrogMLDeployOperator"
    assert dag.get_task("build").build_spec["git_uri"] == "https://github.com/org_id/repository_name.git#dir_1/dir_2"
    gate = dag.get_task("check_build_metric")
    assert (gate.metric_name, gate.direction, gate.threshold) == ("f1_score", "ABOVE", "0.65")
    assert dag.get_task("deploy").deployment_spec["variation_name"] == "B"
    assert dag.is_paused_upon_creation is False
    assert "retrain_my_model" in dag.doc_md and "automations/retrain_my_model.py" in dag.doc_md


def test_interval_metric_and_manual_schedules(bag: DagBag) -> None:
    assert timetable(bag.dags["notify_on_retrain"])["expression"] == "0 0 * * *"  # @daily, as Airflow spells it
    drift = bag.dags["retrain_on_error_rate"]
    assert drift.get_task("check_build_metric").variation == "default"
    batch = bag.dags["nightly_batch"]
    assert timetable(batch)["expression"] == "0 2 * * *"
    assert batch.task_ids == ["run_batch"]
    assert batch.is_paused_upon_creation is False
    assert batch.get_task("run_batch").data_specifications["destination_folder"] == "nightly/{%Y-%m-%d}"


def test_a_metric_automation_is_scheduled_on_its_watched_asset(bag: DagBag) -> None:
    """No timetable and no evaluation task: an asset whose watcher evaluates the metric in the triggerer."""
    drift = bag.dags["retrain_on_error_rate"]
    stored = DagSerialization.to_dict(drift)["dag"]
    assert stored["timetable"]["__type"] == "airflow.timetables.simple.AssetTriggeredTimetable"
    (asset,) = drift.timetable.asset_condition.objects
    assert (asset.name, asset.uri) == ("frogml-metric/retrain_on_error_rate", "frogml-metric://retrain_on_error_rate/")
    (watcher,) = asset.watchers
    path, kwargs = watcher.trigger.serialize()
    assert path == "frogml_airflow_provider.triggers.metric.FrogMLMetricTrigger"
    assert kwargs["dag_id"] == "retrain_on_error_rate" and kwargs["cron"] == "0 * * * *"
    assert kwargs["direction"] == "ABOVE" and kwargs["frogml_conn_id"] == "frogml_default"
    assert drift.task_ids == ["build", "check_build_metric", "deploy", "skip_deploy"]
    assert drift.get_task("build").inlets == [asset]  # the run's first task takes the crossing
    assert drift.get_task("deploy").inlets == []
    assert drift.is_paused_upon_creation is True  # is_enabled=False: no watching until unpaused


def test_a_metric_automation_handed_over_keeps_its_asset_as_an_inlet_without_a_watcher() -> None:
    """Nothing watches it and nothing schedules the DAG, but the asset stays referenced: Airflow's
    scheduler deletes the state store of an asset no DAG references, and the watcher's state and
    history must be there when the automation comes back (tests/migration/test_metric.py)."""
    metric = MetricBasedTrigger(
        name="drift", metric=SqlMetric(sql_query="SELECT 1"), direction=ThresholdDirection.ABOVE, threshold="0.5"
    )
    handed = render(plan_dag(_automation(trigger=metric), runs_elsewhere="JFrog ML"))
    assert handed.schedule is None
    (asset,) = handed.get_task("build").inlets
    assert (asset.name, asset.uri, asset.watchers) == ("frogml-metric/sample", "frogml-metric://sample/", [])
    assert handed.get_task("deploy").inlets == []
    watched = render(plan_dag(_automation(trigger=metric)))
    (same,) = watched.timetable.asset_condition.objects
    assert (same.name, same.uri) == (asset.name, asset.uri) and len(same.watchers) == 1
    assert render(plan_dag(_automation(), runs_elsewhere="JFrog ML")).get_task("build").inlets == []


def test_build_deploy_and_batch_tasks_declare_the_assets_they_produce(bag: DagBag) -> None:
    """Declared at parse time (the operators fill each event's extra when they succeed)."""
    from airflow.sdk import Asset, AssetAlias

    dag = bag.dags["retrain_my_model"]
    assert dag.get_task("build").outlets == [Asset(uri="frogml://builds/my-model-id", group="frogml")]
    assert dag.get_task("deploy").outlets == [Asset(uri="frogml://models/my-model-id/B", group="frogml")]
    assert dag.get_task("check_build_metric").outlets == dag.get_task("skip_deploy").outlets == []
    iris = bag.dags["retrain_iris_classifier"].get_task("deploy").outlets
    assert iris == [Asset(uri="frogml://models/iris-classifier/default", group="frogml")]
    assert bag.dags["nightly_batch"].get_task("run_batch").outlets == [
        AssetAlias(name="frogml-batch-output/nightly_batch", group="frogml")
    ]
    # The example scheduled on the iris model's deployment: the asset the deploy task produces.
    (scheduled,) = bag.dags["smoke_test_iris_classifier"].timetable.asset_condition.objects
    assert scheduled == iris[0]


def callbacks(task: object, kind: str) -> list[object]:
    found = getattr(task, f"on_{kind}_callback")
    return list(found) if isinstance(found, list) else ([found] if found else [])


def test_notifications_become_task_notifier_callbacks(bag: DagBag) -> None:
    dag = bag.dags["notify_on_retrain"]
    # on_success: once the run ends well, by deploying or by skipping the deployment.
    (on_success,) = callbacks(dag.get_task("deploy"), "success")
    assert callbacks(dag.get_task("skip_deploy"), "success") == [on_success]
    assert callbacks(dag.get_task("build"), "success") == callbacks(dag.get_task("check_build_metric"), "success") == []
    assert isinstance(on_success, FrogMLWebhookNotifier) and on_success.http_method == "POST"
    assert on_success.model_id == "churn-model" and on_success.automation == "notify_on_retrain"
    # on_error: whichever task fails for good (a task that will be retried calls no failure callback).
    (on_error,) = callbacks(dag.get_task("build"), "failure")
    assert isinstance(on_error, FrogMLSlackNotifier)
    assert all(callbacks(task, "failure") == [on_error] for task in dag.tasks)
    assert not dag.on_success_callback and not dag.on_failure_callback
    assert not any(
        callbacks(task, "success") or callbacks(task, "failure") for task in bag.dags["retrain_my_model"].tasks
    )


def test_no_secret_in_serialized_dags_docs_or_reprs(bag: DagBag) -> None:
    for dag in bag.dags.values():
        text = json.dumps(DagSerialization.to_dict(dag))
        shown = text + (dag.doc_md or "") + repr(dag.on_success_callback) + repr(dag.on_failure_callback)
        for secret in SECRETS:
            assert secret not in shown, (dag.dag_id, secret)


def _automation(**overrides: object) -> Automation:
    fields: dict[str, object] = {
        "name": "sample",
        "model_id": "m",
        "trigger": ScheduledTrigger(cron="*/5 * * * *"),
        "action": FrogmlBuildDeploy(
            BuildSpecifications(git_uri="/repo"),
            BuildMetric("f1", ThresholdDirection.BELOW_OR_EQUALS, "SELECT 1"),
            DeploymentSpecifications(),
        ),
    }
    fields.update(overrides)
    return Automation(**fields)  # type: ignore[arg-type]


def test_execute_immediately_on_a_manual_automation_runs_once() -> None:
    manual = render(plan_dag(_automation(trigger=NoneTrigger(), execute_immediately=True)))
    assert type(manual.timetable).__name__ == "OnceTimetable"


def test_rendered_secrets_stay_out_of_template_fields() -> None:
    automation = _automation(
        on_error=SlackNotification(webhook="https://hooks.slack.com/services/T1/B1/SLACKSECRET"),
        on_success=CustomWebhook(url="https://h.test/x?t=URLSECRET", headers={"X-Token": "HEADERSECRET"}),
    )
    dag = render(plan_dag(automation))
    for task in dag.tasks:
        rendered = {field: getattr(task, field) for field in task.template_fields}
        assert not any(s in repr(rendered) for s in ("SLACKSECRET", "URLSECRET", "HEADERSECRET"))
    text = json.dumps(DagSerialization.to_dict(dag))
    assert not any(s in text for s in ("SLACKSECRET", "URLSECRET", "HEADERSECRET"))


def test_execute_immediately_decides_the_first_run() -> None:
    from datetime import timedelta

    waits = render(plan_dag(_automation()))
    assert waits.start_date is None
    assert timetable(waits)["run_immediately"] == timedelta(0).total_seconds()
    now = render(plan_dag(_automation(execute_immediately=True)))
    assert now.start_date.isoformat() == "2024-01-01T00:00:00+00:00"
    assert timetable(now)["run_immediately"] is True
    manual = render(plan_dag(_automation(trigger=NoneTrigger())))
    assert manual.schedule is None
