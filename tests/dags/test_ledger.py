"""The hand-over ledger: read and written atomically, read by the catalog at parse time (no network),
and a broken one stops scheduling rather than risk running an automation on both sides."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from frogml_airflow_provider.dags.catalog import catalog
from frogml_airflow_provider.dags.ledger import (
    LEDGER_NAME,
    LOCKS_NAME,
    automation_lock,
    read_ledger,
    update_ledger,
    write_ledger,
)
from frogml_airflow_provider.errors import HandoverError, LedgerError

AUTOMATION = """
from frogml.core.automations import *

{name} = Automation(
    name="{name}",
    model_id="churn",
    trigger=ScheduledTrigger(cron="0 2 * * *"),
    action=FrogmlBuildDeploy(
        BuildSpecifications(git_uri="https://github.com/acme/models.git"),
        BuildMetric("f1_score", ThresholdDirection.ABOVE, "0.7"),
        DeploymentSpecifications(),
    ),
)
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in ("churn", "fraud"):
        (tmp_path / f"{name}.py").write_text(AUTOMATION.format(name=name))
    return tmp_path


def test_no_ledger_means_everything_runs_on_airflow(folder: Path) -> None:
    ledger = read_ledger(folder)
    assert ledger.handovers == {} and ledger.runs_on("churn") == "airflow"


def test_a_hand_over_round_trips_sorted_and_reviewable(folder: Path) -> None:
    when = datetime(2026, 12, 3, 9, 30, 15, 123, tzinfo=UTC)
    ledger = read_ledger(folder).with_handover("fraud", by="me", now=when).with_handover("churn", now=when)
    write_ledger(ledger)
    text = (folder / LEDGER_NAME).read_text()
    assert list(json.loads(text)["automations"]) == ["churn", "fraud"]
    assert json.loads(text)["automations"]["fraud"] == {"runs_on": "jfrog", "since": "2026-12-03T09:30:15Z", "by": "me"}
    again = read_ledger(folder)
    assert again.runs_on("churn") == "jfrog" and again.handovers["fraud"].since == "2026-12-03T09:30:15Z"
    write_ledger(again.without("churn").without("fraud"))
    assert read_ledger(folder).handovers == {}
    assert not list(folder.glob(f".{LEDGER_NAME}.*"))  # no temporary file left behind


@pytest.mark.parametrize(
    "text, says",
    [
        ("{not json", "is not valid JSON"),
        ('{"version": 1}', "has no 'automations' object"),
        ('{"automations": {"churn": {"runs_on": "mars"}}}', "entry 'churn' must be"),
    ],
)
def test_a_broken_ledger_names_the_file_and_the_fix(folder: Path, text: str, says: str) -> None:
    (folder / LEDGER_NAME).write_text(text)
    with pytest.raises(LedgerError) as raised:
        read_ledger(folder)
    assert str(folder / LEDGER_NAME) in str(raised.value) and says in str(raised.value)
    assert "delete it" in str(raised.value)


def test_the_catalog_keeps_a_handed_over_dag_unscheduled_paused_and_says_where_it_runs(folder: Path) -> None:
    write_ledger(read_ledger(folder).with_handover("churn", now=datetime(2026, 12, 1, tzinfo=UTC)))
    plans = {plan.dag_id: plan for _, plan in catalog(folder).plans}
    churn, fraud = plans["churn"], plans["fraud"]
    assert churn.schedule.cron is None and not churn.schedule.once and churn.is_paused_upon_creation
    assert "Runs on JFrog ML since 2026-12-01T00:00:00Z" in churn.doc_md
    assert [t.task_id for t in churn.tasks] == [t.task_id for t in fraud.tasks]  # the DAG and its history stay
    assert fraud.schedule.cron == "0 2 * * *" and not fraud.is_paused_upon_creation


def test_an_unreadable_ledger_is_an_error_and_schedules_nothing(folder: Path) -> None:
    (folder / LEDGER_NAME).write_text("{oops")
    found = catalog(folder)
    assert [error.file for error in found.errors] == [LEDGER_NAME]
    assert "until then no automation is scheduled here" in str(found.errors[0])
    assert {plan.dag_id for _, plan in found.plans} == {"churn", "fraud"}
    assert all(plan.schedule.cron is None and plan.is_paused_upon_creation for _, plan in found.plans)


# -- odd input: one designed error, never another exception ------------------------------------------------
ODD = {
    "UTF-16 (PowerShell's >)": ('{"automations": {}}'.encode("utf-16"), "is not UTF-8 text (it is UTF-16"),
    "binary": (bytes(range(256)) * 4, "is not UTF-8 text"),
    "nested absurdly deep": (b"[" * 200_000 + b"]" * 200_000, "nested too deep"),
    "deep inside an entry": (b'{"automations": {"x": ' + b"[" * 200_000 + b"]" * 200_000 + b"}}", "nested too deep"),
}


