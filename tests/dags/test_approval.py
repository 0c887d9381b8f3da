"""``[frogml] approval_required``: the setting's syntax and errors (pure), the plan it makes, and the
DAGs Airflow gets (a real DagBag): named automations wait for a human between gate and deploy; the
others keep exactly the serialized DAG they had; a bad setting makes no DAG at all (fail closed)."""

from __future__ import annotations

import json

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.serialization.serialized_objects import DagSerialization

from frogml_airflow_provider.automations import (
    Automation,
    BuildMetric,
    BuildSpecifications,
    DeploymentSpecifications,
    FrogmlBuildDeploy,
    NoneTrigger,
    SlackNotification,
    ThresholdDirection,
)
from frogml_airflow_provider.dags.approval import (
    DEFAULT_TIMEOUT,
    ApprovalRule,
    ApprovalSetting,
    parse_setting,
    with_approval,
)
from frogml_airflow_provider.dags.plan import plan_dag
from frogml_airflow_provider.dags.render import render
from frogml_airflow_provider.errors import ApprovalSettingError
from frogml_airflow_provider.operators.approval import FrogMLApprovalOperator
from tests.support import EXAMPLES


def automation(name: str = "retrain_churn", model: str = "churn", variation: str | None = None) -> Automation:
    spec = DeploymentSpecifications(variation_name=variation) if variation else DeploymentSpecifications()
    return Automation(
        name=name,
        model_id=model,
        trigger=NoneTrigger(),
        action=FrogmlBuildDeploy(
            BuildSpecifications(git_uri="https://github.com/org/repo.git"),
            BuildMetric("f1_score", ThresholdDirection.ABOVE, "0.8"),
            spec,
        ),
        on_success=SlackNotification(webhook="https://hooks.slack.com/services/T0/B0/APPROVAL-SECRET"),
    )


@pytest.mark.parametrize(
    ("raw", "rules"),
    [
        ("", ()),
        ("  ,\n, ", ()),
        ("automation:retrain_churn", (ApprovalRule("automation", "retrain_churn"),)),
        (" Model : churn ,model:churn", (ApprovalRule("model", "churn"),)),  # kind case-free, duplicates once
        ("variation:fraud/prod\nmodel:x", (ApprovalRule("variation", "fraud/prod"), ApprovalRule("model", "x"))),
    ],
)
def test_entries_are_read_as_written(raw: str, rules: tuple[ApprovalRule, ...]) -> None:
    assert parse_setting(raw) == ApprovalSetting(rules, DEFAULT_TIMEOUT)


def test_every_bad_entry_and_the_timeout_are_named_in_one_error() -> None:
    with pytest.raises(ApprovalSettingError) as caught:
        parse_setting("model:ok, churn, modle:x, variation:fraud, automation:, variation:a/b/c", "-5")
    said = str(caught.value)
    assert "entry 2 'churn' has no kind" in said
    assert "entry 3 'modle:x' has the unknown kind 'modle'" in said
    assert "entry 4 'variation:fraud' must be variation:MODEL_ID/VARIATION" in said
    assert "entry 5 'automation:' names no automation" in said
    assert "entry 6 'variation:a/b/c' must be variation:MODEL_ID/VARIATION" in said
    assert "[frogml] approval_timeout = '-5' must be a positive number of seconds" in said
    assert "automation:NAME, model:MODEL_ID or variation:MODEL_ID/VARIATION" in said
    assert "entry 1" not in said


@pytest.mark.parametrize("timeout", ["0", "nan", "inf", "soon"])
def test_the_timeout_is_bounded(timeout: str) -> None:
    with pytest.raises(ApprovalSettingError, match="approval_timeout"):
        parse_setting("model:churn", timeout)


@pytest.mark.parametrize(
    ("entry", "named"),
    [
        ("automation:retrain_churn", True),
        ("automation:other", False),
        ("model:churn", True),
        ("model:churn-2", False),
        ("variation:churn/default", True),  # no variation_name: JFrog ML's default variation
        ("variation:churn/prod", False),
    ],
)
def test_which_plans_an_entry_names(entry: str, named: bool) -> None:
    plan = plan_dag(automation())
    assert parse_setting(entry).entries_for(plan) == ((entry,) if named else ())


