"""Automation files keep saying ``from frogml.core.automations import ...``: they load without the
frogml SDK, never import it, and leave an already imported SDK exactly as it was."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import frogml_airflow_provider.automations as spec
from frogml_airflow_provider.dags.loading import load_automations
from frogml_airflow_provider.dags.shim import frogml_namespace
from tests.support import run_python

BATCH = (
    "name={name!r}, model_id='m', trigger={prefix}NoneTrigger(), action={prefix}BatchExecution("
    "data_specifications={prefix}BatchJobDataSpecifications(source_bucket='in', destination_bucket='out', "
    "input_file_type='csv', output_file_type='csv'))"
)
IMPORT_STYLES = {
    "from_import.py": "from frogml.core.automations import Automation, NoneTrigger, BatchExecution, "
    "BatchJobDataSpecifications\nauto = Automation(" + BATCH.format(name="from_import", prefix="") + ")\n",
    "module_alias.py": "import frogml.core.automations as fa\nauto = fa.Automation("
    + BATCH.format(name="module_alias", prefix="fa.")
    + ")\n",
    "dotted.py": "import frogml.core.automations\nauto = frogml.core.automations.Automation("
    + BATCH.format(name="dotted", prefix="frogml.core.automations.")
    + ")\n",
    "star.py": "from frogml.core.automations import *\nauto = Automation("
    + BATCH.format(name="star", prefix="")
    + ")\n",
    "submodules.py": "from frogml.core.automations.build_and_deploy_action import DeployedBuildMetric\n"
    "from frogml.core.automations.automations import OnBoardingTrigger, Automation\n"
    "from frogml.core.automations.batch_execution_action import BatchExecution, BatchJobDataSpecifications\n"
    "from frogml.core.automations.common import ThresholdDirection\n"
    "from frogml.core.automations import ClientResources\n"
    "condition = DeployedBuildMetric(metric_name='f1', direction=ThresholdDirection.BELOW)\n"
    "auto = Automation("
    + BATCH.format(name="submodules", prefix="").replace("NoneTrigger", "OnBoardingTrigger")
    + ")\n",
}


def test_every_sdk_import_style_loads_our_classes(write_files: Callable) -> None:
    report = load_automations(write_files(IMPORT_STYLES))
    assert report.ok, [str(e) for e in report.errors]
    assert sorted(item.automation.name for item in report.automations) == sorted(p[:-3] for p in IMPORT_STYLES)
    assert all(type(item.automation) is spec.Automation for item in report.automations)
    on_boarding = next(i.automation for i in report.automations if i.automation.name == "submodules")
    assert type(on_boarding.trigger) is spec.OnBoardingTrigger


def test_star_import_gives_the_sdk_all_and_nothing_more(write_files: Callable) -> None:
    source = (
        "from frogml.core.automations import *\n"
        "import frogml.core.automations as fa\n"
        "assert set(fa.__all__) <= set(dir()), set(fa.__all__) - set(dir())\n"
    )
    root = write_files({"star.py": source})
    assert load_automations(root).ok
    source = "from frogml.core.automations import *\nClientResources\n"  # importable by name only, as in the SDK
    [error] = load_automations(write_files({"b.py": source}, root=root.parent / "other")).errors
    assert "NameError" in error.message and "ClientResources" in error.message


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("import frogml.sdk\n", "ModuleNotFoundError"),
        ("from frogml import FrogMLClient\n", "ImportError"),
        ("import frogml\nfrogml.FrogMLClient()\n", "ImportError"),
        (
            "from frogml.core.clients.automation_management.client import AutomationsManagementClient\n",
            "ModuleNotFoundError",
        ),
        ("import frogml.core.automations.automation_executions\n", "ModuleNotFoundError"),
    ],
)
def test_other_frogml_imports_fail_with_an_explanation(write_files: Callable, source: str, kind: str) -> None:
    report = load_automations(write_files({"a.py": source}))
    [error] = report.errors
    assert (error.file, error.line) == ("a.py", source.count("\n"))
    assert error.message.startswith(f"{kind}: ")
    assert "without the frogml SDK" in error.message
    assert "only 'frogml.core.automations' can be imported" in error.message


def test_the_namespace_is_removed_after_use_even_on_error() -> None:
    def served_roots() -> dict[str, object]:
        return {name: module for name, module in sys.modules.items() if name.split(".")[0] in ("frogml", "qwak")}

    before = served_roots()
    meta_path = list(sys.meta_path)
    with pytest.raises(RuntimeError), frogml_namespace():
        import frogml.core.automations as served  # type: ignore[import-not-found]
        import qwak.automations as served_qwak  # type: ignore[import-not-found]

        assert served.Automation is spec.Automation and served_qwak.Automation is spec.Automation
        raise RuntimeError("inside")
    assert served_roots() == before
    assert sys.meta_path == meta_path


def run_isolated(script: str, tmp_path: Path, folder: Path) -> dict[str, Any]:
    """Run ``script`` in a fresh interpreter with HOME in tmp_path; it prints one JSON object last."""
    home = tmp_path / "home"
    home.mkdir()
    result = json.loads(run_python(script, str(folder), home=home, cwd=tmp_path).strip().splitlines()[-1])
    result["home_frogml_exists"] = (home / ".frogml").exists()
    return result


def test_loading_never_imports_the_sdk(write_files: Callable, tmp_path: Path) -> None:
    folder = write_files({**IMPORT_STYLES, **QWAK_STYLES})
    result = run_isolated(
        """
        import json, sys
        attempted = []
        sys.addaudithook(lambda event, args: attempted.append(str(args[0])) if event == "import" else None)
        from frogml_airflow_provider.dags.loading import load_automations
        report = load_automations(sys.argv[1])
        print(json.dumps({
            "ok": report.ok,
            "names": sorted(i.automation.name for i in report.automations),
            "frogml_in_modules": sorted(m for m in sys.modules if m.split(".")[0] in ("frogml", "qwak")),
            "frogml_attempted": sorted({m for m in attempted if m.split(".")[0] in ("frogml", "qwak")}),
            "heavy": sorted({m.split(".")[0] for m in sys.modules} & {"grpc", "google", "requests", "airflow"}),
        }))
        """,
        tmp_path,
        folder,
    )
    assert result["ok"] and len(result["names"]) == len(IMPORT_STYLES) + len(QWAK_STYLES)
    assert result["frogml_in_modules"] == []
    assert result["frogml_attempted"] == []  # not even a look-up: every name was served by the shim
    assert result["heavy"] == []
    assert result["home_frogml_exists"] is False


def test_an_sdk_imported_before_loading_is_left_untouched(write_files: Callable, tmp_path: Path) -> None:
    if importlib.util.find_spec("frogml") is None:
        pytest.skip("the frogml SDK is not installed")
    folder = write_files(IMPORT_STYLES)
    result = run_isolated(
        """
        import json, sys
        import frogml.core.automations as sdk
        before = {name: id(module) for name, module in sys.modules.items() if name.split(".")[0] == "frogml"}
        from frogml_airflow_provider.dags.loading import load_automations
        report = load_automations(sys.argv[1])
        after = {name: id(module) for name, module in sys.modules.items() if name.split(".")[0] == "frogml"}
        from frogml.core.automations import Automation
        print(json.dumps({
            "ok": report.ok,
            "loaded_modules": sorted({type(i.automation).__module__ for i in report.automations}),
            "same_modules": before == after,
            "count": len(before),
            "sdk_class_after": Automation is sdk.Automation and Automation.__module__.startswith("frogml.core"),
            "sdk_all_intact": "FrogmlBuildDeploy" in sdk.__all__ and not hasattr(sdk, "EXTRA_NAMES"),
        }))
        """,
        tmp_path,
        folder,
    )
    assert result["ok"]
    assert result["loaded_modules"] == ["frogml_airflow_provider.automations.automation"]
    assert result["count"] > 100  # the real SDK was there...
    assert result["same_modules"] is True  # ...and is still there, the same module objects
    assert result["sdk_class_after"] is True
    assert result["sdk_all_intact"] is True


# Qwak-era files: ``qwak.automations`` and ``QwakBuildDeploy``, as written before the rename.
QWAK_BUILD = (
    "{p}BuildSpecifications(git_uri='https://github.com/o/r.git#m'), "
    "{p}BuildMetric(metric_name='f1', direction={p}ThresholdDirection.ABOVE, threshold='0.6'), "
    "{p}DeploymentSpecifications()"
)


def qwak_file(header: str, name: str, p: str = "") -> str:
    return (
        f"{header}\nauto = {p}Automation(name={name!r}, model_id='m', trigger={p}NoneTrigger(), "
        f"action={p}QwakBuildDeploy({QWAK_BUILD.format(p=p)}))\n"
    )


QWAK_NAMES = "Automation, NoneTrigger, QwakBuildDeploy, BuildSpecifications, BuildMetric, ThresholdDirection, "
QWAK_STYLES = {
    "q_from_import.py": qwak_file(
        f"from qwak.automations import {QWAK_NAMES}DeploymentSpecifications", "q_from_import"
    ),
    "q_module_alias.py": qwak_file("import qwak.automations as qa", "q_module_alias", "qa."),
    "q_dotted.py": qwak_file("import qwak.automations", "q_dotted", "qwak.automations."),
    "q_from_package.py": qwak_file("from qwak import automations", "q_from_package", "automations."),
    "q_root.py": qwak_file("import qwak", "q_root", "qwak.automations."),
    "q_star.py": qwak_file("from qwak.automations import *", "q_star"),
    "q_submodules.py": "from qwak.automations.automations import Automation, OnBoardingTrigger\n"
    "from qwak.automations.build_and_deploy_action import QwakBuildDeploy, BuildSpecifications, "
    "DeployedBuildMetric, DeploymentSpecifications, ClientResources\n"
    "from qwak.automations.common import ThresholdDirection\n"
    "auto = Automation(name='q_submodules', model_id='m', trigger=OnBoardingTrigger(), action=QwakBuildDeploy("
    "BuildSpecifications(git_uri='https://github.com/o/r.git', resources=ClientResources(instance='small')), "
    "DeployedBuildMetric(metric_name='f1', direction=ThresholdDirection.BELOW), DeploymentSpecifications()))\n",
    "q_batch.py": "from qwak.automations.batch_execution_action import BatchExecution, BatchJobDataSpecifications\n"
    "from qwak.automations import Automation, ScheduledTrigger\n"
    "auto = Automation("
    + BATCH.format(name="q_batch", prefix="").replace("NoneTrigger()", "ScheduledTrigger(cron='0 1 * * *')")
    + ")\n",
}


def test_every_qwak_era_import_style_loads_our_classes(write_files: Callable) -> None:
    report = load_automations(write_files(QWAK_STYLES))
    assert report.ok, [str(e) for e in report.errors]
    assert sorted(item.automation.name for item in report.automations) == sorted(p[:-3] for p in QWAK_STYLES)
    assert all(type(item.automation) is spec.Automation for item in report.automations)
    kinds = {item.automation.name: type(item.automation.action) for item in report.automations}
    assert kinds.pop("q_batch") is spec.BatchExecution
    assert set(kinds.values()) == {spec.FrogmlBuildDeploy}  # QwakBuildDeploy is the same class, renamed


def test_qwak_star_import_gives_qwak_all(write_files: Callable) -> None:
    source = (
        "from qwak.automations import *\n"
        "import qwak.automations as qa\n"
        "assert set(qa.__all__) <= set(dir()), set(qa.__all__) - set(dir())\n"
        "assert 'QwakBuildDeploy' in dir() and 'FrogmlBuildDeploy' not in dir(), sorted(dir())\n"
    )
    assert load_automations(write_files({"star.py": source})).ok


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("from frogml.core.automations import Automation, QwakBuildDeploy\n", 1),
        ("from frogml.core.automations.build_and_deploy_action import (\n    QwakBuildDeploy,\n)\n", 1),
        ("import frogml.core.automations as fa\n\naction = fa.QwakBuildDeploy\n", 3),
    ],
)
def test_a_half_migrated_file_is_told_the_new_name(write_files: Callable, source: str, line: int) -> None:
    [error] = load_automations(write_files({"half.py": source})).errors
    assert (error.file, error.line) == ("half.py", line)
    assert error.message.startswith("ImportError: cannot import name 'QwakBuildDeploy' from 'frogml.core.automations")
    assert "QwakBuildDeploy is the Qwak-era name, frogml calls it FrogmlBuildDeploy" in error.message
    assert "frogml-airflow upgrade FILE" in error.message


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from frogml.core.automations import NotAThing\n", "from 'frogml.core.automations': did you mean"),
        ("from frogml.core.automations import NoneTriger\n", "did you mean 'NoneTrigger'?"),
        ("from frogml.core.automations import buildspecifications\n", "did you mean 'BuildSpecifications'?"),
        ("from frogml.core.automations.common import Zzzzzzzz\n", "its names are: Action, AggregationType,"),
        ("import frogml.core.automations as fa\nfa.ScheduledTriger\n", "did you mean 'ScheduledTrigger'?"),
        ("from qwak.automations import QwakBuildDeplo\n", "from 'qwak.automations': did you mean 'QwakBuildDeploy'?"),
    ],
)
def test_a_name_that_is_not_there_names_the_package_and_the_closest_name(
    write_files: Callable, source: str, expected: str
) -> None:
    """Issue 14 §8: the error named the provider's internal module and its path."""
    [error] = load_automations(write_files({"a.py": source})).errors
    assert (error.file, error.line) == ("a.py", source.count("\n"))
    assert error.message.startswith("ImportError: cannot import name ")
    assert expected in error.message
    assert "frogml_airflow_provider" not in error.message and "/" not in error.message


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("import qwak.clients\n", "ModuleNotFoundError"),
        ("from qwak import QwakClient\n", "ImportError"),
        ("import qwak\nqwak.QwakClient()\n", "ImportError"),
        ("from qwak.clients.automation_management.client import AutomationsManagementClient\n", "ModuleNotFoundError"),
        ("import qwak.automations.automation_executions\n", "ModuleNotFoundError"),
        ("from qwak.automations import automation_executions\n", "ImportError"),
    ],
)
def test_other_qwak_imports_fail_with_an_explanation(write_files: Callable, source: str, kind: str) -> None:
    [error] = load_automations(write_files({"a.py": source})).errors
    assert (error.file, error.line) == ("a.py", source.count("\n"))
    assert error.message.startswith(f"{kind}: ")
    assert "without the Qwak or frogml SDK" in error.message
    assert "only 'qwak.automations' can be imported there" in error.message