@pytest.mark.parametrize("case", list(ODD))
def test_an_undecodable_or_absurd_ledger_is_one_ledger_error(folder: Path, case: str) -> None:
    data, says = ODD[case]
    (folder / LEDGER_NAME).write_bytes(data)
    with pytest.raises(LedgerError) as raised:
        read_ledger(folder)
    assert says in str(raised.value) and str(folder / LEDGER_NAME) in str(raised.value)
    found = catalog(folder)  # the loader: one import error, every DAG kept, none scheduled
    assert [error.file for error in found.errors] == [LEDGER_NAME]
    assert {plan.dag_id for _, plan in found.plans} == {"churn", "fraud"}
    assert all(plan.schedule.cron is None and plan.is_paused_upon_creation for _, plan in found.plans)


def test_a_utf8_ledger_with_a_bom_reads(folder: Path) -> None:
    (folder / LEDGER_NAME).write_bytes(
        b"\xef\xbb\xbf" + b'{"automations": {"churn": {"runs_on": "jfrog", "since": "x"}}}'
    )
    assert read_ledger(folder).runs_on("churn") == "jfrog"


@pytest.mark.parametrize("case", ["UTF-16 (PowerShell's >)", "nested absurdly deep"])
def test_validate_and_status_say_one_line_for_an_odd_ledger(folder: Path, case: str) -> None:
    (folder / LEDGER_NAME).write_bytes(ODD[case][0])
    done = subprocess.run(
        [sys.executable, "-m", "frogml_airflow_provider.cli", "validate", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    assert ODD[case][1] in done.stdout
    status = subprocess.run(
        [sys.executable, "-m", "frogml_airflow_provider.cli", "status", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FROGML_AIRFLOW_URL": "http://127.0.0.1:9"},
    )
    assert status.returncode == 2 and "Traceback" not in status.stdout + status.stderr, status.stderr
    assert ODD[case][1] in status.stderr


# -- writes: the file's mode kept, locked read-modify-writes --------------------------------------------------
def test_a_rewrite_keeps_the_files_mode_and_a_new_ledger_is_0644(folder: Path) -> None:
    update_ledger(folder, lambda ledger: ledger.with_handover("churn"))
    assert stat.S_IMODE((folder / LEDGER_NAME).stat().st_mode) == 0o644
    os.chmod(folder / LEDGER_NAME, 0o664)
    update_ledger(folder, lambda ledger: ledger.with_handover("fraud"))
    assert stat.S_IMODE((folder / LEDGER_NAME).stat().st_mode) == 0o664
    assert set(read_ledger(folder).handovers) == {"churn", "fraud"}
    assert subprocess.run(
        ["git", "check-ignore", "-q", str(folder / LOCKS_NAME / "ledger.lock")], cwd=folder
    ).returncode in (
        0,
        128,  # not a git repository: nothing to check
    )


WRITER = """
import sys
from frogml_airflow_provider.dags.ledger import update_ledger
folder, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(count):
    update_ledger(folder, lambda ledger: ledger.with_handover(f"{prefix}{i}"))
    if i % 2:
        update_ledger(folder, lambda ledger: ledger.without(f"{prefix}{i}"))
"""


def test_three_processes_changing_the_ledger_at_once_lose_no_entry(folder: Path) -> None:
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(folder), prefix, "30"]) for prefix in ("a", "b", "c")
    ]
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0, 0]
    assert set(read_ledger(folder).handovers) == {f"{p}{i}" for p in "abc" for i in range(0, 30, 2)}


def test_one_hand_over_of_a_name_at_a_time(folder: Path) -> None:
    with automation_lock(folder, "churn"):
        busy = f"another frogml-airflow migrate of it is running .*pid {os.getpid()}"
        with pytest.raises(HandoverError, match=busy), automation_lock(folder, "churn"):
            pass
        with automation_lock(folder, "fraud"):  # another name: not held
            pass
    with automation_lock(folder, "churn"):  # released
        pass


def test_a_symlinked_ledger_is_written_where_it_points(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    shared = tmp_path_factory.mktemp("shared") / "ledger.json"
    shared.write_text('{"automations": {}}')
    os.chmod(shared, 0o640)
    (folder / LEDGER_NAME).symlink_to(shared)
    update_ledger(folder, lambda ledger: ledger.with_handover("churn"))
    assert (folder / LEDGER_NAME).is_symlink() and read_ledger(folder).runs_on("churn") == "jfrog"
    assert stat.S_IMODE(shared.stat().st_mode) == 0o640