def test_a_named_plan_waits_for_approval_between_gate_and_deploy() -> None:
    plan = plan_dag(automation(variation="prod"))
    approved = with_approval(plan, parse_setting("variation:churn/prod, model:churn", "3600"))
    edges = {task.task_id: task.upstream for task in approved.tasks}
    assert edges == {
        "build": (),
        "check_build_metric": ("build",),
        "approve_deploy": ("check_build_metric",),
        "deploy": ("approve_deploy",),
        "skip_deploy": ("check_build_metric",),
    }
    arguments = {task.task_id: task.arguments for task in approved.tasks}
    assert arguments["check_build_metric"]["deploy_task_id"] == "approve_deploy"
    assert arguments["approve_deploy"] == {
        "model_id": "churn",
        "automation_name": "retrain_churn",
        "variation": "prod",
        "timeout_seconds": 3600.0,
        "required_by": ["variation:churn/prod", "model:churn"],
    }
    assert approved.approval == ("variation:churn/prod", "model:churn")
    assert "Needs approval before each deploy" in approved.doc_md and "1 h" in approved.doc_md
    assert approved.success_tasks == plan.success_tasks  # on_success still after deploy | skip_deploy
    assert with_approval(plan, parse_setting("model:other")) is plan


def test_a_batch_automation_has_nothing_to_approve() -> None:
    batch = next(plan for plan in _plans() if plan.automation_name == "nightly_batch")
    assert with_approval(batch, parse_setting("model:iris-classifier, automation:nightly_batch")) is batch


def _plans():
    from frogml_airflow_provider.dags.catalog import catalog

    return [plan for _, plan in catalog(EXAMPLES / "automations").plans]


def test_render_makes_the_approval_step_of_airflow_with_reject_as_the_default() -> None:
    plan = with_approval(plan_dag(automation()), parse_setting("model:churn", "7200"))
    dag = render(plan)
    step = dag.get_task("approve_deploy")
    assert isinstance(step, FrogMLApprovalOperator)
    assert step.options == ["Approve", "Reject"] and step.defaults == ["Reject"]
    assert step.response_timeout.total_seconds() == 7200
    assert dag.get_task("check_build_metric").deploy_task_id == "approve_deploy"
    assert dag.get_task("deploy").upstream_task_ids == {"approve_deploy"}
    assert type(step._notifier).__name__ == "FrogMLSlackNotifier"  # on_success's target
    serialized = json.dumps(DagSerialization.to_dict(dag))
    assert "APPROVAL-SECRET" not in serialized  # the notifier's webhook is never serialized


def test_the_dagbag_gets_approval_steps_only_where_named(monkeypatch: pytest.MonkeyPatch) -> None:
    before = DagBag(dag_folder=str(EXAMPLES))
    monkeypatch.setenv("AIRFLOW__FROGML__APPROVAL_REQUIRED", "variation:my-model-id/B, automation:nightly_batch")
    after = DagBag(dag_folder=str(EXAMPLES))
    assert after.import_errors == {} and set(after.dags) == set(before.dags)
    assert "approve_deploy" in after.dags["retrain_my_model"].task_ids
    assert after.dags["retrain_my_model"].get_task("approve_deploy").response_timeout.total_seconds() == 86400
    for dag_id in sorted(set(before.dags) - {"retrain_my_model"}):  # not named, or nothing to approve
        assert DagSerialization.to_dict(after.dags[dag_id]) == DagSerialization.to_dict(before.dags[dag_id]), dag_id


def test_a_bad_setting_makes_no_dag_and_says_which_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__FROGML__APPROVAL_REQUIRED", "model:iris-classifier, modell:churn-model")
    bag = DagBag(dag_folder=str(EXAMPLES))
    errors = "\n".join(bag.import_errors.values())
    assert "entry 2 'modell:churn-model' has the unknown kind 'modell'" in errors
    assert "retrain_iris_classifier" in errors and "retrain_my_model" in errors
    assert "Traceback" not in errors
    assert set(bag.dags) == {"smoke_test_iris_classifier"}  # a plain DAG file is not affected
