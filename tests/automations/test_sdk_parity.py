"""Parity with the real frogml SDK: the same public names, fields, field order, defaults and enum
members, except for a short, explained allow-list; and the documented example builds with both.

The SDK is imported only in a subprocess with a throw-away HOME: its import is slow and writes
``~/.frogml``. The spec side is described in-process with the very same function.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
from pathlib import Path
from typing import Any

import pytest

import frogml_airflow_provider.automations as spec
from frogml_airflow_provider.dags.loading import load_automations
from frogml_airflow_provider.errors import AutomationSpecError
from tests.support import run_python

if importlib.util.find_spec("frogml") is None:  # importorskip without importing (and running) the SDK
    pytest.skip("the frogml SDK is not installed (pip install .[test])", allow_module_level=True)

pytestmark = pytest.mark.sdk

SDK_PACKAGE = "frogml.core.automations"
# Importable but not in the SDK's __all__; where the SDK defines them.
SDK_EXTRAS = {
    "ClientResources": "frogml.core.automations",
    "DeployedBuildMetric": "frogml.core.automations.build_and_deploy_action",
    "OnBoardingTrigger": "frogml.core.automations.automations",
}

# (class, field): (SDK default, our default), each a deliberate difference (see the comments in our source).
DEFAULT_DIFFERENCES = {
    # The SDK's factories instantiate abstract classes: Automation() without them raises TypeError.
    # Here they default to None and validation says "is required" with the classes to give.
    ("Automation", "trigger"): ("factory:Trigger", None),
    ("Automation", "action"): ("factory:Action", None),
    # The SDK evaluates datetime.now() once, at import; here each audit gets its own time.
    ("AutomationAudit", "date"): ("instance:datetime", "factory:now"),
    # The SDK's factory builds the wrong class (BatchJobExecutionSpecifications): a crash at registration.
    ("BatchExecution", "data_specifications"): ("factory:BatchJobExecutionSpecifications", None),
    # The SDK's default is the protobuf QuerySpec class itself, not a value; here the query spec is required.
    ("AutoScalingPrometheusTrigger", "query_spec"): ("class:QuerySpec", None),
}
# Abstract bases: empty dataclasses (no fields) in the SDK, plain ABCs here. No fields either way.
ABSTRACT_BASES = {"Action", "AutoScaleTrigger", "DeploymentCondition", "Metric", "Notification", "Resources", "Trigger"}

# Verbatim: the first code block of JFrog ML "Define Automations" (reference/jfrog-ml-define-automations.txt).
DOCS_EXAMPLE = r"""from frogml.core.automations import Automation, ScheduledTrigger, FrogmlBuildDeploy,\
BuildSpecifications, BuildMetric, ThresholdDirection, DeploymentSpecifications
test_automation = Automation(
name="retrain_my_model",
model_id="my-model-id",
trigger=ScheduledTrigger(cron="0 0 * * 0"),
action=FrogmlBuildDeploy(
build_spec=BuildSpecifications(git_uri="https://github.com/org_id/repository_name.git#dir_1/dir_2",
git_access_token_secret="token_secret_name",
git_branch="main",
main_dir="main",
tags=["prod"],
env_vars=["key1=val1", "key2=val2", "key3=val3"]),
deployment_condition=BuildMetric(metric_name="f1_score",
direction=ThresholdDirection.ABOVE,
threshold="0.65"),
deployment_spec=DeploymentSpecifications(number_of_pods=1,
cpu_fraction=2.0,
memory="2Gi",
variation_name="B")
)
)
"""
# A copy of the JFrog ML docs page "Define automations" this project is built from.
DOCS_COPY = Path(__file__).resolve().parent.parent / "data" / "jfrog-ml-define-automations.txt"

GIT = "https://github.com/org/repo.git"
# Values the SDK itself checks (in to_proto or __post_init__): we must accept exactly what it accepts.
ACCEPTANCE = [
    *(f"CpuResources(memory={m!r})" for m in ["2Gi", "2GiB", "512Mi", "512MiB", "2gib", " 2 Gi ", "512"]),
    *(f"CpuResources(memory={m!r})" for m in ["2GB", "2G", "2.5Gi", "", "Gi"]),
    *(
        f"BuildSpecifications(git_uri={GIT!r}, purchase_option={p!r})"
        for p in ["spot", "ONDEMAND", "on_demand", " spot"]
    ),
    *(f"CustomWebhook(url='https://h/x', http_method={m!r})" for m in ["GET", "post", "Patch", "HEAD", "OPTIONS"]),
    *(f"BuildMetric(metric_name='f1', threshold={t!r})" for t in ["0.65", 0.65]),
    *(f"GpuResources(gpu_type={g!r}, gpu_amount=1)" for g in ["NVIDIA_T4", "NVIDIA_L4", "NVIDIA_RTX"]),
    *(f"BatchJobExecutionSpecifications(gpu_type={g!r}, gpu_amount=1)" for g in ["NVIDIA_H100_80GB", "NVIDIA_X"]),
]
# Deliberately stricter than the SDK, which checks none of these (issue 14): identifiers that are
# paths, nan and infinity, absurd memory, unbounded names. Each is accepted by the SDK's to_proto().
STRICTER_THAN_SDK = [
    "DeploymentSpecifications(variation_name='../x')",
    "DeploymentSpecifications(variation_name='a/b')",
    "DeploymentSpecifications(variation_name='v' * 100_000)",
    "DeploymentSpecifications(cpu_fraction=float('nan'))",
    "CpuResources(cpu_fraction=float('inf'))",
    "CpuResources(memory='99999999Gi')",
    "BuildMetric(metric_name='f1', threshold='1e999')",
    "BuildMetric(metric_name='f1', threshold='nan')",
    f"BuildSpecifications(git_uri={GIT!r}, main_dir='../../outside')",
]
KNOWN_ACCEPTANCE_BUGS = {
    "GpuResources(gpu_type='nvidia_t4', gpu_amount=1)",
    "BatchJobExecutionSpecifications(gpu_type='nvidia_h100_80gb', gpu_amount=1)",
}


def describe_spec(package: str, extras: dict[str, str]) -> dict[str, Any]:
    """Every public class: spec bases, dataclass fields in order with defaults, or enum members.

    Runs in the SDK's subprocess too (sent there as source), so it imports what it needs.
    """
    import dataclasses
    import enum
    import importlib

    module = importlib.import_module(package)
    classes = {name: getattr(module, name) for name in module.__all__}
    for name, where in extras.items():
        classes[name] = getattr(importlib.import_module(where), name)

    def default(f: Any) -> Any:
        if f.default is not dataclasses.MISSING:
            value = f.default
            if isinstance(value, enum.Enum):
                return f"{type(value).__name__}.{value.name}"
            if value is None or isinstance(value, (str, int, float)):
                return value
            return f"class:{value.__name__}" if isinstance(value, type) else f"instance:{type(value).__name__}"
        if f.default_factory is not dataclasses.MISSING:
            return f"factory:{f.default_factory.__name__}"
        return "REQUIRED"

    described: dict[str, Any] = {}
    for name, cls in classes.items():
        entry: dict[str, Any] = {"bases": [b.__name__ for b in cls.__mro__[1:] if b.__name__ in classes]}
        if issubclass(cls, enum.Enum):
            entry["members"] = {m.name: m.value for m in cls}
        elif dataclasses.is_dataclass(cls):
            entry["fields"] = [[f.name, default(f)] for f in dataclasses.fields(cls)]
        described[name] = entry
    return {"all": list(module.__all__), "classes": described}


def plain(value: Any) -> Any:
    """A spec object as comparable data (class names kept); the audit time is left out."""
    import dataclasses
    import datetime
    import enum

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"__class__": type(value).__name__, **fields}
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, datetime.datetime):
        return "<datetime>"
    return value


SDK_SCRIPT = """
from __future__ import annotations
import json, sys
{describe}
{plain}
request = json.loads(sys.argv[1])
out = {{"describe": describe_spec(request["package"], request["extras"])}}
import frogml.core.automations as sdk
names = {{n: getattr(sdk, n) for n in sdk.__all__}}
names["ClientResources"] = sdk.ClientResources
accepts = {{}}
for expression in request["acceptance"]:
    try:
        eval(expression, dict(names)).to_proto()
        accepts[expression] = True
    except Exception as error:
        accepts[expression] = type(error).__name__
