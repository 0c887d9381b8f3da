"""Automation -> DagPlan: schedule, tasks and edges, pause state, tags, dag_id, docs, and
operator arguments that are JSON-able and hold no secret."""

from __future__ import annotations

import json
from typing import Any

import pytest

from frogml_airflow_provider.automations import (
    Automation,
    BatchExecution,
    BatchJobDataSpecifications,
    BatchJobExecutionSpecifications,
    BuildMetric,
    BuildSpecifications,
    CustomWebhook,
    DeployedBuildMetric,
    DeploymentSpecifications,
    FrogmlBuildDeploy,
    GpuResources,
    MetricBasedTrigger,
    NoneTrigger,
    OnBoardingTrigger,
    ScheduledTrigger,
    SlackNotification,
    SqlMetric,
    ThresholdDirection,
)
from frogml_airflow_provider.dags.plan import (
    BUILD,
    CHECK_BUILD_METRIC,
    DEPLOY,
    METRIC_TRIGGER_DEFAULT_CRON,
    RUN_BATCH,
    SKIP_DEPLOY,
    START_DATE,
    DagPlan,
    MetricWatch,
    dag_id_for,
    plan_dag,
)
from frogml_airflow_provider.tasks import complete, to_plain

GIT = "https://github.com/org_id/repository_name.git#dir_1/dir_2"
SLACK = "https://hooks.slack.com/services/T0SECRET/B0SECRET/SLACKSECRETTOKEN"
HOOK = "https://ops.example.com/hooks/HOOKSECRETPATH"
HEADER = "Bearer HEADERSECRETVALUE"
SECRETS = (SLACK, "SLACKSECRETTOKEN", HOOK, "HOOKSECRETPATH", HEADER, "HEADERSECRETVALUE")
SQL = "SELECT avg(error) FROM churn_model"


def build_deploy(condition: Any = None) -> FrogmlBuildDeploy:
    return FrogmlBuildDeploy(
        build_spec=BuildSpecifications(
            git_uri=GIT,
            git_access_token_secret="token_secret_name",
            tags=["prod"],
            env_vars=["key1=val1"],
            resources=GpuResources("NVIDIA_T4", 1),
        ),
        deployment_condition=condition or BuildMetric(metric_name="f1_score", threshold="0.65"),
        deployment_spec=DeploymentSpecifications(number_of_pods=1, variation_name="B"),
    )


def batch() -> BatchExecution:
    return BatchExecution(
        build_id="build-123",
        data_specifications=BatchJobDataSpecifications(
            access_token_secret_name="aws_key_name",
            source_bucket="in",
            source_folder="daily/%Y-%m-%d",
            input_file_type="parquet",
            destination_bucket="out",
            output_file_type="csv",
        ),
        execution_specifications=BatchJobExecutionSpecifications(executors=2, params={"mode": "full"}),
    )


def metric_trigger(override_cron: str = "") -> MetricBasedTrigger:
    return MetricBasedTrigger(
        name="error_rate",
        metric=SqlMetric(sql_query=SQL),
        direction=ThresholdDirection.ABOVE_OR_EQUALS,
        threshold="0.05",
        override_cron=override_cron,
    )


def automation(**overrides: Any) -> Automation:
    fields: dict[str, Any] = {
        "name": "retrain_my_model",
        "model_id": "my-model-id",
        "trigger": ScheduledTrigger(cron="0 0 * * 0"),
        "action": build_deploy(),
    }
    return Automation(**{**fields, **overrides})


def with_secrets(**overrides: Any) -> Automation:
    return automation(
        on_error=SlackNotification(webhook=SLACK),
        on_success=CustomWebhook(url=HOOK, http_method="post", headers={"Authorization": HEADER}, data={"a": "b"}),
        **overrides,
    )


def edges(plan: DagPlan) -> set[tuple[str, str]]:
    return {(up, task.task_id) for task in plan.tasks for up in task.upstream}


def task(plan: DagPlan, task_id: str) -> dict[str, Any]:
    return dict(next(t for t in plan.tasks if t.task_id == task_id).arguments)


