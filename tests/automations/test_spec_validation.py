"""Every validation rule of the spec, table-driven: what is accepted, what is refused, and what the
error says (field path, what is allowed, every problem at once, no secret echoed).

Tables are kept one row per line (``fmt: off``) so that each reads as a table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from frogml_airflow_provider.automations import (
    Automation,
    AutoScalingConfig,
    BatchExecution,
    BatchJobDataSpecifications,
    BatchJobExecutionSpecifications,
    BuildMetric,
    BuildSpecifications,
    ClientResources,
    CpuResources,
    CustomWebhook,
    DeployedBuildMetric,
    DeploymentSpecifications,
    FrogmlBuildDeploy,
    GpuResources,
    MetricBasedTrigger,
    NoneTrigger,
    ScheduledTrigger,
    SlackNotification,
    SqlMetric,
    ThresholdDirection,
)
from frogml_airflow_provider.errors import HIDDEN, AutomationSpecError, Problem

GIT = "https://github.com/org_id/repository_name.git#dir_1/dir_2"
SLACK_SECRET = "https://hooks.slack.com/services/T0SECRET/B0SECRET/SLACKSECRETTOKEN"
HOOK_SECRET = "https://ops.example.com/hooks/HOOKSECRETPATH"
HEADER_SECRET = "Bearer HEADERSECRETVALUE"
SECRETS = (SLACK_SECRET, "SLACKSECRETTOKEN", HOOK_SECRET, "HOOKSECRETPATH", HEADER_SECRET, "HEADERSECRETVALUE")
NEW_GPU = "NVIDIA_H100_80GB"  # only in the common GpuType (client-pod resources)


def problems(build: Callable[[], Any]) -> list[Problem]:
    with pytest.raises(AutomationSpecError) as caught:
        build()
    return caught.value.problems


def only(build: Callable[[], Any]) -> Problem:
    found = problems(build)
    assert len(found) == 1, found
    return found[0]


def build_deploy(**build: Any) -> FrogmlBuildDeploy:
    return FrogmlBuildDeploy(
        build_spec=BuildSpecifications(git_uri=GIT, **build),
        deployment_condition=BuildMetric(metric_name="f1_score", threshold="0.65"),
        deployment_spec=DeploymentSpecifications(),
    )


def automation(**overrides: Any) -> Automation:
    fields = {"name": "retrain_my_model", "model_id": "my-model-id", "trigger": ScheduledTrigger(cron="0 0 * * 0")}
    return Automation(**{**fields, "action": build_deploy(), **overrides})


def data_specs(**overrides: Any) -> BatchJobDataSpecifications:
    fields = {"source_bucket": "in", "destination_bucket": "out", "input_file_type": "csv", "output_file_type": "csv"}
    return BatchJobDataSpecifications(**{**fields, **overrides})


def metric_trigger(threshold: Any = "1", direction: Any = ThresholdDirection.ABOVE) -> MetricBasedTrigger:
    return MetricBasedTrigger(
        name="m", metric=SqlMetric(sql_query="SELECT 1"), threshold=threshold, direction=direction
    )


# -- accepted values, per rule ---------------------------------------------------------------------------
def cron(value: Any) -> ScheduledTrigger:
    return ScheduledTrigger(cron=value)


def interval(value: Any) -> ScheduledTrigger:
    return ScheduledTrigger(interval=value)


def purchase(value: Any) -> BuildSpecifications:
    return BuildSpecifications(git_uri=GIT, purchase_option=value)


def method(value: Any) -> CustomWebhook:
    return CustomWebhook(url=HOOK_SECRET, http_method=value)


# Each rule whose owner is more than one class is checked on every owner.
THRESHOLD = {"BuildMetric": lambda t: BuildMetric(metric_name="f1", threshold=t), "MetricBasedTrigger": metric_trigger}
MEMORY = {
    "CpuResources": lambda m: CpuResources(memory=m),
    "DeploymentSpecifications": lambda m: DeploymentSpecifications(memory=m),
    "BatchJobExecutionSpecifications": lambda m: BatchJobExecutionSpecifications(memory=m),
}
ENV_VARS = {
    "BuildSpecifications": lambda e: BuildSpecifications(git_uri=GIT, env_vars=e),
    "DeploymentSpecifications": lambda e: DeploymentSpecifications(env_vars=e),
}
DIRECTION = {
    "BuildMetric": lambda d: BuildMetric(metric_name="f1", threshold="1", direction=d),
    "DeployedBuildMetric": lambda d: DeployedBuildMetric(metric_name="f1", direction=d),
    "MetricBasedTrigger": lambda d: metric_trigger(direction=d),
}

# fmt: off
ACCEPTED: list[tuple[Callable[[Any], Any], str, list[Any]]] = [
    (cron, "cron", ["0 0 * * 0", "*/15 * * * *", "0 9-17 * * MON-FRI", "0 0 1 jan *", "0 0 * JAN-DEC sun",
                    "1/5 * * * *", "0-59/5 1-5/2 * * *", "1,2,3 * * * *", "0 0 * * 7", "0 0 * * mon,wed",
                    "  0 0 * * 0  ", "@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@annually", "@midnight",
                    "5-1 * * * *", "0 0 ? * *", "0 0 L * *", "0 0 * * 1#2", "@quarterly"]),
    (interval, "interval", ["Daily", "Weekly", "Hourly", "daily", "HOURLY", "wEEKLY"]),
    (purchase, "purchase_option", ["spot", "ondemand", "SPOT", "OnDemand"]),
    (method, "http_method", ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "post", "Delete"]),
    (lambda u: BuildSpecifications(git_uri=u), "git_uri",
     [GIT, "https://github.com/org/repo.git", "git@github.com:org/repo.git", "https://h/r.git#models/churn"]),
    (lambda t: BatchJobExecutionSpecifications(gpu_type=t, gpu_amount=1), "gpu_type", [NEW_GPU, "NVIDIA_T4"]),
    (lambda t: data_specs(input_file_type=t), "input_file_type", ["csv", "feather", "parquet", "PARQUET"]),
    *((owner, "threshold", ["0.65", "1", "-3", "+2.5", ".5", "1e-3", " 0.7 ", "SELECT avg(f1) FROM builds",
                            "with t as (select 1) select *"]) for owner in THRESHOLD.values()),
    *((owner, "memory", ["2Gi", "2GiB", "512Mi", "512MiB", "2gi", "2GIB", "512mib", "2 Gi", " 4Gi ", "512"])
      for owner in MEMORY.values()),
    *((owner, "env_vars", [[], ["key1=val1", "key2=val2"], ["EMPTY="], ["URL=a=b"], ("A=1",)])
      for owner in ENV_VARS.values()),
]
# fmt: on


@pytest.mark.parametrize(
    ("build", "field", "value"),
    [(build, field, value) for build, field, values in ACCEPTED for value in values],
)
def test_accepted_values_are_kept_as_given(build: Callable[[Any], Any], field: str, value: Any) -> None:
    assert getattr(build(value), field) == value


# -- refused values: one problem, at the field, saying what is wrong and what is allowed ---------------------
# (build, value, path, the problem says, the fix says)
# fmt: off
REFUSED: list[tuple[Callable[[Any], Any], Any, str, str, str]] = [
    (cron, "60 * * * *", "cron", "the minute field '60' is out of range: 60 is not in 0-59", "five fields in UTC"),
    (cron, "* 24 * * *", "cron", "the hour field '24' is out of range: 24 is not in 0-23", "five fields"),
    (cron, "0 0 0 * *", "cron", "the day of month field '0' is out of range: 0 is not in 1-31", "five fields"),
    (cron, "0 0 32 * *", "cron", "32 is not in 1-31", "five fields"),
    (cron, "0 0 * 13 *", "cron", "the month field '13' is out of range: 13 is not in 1-12", "five fields"),
    (cron, "0 0 * * 8", "cron", "the day of week field '8' is out of range: 8 is not in 0-7", "five fields"),
    (cron, "*/0 * * * *", "cron", "has the step '0'; a step must be a whole number above 0", "five fields"),
    (cron, "*/x * * * *", "cron", "step 'x'", "five fields"),
    (cron, "* * * *", "cron", "it has 4 fields; a cron expression here has five fields", "five fields"),
    (cron, "* * * * * *", "cron", "has 6 fields", "five fields"),
    (cron, "a b c d e", "cron", "'a' is not a number from 0 to 59", "five fields"),
    (cron, "0 0 * * FUNDAY", "cron", "or a name such as SUN", "five fields"),
    (cron, "0 0 * MAY-JAX *", "cron", "or a name such as JAN", "five fields"),
    (cron, "1,,2 * * * *", "cron", "'' is not a number from 0 to 59", "five fields"),
    (cron, "@reboot", "cron", "is not a valid cron expression: the macro '@reboot' is unknown", "five fields"),
    (cron, "@once", "cron", "the macro '@once' is unknown", "five fields"),
    (cron, 5, "cron", "is of type int, not a string", "quotes"),
    (cron, "   ", "cron", "is empty", ""),
    (interval, "Monthly", "interval", "is not allowed", "use one of Daily, Weekly, Hourly"),
    (interval, "Every 5 minutes", "interval", "is not allowed", "use one of Daily, Weekly, Hourly"),
    (interval, "@daily", "interval", "is not allowed", "use one of Daily, Weekly, Hourly"),
    (interval, 1, "interval", "is of type int, not a string", "quotes"),
    (lambda _: ScheduledTrigger(cron="0 0 * * 0", interval="Daily"), None, "interval",
     "is set together with cron='0 0 * * 0'", "keep one of them (JFrog ML would silently ignore the cron)"),
    (lambda _: ScheduledTrigger(), None, "cron", "is empty and no interval is set", "interval='Daily'"),
    (lambda _: ScheduledTrigger(cron=None, interval=None), None, "cron", "no interval is set", "cron='0 0 * * 0'"),
    (purchase, "on_demand", "purchase_option", "is not allowed", "use one of spot, ondemand"),
    (purchase, "on-demand", "purchase_option", "is not allowed", "use one of spot, ondemand"),
    (purchase, "reserved", "purchase_option", "is not allowed", "use one of spot, ondemand"),
    (purchase, "", "purchase_option", "is empty", ""),
    (purchase, None, "purchase_option", "is required", "spot, ondemand"),
    (method, "OPTIONS", "http_method", "is not allowed", "use one of GET, POST, PUT, PATCH, DELETE, HEAD"),
    (method, "FETCH", "http_method", "is not allowed", "use one of GET, POST, PUT, PATCH, DELETE, HEAD"),
    (method, "", "http_method", "is empty", ""),
    (lambda t: data_specs(output_file_type=t), "xlsx", "output_file_type", "is not allowed",
     "use one of csv, feather, parquet"),
    (lambda u: BuildSpecifications(git_uri=u), "https://h/r.git#", "git_uri", "invalid sub-directory ''", "dir_1"),
    (lambda u: BuildSpecifications(git_uri=u), "https://h/r.git#a/../b", "git_uri", "invalid sub-directory", "dir_1"),
    (lambda u: BuildSpecifications(git_uri=u), "https://h/r.git#./x", "git_uri", "invalid sub-directory", "dir_1"),
    (lambda u: BuildSpecifications(git_uri=u), "  ", "git_uri", "is empty", ""),
    (lambda v: CpuResources(cpu_fraction=v), 0, "cpu_fraction", "is out of range", "give a number above 0"),
    (lambda v: CpuResources(cpu_fraction=v), "2", "cpu_fraction", "is not a number", "give a number"),
    (lambda v: DeploymentSpecifications(number_of_pods=v), 0, "number_of_pods", "out of range", "at least 1"),
    (lambda v: DeploymentSpecifications(number_of_pods=v), 1.5, "number_of_pods", "is not a whole number", ""),
    (lambda v: DeploymentSpecifications(max_batch_size=v), True, "max_batch_size", "is not a whole number", ""),
    (lambda v: BatchJobExecutionSpecifications(executors=v), -1, "executors", "out of range", "at least 0"),
    (lambda v: AutoScalingConfig(min_replica_count=3, max_replica_count=v), 2, "max_replica_count",
     "is below min_replica_count=3", "raise it or lower the minimum"),
    (lambda v: GpuResources(v, 1), "NVIDIA_RTX4090", "gpu_type", "is not allowed", "NVIDIA_H100_80GB"),
    (lambda v: GpuResources("NVIDIA_T4", v), 0, "gpu_amount", "is out of range", "at least 1"),
    (lambda v: BatchJobExecutionSpecifications(gpu_type=v, gpu_amount=1), "NVIDIA_X", "gpu_type", "is not allowed", ""),
    (lambda v: ClientResources(instance=v), "", "instance", "no gpu_resources or cpu_resources", "instance='small'"),
    (lambda t: BuildSpecifications(git_uri=GIT, tags=t), "prod", "tags", "is of type str, not a list", ""),
]
# fmt: on
for owner in THRESHOLD.values():
    REFUSED += [
        (owner, 0.65, "threshold", "is a number, but thresholds are strings", "write it in quotes: threshold='0.65'"),
        (owner, 1, "threshold", "is a number, but thresholds are strings", "threshold='1'"),
        (owner, "high", "threshold", "is neither a number nor a SQL query", "SQL query returning one value"),
        (owner, "0,65", "threshold", "is neither a number nor a SQL query", "('0.65')"),
        (owner, "", "threshold", "is empty", "give a value"),
        (owner, True, "threshold", "is of type bool, not a string", "quotes"),
        (owner, None, "threshold", "is required", "SQL query"),
    ]
for owner in MEMORY.values():
    unit_fix = "unit Gi, GiB, Mi or MiB"
    REFUSED += [
        (owner, "2GB", "memory", "has unknown unit 'GB'", unit_fix),
        (owner, "2G", "memory", "has unknown unit 'G'", unit_fix),
        (owner, "2Ki", "memory", "has unknown unit 'Ki'", unit_fix),
        (owner, "2.5Gi", "memory", "is not a memory size", unit_fix),
        (owner, "-1Gi", "memory", "is not a memory size", unit_fix),
        (owner, "Gi", "memory", "is not a memory size", unit_fix),
        (owner, "", "memory", "is empty", ""),
        (owner, 2048, "memory", "is of type int, not a string", ""),
    ]
for owner in ENV_VARS.values():
    REFUSED += [
        (owner, {"A": "1"}, "env_vars", "is a dict (only its keys would be used)", "list of 'KEY=VALUE' strings"),
        (owner, "A=1", "env_vars", "is of type str, not a list", "write a list of strings"),
        (owner, ["A=1", "B"], "env_vars[1]", "is not KEY=VALUE", "'NAME=value'"),
        (owner, ["=v"], "env_vars[0]", "is not KEY=VALUE", "'NAME=value'"),
        (owner, ["A B=c"], "env_vars[0]", "is not KEY=VALUE", "'NAME=value'"),
        (owner, ["A=1", 2], "env_vars[1]", "is not a string", "quotes"),
    ]
for field in ("headers", "data"):
    webhook = (lambda f: lambda v: CustomWebhook(url=HOOK_SECRET, **{f: v}))(field)
    REFUSED += [
        (webhook, {"n": 1}, f"{field}['n']", "is of type int, not a string", "JFrog ML sends strings only"),
        (webhook, {"n": None}, f"{field}['n']", "is of type NoneType, not a string", "quotes"),
        (webhook, {1: "x"}, f"{field}[1]", "has a key that is not a string", "quotes"),
        (webhook, [("a", "b")], field, "is of type list, not a dict", "dict of strings to strings"),
    ]
for build in DIRECTION.values():
    members = "use one of " + ", ".join(f"ThresholdDirection.{d.name}" for d in ThresholdDirection)
    REFUSED += [
        (build, "ABOVE", "direction", "is not a ThresholdDirection (write ThresholdDirection.ABOVE)", members),
        (build, "below", "direction", "is not a ThresholdDirection (write ThresholdDirection.BELOW)", members),
        (build, "up", "direction", "is not a ThresholdDirection", members),
        (build, 1, "direction", "is not a ThresholdDirection", members),
    ]


@pytest.mark.parametrize(("build", "value", "path", "says", "fix"), REFUSED)
def test_refused_values_name_the_field_the_problem_and_the_fix(
    build: Callable[[Any], Any], value: Any, path: str, says: str, fix: str
) -> None:
    problem = only(lambda: build(value))
    assert problem.path == path
    assert says in problem.problem
    assert fix in problem.fix
    if path.startswith("cron") and isinstance(value, str) and value.strip():
        assert problem.problem.startswith("is not a valid cron expression")


def test_every_bad_item_of_a_list_is_reported_at_once() -> None:
    found = problems(lambda: BuildSpecifications(git_uri=GIT, env_vars=["A", "B=1", "C", 4]))
    assert [p.path for p in found] == ["env_vars[0]", "env_vars[2]", "env_vars[3]"]


@pytest.mark.parametrize("url", ["", "hooks.slack.com/services/T/B/X", "ftp://host/x", None])
def test_notification_urls_must_be_http_urls_and_are_secret(url: Any) -> None:
    for build, field in ((lambda: SlackNotification(webhook=url), "webhook"), (lambda: CustomWebhook(url=url), "url")):
        problem = only(build)
        assert (problem.path, problem.secret) == (field, True)


# -- required parts --------------------------------------------------------------------------------------------
def test_an_empty_automation_reports_all_four_missing_parts_at_once() -> None:
    found = problems(lambda: Automation())
    assert [(p.path, p.problem) for p in found] == [
        ("name", "is empty"),
        ("model_id", "is empty"),
        ("trigger", "is required"),
        ("action", "is required"),
    ]
    assert "ScheduledTrigger(...)" in found[2].fix and "NoneTrigger(...)" in found[2].fix
    assert found[3].fix == "give FrogmlBuildDeploy(...) or BatchExecution(...)"


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("trigger", "0 0 * * 0", "is of type str"),
        ("trigger", ScheduledTrigger, "is of type ABCMeta"),
        ("action", BuildSpecifications(git_uri=GIT), "is of type BuildSpecifications"),
        ("on_error", "https://hooks.slack.com/x", "is of type str"),
        ("name", 7, "is of type int, not a string"),
        ("execute_immediately", "yes", "is not True or False"),
        ("is_enabled", 1, "is not True or False"),
    ],
)
def test_automation_parts_of_the_wrong_kind_are_refused(field: str, value: Any, says: str) -> None:
    found = problems(lambda: automation(**{field: value}))
    assert [(p.path, p.problem) for p in found] == [(field, says)]


def test_frogml_build_deploy_needs_all_three_parts() -> None:
    with pytest.raises(TypeError, match="deployment_spec"):
        FrogmlBuildDeploy(BuildSpecifications(git_uri=GIT), BuildMetric(metric_name="f", threshold="1"))  # type: ignore[call-arg]
    found = problems(lambda: FrogmlBuildDeploy(None, None, None))  # type: ignore[arg-type]
    assert [(p.path, p.problem) for p in found] == [
        ("build_spec", "is required"),
        ("deployment_condition", "is required"),
        ("deployment_spec", "is required"),
    ]
    assert found[1].fix == "give BuildMetric(...) or DeployedBuildMetric(...)"


@pytest.mark.parametrize(
    ("build", "path", "says"),
    [
        (lambda: BuildSpecifications(), "git_uri", "is required"),
        (lambda: SqlMetric(), "sql_query", "is empty"),
        (lambda: BatchExecution(), "data_specifications", "is required"),
        (lambda: DeployedBuildMetric(), "metric_name", "is empty"),
        (lambda: SlackNotification(), "webhook", "is empty"),
        (lambda: CustomWebhook(), "url", "is empty"),
    ],
)
def test_required_fields_are_reported(build: Callable[[], Any], path: str, says: str) -> None:
    problem = only(build)
    assert problem.path == path
    assert says in problem.problem


def test_metric_based_trigger_needs_a_name_a_sql_metric_and_a_threshold() -> None:
    found = problems(lambda: MetricBasedTrigger())
    expected = [("name", "is empty"), ("metric", "is required"), ("threshold", "is empty")]
    assert [(p.path, p.problem) for p in found] == expected
    assert found[1].fix == "give SqlMetric(...)"
    wrong = only(lambda: MetricBasedTrigger(name="m", metric="SELECT 1", threshold="1"))  # type: ignore[arg-type]
    assert (wrong.path, wrong.problem, wrong.fix) == ("metric", "is of type str", "give SqlMetric(...)")


def test_batch_data_specifications_need_buckets_and_file_types() -> None:
    found = problems(lambda: BatchJobDataSpecifications())
    assert [p.path for p in found] == ["source_bucket", "destination_bucket", "input_file_type", "output_file_type"]


@pytest.mark.parametrize(
    ("build", "path", "allowed"),
    [
        (lambda: BuildSpecifications(), "git_uri", "git"),
        (lambda: data_specs(input_file_type=None), "input_file_type", "csv, feather, parquet"),
        (lambda: GpuResources(gpu_amount=1), "gpu_type", "NVIDIA_T4"),
    ],
)
def test_an_omitted_required_string_says_it_is_required_and_what_to_give(
    build: Callable[[], Any], path: str, allowed: str
) -> None:
    problem = only(build)
    assert (problem.path, problem.problem) == (path, "is required")
    assert allowed in problem.fix


# -- GPU types -------------------------------------------------------------------------------------------------
def test_build_gpus_are_the_six_build_types_but_client_resources_take_the_newer_cards() -> None:
    assert BuildSpecifications(git_uri=GIT, resources=GpuResources("NVIDIA_A10G", 1)).resources.gpu_amount == 1
    client = ClientResources(gpu_resources=GpuResources(NEW_GPU, 2))
    assert BuildSpecifications(git_uri=GIT, resources=client).resources is client
    problem = only(lambda: BuildSpecifications(git_uri=GIT, resources=GpuResources(NEW_GPU, 1)))
    assert problem.path == "resources.gpu_type"
    assert "NVIDIA_K80" in problem.fix and "NVIDIA_L4" in problem.fix and NEW_GPU not in problem.fix


def test_deployment_gpus_are_limited_to_the_legacy_types() -> None:
    assert DeploymentSpecifications(gpu_resources=GpuResources("NVIDIA_T4", 1)).gpu_resources.gpu_amount == 1
    problem = only(lambda: DeploymentSpecifications(gpu_resources=GpuResources(NEW_GPU, 1)))
    assert problem.path == "gpu_resources.gpu_type"
    assert problem.fix.startswith("use one of NVIDIA_K80") and NEW_GPU not in problem.fix


@pytest.mark.parametrize(
    "build",
    [
        lambda: GpuResources("nvidia_t4", 1),
        lambda: BuildSpecifications(git_uri=GIT, resources=GpuResources("nvidia_t4", 1)),
        lambda: BatchJobExecutionSpecifications(gpu_type="nvidia_a10", gpu_amount=1),
    ],
)
def test_gpu_type_labels_must_be_written_exactly(build: Callable[[], Any]) -> None:
    with pytest.raises(AutomationSpecError):
        build()


# -- git_uri credentials -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("uri", "secret"),
    [
        ("https://deploy:ghp_GITSECRET123@github.com/org/repo.git", "ghp_GITSECRET123"),
        ("https://ghp_GITSECRET123@github.com/org/repo.git#dir", "ghp_GITSECRET123"),
        ("HTTP://user:p@ss@host/repo.git", "p@ss"),
    ],
)
def test_git_uri_with_credentials_is_refused_without_echoing_them(uri: str, secret: str) -> None:
    with pytest.raises(AutomationSpecError) as caught:
        BuildSpecifications(git_uri=uri)
    assert [(p.path, p.problem) for p in caught.value.problems] == [("git_uri", "carries credentials inside the URL")]
    assert "git_access_token_secret" in caught.value.problems[0].fix
    assert secret not in str(caught.value) and secret not in repr(caught.value)
    assert all(secret not in repr(p.value) for p in caught.value.problems)


def test_git_credentials_are_not_echoed_by_the_sub_directory_problem() -> None:
    with pytest.raises(AutomationSpecError) as caught:
        BuildSpecifications(git_uri="https://user:ghp_GITSECRET123@github.com/org/repo.git#a/../b")
    assert "ghp_GITSECRET123" not in str(caught.value)


def test_ssh_git_uri_with_the_git_user_is_accepted() -> None:
    assert BuildSpecifications(git_uri="ssh://git@github.com/org/repo.git", git_ssh_token_secret="ssh_key")


# -- errors seen from the Automation -----------------------------------------------------------------------------
def test_a_mutated_nested_object_is_reported_with_its_full_path_and_the_automation_name() -> None:
    auto = automation(on_error=SlackNotification(webhook=SLACK_SECRET))
    auto.action.build_spec.resources.memory = "2GB"  # type: ignore[attr-defined]
    auto.trigger.cron = "61 * * * *"  # type: ignore[attr-defined]
    with pytest.raises(AutomationSpecError) as caught:
        auto.validate()
    error = caught.value
    assert [p.path for p in error.problems] == ["trigger.cron", "action.build_spec.resources.memory"]
    assert error.automation == "retrain_my_model"
    text = str(error)
    assert text.startswith("invalid automation 'retrain_my_model' (2 problems):")
    assert "action.build_spec.resources.memory = '2GB': has unknown unit 'GB'" in text
    assert "trigger.cron = '61 * * * *'" in text


def test_nested_paths_include_list_indexes_and_gpu_resources() -> None:
    auto = automation(action=build_deploy(resources=GpuResources("NVIDIA_T4", 1)))
    auto.action.build_spec.resources.gpu_type = NEW_GPU  # type: ignore[attr-defined]
    auto.action.deployment_spec.environments = ["prod", 3]  # type: ignore[attr-defined]
    with pytest.raises(AutomationSpecError) as caught:
        auto.validate()
    paths = [p.path for p in caught.value.problems]
    assert paths == ["action.build_spec.resources.gpu_type", "action.deployment_spec.environments[1]"]


def test_an_unnamed_automation_error_names_the_class() -> None:
    with pytest.raises(AutomationSpecError) as caught:
        Automation(model_id="m", trigger=NoneTrigger(), action=build_deploy())
    assert caught.value.automation is None
    assert str(caught.value) == "invalid Automation: name = '': is empty; give a value"


def test_a_valid_automation_validates_again_without_error() -> None:
    auto = automation(execute_immediately=True, is_enabled=False, description="weekly retrain")
    auto.validate()
    assert auto.action.build_spec.resources == CpuResources(cpu_fraction=2, memory="2Gi")  # type: ignore[attr-defined]


# -- secrets ------------------------------------------------------------------------------------------------------
def with_secrets() -> Automation:
    headers = {"Authorization": HEADER_SECRET}
    on_success = CustomWebhook(url=HOOK_SECRET, http_method="POST", headers=headers, data={"team": "ml"})
    return automation(on_error=SlackNotification(webhook=SLACK_SECRET), on_success=on_success)


def test_reprs_hide_webhook_urls_and_header_values_but_keep_header_names() -> None:
    auto = with_secrets()
    shown = " ".join([repr(auto), str(auto), repr(auto.on_error), repr(auto.on_success), str(auto.on_success)])
    assert not [s for s in SECRETS if s in shown]
    assert "'Authorization': '***'" in repr(auto.on_success)
    assert "data={'team': 'ml'}" in repr(auto.on_success)  # not secret
    assert "SlackNotification(webhook='***')" in repr(auto)


@pytest.mark.parametrize(
    "build",
    [
        lambda: SlackNotification(webhook=SLACK_SECRET.replace("https://", "")),
        lambda: CustomWebhook(url=HOOK_SECRET.replace("https", "ftp")),
        lambda: CustomWebhook(url=HOOK_SECRET, headers={"Authorization": HEADER_SECRET.encode()}),
        lambda: CustomWebhook(url=HOOK_SECRET, headers=[("Authorization", HEADER_SECRET)]),
    ],
)
def test_errors_about_secret_fields_never_echo_the_value(build: Callable[[], Any]) -> None:
    with pytest.raises(AutomationSpecError) as caught:
        build()
    text = str(caught.value) + repr(caught.value)
    assert HIDDEN in text
    assert not [s for s in SECRETS if s in text]


def test_automation_errors_never_echo_secrets_of_mutated_notifications() -> None:
    auto = with_secrets()
    auto.on_error.webhook = "hooks.slack.com/SLACKSECRETTOKEN"  # type: ignore[attr-defined]
    auto.on_success.headers["Authorization"] = 12345  # type: ignore[attr-defined]
    auto.on_success.http_method = "FETCH"  # type: ignore[attr-defined]
    with pytest.raises(AutomationSpecError) as caught:
        auto.validate()
    paths = [p.path for p in caught.value.problems]
    assert paths == ["on_error.webhook", "on_success.http_method", "on_success.headers['Authorization']"]
    text = str(caught.value)
    assert "SLACKSECRETTOKEN" not in text and "12345" not in text
    assert "'FETCH'" in text  # the method is not secret, so it is shown


@pytest.mark.parametrize("cron", ["0 0 31 2 *", "0 0 30 FEB *", "0 12 31 4,6,9,11 *"])
def test_a_cron_that_never_fires_is_refused(cron: str) -> None:
    with pytest.raises(AutomationSpecError) as caught:
        ScheduledTrigger(cron=cron)
    assert "never fires" in str(caught.value)


@pytest.mark.parametrize("cron", ["0 0 29 2 *", "0 0 31 1-3 *", "0 0 31 2 MON", "0 0 */15 2 *"])
def test_a_cron_that_fires_sometimes_is_kept(cron: str) -> None:
    assert ScheduledTrigger(cron=cron).cron == cron
