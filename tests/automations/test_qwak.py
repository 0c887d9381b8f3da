"""The Qwak-era names against what qwak-core (0.7.160, the last Qwak SDK) declared, recorded below
from its ``qwak/automations`` package, and against the installed frogml SDK's source (read, not
imported): every Qwak name has its frogml counterpart, and only the differences listed in
``automations.qwak`` exist."""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
from pathlib import Path

import pytest

from frogml_airflow_provider import automations
from frogml_airflow_provider.automations import qwak

QWAK_CORE_ALL = [
    "Action", "AggregationType", "Automation", "AutomationAudit", "AutoScaleQuerySpec", "AutoScaleTrigger",
    "AutoScalingConfig", "AutoScalingPrometheusTrigger", "BuildMetric", "BuildSpecifications", "CpuResources",
    "CustomWebhook", "DeploymentCondition", "DeploymentSpecifications", "GpuResources", "Metric", "MetricBasedTrigger",
    "MetricType", "NoneTrigger", "Notification", "QwakBuildDeploy", "Resources", "ScheduledTrigger",
    "SlackNotification", "SqlMetric", "ThresholdDirection", "Trigger", "BatchExecution", "BatchJobDataSpecifications",
    "BatchJobExecutionSpecifications",
]  # fmt: skip
QWAK_CORE_CLASSES_OUTSIDE_ALL = ["ClientResources", "DeployedBuildMetric", "OnBoardingTrigger"]
QWAK_CORE_SUBMODULES = [
    "automation_executions", "automations", "batch_execution_action", "build_and_deploy_action", "common",
]  # fmt: skip
# Every dataclass of qwak/automations with its fields, in order (the keywords and positions users wrote).
QWAK_CORE_FIELDS = {
    "AutoScaleQuerySpec": ("metric_type", "aggregation_type", "time_period"),
    "AutoScalingConfig": ("min_replica_count", "max_replica_count", "polling_interval", "cool_down_period", "triggers"),
    "AutoScalingPrometheusTrigger": ("query_spec", "threshold"),
    "Automation": (
        "id",
        "name",
        "model_id",
        "execute_immediately",
        "trigger",
        "action",
        "description",
        "environment",
        "is_enabled",
        "is_deleted",
        "is_sdk_v1",
        "create_audit",
        "on_error",
        "on_success",
        "jfrog_token_id",
        "platform_url",
    ),
    "AutomationAudit": ("date", "user_id"),
    "BatchExecution": ("build_id", "data_specifications", "execution_specifications"),
    "BatchJobDataSpecifications": (
        "access_token_secret_name",
        "access_secret_secret_name",
        "source_bucket",
        "source_folder",
        "input_file_type",
        "destination_bucket",
        "destination_folder",
        "output_file_type",
    ),
    "BatchJobExecutionSpecifications": (
        "job_timeout",
        "task_timeout",
        "executors",
        "cpu",
        "memory",
        "gpu_type",
        "gpu_amount",
        "custom_iam_role_arn",
        "params",
        "instance",
    ),
    "BuildMetric": ("metric_name", "direction", "threshold"),
    "BuildSpecifications": (
        "parameters",
        "git_uri",
        "tags",
        "git_access_token_secret",
        "git_branch",
        "main_dir",
        "base_image",
        "assumed_iam_role",
        "resources",
        "dependency_file_path",
        "env_vars",
        "git_ssh_token_secret",
        "gpu_compatible",
        "push_image",
        "purchase_option",
        "provision_instance_timeout",
        "service_account_key_secret_name",
    ),
    "ClientResources": ("instance", "gpu_resources", "cpu_resources"),
    "CpuResources": ("cpu_fraction", "memory"),
    "CustomWebhook": ("url", "http_method", "headers", "data"),
    "DeployedBuildMetric": ("metric_name", "direction", "variation"),
    "DeploymentSpecifications": (
        "number_of_http_server_workers",
        "http_request_timeout_ms",
        "max_batch_size",
        "daemon_mode",
        "variation_name",
        "custom_iam_role_arn",
        "number_of_pods",
        "cpu_fraction",
        "memory",
        "gpu_resources",
        "auto_scale_config",
        "environments",
        "env_vars",
        "deployment_timeout",
        "instance",
        "service_account_key_secret_name",
    ),
    "GpuResources": ("gpu_type", "gpu_amount"),
    "MetricBasedTrigger": ("name", "metric", "direction", "threshold", "override_cron"),
    "QwakBuildDeploy": ("build_spec", "deployment_condition", "deployment_spec"),
    "ScheduledTrigger": ("cron", "interval"),
    "SlackNotification": ("webhook",),
    "SqlMetric": ("sql_query",),
}