# -- schedule ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("trigger", "cron"),
    [
        (ScheduledTrigger(cron="0 0 * * 0"), "0 0 * * 0"),
        (ScheduledTrigger(cron=" */15 9-17 * * MON-FRI "), "*/15 9-17 * * MON-FRI"),
        (ScheduledTrigger(cron="@monthly"), "@monthly"),
        (ScheduledTrigger(interval="Daily"), "@daily"),
        (ScheduledTrigger(interval="weekly"), "@weekly"),
        (ScheduledTrigger(interval="HOURLY"), "@hourly"),
        (NoneTrigger(), None),
        (OnBoardingTrigger(), None),
    ],
)
def test_schedules_map_to_a_cron_or_manual(trigger: Any, cron: str | None) -> None:
    schedule = plan_dag(automation(trigger=trigger)).schedule
    assert schedule.cron == cron
    assert (schedule.once, schedule.run_immediately) == (False, False)
    assert "UTC" in schedule.summary if cron else "manual only" in schedule.summary


@pytest.mark.parametrize(("override", "cron"), [("", METRIC_TRIGGER_DEFAULT_CRON), (" 5 * * * * ", "5 * * * *")])
def test_a_metric_trigger_is_evaluated_on_override_cron_or_the_default(override: str, cron: str) -> None:
    assert plan_dag(automation(trigger=metric_trigger(override))).schedule.watch.cron == cron  # type: ignore[union-attr]


def test_metric_trigger_default_cron_can_be_configured() -> None:
    configured = plan_dag(automation(trigger=metric_trigger()), metric_default_cron="0 */2 * * *").schedule.watch
    assert configured is not None and configured.cron == "0 */2 * * *"
    overridden = plan_dag(automation(trigger=metric_trigger("5 * * * *")), metric_default_cron="0 */2 * * *")
    assert overridden.schedule.watch is not None and overridden.schedule.watch.cron == "5 * * * *"


@pytest.mark.parametrize(
    ("trigger", "cron", "once", "run_immediately"),
    [
        (ScheduledTrigger(cron="0 0 * * 0"), "0 0 * * 0", False, True),
        (ScheduledTrigger(interval="Daily"), "@daily", False, True),
        (NoneTrigger(), None, True, False),
    ],
)
def test_execute_immediately_runs_at_once_then_on_schedule(
    trigger: Any, cron: str | None, once: bool, run_immediately: bool
) -> None:
    schedule = plan_dag(automation(trigger=trigger, execute_immediately=True)).schedule
    assert (schedule.cron, schedule.once, schedule.run_immediately) == (cron, once, run_immediately)
    assert schedule.start_date == START_DATE


def test_without_execute_immediately_a_scheduled_dag_has_no_start_date_to_catch_up_from() -> None:
    assert plan_dag(automation()).schedule.start_date is None
    assert plan_dag(automation(trigger=NoneTrigger())).schedule.start_date == START_DATE


# -- tasks and edges ----------------------------------------------------------------------------------------
def test_build_deploy_is_build_then_a_metric_branch_to_deploy_or_skip() -> None:
    plan = plan_dag(automation())
    assert [t.task_id for t in plan.tasks] == [BUILD, CHECK_BUILD_METRIC, DEPLOY, SKIP_DEPLOY]
    assert edges(plan) == {(BUILD, CHECK_BUILD_METRIC), (CHECK_BUILD_METRIC, DEPLOY), (CHECK_BUILD_METRIC, SKIP_DEPLOY)}
    assert task(plan, CHECK_BUILD_METRIC) == {
        "model_id": "my-model-id",
        "automation_name": "retrain_my_model",
        "metric_name": "f1_score",
        "direction": "ABOVE",
        "threshold": "0.65",
    }
    build = complete(task(plan, BUILD)["build_spec"])  # as the operator hands it to the platform
    assert (build["kind"], build["git_uri"], build["git_branch"], build["purchase_option"]) == (
        "BuildSpecifications",
        GIT,
        "main",
        "spot",
    )
    assert build["resources"] == {"kind": "GpuResources", "gpu_type": "NVIDIA_T4", "gpu_amount": 1}
    assert task(plan, DEPLOY)["deployment_spec"]["variation_name"] == "B"
    assert task(plan, SKIP_DEPLOY) == {}


def test_deployed_build_metric_compares_with_a_variation_not_a_threshold() -> None:
    plan = plan_dag(automation(action=build_deploy(DeployedBuildMetric(metric_name="acc", variation="A"))))
    assert task(plan, CHECK_BUILD_METRIC) == {
        "model_id": "my-model-id",
        "automation_name": "retrain_my_model",
        "metric_name": "acc",
        "direction": "ABOVE",
        "variation": "A",
    }


