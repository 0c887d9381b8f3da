"""Loading a folder of automation files: discovery, executing each file once, collecting and
attributing automations, duplicate names, and errors with file, line, automation and field."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from frogml_airflow_provider.automations import Automation
from frogml_airflow_provider.dags.loading import LoadReport, discover, load_automations
from frogml_airflow_provider.errors import AutomationLoadError, DuplicateAutomationError

HEADER = "from frogml.core.automations import *\n"


def batch(name: str, model: str = "m") -> str:
    """Source of a small valid Automation(...) call."""
    return (
        f"Automation(name={name!r}, model_id={model!r}, trigger=NoneTrigger(), action=BatchExecution("
        "data_specifications=BatchJobDataSpecifications(source_bucket='in', destination_bucket='out', "
        "input_file_type='csv', output_file_type='csv')))"
    )


def names(report: LoadReport) -> list[str]:
    return [item.automation.name for item in report.automations]


def files(report: LoadReport) -> dict[str, str]:
    return {item.automation.name: str(item.file.relative_to(report.root)) for item in report.automations}


def errors(report: LoadReport) -> dict[str, AutomationLoadError]:
    return {error.file: error for error in report.errors}


def counter(marker: Path) -> str:
    """A line of source that records, in ``marker``, that the file ran."""
    return f"open({str(marker)!r}, 'a').write('ran\\n')\n"


def runs(marker: Path) -> int:
    return marker.read_text().count("ran") if marker.exists() else 0


# -- discovery --------------------------------------------------------------------------------
def test_discovery_is_recursive_sorted_and_skips_setup_hidden_and_virtualenvs(write_files: Callable) -> None:
    root = write_files(
        {
            "sub/deeper/d.py": "",
            "sub/c.py": "",
            "b.py": "",
            "a.py": "",
            "setup.py": "",
            "sub/setup.py": "",
            ".hidden/x.py": "",
            "sub/.cache/y.py": "",
            ".dotfile.py": "",
            "notes.txt": "",
            "__pycache__/z.py": "",
            "myenv/pyvenv.cfg": "home = /usr/bin\n",
            "myenv/lib/site.py": "",
        }
    )
    found = [path.relative_to(root).as_posix() for path in discover(root)]
    assert found == ["a.py", "b.py", "sub/c.py", "sub/deeper/d.py"]


def test_a_single_file_is_its_own_discovery(write_files: Callable) -> None:
    root = write_files({"one.py": HEADER + f"a = {batch('one')}\n", "two.py": HEADER + f"b = {batch('two')}\n"})
    assert discover(root / "one.py") == [root / "one.py"]
    report = load_automations(root / "one.py")
    assert names(report) == ["one"] and report.ok


def test_files_in_skipped_folders_are_not_executed(write_files: Callable, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    root = write_files({".venv/x.py": counter(marker), "venvlike/pyvenv.cfg": "", "venvlike/y.py": counter(marker)})
    report = load_automations(root)
    assert report.files == () and report.ok
    assert runs(marker) == 0


# -- each file once --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("helper", "user"),
    [("z_helper", "a_main"), ("a_helper", "z_main"), ("sub/helper", "sub/main")],
    ids=["imported-before-its-turn", "imported-after-its-turn", "in-a-sub-folder"],
)
def test_a_file_imported_by_a_sibling_runs_once(write_files: Callable, tmp_path: Path, helper: str, user: str) -> None:
    marker = tmp_path / "marker"
    module = helper.rsplit("/", 1)[-1]
    root = write_files(
        {
            f"{helper}.py": HEADER + counter(marker) + f"shared = {batch('shared')}\n",
            f"{user}.py": f"import {module}\nalias = {module}.shared\n",
        }
    )
    report = load_automations(root)
    assert report.ok, report.errors
    assert runs(marker) == 1
    assert files(report) == {"shared": f"{helper}.py"}  # found twice, one object, attributed to the helper


def test_a_package_module_imported_by_a_sibling_runs_once(write_files: Callable, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    root = write_files(
        {
            "pkg/__init__.py": "",
            "pkg/mod.py": HEADER + counter(marker) + f"pkg_auto = {batch('pkg_auto')}\n",
            "main.py": "from pkg.mod import pkg_auto\n",
        }
    )
    report = load_automations(root)
    assert runs(marker) == 1
    assert report.ok, [str(e) for e in report.errors]


def test_one_object_under_two_names_counts_once(write_files: Callable) -> None:
    root = write_files({"a.py": HEADER + f"first = {batch('only')}\nsecond = first\nitems = [first]\n"})
    report = load_automations(root)
    assert names(report) == ["only"]
    assert report.ok


def test_only_top_level_automations_are_collected(write_files: Callable) -> None:
    source = HEADER + f"kept = {batch('kept')}\nin_list = [{batch('listed')}]\ndef made():\n    return {batch('fn')}\n"
    report = load_automations(write_files({"a.py": source}))
    assert names(report) == ["kept"]


def test_an_imported_automation_is_attributed_to_the_file_that_built_it(write_files: Callable) -> None:
    root = write_files(
        {
            "helpers/common.py": HEADER + f"base = {batch('from_helper')}\n",
            "helpers/user.py": "from common import base\n" + HEADER + f"own = {batch('own')}\n",
        }
    )
    report = load_automations(root)
    assert files(report) == {"from_helper": "helpers/common.py", "own": "helpers/user.py"}
    assert all(isinstance(item.automation, Automation) for item in report.automations)


# -- duplicate names ------------------------------------------------------------------------------------
def test_duplicate_names_keep_the_first_file_in_sorted_order_and_name_both(write_files: Callable) -> None:
    root = write_files(
        {
            "b_second.py": HEADER + f"x = {batch('dup', model='from-b')}\n",
            "sub/a.py": HEADER + f"x = {batch('dup', model='from-sub')}\n",
            "a_first.py": HEADER + f"x = {batch('dup', model='from-a')}\n",
        }
    )
    report = load_automations(root)
    assert [item.automation.model_id for item in report.automations] == ["from-a"]
    assert len(report.errors) == 2
    assert all(isinstance(e, DuplicateAutomationError) for e in report.errors)
    assert sorted(e.file for e in report.errors) == ["b_second.py", "sub/a.py"]
    for error in report.errors:
        assert "'dup'" in error.message
        assert "also in a_first.py" in error.message
        assert "the one in a_first.py is kept" in error.message


def test_an_invalid_automation_never_takes_a_valid_ones_place(write_files: Callable) -> None:
    invalid = batch("same").replace("model_id='m'", "model_id='../x'")
    root = write_files({"a.py": HEADER + f"x = {invalid}\n", "b.py": HEADER + f"x = {batch('same', model='ok')}\n"})
    report = load_automations(root)
    assert [(item.automation.model_id, files(report)["same"]) for item in report.automations] == [("ok", "b.py")]
    [error] = report.errors
    assert error.file == "a.py" and type(error) is AutomationLoadError
    assert "model_id = '../x'" in error.message and "kept" not in error.message


def test_duplicate_names_in_one_file_are_reported(write_files: Callable) -> None:
    report = load_automations(write_files({"a.py": HEADER + f"x = {batch('dup')}\ny = {batch('dup')}\n"}))
    assert len(report.automations) == 1
    [error] = report.errors
    assert isinstance(error, DuplicateAutomationError)
    assert error.file == "a.py" and "defined twice in this file" in error.message


def test_duplicates_built_by_a_shared_factory_name_both_files(write_files: Callable) -> None:
    root = write_files(
        {
            "helpers.py": HEADER + f"def make(name):\n    return {batch('x').replace(repr('x'), 'name')}\n",
            "first.py": "from helpers import make\na = make('same')\n",
            "second.py": "from helpers import make\nb = make('same')\n",
        }
    )
    report = load_automations(root)
    [error] = report.errors
    assert error.file == "second.py" and "first.py" in error.message


# -- broken files -------------------------------------------------------------------------------------------
BROKEN = {
    "a_syntax.py": "x = 1\ndef broken(:\n    pass\n",
    "b_raises.py": "x = 1\n\nraise RuntimeError('boom in b')\n",
    "c_bad_spec.py": HEADER
    + """auto = Automation(
    name="bad_memory",
    model_id="m",
    trigger=ScheduledTrigger(cron="0 0 * * *"),
    action=FrogmlBuildDeploy(
        build_spec=BuildSpecifications(
            git_uri="https://github.com/o/r.git",
            resources=CpuResources(memory="2GB"),
        ),
        deployment_condition=BuildMetric(metric_name="f1", threshold="0.5"),
        deployment_spec=DeploymentSpecifications(),
    ),
)
""",
    "d_missing_arg.py": HEADER
    + """auto = Automation(
    name="missing_part",
    model_id="m",
    trigger=NoneTrigger(),
    action=FrogmlBuildDeploy(
        build_spec=BuildSpecifications(git_uri="https://github.com/o/r.git"),
        deployment_condition=BuildMetric(metric_name="f1", threshold="0.5"),
    ),
)
""",
    "e_exits.py": "import sys\nsys.exit(3)\n",
    "f_good.py": HEADER + f"good = {batch('good')}\n",
}


@pytest.fixture
def broken_report(write_files: Callable) -> LoadReport:
    return load_automations(write_files(BROKEN))


def test_a_broken_file_never_hides_the_others(broken_report: LoadReport) -> None:
    assert names(broken_report) == ["good"]
    assert not broken_report.ok
    assert sorted(errors(broken_report)) == [
        "a_syntax.py",
        "b_raises.py",
        "c_bad_spec.py",
        "d_missing_arg.py",
        "e_exits.py",
    ]
    assert len(broken_report.files) == 6


@pytest.mark.parametrize(
    ("file", "line", "says"),
    [
        ("a_syntax.py", 2, "syntax error"),
        ("b_raises.py", 3, "RuntimeError: boom in b"),
        ("c_bad_spec.py", 2, "invalid automation 'bad_memory': action.build_spec.resources.memory = '2GB'"),
        ("d_missing_arg.py", 6, "automation 'missing_part': TypeError"),
        ("e_exits.py", 2, "SystemExit: 3"),
    ],
)
def test_each_error_names_its_file_and_line(broken_report: LoadReport, file: str, line: int, says: str) -> None:
    error = errors(broken_report)[file]
    assert type(error) is AutomationLoadError
    assert (error.file, error.line) == (file, line)
    assert says in error.message
    assert str(error).startswith(f"{file}:{line}: ")


def test_a_missing_positional_part_is_named(broken_report: LoadReport) -> None:
    assert (
        "missing 1 required positional argument: 'deployment_spec'" in errors(broken_report)["d_missing_arg.py"].message
    )


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (
            "Automation('', 'pos', 'm', False, ScheduledTrigger('61 0 * * *'), "
            "BatchExecution(data_specifications=DATA))",
            "trigger.cron",
        ),
        (
            "Automation(name='pos', model_id='m', trigger=NoneTrigger(), action=FrogmlBuildDeploy("
            "BuildSpecifications(git_uri=GIT), BuildMetric(metric_name='f1', threshold='1'), "
            "DeploymentSpecifications(memory='2.5Gi')))",
            "action.deployment_spec.memory",
        ),
        (
            "Automation(name='pos', model_id='m', trigger=NoneTrigger(), action=FrogmlBuildDeploy("
            "BuildSpecifications({'a': 1}, GIT), BuildMetric(metric_name='f1', threshold='1'), "
            "DeploymentSpecifications()))",
            "action.build_spec.parameters['a']",
        ),
        (
            "Automation(name='pos', model_id='m', trigger=NoneTrigger(), action=FrogmlBuildDeploy("
            "BuildSpecifications(git_uri=GIT), BuildMetric(metric_name='f1', threshold='1'), "
            "DeploymentSpecifications(auto_scale_config=AutoScalingConfig(triggers=[AutoScalingPrometheusTrigger("
            "query_spec=AutoScaleQuerySpec(metric_type='bogus', aggregation_type='avg', time_period=60), "
            "threshold=5)]))))",
            "action.deployment_spec.auto_scale_config.triggers[0].query_spec.metric_type",
        ),
    ],
    ids=["positional-automation-args", "positional-action-args", "positional-build-spec", "list-index"],
)
def test_a_bad_nested_object_inline_names_the_automation_and_the_full_path(
    write_files: Callable, call: str, path: str
) -> None:
    prelude = (
        HEADER + "GIT = 'https://github.com/o/r.git'\n"
        "DATA = BatchJobDataSpecifications(source_bucket='i', destination_bucket='o', "
        "input_file_type='csv', output_file_type='csv')\n"
    )
    report = load_automations(write_files({"a.py": prelude + f"auto = {call}\n"}))
    [error] = report.errors
    assert error.line == 4
    assert f"invalid automation 'pos': {path} = " in error.message


def test_every_problem_of_an_inline_automation_is_reported_at_once(write_files: Callable) -> None:
    source = HEADER + (
        "GIT = 'https://github.com/o/r.git'\n"
        "res = CpuResources(memory='2GB')\n"
        "auto = Automation(name='many', model_id='m', trigger=ScheduledTrigger(cron='61 * * * *'),\n"
        "    action=FrogmlBuildDeploy(BuildSpecifications(git_uri=GIT, resources=res, env_vars={'A': '1'}),\n"
        "        BuildMetric(metric_name='f1', threshold=0.65), DeploymentSpecifications()))\n"
    )
    [error] = load_automations(write_files({"a.py": source})).errors
    assert error.line == 4
    assert "invalid automation 'many' (4 problems):" in error.message
    for path in ("trigger.cron", "action.build_spec.resources.memory", "action.build_spec.env_vars"):
        assert f"  - {path} = " in error.message
    assert "  - action.deployment_condition.threshold = 0.65: is a number, but thresholds are strings" in error.message


def test_parts_validate_on_construction_again_after_loading(write_files: Callable) -> None:
    from frogml_airflow_provider.automations import CpuResources
    from frogml_airflow_provider.errors import AutomationSpecError

    report = load_automations(write_files({"a.py": "from frogml.core.automations import *\nraise ValueError('x')\n"}))
    assert not report.ok
    with pytest.raises(AutomationSpecError):
        CpuResources(memory="2GB")


def test_a_part_assigned_after_the_automation_is_validated(write_files: Callable) -> None:
    source = HEADER + f"auto = {batch('mutated')}\nauto.trigger = ScheduledTrigger(interval='Monthly')\n"
    report = load_automations(write_files({"a.py": source}))
    assert [e.file for e in report.errors] == ["a.py"]
    assert "trigger.interval" in report.errors[0].message


# -- isolation ----------------------------------------------------------------------------------------------
def test_main_blocks_do_not_run(write_files: Callable, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    source = HEADER + f"auto = {batch('a')}\nNAME = __name__\nif __name__ == '__main__':\n    " + counter(marker)
    source += "    raise SystemExit('main block ran')\n"
    report = load_automations(write_files({"a.py": source}))
    assert report.ok and names(report) == ["a"]
    assert runs(marker) == 0


def test_sys_modules_and_sys_path_are_restored(write_files: Callable) -> None:
    root = write_files(
        {
            "helper.py": "VALUE = 1\n",
            "sub/other.py": "VALUE = 2\n",
            "a.py": "import helper\nimport other\n" + HEADER + f"auto = {batch('a')}\n",
        }
    )
    path_before = list(sys.path)
    modules_before = dict(sys.modules)
    report = load_automations(root)
    assert report.ok and names(report) == ["a"]
    assert sys.path == path_before
    for name, module in modules_before.items():
        assert sys.modules.get(name) is module, name
    leftovers = [
        name
        for name, module in sys.modules.items()
        if name not in modules_before and str(getattr(module, "__file__", "") or "").startswith(str(root))
    ]
    assert leftovers == []
    assert {"helper", "other", "a"}.isdisjoint(set(sys.modules) - set(modules_before))


def test_namespace_packages_from_the_folder_are_removed_too(write_files: Callable) -> None:
    root = write_files({"nsdir/helper.py": "X = 1\n", "a.py": "import nsdir.helper\n"})
    before = set(sys.modules)
    assert load_automations(root).ok
    assert set(sys.modules) - before == set()


def test_a_file_named_like_a_stdlib_module_breaks_nothing(write_files: Callable) -> None:
    import json

    root = write_files(
        {
            "json.py": HEADER + f"auto = {batch('from_json_py')}\n",
            "uses_json.py": "import json\n" + HEADER + f"auto = {batch('x')}\nauto.name = json.dumps('y')[1:-1]\n",
        }
    )
    report = load_automations(root)
    assert report.ok, [str(e) for e in report.errors]
    assert files(report) == {"from_json_py": "json.py", "y": "uses_json.py"}
    assert sys.modules["json"] is json
    assert json.dumps({"a": 1}) == '{"a": 1}'


def test_loading_twice_gives_fresh_objects_and_the_same_result(write_files: Callable) -> None:
    root = write_files({"a.py": HEADER + f"auto = {batch('a')}\n", "helper.py": "X = 1\n"})
    first, second = load_automations(root), load_automations(root)
    assert names(first) == names(second) == ["a"]
    assert first.automations[0].automation is not second.automations[0].automation


# -- files that define nothing --------------------------------------------------------------------------------
def test_a_file_defining_no_automation_is_a_warning_unless_it_is_a_helper(write_files: Callable) -> None:
    root = write_files(
        {
            "a_consts.py": "GIT = 'https://github.com/o/r.git'\n",  # imported by z_main.py after its turn
            "fn_helper.py": "def make():\n    return 1\n",
            "pkg/__init__.py": "",
            "snippet.py": "x = 1\n",
            "z_main.py": "import a_consts\n" + HEADER + f"auto = {batch('z')}\n",
        }
    )
    report = load_automations(root)
    assert report.ok and names(report) == ["z"]
    assert [(w.file, w.line) for w in report.warnings] == [("snippet.py", None)]
    assert "defines no automation" in report.warnings[0].message


def test_a_lazy_module_a_file_leaves_behind_does_not_break_the_clean_up(tmp_path: Path) -> None:
    """Airflow's deprecated modules have no ``__file__`` and import on attribute access (a module
    ``__getattr__``): an automation file that imports Airflow leaves some in ``sys.modules``. Telling
    which modules came from the folder must not call their ``__getattr__``."""
    folder = tmp_path / "automations"
    folder.mkdir()
    (folder / "lazy.py").write_text(
        "import sys, types\n"
        "lazy = types.ModuleType('frogml_test_lazy_module')\n"
        "def on_access(name):\n"
        "    raise RuntimeError(f'imported on access of {name}')\n"
        "lazy.__getattr__ = on_access\n"
        "sys.modules[lazy.__name__] = lazy\n" + HEADER + "a = " + batch("lazy") + "\n"
    )
    try:
        report = load_automations(folder)
        assert names(report) == ["lazy"] and report.errors == ()
        assert "frogml_test_lazy_module" in sys.modules  # not from the folder: left alone
    finally:
        sys.modules.pop("frogml_test_lazy_module", None)