def test_a_qwak_file_loads_for_a_new_user(write_files: Callable, tmp_path: Path) -> None:
    """The way a new user tries it: ``frogml-airflow validate`` on a Qwak file, in a fresh process.
    Before: ``ModuleNotFoundError: No module named 'qwak'``."""
    folder = write_files({"churn.py": QWAK_STYLES["q_from_import.py"]})
    done = subprocess.run(
        [sys.executable, "-m", "frogml_airflow_provider.cli", "validate", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "HOME": str(tmp_path), "NO_COLOR": "1"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok     churn.py: q_from_import -> DAG q_from_import" in done.stdout


def test_qwak_batch_data_positional_arguments_keep_the_qwak_order(write_files: Callable) -> None:
    """frogml put ``session_token_secret_name`` third: Qwak's ``'t', 's', 'in'`` means source_bucket='in'."""
    source = (
        "from qwak.automations import BatchJobDataSpecifications as Qwak\n"
        "from frogml.core.automations import BatchJobDataSpecifications as Frogml\n"
        "q = Qwak('t', 's', 'in', 'in/', 'csv', 'out', 'out/', 'csv')\n"
        "f = Frogml('t', 's', None, 'in', 'in/', 'csv', 'out', 'out/', 'csv')\n"
        "assert q == f and type(q) is Frogml, (q, f)\n"
        "assert Qwak('t', source_bucket='in') == Frogml(access_token_secret_name='t', source_bucket='in')\n"
    )
    assert load_automations(write_files({"a.py": source})).ok
    errors = {
        "many.py": "from qwak.automations import *\nBatchJobDataSpecifications(*'123456789')\n",
        "twice.py": "from qwak.automations import *\nBatchJobDataSpecifications('t', 's', 'in', source_bucket='x')\n",
    }
    report = load_automations(write_files(errors, root=write_files({}).parent / "errors"))
    assert sorted((e.file, e.line, e.message) for e in report.errors) == [
        ("many.py", 2, "TypeError: BatchJobDataSpecifications() takes at most 8 positional arguments (9 given)"),
        ("twice.py", 2, "TypeError: BatchJobDataSpecifications() got multiple values for argument 'source_bucket'"),
    ]


def test_qwak_files_become_dags_in_a_real_dagbag(tmp_path: Path) -> None:
    """Behind the loader DAG file, in Airflow's own DagBag: the same DAGs as their frogml form, and a
    half-migrated file an import error under its own path that names the new name."""
    from airflow.dag_processing.dagbag import DagBag

    from frogml_airflow_provider.cli import main as cli

    dags = tmp_path / "dags"
    assert cli(["init", str(dags)]) == 0
    files = {**QWAK_STYLES, "half.py": "from frogml.core.automations import QwakBuildDeploy\n"}
    for name, source in files.items():
        (dags / "automations" / name).write_text(source)
    bag = DagBag(dag_folder=str(dags))
    assert sorted(bag.dag_ids) == sorted(name[:-3] for name in QWAK_STYLES)
    assert [task.task_id for task in bag.dags["q_star"].topological_sort()][:2] == ["build", "check_build_metric"]
    [(path, message)] = bag.import_errors.items()
    assert Path(path) == dags / "automations" / "half.py"
    assert "half.py:1" in message and "frogml calls it FrogmlBuildDeploy" in message


METRIC_FILE = """{header}
auto = {p}Automation(
    name={name!r},
    model_id="m",
    trigger={p}MetricBasedTrigger(
        name="drift",
        metric={p}SqlMetric(sql_query="SELECT avg(drift) FROM m"),
        direction={p}ThresholdDirection.ABOVE_OR_EQUALS,
        threshold="0.3",
        override_cron="*/30 * * * *",
    ),
    action={p}{action}({build}),
)
"""


def test_a_qwak_metric_automation_becomes_the_same_watched_dag_as_its_frogml_form(tmp_path: Path) -> None:
    """In Airflow's own DagBag: scheduled on its metric asset, whose watcher is the frogml form's
    (the same trigger arguments but for the DAG and automation names), with no evaluation task."""
    from airflow.dag_processing.dagbag import DagBag

    from frogml_airflow_provider.cli import main as cli

    dags = tmp_path / "dags"
    assert cli(["init", str(dags)]) == 0
    forms = {
        "q_metric": ("import qwak.automations as qa", "qa.", "QwakBuildDeploy"),
        "f_metric": ("from frogml.core.automations import *", "", "FrogmlBuildDeploy"),
    }
    for name, (header, p, action) in forms.items():
        source = METRIC_FILE.format(header=header, p=p, name=name, action=action, build=QWAK_BUILD.format(p=p))
        (dags / "automations" / f"{name}.py").write_text(source)
    bag = DagBag(dag_folder=str(dags))
    assert bag.import_errors == {} and sorted(bag.dag_ids) == ["f_metric", "q_metric"]
    watched: dict[str, dict[str, Any]] = {}
    for name in forms:
        dag = bag.dags[name]
        (asset,) = dag.timetable.asset_condition.objects
        (watcher,) = asset.watchers
        path, kwargs = watcher.trigger.serialize()
        assert path == "frogml_airflow_provider.triggers.metric.FrogMLMetricTrigger"
        assert (kwargs["dag_id"], kwargs["automation_name"]) == (name, name)
        assert asset.uri == f"frogml-metric://{name}/" and dag.get_task("build").inlets == [asset]
        assert dag.task_ids == ["build", "check_build_metric", "deploy", "skip_deploy"]
        watched[name] = {key: value for key, value in kwargs.items() if key not in ("dag_id", "automation_name")}
    assert watched["q_metric"] == watched["f_metric"]
    assert (watched["q_metric"]["direction"], watched["q_metric"]["cron"]) == ("ABOVE_OR_EQUALS", "*/30 * * * *")
