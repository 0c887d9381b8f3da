"""``pull``: native automations -> automation files that load unchanged and export to the same spec.

Pure tests first (the wire form read strictly, secrets as environment references, the report),
then the real frogml SDK: listed automations as ``MessageToDict`` of its ``Automation.to_proto()``,
pulled, and the files loaded by the SDK the way ``frogml automations register -p`` loads them.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from frogml_airflow_provider.dags.loading import LoadReport, load_automations
from frogml_airflow_provider.export.files import ExportError
from frogml_airflow_provider.export.from_native import PullError, automation_from_native
from frogml_airflow_provider.export.native import automation_spec, secret_fields
from frogml_airflow_provider.export.pull import PullReport, pull_files
from tests.export.corpus import CORPUS, NAMES, SECRETS
from tests.support import run_python

SDK_HELPER = Path(__file__).with_name("sdk_dump.py")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> LoadReport:
    folder = tmp_path_factory.mktemp("automations")
    (folder / "corpus.py").write_text(CORPUS)
    report = load_automations(folder)
    assert report.errors == ()
    return report


@pytest.fixture(scope="module")
def specs(corpus: LoadReport) -> dict[str, dict[str, Any]]:
    """The export corpus as JSON: what ``export`` writes, and what the SDK's ``to_proto`` gives."""
    return {item.automation.name: automation_spec(item.automation) for item in corpus.automations}


@pytest.fixture(scope="module")
def secrets(corpus: LoadReport) -> dict[str, dict[str, str]]:
    """Automation -> secret path -> its value."""
    return {
        item.automation.name: {field.path: value for field, value in secret_fields(item.automation)}
        for item in corpus.automations
    }


def environment(report: PullReport, secrets: dict[str, dict[str, str]]) -> dict[str, str]:
    """What the pulled files read from the environment: each variable -> the secret it stands for."""
    return {
        secret.variable: secrets[pulled.automation][secret.path]
        for pulled in report.pulled
        for secret in pulled.file.secrets
        if secret.variable
    }