@pytest.mark.parametrize("now", [False, True])
def test_a_metric_trigger_is_watched_and_its_dag_runs_only_on_a_crossing(now: bool) -> None:
    """No evaluation task: the triggerer evaluates, and the run starts with the build."""
    plan = plan_dag(automation(trigger=metric_trigger("0 * * * *"), execute_immediately=now))
    assert [t.task_id for t in plan.tasks] == [BUILD, CHECK_BUILD_METRIC, DEPLOY, SKIP_DEPLOY]
    assert plan.schedule.cron is None and plan.schedule.once is False
    assert plan.schedule.watch == MetricWatch(
        trigger_name="error_rate",
        sql_query=SQL,
        direction="ABOVE_OR_EQUALS",
        threshold="0.05",
        cron="0 * * * *",
        evaluate_at_start=now,
    )
    assert "crosses" in plan.schedule.summary and "`0 * * * *`" in plan.schedule.summary


def test_a_metric_automation_handed_to_jfrog_ml_is_not_watched() -> None:
    plan = plan_dag(automation(trigger=metric_trigger()), runs_elsewhere="JFrog ML")
    assert plan.schedule.watch is None and plan.schedule.cron is None and plan.is_paused_upon_creation
    assert plan.schedule.keeps_metric_state  # its asset stays referenced: Airflow keeps the watcher's state
    assert not plan_dag(automation(), runs_elsewhere="JFrog ML").schedule.keeps_metric_state


@pytest.mark.parametrize("trigger", [NoneTrigger(), metric_trigger()])
def test_batch_is_one_run_batch_task(trigger: Any) -> None:
    plan = plan_dag(automation(trigger=trigger, action=batch()))
    assert [t.task_id for t in plan.tasks] == [RUN_BATCH]
    assert edges(plan) == set()
    arguments = task(plan, RUN_BATCH)
    assert arguments["build_id"] == "build-123"
    assert arguments["data_specifications"]["source_folder"] == "daily/%Y-%m-%d"
    assert arguments["data_specifications"]["access_token_secret_name"] == "aws_key_name"  # a name, not a secret
    assert arguments["execution_specifications"]["params"] == {"mode": "full"}


# -- DAG attributes ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("enabled", "paused"), [(True, False), (False, True)])
def test_a_disabled_automation_is_paused_on_creation(enabled: bool, paused: bool) -> None:
    assert plan_dag(automation(is_enabled=enabled)).is_paused_upon_creation is paused


def test_tags_name_frogml_and_the_model() -> None:
    plan = plan_dag(automation(model_id="churn-model"))
    assert plan.tags == ("frogml", "churn-model")
    assert (plan.automation_name, plan.model_id) == ("retrain_my_model", "churn-model")
    assert plan_dag(automation(model_id="m" * 64)).tags[1] == "m" * 64  # the longest model ID fits a tag (100)


@pytest.mark.parametrize(
    ("name", "dag_id"),
    [
        ("retrain_my_model", "retrain_my_model"),
        ("retrain my model!", "retrain_my_model_"),
        ("  padded  ", "padded"),
        ("a.b-c_d", "a.b-c_d"),
        ("modèle.v2:prod", "mod_le.v2_prod"),
        ("x" * 128, "x" * 128),  # the longest automation name
    ],
)
def test_dag_ids_keep_only_what_airflow_accepts(name: str, dag_id: str) -> None:
    assert dag_id_for(name) == dag_id
    assert plan_dag(automation(name=name)).dag_id == dag_id
    assert dag_id_for("x" * 300) == "x" * 250  # Airflow's limit, should the spec's ever grow


def test_description_is_the_automations_or_names_the_model() -> None:
    assert plan_dag(automation(description="weekly retrain")).description == "weekly retrain"
    assert plan_dag(automation()).description == "JFrog ML automation for model my-model-id"


# -- docs ------------------------------------------------------------------------------------------------------
def test_doc_md_says_what_the_dag_does() -> None:
    doc = plan_dag(with_secrets(description="Retrains weekly.", is_enabled=False), source="automations/a.py").doc_md
    for expected in (
        "### JFrog ML automation `retrain_my_model`",
        "Retrains weekly.",
        "**Model:** `my-model-id`",
        "cron `0 0 * * 0` (UTC)",
        f"`{GIT}` branch `main`, main dir `main`",
        "`f1_score` is above `0.65`",
        "variation `B`, 1 pod(s)",
        "**On success:** custom webhook, HTTP POST (URL and headers kept secret)",
        "**On error:** Slack message (webhook URL kept secret)",
        "Paused on creation",
        "Defined in `automations/a.py`.",
    ):
        assert expected in doc, expected


