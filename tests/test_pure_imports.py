"""The pure layers import neither Airflow, nor the frogml SDK, nor a network stack: proven in a
fresh interpreter, before and after they load a folder of automations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import EXAMPLES, run_python

PURE = [
    "frogml_airflow_provider.automations",
    "frogml_airflow_provider.dags.shares",
    "frogml_airflow_provider.dags.shim",
    "frogml_airflow_provider.dags.loading",
    "frogml_airflow_provider.dags.locate",
    "frogml_airflow_provider.dags.catalog",
    "frogml_airflow_provider.dags.plan",
    "frogml_airflow_provider.dags.approval",
    "frogml_airflow_provider.export.native",
    "frogml_airflow_provider.platform.base",
    "frogml_airflow_provider.tasks",
    "frogml_airflow_provider.errors",
    "frogml_airflow_provider.get_provider_info",
    "frogml_airflow_provider.cli",
    "frogml_airflow_provider.export.wire",
    "frogml_airflow_provider.export.from_native",
    "frogml_airflow_provider.export.pull",
    "frogml_airflow_provider.platform.batch_folders",
]
SCRIPT = """
import importlib, json, sys

def heavy():
    return sorted(
        name for name in sys.modules
        if name.split(".")[0] in {"airflow", "grpc", "requests", "pendulum", "sqlalchemy", "google"}
        or name.startswith("frogml.")
        or name == "frogml"
    )

for module in json.loads(sys.argv[1]):
    importlib.import_module(module)
after_import = heavy()
loaded = sys.modules["frogml_airflow_provider.dags.catalog"].catalog(sys.argv[2])
print(json.dumps({
    "after_import": after_import,
    "after_catalog": heavy(),
    "plans": len(loaded.plans),
    "errors": [str(e) for e in loaded.errors],
    "imported": sorted(set(json.loads(sys.argv[1])) & set(sys.modules)),
}))
"""


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    home = tmp_path_factory.mktemp("home")
    stdout = run_python(SCRIPT, json.dumps(PURE), str(EXAMPLES / "automations"), home=home, cwd=home)
    result = json.loads(stdout.strip().splitlines()[-1])
    result["home_entries"] = sorted(p.name for p in Path(home).iterdir())
    return result


def test_the_pure_modules_were_all_imported(fresh: dict[str, object]) -> None:
    assert fresh["imported"] == sorted(PURE)


def test_importing_the_pure_layers_pulls_in_no_airflow_sdk_or_network(fresh: dict[str, object]) -> None:
    assert fresh["after_import"] == []


def test_loading_and_planning_the_examples_stays_pure(fresh: dict[str, object]) -> None:
    assert fresh["errors"] == []
    assert fresh["plans"] >= 1  # the examples: a metric trigger, a batch, notifications
    assert fresh["after_catalog"] == []
    assert fresh["home_entries"] == []  # nothing wrote to HOME (the SDK would create ~/.frogml)