def reload(report: PullReport, secrets: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> LoadReport:
    for variable, value in environment(report, secrets).items():
        monkeypatch.setenv(variable, value)
    loaded = load_automations(report.out)
    assert loaded.errors == ()
    return loaded


def envelope(spec: dict[str, Any], automation_id: str = "a1b2") -> dict[str, Any]:
    """A listed automation as ListAutomations returns it (``MessageToDict`` of the envelope)."""
    return {
        "automationId": automation_id,
        "automationSpec": spec,
        "qwakEnvironmentId": "env-1",
        "createAudit": {"date": "2026-12-01T10:00:00Z", "userId": "someone"},
    }


def pull_error(native: dict[str, Any]) -> str:
    with pytest.raises(PullError) as caught:
        automation_from_native(native)
    return str(caught.value)


# -- the round trip, for every automation of the export corpus ---------------------------------------
@pytest.mark.parametrize("form", ["spec", "envelope"])
@pytest.mark.parametrize("name", NAMES)
def test_pull_then_load_then_export_gives_the_same_json(
    name: str,
    form: str,
    specs: dict[str, dict[str, Any]],
    secrets: dict[str, dict[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    exported = json.loads(json.dumps(specs[name]))  # through JSON text, as a file or the API gives it
    native = exported if form == "spec" else envelope(exported)
    report = pull_files([native], tmp_path / "out")
    assert report.errors == ()
    [loaded] = reload(report, secrets, monkeypatch).automations
    assert automation_spec(loaded.automation) == specs[name]
    assert loaded.file.name == report.pulled[0].file.name


def test_all_at_once_writes_one_file_per_automation(
    specs: dict[str, dict[str, Any]],
    secrets: dict[str, dict[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    report = pull_files([envelope(spec, f"id-{i}") for i, spec in enumerate(specs.values())], tmp_path)
    assert sorted(path.name for path in report.written) == sorted(f"{name}.py" for name in NAMES)
    reloaded = {
        item.automation.name: automation_spec(item.automation)
        for item in reload(report, secrets, monkeypatch).automations
    }
    assert reloaded == specs
    assert [p.automation_id for p in report.pulled] == [f"id-{i}" for i in range(len(NAMES))]


# -- secrets ---------------------------------------------------------------------------------------
def test_secrets_never_reach_the_files_and_the_report_names_their_variables(
    specs: dict[str, dict[str, Any]], secrets: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    report = pull_files(list(specs.values()), tmp_path)
    text = "".join(path.read_text() for path in report.written)
    assert [secret for secret in SECRETS if secret in text] == []
    assert "FROGML_SECRET_CRON_DEFAULT_CPU_ON_ERROR_WEBHOOK" in report.variables
    assert "FROGML_SECRET_METRIC_INSTANCE_ON_ERROR_HEADERS_X_API_KEY" in report.variables
    for pulled in report.pulled:
        assert all(secret.variable for secret in pulled.file.secrets)
        for secret in pulled.file.secrets:
            assert f'os.environ["{secret.variable}"]' in pulled.file.text
            assert f"#   {secret.variable}\n" in pulled.file.text  # named in the file's header too
    assert len(report.variables) == len(set(report.variables)) == sum(map(len, secrets.values())) == 13
    assert SECRETS[0] not in repr(report)


def test_a_secret_is_not_echoed_by_an_error(specs: dict[str, dict[str, Any]]) -> None:
    spec = copy.deepcopy(specs["cron_default_cpu"])
    spec["onError"]["postSlackNotification"]["webhook"] = "not-a-url-SECRET-x"
    message = pull_error(spec)
    assert "on_error.webhook" in message and "SECRET-x" not in message


# -- what the wire form lost ---------------------------------------------------------------------------
def test_file_says_where_it_came_from_and_holds_no_platform_state(
    specs: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    [pulled] = pull_files([envelope(specs["metric_plain"], "a1b2")], tmp_path).pulled
    assert pulled.file.text.startswith(
        "# JFrog ML automation 'metric_plain', pulled from JFrog ML by `frogml-airflow pull` (id a1b2)\n"
    )
    assert 'a1b2"' not in pulled.file.text and "env-1" not in pulled.file.text and "someone" not in pulled.file.text


def test_zeros_left_out_on_the_wire_are_written_as_values(specs: dict[str, dict[str, Any]]) -> None:
    spec = copy.deepcopy(specs["cron_default_cpu"])
    del spec["isEnabled"]  # proto3: false is left out
    build = spec["action"]["buildDeploy"]["buildSpec"]
    del build["purchaseOption"]  # ON_DEMAND is the wire's zero
    del build["provisionInstanceTimeout"]
    automation = automation_from_native(spec).automation
    assert automation.is_enabled is False
    assert automation.action.build_spec.purchase_option == "ondemand"  # type: ignore[attr-defined]
    assert automation.action.build_spec.provision_instance_timeout == 0  # type: ignore[attr-defined]
    assert automation_spec(automation) == spec


def test_float32_and_memory_spellings_come_back_as_values_that_export_the_same(
    specs: dict[str, dict[str, Any]],
) -> None:
    spec = specs["onboarding_client_cpu"]  # cpu 1/3 -> 0.33333334 on the wire, memory "1536" and "4GiB"
    automation = automation_from_native(spec).automation
    resources = automation.action.build_spec.resources.cpu_resources  # type: ignore[attr-defined]
    assert (resources.cpu_fraction, resources.memory) == (0.33333334, "1536Mi")
    assert automation.action.deployment_spec.memory == "4Gi"  # type: ignore[attr-defined]
    assert automation_spec(automation) == spec


def test_a_description_is_kept_and_noted(specs: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    spec = {**specs["metric_plain"], "automationDescription": "set in the UI"}
    [pulled] = pull_files([spec], tmp_path).pulled
    assert 'description="set in the UI"' in pulled.file.text
    assert any("description" in note for note in pulled.notes)


def test_a_registered_automation_keeps_is_sdk_v1(specs: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    spec = {**specs["metric_plain"], "isSdkV1": True}  # the SDK's client forces it on every write
    [pulled] = pull_files([spec], tmp_path).pulled
    assert "is_sdk_v1=True" in pulled.file.text


# -- refused, with the automation and the field named -----------------------------------------------------
def edited(spec: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``spec`` with ``value`` at the dotted ``path`` (``None``: removed)."""
    result = copy.deepcopy(spec)
    *parents, last = path.split(".")
    node = result
    for key in parents:
        node = node[key]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return result


BUILD = "action.buildDeploy.buildSpec"
SIZE = "action.buildDeploy.deploymentSpec.deploymentSize"


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (f"{BUILD}.fooBar", "x", f"{BUILD}.fooBar: is not a field of the AutomationSpec this provider knows"),
        ("model_id", "churn", "model_id: is not a field .* camelCase: 'modelId'"),
        ("trigger", {"cronTrigger": {"cron": "0 0 * * *"}}, "trigger.cronTrigger: is not a trigger kind this provider"),
        ("trigger", {}, "trigger: names no trigger kind"),
        ("trigger", {"noneTrigger": {}, "onBoardingTrigger": {}}, "trigger: sets noneTrigger and onBoardingTrigger"),
        ("trigger.scheduledTrigger.timezone", "UTC", "trigger.scheduledTrigger.timezone: is not a field"),
        ("action", {"retrain": {}}, "action.retrain: is not a action kind"),
        ("onError", {"emailNotification": {}}, "onError.emailNotification: is not a notification kind"),
        (
            f"{SIZE}.clientPodComputeResources.nodeOptimizationType",
            "NODE_OPTIMIZATION_CPU",
            "classes have no keyword for it",
        ),
        (f"{SIZE}.numberOfPods", "2", f"{SIZE}.numberOfPods: is a string, not a whole number"),
        (f"{BUILD}.purchaseOption", "RESERVED", f"{BUILD}.purchaseOption: is 'RESERVED', not one of SPOT, ON_DEMAND"),
        (f"{BUILD}.pushImage", None, f"{BUILD}.pushImage: is not set"),
        (
            "action.buildDeploy.deploymentCondition.buildMetric.thresholdDirection",
            None,
            "thresholdDirection: is not set",
        ),
        (f"{BUILD}.gitModelSource.gitBranch", None, "action.build_spec.git_branch = '': is empty"),
        (
            f"{SIZE}.clientPodComputeResources.cpuResources.cpu",
            3.0,
            f"{SIZE}.clientPodComputeResources.cpuResources.cpu is 3.0 on JFrog ML, the file would register 2.0",
        ),
    ],
)
def test_what_no_file_can_express_is_refused_naming_the_automation_and_field(
    path: str, value: Any, expected: str, specs: dict[str, dict[str, Any]]
) -> None:
    message = pull_error(edited(specs["cron_default_cpu"], path, value))
    assert message.startswith("cannot pull automation 'cron_default_cpu': ")
    assert re.search(expected, message), message


def test_batch_fields_the_sdk_cannot_set_are_refused(specs: dict[str, dict[str, Any]]) -> None:
    job = "action.batchExecution.executeBatchJob"
    for path in (f"{job}.modelDetails.modelId", f"{job}.dataDetails.serviceAccountJsonKeySecret"):
        assert f"{path}: is set on JFrog ML, but the frogml SDK" in pull_error(
            edited(specs["batch_instance"], path, "x")
        )


def test_an_unknown_envelope_field_is_refused(specs: dict[str, dict[str, Any]]) -> None:
    native = {**envelope(specs["metric_plain"]), "owner": "me"}
    assert pull_error(native) == (
        "cannot pull automation 'metric_plain': owner: is not a field of the AutomationSpec this provider knows "
        "(frogml 2.1.152); upgrade the provider, or remove the field"
    )


def test_one_automation_that_cannot_be_pulled_does_not_stop_the_others(
    specs: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    bad = edited(specs["metric_plain"], "trigger", {"cronTrigger": {}})
    report = pull_files([bad, specs["batch_gpu"], {"automationSpec": "?"}], tmp_path)
    assert [p.automation for p in report.pulled] == ["batch_gpu"]
    assert [path.name for path in report.written] == ["batch_gpu.py"]
    assert [error.automation for error in report.errors] == ["'metric_plain'", "#3 of the list"]
    assert not report.ok


def test_two_automations_wanting_one_file_write_nothing(specs: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    other = {**specs["metric_plain"], "automationName": "METRIC_PLAIN"}
    with pytest.raises(ExportError, match=r"'metric_plain' \(JFrog ML id 1\) and 'METRIC_PLAIN' \(JFrog ML id 2\)"):
        pull_files([envelope(specs["metric_plain"], "1"), envelope(other, "2")], tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_existing_files_are_kept_unless_overwrite(specs: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    (tmp_path / "metric_plain.py").write_text("# mine\n")
    with pytest.raises(ExportError, match=r"already holds metric_plain\.py; nothing was written"):
        pull_files([specs["metric_plain"], specs["batch_gpu"]], tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metric_plain.py"]
    pull_files([specs["metric_plain"]], tmp_path, overwrite=True)
    assert "pulled from JFrog ML" in (tmp_path / "metric_plain.py").read_text()


# -- the real frogml SDK --------------------------------------------------------------------------------
ENVELOPES = """
import json, sys
from google.protobuf.json_format import MessageToDict
from frogml.core.automations import Automation

namespace = {}
exec(compile(sys.argv[1], "<corpus>", "exec"), namespace)
listed = []
for number, automation in enumerate(v for v in namespace.values() if isinstance(v, Automation)):
    automation.id = f"id-{number}"
    automation.environment = "env-1"
    listed.append(MessageToDict(automation.to_proto()))
print(json.dumps(listed))
"""


@pytest.fixture(scope="module")
def sdk_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("frogml") is None:
        pytest.skip("the frogml SDK is not installed (pip install .[test])")
    return tmp_path_factory.mktemp("home")


def run_sdk_dump(request: dict[str, Any], home: Path) -> dict[str, Any]:
    env = {**os.environ, "HOME": str(home), "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, str(SDK_HELPER)],
        input=json.dumps(request),
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def through_the_sdk(
    sdk_home: Path, secrets: dict[str, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """The corpus listed by the SDK (envelopes), pulled, and the files loaded by the SDK."""
    listed = json.loads(run_python(ENVELOPES, CORPUS, home=sdk_home, cwd=sdk_home).strip().splitlines()[-1])
    report = pull_files(listed, tmp_path_factory.mktemp("pulled"))
    assert report.errors == ()
    request = {
        "sources": {"corpus": CORPUS},
        "folders": {"pulled": str(report.out)},
        "env": environment(report, secrets),
    }
    return {"listed": listed, "report": report, "sdk": run_sdk_dump(request, sdk_home)}


@pytest.mark.sdk
def test_the_sdk_lists_every_corpus_automation(through_the_sdk: dict[str, Any]) -> None:
    listed = through_the_sdk["listed"]
    assert sorted(item["automationSpec"]["automationName"] for item in listed) == sorted(NAMES)
    assert {item["automationId"] for item in listed} == {f"id-{i}" for i in range(len(NAMES))}
    assert all("createAudit" in item and item["qwakEnvironmentId"] == "env-1" for item in listed)


@pytest.mark.sdk
@pytest.mark.parametrize("name", NAMES)
def test_the_pulled_file_loaded_by_the_sdk_gives_the_original_spec(name: str, through_the_sdk: dict[str, Any]) -> None:
    sdk = through_the_sdk["sdk"]
    assert sdk["folders"]["pulled"][name]["dict"] == sdk["sources"]["corpus"][name]["dict"]
    assert sdk["folders"]["pulled"][name]["file"] == f"{name}.py"


@pytest.mark.sdk
@pytest.mark.parametrize("name", NAMES)
def test_the_sdks_listing_equals_what_export_writes(
    name: str, through_the_sdk: dict[str, Any], specs: dict[str, dict[str, Any]]
) -> None:
    """So the pure round trip above starts from what JFrog ML really returns."""
    [listed] = [item for item in through_the_sdk["listed"] if item["automationSpec"]["automationName"] == name]
    assert listed["automationSpec"] == specs[name]


def test_a_long_non_ascii_name_is_pulled_into_a_file_the_system_accepts(
    specs: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    name = "модель-" + "再训练模型" * 24 + "ё"  # 128 characters, 375 bytes in UTF-8
    assert len(name) == 128 and len(name.encode()) > 255
    spec = {**json.loads(json.dumps(specs["metric_plain"])), "automationName": name}
    report = pull_files([spec], tmp_path)
    assert report.errors == () and len(report.written) == 1
    written = report.written[0]
    assert len(written.name.encode("utf-8")) <= 255 and written.name.startswith("модель-再训练模型")
    assert load_automations(tmp_path).automations[0].automation.name == name
