"""``frogml-airflow init`` and ``validate``, run as a user runs them (the installed console script)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from frogml_airflow_provider.cli import LEGACY_LOADER_FILE, LEGACY_LOADER_SOURCE
from frogml_airflow_provider.dags.shares import SHARES, loader_name

GOOD = """
from frogml.core.automations import *
a = Automation(name="ok", model_id="m", trigger=ScheduledTrigger(interval="Weekly"),
    action=FrogmlBuildDeploy(BuildSpecifications(git_uri="/repo"),
        BuildMetric("f1", ThresholdDirection.ABOVE, "0.5"), DeploymentSpecifications()))
"""
TWO_PROBLEMS = """
from frogml.core.automations import *
a = Automation(name="broken", model_id="m", trigger=ScheduledTrigger(cron="0 0 * *"),
    action=FrogmlBuildDeploy(BuildSpecifications(git_uri="/repo"),
        BuildMetric("f1", ThresholdDirection.ABOVE, "0.5"), DeploymentSpecifications()),
    on_error=CustomWebhook(url="https://hooks.example/T0K3N", headers={"Authorization": 42}))
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("frogml-airflow")
    assert exe.exists(), "the console script is installed with the package"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=60)


def loaders(dags: Path) -> list[str]:
    return sorted(path.name for path in dags.glob("frogml_automations*.py"))