def test_doc_md_of_metric_triggers_sql_thresholds_and_batches() -> None:
    sql_gate = BuildMetric(metric_name="f1", direction=ThresholdDirection.BELOW_OR_EQUALS, threshold="SELECT 0.9")
    doc = plan_dag(automation(trigger=metric_trigger(), action=build_deploy(sql_gate))).doc_md
    assert f"**Retrains when:** `{SQL}` is above or equals `0.05`" in doc
    assert "`f1` is below or equals the value of `SELECT 0.9`" in doc
    deployed = plan_dag(automation(action=build_deploy(DeployedBuildMetric(metric_name="acc")))).doc_md
    assert "`acc` is above the build deployed in variation `default`" in deployed
    assert "Runs a batch job** on build `build-123`" in plan_dag(automation(action=batch())).doc_md
    assert "Defined in" not in deployed and "Paused" not in deployed


def test_no_secret_reaches_the_docs_the_arguments_or_the_plans_repr() -> None:
    plan = plan_dag(with_secrets(trigger=metric_trigger()), source="a.py")
    arguments = json.dumps([dict(t.arguments) for t in plan.tasks])  # JSON-able, or this raises
    shown = " ".join([plan.doc_md, plan.description, arguments, repr(plan), *plan.tags])
    assert not [s for s in SECRETS if s in shown]
    assert plan.on_error is not None and plan.on_error.webhook == SLACK  # kept in memory for the notifier
    assert plan.on_success is not None and plan.on_success.headers == {"Authorization": HEADER}


@pytest.mark.parametrize("action", [build_deploy(), batch()], ids=["build_deploy", "batch"])
def test_operator_arguments_survive_a_json_round_trip(action: Any) -> None:
    plan = plan_dag(automation(action=action, trigger=metric_trigger()))
    for planned in plan.tasks:
        assert json.loads(json.dumps(dict(planned.arguments))) == dict(planned.arguments), planned.task_id


def test_task_arguments_carry_only_what_the_automation_says() -> None:
    plan = plan_dag(automation())
    build_spec = task(plan, BUILD)["build_spec"]
    deployment_spec = task(plan, DEPLOY)["deployment_spec"]
    # Only the fields given in build_deploy() (plus the class): no default of the spec.
    assert set(build_spec) == {"kind", "git_uri", "git_access_token_secret", "tags", "env_vars", "resources"}
    assert deployment_spec == {"kind": "DeploymentSpecifications", "number_of_pods": 1, "variation_name": "B"}
    # A value given equal to the default is left out too; one given as another type is kept as written.
    assert to_plain(DeploymentSpecifications(variation_name="default", number_of_pods=2)) == to_plain(
        DeploymentSpecifications()
    )
    assert to_plain(BuildSpecifications(git_uri=GIT, resources=GpuResources("NVIDIA_T4", 1)))["resources"] == {
        "kind": "GpuResources",
        "gpu_type": "NVIDIA_T4",
        "gpu_amount": 1,
    }


def test_complete_gives_the_operators_every_default_back(corpus_specs: list[Any]) -> None:
    assert len(corpus_specs) > 20
    for spec in corpus_specs:
        assert complete(to_plain(spec)) == to_plain(spec, defaults=True), spec
        assert complete(to_plain(spec, defaults=True)) == to_plain(spec, defaults=True)  # DAGs of earlier versions


def test_complete_fills_a_hand_written_argument_and_keeps_unknown_keys() -> None:
    full = complete({"git_uri": GIT, "extra": 1}, "BuildSpecifications")
    assert full == {**to_plain(BuildSpecifications(git_uri=GIT), defaults=True), "extra": 1}
    assert complete({"a": 1}, "NoSuchSpec") == {"a": 1}
    first, second = complete({}, "BuildSpecifications"), complete({}, "BuildSpecifications")
    first["tags"].append("mutated")
    assert second["tags"] == []  # defaults are copied, never shared between calls


@pytest.fixture(scope="module")
def corpus_specs(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    """Every spec object of the export corpus (all actions, conditions and resource types)."""
    import dataclasses

    from frogml_airflow_provider.dags.loading import load_automations
    from tests.export.corpus import CORPUS

    folder = tmp_path_factory.mktemp("corpus")
    (folder / "corpus.py").write_text(CORPUS)
    report = load_automations(folder)
    assert report.ok, report.errors
    specs: list[Any] = []
    for item in report.automations:
        for value in (item.automation.trigger, item.automation.action):
            specs.append(value)
            specs.extend(v for v in vars(value).values() if dataclasses.is_dataclass(v))
    return specs
