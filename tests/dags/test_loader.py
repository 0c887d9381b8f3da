"""The loader DAG file in a real DagBag and a real dag-processor: isolation and import errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

from frogml_airflow_provider.cli import LEGACY_LOADER_FILE, LEGACY_LOADER_SOURCE
from frogml_airflow_provider.cli import main as cli
from frogml_airflow_provider.dags.shares import SHARES, loader_name, share_of

GOOD = """
from frogml.core.automations import *
a = Automation(name="{name}", model_id="m", trigger=ScheduledTrigger(cron="0 0 * * 0"),
    action=FrogmlBuildDeploy(BuildSpecifications(git_uri="/repo"),
        BuildMetric("f1", ThresholdDirection.ABOVE, "0.5"), DeploymentSpecifications()))
"""
BAD_FIELD = GOOD.replace('"0.5"', "0.5")  # a float threshold: the SDK only fails at register time
RAISES = "import does_not_exist_anywhere\n"


def dags_folder(root: Path, files: dict[str, str]) -> Path:
    assert cli(["init", str(root)]) == 0
    for name, source in files.items():
        path = root / "automations" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return root


def test_a_broken_file_costs_only_its_own_dag(tmp_path: Path) -> None:
    folder = dags_folder(
        tmp_path / "dags",
        {
            "a.py": GOOD.format(name="first"),
            "b.py": BAD_FIELD.format(name="broken"),
            "sub/c.py": GOOD.format(name="third"),
            "d.py": RAISES,
        },
    )
    bag = DagBag(dag_folder=str(folder))
    assert set(bag.dag_ids) == {"first", "third"}
    errors = {Path(k).relative_to(folder).as_posix(): v for k, v in bag.import_errors.items()}
    assert set(errors) == {"automations/b.py", "automations/d.py"}
    assert "invalid automation 'broken'" in errors["automations/b.py"]
    assert "action.deployment_condition.threshold = 0.5" in errors["automations/b.py"]
    assert "threshold='0.5'" in errors["automations/b.py"]  # how to fix it
    assert ":3:" in errors["automations/b.py"]  # the line of the Automation(...) call
    assert "does_not_exist_anywhere" in errors["automations/d.py"]
    # A user's mistake, not a traceback from deep inside Airflow or this provider:
    assert not any("Traceback" in v or "site-packages" in v for v in errors.values())


def files_in_shares(same: bool) -> tuple[str, str]:
    """An ``a_*.py`` and a ``z_*.py`` in the same loader share, or in two different ones."""
    first = "a_0.py"
    for i in range(100):
        other = f"z_{i}.py"
        if (share_of(first, SHARES) == share_of(other, SHARES)) == same:
            return first, other
    raise AssertionError("no such pair")


@pytest.mark.parametrize("same_share", [True, False], ids=["same share", "two shares"])
def test_duplicate_names_keep_the_first_and_name_both_files(tmp_path: Path, same_share: bool) -> None:
    first, second = files_in_shares(same_share)
    folder = dags_folder(tmp_path / "dags", {first: GOOD.format(name="same"), second: GOOD.format(name="same")})
    if not same_share:
        # Across shares, the later file's share learns of the name from the earlier file's share
        # (its name index): exact from the later file's next parse.
        DagBag(dag_folder=str(folder))
    bag = DagBag(dag_folder=str(folder))
    assert bag.dag_ids == ["same"]
    assert Path(bag.dags["same"].fileloc).name == loader_name(share_of(first, SHARES), SHARES)
    ((path, message),) = bag.import_errors.items()
    assert path.endswith(f"automations/{second}") and first in message and "unique" in message
    # Renaming the first one frees the name at once for the second.
    (folder / "automations" / first).write_text(GOOD.format(name="renamed"))
    bag = DagBag(dag_folder=str(folder))
    assert sorted(bag.dag_ids) == ["renamed", "same"] and bag.import_errors == {}


def test_duplicates_across_shares_are_found_in_a_symlinked_folder(tmp_path: Path) -> None:
    """Discovery yields resolved paths; the shares and the name index must use the same ones."""
    first, second = files_in_shares(same=False)
    elsewhere = tmp_path / "repo" / "automations"
    elsewhere.mkdir(parents=True)
    for name in (first, second):
        (elsewhere / name).write_text(GOOD.format(name="same"))
    folder = dags_folder(tmp_path / "dags", {})
    (folder / "automations").rmdir()
    (folder / "automations").symlink_to(elsewhere)
    DagBag(dag_folder=str(folder))
    bag = DagBag(dag_folder=str(folder))
    assert bag.dag_ids == ["same"]
    ((path, message),) = bag.import_errors.items()
    assert path.endswith(f"automations/{second}") and first in message


def test_a_share_that_fails_costs_only_its_own_automations(tmp_path: Path) -> None:
    names = [f"auto_{i}.py" for i in range(16)]
    hanging = names[0]
    folder = dags_folder(
        tmp_path / "dags",
        {name: GOOD.format(name=Path(name).stem) for name in names[1:]} | {hanging: "import time\ntime.sleep(600)\n"},
    )
    lost = share_of(hanging, SHARES)
    env = {**os.environ, "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "3"}
    script = (
        "import json, sys\nfrom airflow.dag_processing.dagbag import DagBag\n"
        "bag = DagBag(dag_folder=sys.argv[1])\nprint(json.dumps([sorted(bag.dag_ids), sorted(bag.import_errors)]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(folder)], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    dag_ids, errors = json.loads(done.stdout.strip().splitlines()[-1])
    expected = sorted(Path(name).stem for name in names[1:] if share_of(name, SHARES) != lost)
    assert dag_ids == expected and len(expected) >= 8
    assert [Path(error).name for error in errors] in ([loader_name(lost, SHARES)], [hanging])


def test_a_loader_file_of_an_earlier_init_still_loads_the_whole_folder(tmp_path: Path) -> None:
    folder = dags_folder(tmp_path / "dags", {f"auto_{i}.py": GOOD.format(name=f"auto_{i}") for i in range(6)})
    for loader in folder.glob("frogml_automations_*.py"):
        loader.unlink()
    (folder / LEGACY_LOADER_FILE).write_text(LEGACY_LOADER_SOURCE.format(folder="automations"))
    bag = DagBag(dag_folder=str(folder))
    assert sorted(bag.dag_ids) == [f"auto_{i}" for i in range(6)] and bag.import_errors == {}
    assert {Path(dag.fileloc).name for dag in bag.dags.values()} == {LEGACY_LOADER_FILE}


SLEEPS = "import time\nx = 1\ntime.sleep(600)\n"


def test_one_stuck_file_costs_only_its_own_dag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # In a real DagBag: the per-file budget runs inside Airflow's own SIGALRM import timeout (30 s).
    monkeypatch.setenv("AIRFLOW__FROGML__AUTOMATION_FILE_TIMEOUT", "1")
    files = {f"{name}.py": GOOD.format(name=name) for name in ("first", "second", "third")}
    folder = dags_folder(tmp_path / "dags", {**files, "slow.py": SLEEPS})
    bag = DagBag(dag_folder=str(folder))
    assert sorted(bag.dag_ids) == ["first", "second", "third"]
    errors = {Path(k).relative_to(folder).as_posix(): v for k, v in bag.import_errors.items()}
    assert list(errors) == ["automations/slow.py"]
    assert "automations/slow.py:3: the file took longer than 1 s to import" in errors["automations/slow.py"]
    assert "time.sleep(600)" in errors["automations/slow.py"]


def test_the_loaders_own_import_timeout_still_applies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT", "1")
    monkeypatch.setenv("AIRFLOW__FROGML__AUTOMATION_FILE_TIMEOUT", "20")  # set above it by mistake
    folder = dags_folder(tmp_path / "dags", {"a.py": GOOD.format(name="a"), "slow.py": SLEEPS})
    bag = DagBag(dag_folder=str(folder))
    [(path, message)] = bag.import_errors.items()
    slow_share = loader_name(share_of("slow.py", SHARES), SHARES)
    assert path.endswith(slow_share) and "DagBag import timeout" in message
    # The share holding slow.py is lost to Airflow's timeout; a.py loads unless it shares that file.
    assert bag.dag_ids == ([] if share_of("a.py", SHARES) == share_of("slow.py", SHARES) else ["a"])


def test_automation_files_are_not_parsed_as_dag_files(tmp_path: Path) -> None:
    # An automation file that mentions airflow and DAGs would otherwise be imported on its own.
    folder = dags_folder(tmp_path / "dags", {"a.py": "# an airflow dag\n" + GOOD.format(name="only")})
    bag = DagBag(dag_folder=str(folder))
    assert bag.dag_ids == ["only"] and bag.import_errors == {}


@pytest.mark.slow
def test_dag_processor_shows_the_broken_file_and_clears_it_when_fixed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    folder = dags_folder(
        tmp_path / "dags", {"good.py": GOOD.format(name="good"), "bad.py": BAD_FIELD.format(name="bad")}
    )
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(folder),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PYTHONWARNINGS": "ignore",
    }

    def airflow(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "airflow", *args], env=env, capture_output=True, text=True)
        assert done.returncode in (0, 1), done.stderr[-2000:]
        return done.stdout

    airflow("db", "migrate")
    airflow("dag-processor", "-n", "1")
    errors = json.loads(airflow("dags", "list-import-errors", "-o", "json") or "[]")
    assert [e["filepath"] for e in errors] == ["automations/bad.py"]
    assert "deployment_condition.threshold" in errors[0]["error"]
    listed = json.loads(airflow("dags", "list", "-o", "json"))
    assert [d["dag_id"] for d in listed] == ["good"]

    (folder / "automations" / "bad.py").write_text(GOOD.format(name="bad"))
    airflow("dag-processor", "-n", "1")  # a long-running one sweeps every refresh_interval
    assert json.loads(airflow("dags", "list-import-errors", "-o", "json") or "[]") == []
    assert sorted(d["dag_id"] for d in json.loads(airflow("dags", "list", "-o", "json"))) == ["bad", "good"]


@pytest.mark.slow
def test_dag_processor_keeps_every_dag_when_one_file_is_stuck(tmp_path: Path) -> None:
    home = tmp_path / "home"
    files = {f"{name}.py": GOOD.format(name=name) for name in ("first", "second", "third")}
    folder = dags_folder(tmp_path / "dags", {**files, "slow.py": SLEEPS})
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(folder),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PYTHONWARNINGS": "ignore",
    }
    env.pop("AIRFLOW__FROGML__AUTOMATION_FILE_TIMEOUT", None)  # the default budget, 5 s

    def airflow(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "airflow", *args], env=env, capture_output=True, text=True)
        assert done.returncode in (0, 1), done.stderr[-2000:]
        return done.stdout

    airflow("db", "migrate")
    airflow("dag-processor", "-n", "1")
    assert sorted(d["dag_id"] for d in json.loads(airflow("dags", "list", "-o", "json"))) == [
        "first",
        "second",
        "third",
    ]
    errors = json.loads(airflow("dags", "list-import-errors", "-o", "json") or "[]")
    assert [e["filepath"] for e in errors] == ["automations/slow.py"]
    assert "longer than 5 s" in errors[0]["error"] and "time.sleep(600)" in errors[0]["error"]


def test_loader_files_written_by_earlier_init_keep_working() -> None:
    """``frogml-airflow init`` once wrote ``from frogml_airflow_provider.dag_loader import load_dags``."""
    from frogml_airflow_provider.dag_loader import load_dags as old
    from frogml_airflow_provider.dags.loader import load_dags as new

    assert old is new


def test_every_problem_of_a_file_reaches_its_one_import_error(tmp_path: Path) -> None:
    """Airflow keeps one import error per path (the last given): a file with several problems (here
    two unknown keywords, each with its line) shows all of them."""
    two = GOOD.replace('git_uri="/repo"', 'git_uri="/repo", git_brnch="main"').replace(
        "DeploymentSpecifications()", "DeploymentSpecifications(replicas=2)"
    )
    folder = dags_folder(tmp_path / "dags", {"a.py": GOOD.format(name="first"), "two.py": two.format(name="two")})
    bag = DagBag(dag_folder=str(folder))
    assert bag.dag_ids == ["first"]
    ((path, message),) = bag.import_errors.items()
    assert Path(path).name == "two.py"
    lines = message.splitlines()
    assert len(lines) == 2, message
    assert lines[0].endswith(
        "two.py:4: automation 'two': action.build_spec.git_brnch: BuildSpecifications() takes no keyword "
        "'git_brnch': did you mean 'git_branch'? its keywords are parameters, git_uri, tags, git_access_token_secret, "
        "git_branch, main_dir, base_image, assumed_iam_role, resources, dependency_file_path, env_vars, "
        "git_ssh_token_secret, gpu_compatible, push_image, purchase_option, provision_instance_timeout, "
        "service_account_key_secret_name"
    )
    assert "two.py:5: automation 'two': action.deployment_spec.replicas: DeploymentSpecifications()" in lines[1]


def test_the_loader_records_what_the_console_shows_without_a_secret(tmp_path: Path) -> None:
    """The record the console reads instead of importing files: name, file, ledger, field digests;
    the webhook URL in the file never reaches it, and equal specs give equal digests."""
    from airflow.configuration import AIRFLOW_HOME

    from frogml_airflow_provider.dags.ledger import LEDGER_NAME
    from frogml_airflow_provider.dags.loader import _index_home
    from frogml_airflow_provider.dags.shares import read_records
    from frogml_airflow_provider.export.native import automation_spec
    from tests.support.jfrog import HEADER_LINE, WEBHOOK, build

    folder = dags_folder(
        tmp_path / "dags",
        {"team/churn.py": HEADER_LINE + build("churn_retrain").replace('name="churn_retrain"', 'name="churn retrain"')},
    )
    ledger = {"version": 1, "automations": {"churn retrain": {"runs_on": "jfrog", "since": "2026-01-02T03:04:05Z"}}}
    (folder / "automations" / LEDGER_NAME).write_text(json.dumps(ledger))
    bag = DagBag(dag_folder=str(folder))
    assert set(bag.dag_ids) == {"churn_retrain"}, bag.import_errors
    found = read_records(_index_home())
    record = found.records["churn_retrain"]
    assert (record.name, record.file, record.runs_on, record.since) == (
        "churn retrain",
        "team/churn.py",
        "jfrog",
        "2026-01-02T03:04:05Z",
    )
    assert str((folder / "automations").resolve()) in found.roots
    from frogml_airflow_provider.dags.loading import load_automations
    from frogml_airflow_provider.dags.shares import field_digests

    (item,) = load_automations(folder / "automations").automations
    assert record.spec == field_digests(automation_spec(item.automation))
    written = "".join(path.read_text() for path in (Path(AIRFLOW_HOME) / "frogml" / "names").rglob("*.json"))
    assert WEBHOOK not in written and "SLACK-SECRET" not in written