def test_qwak_all_is_qwak_cores() -> None:
    assert sorted(qwak.QWAK_ALL) == sorted(QWAK_CORE_ALL)


def test_every_qwak_class_has_its_frogml_class_here() -> None:
    for name in [*QWAK_CORE_ALL, *QWAK_CORE_CLASSES_OUTSIDE_ALL]:
        assert hasattr(automations, qwak.frogml_name(name)), name


def test_the_submodules_are_qwak_cores() -> None:
    assert sorted([*qwak.SUBMODULES, qwak.RUN_RECORDS_SUBMODULE]) == QWAK_CORE_SUBMODULES


@pytest.mark.parametrize("name", sorted(QWAK_CORE_FIELDS))
def test_qwak_keywords_and_positions_mean_the_same_here(name: str) -> None:
    """The keywords are the same; the positions too, except where QWAK_FIELD_ORDER says otherwise."""
    ours = tuple(field.name for field in dataclasses.fields(getattr(automations, qwak.frogml_name(name))))
    theirs = QWAK_CORE_FIELDS[name]
    assert set(theirs) <= set(ours), set(theirs) - set(ours)
    if name in qwak.QWAK_FIELD_ORDER:
        assert qwak.QWAK_FIELD_ORDER[name] == theirs
        assert ours[: len(theirs)] != theirs  # really another order: the served class must re-place them
    else:
        assert ours[: len(theirs)] == theirs


def test_the_field_order_table_lists_only_qwak_classes() -> None:
    assert set(qwak.QWAK_FIELD_ORDER) <= set(QWAK_CORE_FIELDS)


def test_module_names() -> None:
    assert qwak.frogml_module("qwak.automations") == "frogml.core.automations"
    assert qwak.frogml_module("qwak.automations.common") == "frogml.core.automations.common"
    assert qwak.frogml_module("qwak.automationsx") is None
    assert qwak.frogml_module("qwak.clients") is None
    assert qwak.frogml_name("QwakBuildDeploy") == "FrogmlBuildDeploy"
    assert qwak.frogml_name("Automation") == "Automation"


def sdk_classes() -> dict[str, tuple[str, ...]]:
    """Class name -> dataclass fields, of the installed frogml SDK's automations package source."""
    spec = importlib.util.find_spec("frogml")  # finds the top package without running it
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the frogml SDK is not installed")
    folder = Path(next(iter(spec.submodule_search_locations)), "core", "automations")
    classes: dict[str, tuple[str, ...]] = {}
    for path in folder.glob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef):
                classes[node.name] = tuple(
                    s.target.id for s in node.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
                )
    return classes


def test_the_sdk_has_every_renamed_class_and_no_qwak_name_left() -> None:
    classes = sdk_classes()
    assert set(qwak.RENAMED.values()) <= set(classes)
    assert [name for name in classes if name.startswith("Qwak")] == []
    for name, fields in QWAK_CORE_FIELDS.items():
        sdk_prefix = classes[qwak.frogml_name(name)][: len(fields)]
        assert (sdk_prefix == fields) is (name not in qwak.QWAK_FIELD_ORDER), name
