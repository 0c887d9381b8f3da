"""The export against the real frogml SDK, over a corpus of every trigger, action, condition,
notification and resource type:

- our JSON equals ``MessageToDict(to_proto().automation_spec)`` of the SDK for the same source;
- exported Python files, loaded by the SDK the way ``frogml automations register`` loads them,
  give that same spec, with secrets written in or read from the environment.

All SDK work happens in one subprocess for the module (``sdk_dump.py``) with its own HOME.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from frogml_airflow_provider.dags.loading import LoadReport, load_automations
from frogml_airflow_provider.export.files import export_files, write_files
from frogml_airflow_provider.export.native import automation_spec, secret_fields
from tests.export.corpus import CORPUS, NAMES

if importlib.util.find_spec("frogml") is None:  # importorskip without importing (and running) the SDK
    pytest.skip("the frogml SDK is not installed (pip install .[test])", allow_module_level=True)

pytestmark = pytest.mark.sdk

HELPER = Path(__file__).with_name("sdk_dump.py")


def run_sdk(request: dict[str, Any], home: Path) -> dict[str, Any]:
    env = {**os.environ, "HOME": str(home), "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, str(HELPER)],
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
def report(tmp_path_factory: pytest.TempPathFactory) -> LoadReport:
    folder = tmp_path_factory.mktemp("automations")
    (folder / "corpus.py").write_text(CORPUS)
    loaded = load_automations(folder)
    assert loaded.errors == ()
    return loaded


@pytest.fixture(scope="module")
def exported(report: LoadReport, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("out")
    folders = {
        "json": ("json", True),
        "json_refs": ("json", False),
        "python": ("python", True),
        "python_env": ("python", False),
    }
    for label, (fmt, include) in folders.items():
        write_files(export_files(report, fmt, include_secrets=include), out / label)  # type: ignore[arg-type]
    return {label: out / label for label in folders}


@pytest.fixture(scope="module")
def variables(report: LoadReport) -> dict[str, str]:
    """Each FROGML_SECRET_* variable of the default export -> the secret it stands for."""
    values = {}
    for file, item in zip(export_files(report, "json"), report.automations, strict=True):
        secrets = dict(secret_fields(item.automation))
        by_path = {field.path: value for field, value in secrets.items()}
        for secret in file.secrets:
            assert secret.variable is not None
            values[secret.variable] = by_path[secret.path]
    return values


@pytest.fixture(scope="module")
def sdk(exported: dict[str, Path], variables: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict:
    home = tmp_path_factory.mktemp("home")
    request = {
        "sources": {"corpus": CORPUS},
        "folders": {"python": str(exported["python"]), "python_env": str(exported["python_env"])},
        "env": variables,
    }
    return run_sdk(request, home)


def json_file(folder: Path, name: str) -> dict[str, Any]:
    return json.loads((folder / f"{name}.json").read_text())


def test_the_corpus_is_complete(report: LoadReport, sdk: dict) -> None:
    assert sorted(item.automation.name for item in report.automations) == sorted(NAMES)
    assert sorted(sdk["sources"]["corpus"]) == sorted(NAMES)
    assert sorted(sdk["folders"]["python"]) == sorted(NAMES)
    assert sorted(sdk["folders"]["python_env"]) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_json_equals_the_sdks_message_to_dict(name: str, sdk: dict, exported: dict[str, Path]) -> None:
    assert json_file(exported["json"], name) == sdk["sources"]["corpus"][name]["dict"]


@pytest.mark.parametrize("name", NAMES)
def test_json_text_equals_message_to_json(name: str, sdk: dict, exported: dict[str, Path]) -> None:
    """The file's text too: fields in field-number order, floats and indentation as protobuf prints
    them. Only the entries of a map are put in one order first (protobuf's follows a hash)."""
    theirs = sdk["sources"]["corpus"][name]["json"] + "\n"
    ours = (exported["json"] / f"{name}.json").read_text()
    assert _maps_sorted(ours) == _maps_sorted(theirs)


@pytest.mark.parametrize("name", NAMES)
def test_native_spec_in_memory_equals_the_sdk(name: str, sdk: dict, report: LoadReport) -> None:
    [automation] = [item.automation for item in report.automations if item.automation.name == name]
    assert automation_spec(automation) == sdk["sources"]["corpus"][name]["dict"]


@pytest.mark.parametrize("name", NAMES)
def test_exported_python_loads_in_the_sdk_to_the_same_spec(name: str, sdk: dict) -> None:
    assert sdk["folders"]["python"][name]["dict"] == sdk["sources"]["corpus"][name]["dict"]


@pytest.mark.parametrize("name", NAMES)
def test_exported_python_reading_secrets_from_the_environment_gives_the_same_spec(name: str, sdk: dict) -> None:
    assert sdk["folders"]["python_env"][name]["dict"] == sdk["sources"]["corpus"][name]["dict"]


@pytest.mark.parametrize("name", NAMES)
def test_json_references_substituted_give_the_same_spec(
    name: str, sdk: dict, exported: dict[str, Path], variables: dict[str, str]
) -> None:
    text = (exported["json_refs"] / f"{name}.json").read_text()
    for variable, value in variables.items():
        text = text.replace("${" + variable + "}", value)
    assert "${" not in text
    assert json.loads(text) == sdk["sources"]["corpus"][name]["dict"]


def test_the_corpus_covers_what_it_claims(sdk: dict) -> None:
    specs = json.dumps([entry["dict"] for entry in sdk["sources"]["corpus"].values()])
    for needle in [
        '"cron"',
        '"interval"',
        '"overrideCron"',
        '"noneTrigger"',
        '"onBoardingTrigger"',
        '"buildDeploy"',
        '"batchExecution"',
        '"deployedBuildMetric"',
        '"templateSpec"',
        '"prometheusTrigger"',
        '"postSlackNotification"',
        '"purchaseOption": "SPOT"',
        '"pushImage": false',
        '"isSdkV1": true',
        *(f'"HTTP_METHOD_TYPE_{m}"' for m in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")),
        *(f'"{d}"' for d in ("ABOVE", "BELOW", "EQUALS", "BELOW_OR_EQUALS", "ABOVE_OR_EQUALS")),
    ]:
        assert needle in specs, needle


MAPS = {"parameters", "headers", "data"}


def _maps_sorted(text: str) -> str:
    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: dict(sorted(v.items())) if k in MAPS and isinstance(v, dict) else walk(v) for k, v in value.items()
            }
        if isinstance(value, list):
            return [walk(item) for item in value]
        return value

    return json.dumps(walk(json.loads(text)), indent=2, ensure_ascii=False) + "\n"