def test_init_writes_the_loader_shares_once_and_keeps_a_changed_one(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    first = run("init", str(dags))
    assert first.returncode == 0, first.stderr
    assert (dags / "automations").is_dir()
    assert loaders(dags) == [loader_name(share, SHARES) for share in range(SHARES)]
    assert (
        f'load_share(__file__, "automations", share=3, shares={SHARES})' in (dags / loader_name(3, SHARES)).read_text()
    )
    assert (dags / ".airflowignore").read_text().splitlines() == ["automations/"]
    assert "unchanged" in run("init", str(dags)).stdout
    assert (dags / ".airflowignore").read_text().splitlines() == ["automations/"]  # not appended twice
    mine = dags / loader_name(0, SHARES)
    mine.write_text("# mine\n")
    refused = run("init", str(dags))
    assert refused.returncode == 1 and "--force" in refused.stderr and mine.name in refused.stderr
    assert mine.read_text() == "# mine\n"
    assert run("init", str(dags), "--force").returncode == 0
    assert "load_share" in mine.read_text()


def test_init_with_another_share_count_replaces_its_own_files(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    assert run("init", str(dags), "--shares", "12").returncode == 0
    assert len(loaders(dags)) == 12
    kept = run("init", str(dags))  # without --shares: the folder keeps its count, no DAG moves file
    assert kept.returncode == 0, kept.stderr
    assert len(loaders(dags)) == 12 and "removed" not in kept.stdout
    again = run("init", str(dags), "--shares", "3")
    assert again.returncode == 0, again.stderr
    assert loaders(dags) == [loader_name(share, 3) for share in range(3)]
    assert "removed" in again.stdout
    assert run("init", str(dags), "--shares", "0").returncode == 2


def test_init_counts_only_its_own_loader_files_and_never_crashes_on_strange_ones(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    mine = dags / "frogml_automations_mine.py"  # the user's own file, in the loader's words
    mine.write_text('globals().update(load_share(__file__, "automations", share=0, shares=4))  # mine\n')
    (dags / "frogml_automations_bin.py").write_bytes(b"\xff\xfe not text")
    refused = run("init", str(dags))
    assert refused.returncode == 1 and mine.name in refused.stderr and "bin" in refused.stderr
    assert "Traceback" not in refused.stderr
    forced = run("init", str(dags), "--force")
    assert forced.returncode == 0, forced.stderr
    assert loaders(dags) == [loader_name(share, SHARES) for share in range(SHARES)]  # not the 4 of "mine"
    (dags / "frogml_automations_zz.py").mkdir()
    folder = run("init", str(dags), "--force")
    assert folder.returncode == 1 and "is a folder" in folder.stderr and "Traceback" not in folder.stderr


def test_init_replaces_the_single_loader_of_an_earlier_init_unless_changed(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / LEGACY_LOADER_FILE).write_text(LEGACY_LOADER_SOURCE.format(folder="automations"))
    done = run("init", str(dags))
    assert done.returncode == 0, done.stderr
    assert LEGACY_LOADER_FILE not in loaders(dags) and len(loaders(dags)) == SHARES  # never both: duplicate DAGs
    (dags / LEGACY_LOADER_FILE).write_text("# my own loader\n")
    refused = run("init", str(dags))
    assert refused.returncode == 1 and LEGACY_LOADER_FILE in refused.stderr
    assert (dags / LEGACY_LOADER_FILE).exists()


def test_validate_reports_everything_in_one_pass_and_fails(tmp_path: Path) -> None:
    folder = tmp_path / "automations"
    folder.mkdir()
    (folder / "good.py").write_text(GOOD)
    (folder / "broken.py").write_text(TWO_PROBLEMS)
    (folder / "crash.py").write_text("raise RuntimeError('boom')\n")
    done = run("validate", str(folder))
    assert done.returncode == 1
    out = done.stdout
    assert "ok     good.py: ok -> DAG ok, Weekly (@weekly, UTC)" in out
    assert "broken.py:3: invalid automation 'broken' (2 problems)" in out
    assert "trigger.cron = '0 0 * *'" in out and "on_error.headers['Authorization'] = <hidden>" in out
    assert "crash.py:1: RuntimeError: boom" in out
    assert "T0K3N" not in out + done.stderr
    assert "1 automation(s) valid, 2 error(s), 3 file(s) read" in out


def test_validate_json_and_success_exit_code(tmp_path: Path) -> None:
    folder = tmp_path / "automations"
    folder.mkdir()
    (folder / "good.py").write_text(GOOD)
    done = run("validate", str(folder), "--json")
    assert done.returncode == 0
    report = json.loads(done.stdout)
    assert report["errors"] == []
    assert report["automations"] == [
        {"name": "ok", "dag_id": "ok", "file": "good.py", "schedule": "Weekly (@weekly, UTC)", "approval": []}
    ]
    assert run("validate", str(tmp_path / "missing")).returncode == 2


def test_validate_stops_a_stuck_file_names_it_and_fails(tmp_path: Path) -> None:
    folder = tmp_path / "automations"
    folder.mkdir()
    (folder / "good.py").write_text(GOOD)
    (folder / "slow.py").write_text("import time\n\ntime.sleep(600)\n")
    done = run("validate", str(folder), "--file-timeout", "1")
    assert done.returncode == 1
    assert "slow.py:3: the file took longer than 1 s to import and was stopped" in done.stdout
    assert "ok     good.py: ok -> DAG ok" in done.stdout


def test_validate_takes_the_budget_from_the_loaders_setting(tmp_path: Path) -> None:
    import os

    folder = tmp_path / "automations"
    folder.mkdir()
    (folder / "slow.py").write_text("import time\ntime.sleep(600)\n")
    env = {**os.environ, "AIRFLOW__FROGML__AUTOMATION_FILE_TIMEOUT": "0.5"}
    exe = Path(sys.executable).with_name("frogml-airflow")
    done = subprocess.run([str(exe), "validate", str(folder)], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 1 and "longer than 0.5 s" in done.stdout


def test_validate_escapes_control_characters(tmp_path: Path) -> None:
    folder = tmp_path / "automations"
    folder.mkdir()
    (folder / "loud.py").write_text("raise RuntimeError('\\x1b[2J\\x1b[31mall clear\\rok')\n")
    (folder / "named.py").write_text(GOOD.replace('name="ok"', 'name="evil\\x1b[2J\\r"'))
    done = run("validate", str(folder))
    assert done.returncode == 1
    assert "\x1b" not in done.stdout and "\r" not in done.stdout
    assert "RuntimeError: \\x1b[2J\\x1b[31mall clear\\rok" in done.stdout
    assert "contains the control character \\x1b" in done.stdout


def test_validate_warns_about_a_file_that_defines_no_automation(tmp_path: Path) -> None:
    folder = tmp_path / "automations"
    folder.mkdir()
    (folder / "good.py").write_text(GOOD)
    (folder / "snippet.py").write_text(
        "from frogml.core.automations import BuildSpecifications\n"
        "BuildSpecifications(git_uri='https://github.com/org/repo.git')\n"
    )
    (folder / "unassigned.py").write_text(GOOD.replace("a = Automation(", "Automation("))
    (folder / "helpers.py").write_text("def make():\n    return 1\n")
    done = run("validate", str(folder))
    assert done.returncode == 0, done.stdout  # a warning, not an error
    assert "warning snippet.py: defines no automation" in done.stdout
    assert "warning unassigned.py:3: builds an Automation(...) but does not assign it to a name" in done.stdout
    assert "helpers.py" not in done.stdout
    assert "1 automation(s) valid, 0 error(s), 2 warning(s), 4 file(s) read" in done.stdout
    report = json.loads(run("validate", str(folder), "--json").stdout)
    assert [w["file"] for w in report["warnings"]] == ["snippet.py", "unassigned.py"]


def test_validate_names_placeholders_left_from_the_docs(tmp_path: Path) -> None:
    folder = tmp_path / "automations"
    folder.mkdir()
    (folder / "spec.py").write_text(GOOD.replace('BuildSpecifications(git_uri="/repo")', "BuildSpecifications(...)"))
    (folder / "action.py").write_text(
        "from frogml.core.automations import *\n"
        'a = Automation(name="act", model_id="m", trigger=ScheduledTrigger(interval="Weekly"),\n'
        "    action=FrogmlBuildDeploy(...))\n"
    )
    out = run("validate", str(folder)).stdout
    assert "action.build_spec.parameters = ...: is '...', a placeholder copied from the docs" in out
    assert "action.py:3: automation 'act': TypeError" in out
    assert "FrogmlBuildDeploy(...) still holds the placeholder '...' copied from the docs" in out


def test_validate_of_the_dags_folder_reads_the_automations_folder_its_loader_files_load(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    assert run("init", str(dags)).returncode == 0
    (dags / "automations" / "good.py").write_text(GOOD)
    (dags / "my_own_dag.py").write_text("raise RuntimeError('a DAG file of its own, never imported here')\n")
    done = run("validate", str(dags))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok     good.py: ok -> DAG ok" in done.stdout
    assert "1 automation(s) valid, 0 error(s), 1 file(s) read" in done.stdout
    assert "frogml_automations_00.py" not in done.stdout and "defines no automation" not in done.stdout
    assert "[info" not in done.stdout + done.stderr  # no loader file ran (they log through Airflow)
    note = " ".join(done.stderr.split())
    assert f"{dags} holds the provider's loader files (frogml_automations_00.py ... frogml_automations_07.py)" in note
    assert f"next time: frogml-airflow validate {dags / 'automations'}" in note
    one = run("validate", str(dags / loader_name(3, SHARES)), "--json")
    assert one.returncode == 0 and json.loads(one.stdout)["automations"][0]["name"] == "ok"
    assert "is one of the provider's loader files" in one.stderr
    (dags / "automations" / "good.py").unlink()
    (dags / "automations").rmdir()
    missing = run("validate", str(dags))
    assert missing.returncode == 2
    assert f"run frogml-airflow init {dags}" in " ".join(missing.stderr.split())


def test_validate_prints_each_files_results_together_in_file_order(tmp_path: Path) -> None:
    folder = tmp_path / "automations"
    folder.mkdir()
    (folder / "a_broken.py").write_text(TWO_PROBLEMS)
    (folder / "b_good.py").write_text(GOOD)
    (folder / "c_snippet.py").write_text("from frogml.core.automations import NoneTrigger\nNoneTrigger()\n")
    (folder / "d_twice.py").write_text(
        GOOD.replace('name="ok"', 'name="again"')
        + "\n"
        + GOOD.replace("from frogml.core.automations import *", "").replace("a = ", "b = ").replace('"ok"', '"again"')
        + "c = Automation(name='x', model_id='m', trigger=NoneTrigger(), action=FrogmlBuildDeploy(\n"
        "    BuildSpecifications(git_uri='/repo'), BuildMetric('f1', ThresholdDirection.ABOVE, 0.5),\n"
        "    DeploymentSpecifications()))\n"
    )
    done = run("validate", str(folder))
    assert done.returncode == 1
    files = [
        line.split()[1].split(":")[0] for line in done.stdout.splitlines() if line.startswith(("ok", "error", "warn"))
    ]
    assert files == ["a_broken.py", "b_good.py", "c_snippet.py", "d_twice.py", "d_twice.py", "d_twice.py"], done.stdout
    d_lines = [line.split()[1] for line in done.stdout.splitlines() if "d_twice.py" in line]
    assert d_lines == ["d_twice.py:", "d_twice.py:9:", "d_twice.py:12:"], done.stdout  # ok, then by line


def test_a_newcomers_wrong_turns_get_a_sentence_not_a_traceback(tmp_path: Path) -> None:
    bare = run()
    assert bare.returncode == 2 and "init" in bare.stdout and "getting started" in bare.stdout
    a_file = tmp_path / "dags.txt"
    a_file.write_text("")
    on_a_file = run("init", str(a_file))
    assert on_a_file.returncode == 2 and "Traceback" not in on_a_file.stderr
    assert f"{a_file}: is a file, not a folder; give init the Airflow DAGs folder" in on_a_file.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = run("validate", str(empty))
    assert nothing.returncode == 0
    assert f"no automation file (*.py) under {empty}: put automation files there" in nothing.stdout
