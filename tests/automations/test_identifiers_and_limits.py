"""Identifiers are validated as JFrog ML keeps them (never a path), and nothing is unbounded:
no nan or infinity, no absurd memory, no name or text of any length."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from frogml_airflow_provider.automations import (
    Automation,
    BatchExecution,
    BatchJobDataSpecifications,
    BatchJobExecutionSpecifications,
    BuildMetric,
    BuildSpecifications,
    CpuResources,
    DeployedBuildMetric,
    DeploymentSpecifications,
    MetricBasedTrigger,
    NoneTrigger,
    SqlMetric,
)
from frogml_airflow_provider.automations.common import validation_after_loading
from frogml_airflow_provider.dags.loading import load_automations
from frogml_airflow_provider.errors import AutomationSpecError, Problem
from tests.support import EXAMPLES

DATA = BatchJobDataSpecifications(
    source_bucket="in", destination_bucket="out", input_file_type="csv", output_file_type="csv"
)


def automation(**fields: Any) -> Automation:
    base = {
        "name": "retrain",
        "model_id": "m",
        "trigger": NoneTrigger(),
        "action": BatchExecution(data_specifications=DATA),
    }
    return Automation(**{**base, **fields})


def problems(build: Callable[[], Any]) -> list[Problem]:
    with pytest.raises(AutomationSpecError) as raised:
        build()
    return raised.value.problems


def only(build: Callable[[], Any]) -> Problem:
    [problem] = problems(build)
    return problem


# -- identifiers ------------------------------------------------------------------------------------------------
REAL_MODEL_IDS = [
    "iris-classifier",
    "my-model-id",
    "churn_model",
    "churn-model",
    "m",
    "model-0001",
    "3d_model",
    "x" * 64,
]


@pytest.mark.parametrize("model_id", REAL_MODEL_IDS)
def test_real_world_model_ids_are_accepted(model_id: str) -> None:
    assert automation(model_id=model_id).model_id == model_id


def test_every_example_still_validates() -> None:
    report = load_automations(EXAMPLES / "automations")
    assert report.ok, [str(e) for e in report.errors]
    assert len(report.automations) >= 6


@pytest.mark.parametrize(
    ("model_id", "says"),
    [
        ("../../../tmp/x", "looks like a path"),
        ("a/b", "looks like a path"),
        ("/etc/passwd", "looks like a path"),
        ("../x", "looks like a path"),
        ("a\\b", "looks like a path"),
        ("..", "looks like a path"),
        ("Iris", "has upper-case letters; a model ID is lower case on JFrog ML (write 'iris')"),
        ("churn model", "contains ' ', not allowed in a model ID"),
        ("iris.classifier", "contains '.', not allowed in a model ID"),
        ("-rm", "starts with '-'; a model ID starts with a letter or digit"),
        ("m\x1b[2J", "contains the control character \\x1b"),
        ("x" * 65, "is 65 characters long"),
    ],
)
def test_model_ids_that_are_paths_or_not_ids_are_refused(model_id: str, says: str) -> None:
    problem = only(lambda: automation(model_id=model_id))
    assert problem.path == "model_id"
    assert problem.problem.startswith(says)
    assert "lower-case letters, digits, '-' and '_'" in problem.fix or "at most 64" in problem.fix


@pytest.mark.parametrize(
    ("build", "path"),
    [
        (lambda v: DeploymentSpecifications(variation_name=v), "variation_name"),
        (lambda v: DeployedBuildMetric(metric_name="f1", variation=v), "variation"),
        (lambda v: BatchExecution(build_id=v, data_specifications=DATA), "build_id"),
    ],
    ids=["variation_name", "DeployedBuildMetric.variation", "build_id"],
)
@pytest.mark.parametrize("value", ["../x", "a/b", "/abs", "..", "x" * 65])
def test_other_identifiers_are_never_paths(build: Callable[[str], Any], path: str, value: str) -> None:
    problem = only(lambda: build(value))
    assert problem.path == path
    assert "letters, digits, '-' and '_'" in problem.fix or problem.fix == "shorten it to at most 64 characters"


@pytest.mark.parametrize("variation", ["default", "B", "shadow", "challenger", "canary-2", "v_1"])
def test_real_variation_names_are_accepted(variation: str) -> None:
    assert DeploymentSpecifications(variation_name=variation).variation_name == variation


@pytest.mark.parametrize("name", ["retrain_my_model", "every build field", "Retrain (nightly) #2", "modèle.v2:prod"])
def test_automation_names_are_free_text(name: str) -> None:
    assert automation(name=name).name == name


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("team/retrain", "looks like a path"),
        ("retrain\r\x1b[31m", "contains the control character \\r"),
        ("a\u202ebad", "contains the control character \\u202e"),
        ("x" * 129, "is 129 characters long"),
    ],
)
def test_automation_and_trigger_names_have_a_rule(name: str, says: str) -> None:
    assert only(lambda: automation(name=name)).problem.startswith(says)
    trigger = lambda: MetricBasedTrigger(name=name, metric=SqlMetric("SELECT 1"), threshold="1")  # noqa: E731
    assert only(trigger).problem.startswith(says)


@pytest.mark.parametrize("field", ["main_dir", "dependency_file_path"])
@pytest.mark.parametrize(
    ("value", "says"), [("../up", "climbs out"), ("a/../../b", "climbs out"), ("/abs", "absolute")]
)
def test_paths_inside_the_repository_stay_inside(field: str, value: str, says: str) -> None:
    problem = only(lambda: BuildSpecifications(git_uri="/repo", **{field: value}))
    assert problem.path == field and says in problem.problem


def test_a_two_million_character_model_id_is_refused_and_not_echoed() -> None:
    with pytest.raises(AutomationSpecError) as raised:
        automation(model_id="m" * 2_000_000)
    assert "is 2,000,000 characters long" in str(raised.value)
    assert len(str(raised.value)) < 1000


@pytest.mark.parametrize(
    ("build", "path"),
    [
        (lambda v: automation(description=v), "description"),
        (lambda v: BuildSpecifications(git_uri="/repo", git_branch=v), "git_branch"),
        (lambda v: BuildSpecifications(git_uri="/repo", tags=[v]), "tags[0]"),
        (lambda v: BuildSpecifications(git_uri="/repo", parameters={"k": v}), "parameters['k']"),
        (lambda v: SqlMetric(sql_query="SELECT " + v), "sql_query"),
    ],
    ids=["description", "git_branch", "tags", "parameters", "sql_query"],
)
def test_no_text_is_unbounded(build: Callable[[str], Any], path: str) -> None:
    problem = only(lambda: build("x" * 2_000_000))
    assert problem.path == path and problem.problem.endswith("characters long")


# -- numbers ------------------------------------------------------------------------------------------------------
CPUS = {
    "CpuResources": lambda v: CpuResources(cpu_fraction=v),
    "DeploymentSpecifications": lambda v: DeploymentSpecifications(cpu_fraction=v),
    "BatchJobExecutionSpecifications": lambda v: BatchJobExecutionSpecifications(cpu=v),
}


@pytest.mark.parametrize("owner", CPUS)
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_cpus_are_finite(owner: str, value: float) -> None:
    problem = only(lambda: CPUS[owner](value))
    assert problem.problem == "is not a finite number"


@pytest.mark.parametrize("owner", CPUS)
def test_cpus_have_a_ceiling(owner: str) -> None:
    assert "at most 1024" in only(lambda: CPUS[owner](1e9)).fix
    assert CPUS[owner](96) is not None


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "Infinity", "1e999", "-1e999", math.nan, math.inf])
@pytest.mark.parametrize(
    "build",
    [
        lambda t: BuildMetric(metric_name="f1", threshold=t),
        lambda t: MetricBasedTrigger(name="drift", metric=SqlMetric("SELECT 1"), threshold=t),
    ],
    ids=["BuildMetric", "MetricBasedTrigger"],
)
def test_thresholds_are_finite(build: Callable[[Any], Any], value: Any) -> None:
    problem = only(lambda: build(value))
    assert problem.path == "threshold" and "is not a finite number" in problem.problem


@pytest.mark.parametrize("memory", ["4096Gi", "4096GiB", "4194304Mi", "4194304", "0Mib"])
def test_memory_up_to_four_tebibytes_is_accepted(memory: str) -> None:
    assert BatchJobExecutionSpecifications(memory=memory).memory == memory


@pytest.mark.parametrize("memory", ["4097Gi", "4194305Mi", "4194305", "99999999999999999999Gi", "9" * 500])
def test_absurd_memory_is_refused_with_the_bound(memory: str) -> None:
    problem = only(lambda: CpuResources(memory=memory))
    assert problem.problem == "is more than the 4096Gi (4 TiB) any machine here has"
    assert problem.fix == "give at most 4096Gi"


def test_whole_numbers_fit_the_wire() -> None:
    problem = only(lambda: DeploymentSpecifications(number_of_pods=10**12))
    assert problem.fix == "give a whole number at least 1 and at most 2147483647"


# -- placeholders -----------------------------------------------------------------------------------------------
def test_a_placeholder_left_from_the_docs_is_named() -> None:
    with validation_after_loading():  # as the loader builds them: one error for the whole automation
        built = automation(trigger=..., action=BatchExecution(data_specifications=...))
    found = problems(built.validate)
    assert {p.path for p in found} == {"trigger", "action.data_specifications"}
    for problem in found:
        assert problem.describe().startswith(f"{problem.path} = ...: is '...', a placeholder copied from the docs")