out["accepts"] = accepts
namespace = {{}}
exec(request["docs_example"], namespace)
automation = namespace["test_automation"]
out["docs_proto_fields"] = sorted(f.name for f, _ in automation.to_proto().automation_spec.ListFields())
out["docs_example"] = plain(automation)
with open(request["output"], "w") as handle:
    json.dump(out, handle)
"""


@pytest.fixture(scope="module")
def sdk(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("sdk")
    home = work / "home"
    home.mkdir()
    script = SDK_SCRIPT.format(describe=inspect.getsource(describe_spec), plain=inspect.getsource(plain))
    request = {
        "package": SDK_PACKAGE,
        "extras": SDK_EXTRAS,
        "acceptance": ACCEPTANCE + sorted(KNOWN_ACCEPTANCE_BUGS) + STRICTER_THAN_SDK,
        "docs_example": DOCS_EXAMPLE,
        "output": str(work / "sdk.json"),
    }
    run_python(script, json.dumps(request), home=home, cwd=work)
    return json.loads((work / "sdk.json").read_text())


@pytest.fixture(scope="module")
def ours() -> dict[str, Any]:
    described = describe_spec(spec.__name__, {name: spec.__name__ for name in SDK_EXTRAS})
    return json.loads(json.dumps(described))  # the same JSON round trip as the SDK side


def test_all_is_exactly_the_sdks(sdk: dict[str, Any], ours: dict[str, Any]) -> None:
    assert sorted(ours["all"]) == sorted(sdk["describe"]["all"])
    assert len(set(spec.__all__)) == len(spec.__all__)
    assert not set(SDK_EXTRAS) & set(spec.__all__)  # importable by name, but not by `import *`, as in the SDK


def test_the_same_classes_in_the_same_hierarchy(sdk: dict[str, Any], ours: dict[str, Any]) -> None:
    theirs = sdk["describe"]["classes"]
    assert set(ours["classes"]) == set(theirs)
    assert {n: c["bases"] for n, c in ours["classes"].items()} == {n: c["bases"] for n, c in theirs.items()}


def test_enum_members_and_values_match(sdk: dict[str, Any], ours: dict[str, Any]) -> None:
    theirs = {n: c["members"] for n, c in sdk["describe"]["classes"].items() if "members" in c}
    assert set(theirs) == {"AggregationType", "MetricType", "ThresholdDirection"}
    assert {n: c["members"] for n, c in ours["classes"].items() if "members" in c} == theirs


def test_field_names_are_the_same_and_in_the_same_order(sdk: dict[str, Any], ours: dict[str, Any]) -> None:
    theirs = sdk["describe"]["classes"]
    for name, entry in theirs.items():
        if "members" in entry:
            continue
        mine = ours["classes"][name].get("fields")
        if name in ABSTRACT_BASES:
            assert entry["fields"] == [] and mine is None, name
            continue
        assert [f for f, _ in mine] == [f for f, _ in entry["fields"]], name


def test_defaults_match_except_the_documented_differences(sdk: dict[str, Any], ours: dict[str, Any]) -> None:
    differences = {}
    for name, entry in sdk["describe"]["classes"].items():
        mine = dict(ours["classes"][name].get("fields") or [])
        for field, theirs in entry.get("fields", []):
            if mine.get(field, "MISSING") != theirs:
                differences[(name, field)] = (theirs, mine.get(field, "MISSING"))
    assert differences == DEFAULT_DIFFERENCES


def test_frogml_build_deploy_parts_are_required_positionals_in_both(ours: dict[str, Any]) -> None:
    fields = ours["classes"]["FrogmlBuildDeploy"]["fields"]
    assert fields == [["build_spec", "REQUIRED"], ["deployment_condition", "REQUIRED"], ["deployment_spec", "REQUIRED"]]


@pytest.mark.parametrize("expression", ACCEPTANCE)
def test_values_the_sdk_checks_are_accepted_exactly_when_the_sdk_accepts_them(
    sdk: dict[str, Any], expression: str
) -> None:
    assert accepted_here(expression) == (sdk["accepts"][expression] is True), sdk["accepts"][expression]


@pytest.mark.parametrize("expression", sorted(KNOWN_ACCEPTANCE_BUGS))
def test_lower_case_gpu_labels_are_refused_like_the_sdk(sdk: dict[str, Any], expression: str) -> None:
    assert sdk["accepts"][expression] == "ValueError"
    assert accepted_here(expression) is False


@pytest.mark.parametrize("expression", STRICTER_THAN_SDK)
def test_deliberate_differences_the_sdk_accepts_are_refused_here(sdk: dict[str, Any], expression: str) -> None:
    assert sdk["accepts"][expression] is True
    assert accepted_here(expression) is False


def accepted_here(expression: str) -> bool:
    names = {name: getattr(spec, name) for name in [*spec.__all__, *SDK_EXTRAS]}
    try:
        eval(expression, names)
    except AutomationSpecError:
        return False
    return True


def test_the_docs_example_is_verbatim() -> None:
    assert DOCS_EXAMPLE.rstrip("\n") in DOCS_COPY.read_text()


def test_the_docs_example_builds_with_the_sdk_and_with_ours_to_the_same_values(
    sdk: dict[str, Any], write_files: Any
) -> None:
    assert {"automation_name", "model_id", "trigger", "action", "is_enabled"} <= set(sdk["docs_proto_fields"])
    report = load_automations(write_files({"retrain_my_model.py": DOCS_EXAMPLE}))
    assert report.errors == ()
    [loaded] = report.automations
    assert isinstance(loaded.automation, spec.Automation)
    mine = json.loads(json.dumps(plain(loaded.automation)))
    assert mine == sdk["docs_example"]
    assert mine["action"]["build_spec"]["resources"] == {
        "__class__": "CpuResources",
        "cpu_fraction": 2,
        "memory": "2Gi",
    }
    assert mine["action"]["deployment_spec"]["variation_name"] == "B"
