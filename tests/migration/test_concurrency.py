"""``migrate`` as real processes, several at once and stopped halfway, against a real Airflow API server
and the SDK's automation mock: no ledger entry lost, one native automation per name, and a command
stopped by Ctrl-C or SIGTERM undoes itself and says what it checked.

The races are made certain, not hoped for: the mock holds every ListAutomations (the look-up each
command makes before it writes) until all the commands have reached it, or have ended."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.airflow import CHURN, SCORING, ApiServer, dag
from tests.support.jfrog import SECRETS, connection

pytestmark = pytest.mark.slow


def natives(mock: Any, name: str = CHURN) -> list[Any]:
    return [a for a in mock.automations.values() if a.automation_spec.automation_name == name]


def ledger(folder: Path) -> dict[str, Any]:
    path = folder / "frogml-ledger.json"
    return json.loads(path.read_text())["automations"] if path.exists() else {}


@pytest.fixture
def env(mock: Any, tmp_path: Path) -> dict[str, str]:
    """The environment of a ``frogml-airflow`` process: the frogml connection at the mock, Airflow
    from the ``automations`` fixture, a HOME of its own for the SDK."""
    port = int(mock.address.rsplit(":", 1)[1])
    environment = {
        **os.environ,
        "AIRFLOW_CONN_FROGML_DEFAULT": connection(port, url=f"grpc://{mock.address}", tenant_id="tenant-test"),
        "HOME": str(tmp_path / "home"),
        "AIRFLOW_HOME": str(tmp_path / "airflow-home"),
        "PYTHONWARNINGS": "ignore",
    }
    environment.pop("CONTROL_PLANE_GRPC_ADDRESS", None)  # the SDK reads it at import: a bare host only
    (tmp_path / "home").mkdir()
    return environment


def start(env: dict[str, str], *args: str | Path) -> subprocess.Popen[str]:
    """The command as a terminal's foreground job: Ctrl-C interrupts it even where this test runs as a
    background job (a shell starts those with SIGINT ignored, and Python keeps an ignored SIGINT)."""
    return subprocess.Popen(
        [sys.executable, "-m", "frogml_airflow_provider.cli", *map(str, args)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


@pytest.fixture
def held(mock: Any) -> Iterator[threading.Event]:
    gate = threading.Event()
    mock.list_gate = gate
    yield gate
    gate.set()
    mock.list_gate = None


def release_when_all_arrived(mock: Any, gate: threading.Event, processes: list[subprocess.Popen[str]]) -> None:
    """Open the gate once every process still running is held at its look-up."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        running = sum(process.poll() is None for process in processes)
        if mock.calls["ListAutomations (held)"] >= running:
            break
        time.sleep(0.1)
    gate.set()


def finish(processes: list[subprocess.Popen[str]]) -> list[tuple[int, str, str]]:
    results = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert "Traceback" not in out + err, err
        assert not [secret for secret in SECRETS if secret in out + err], "a secret was printed"
        results.append((process.returncode, out, err))
    return results


def test_two_migrates_at_once_keep_both_ledger_entries(
    mock: Any, airflow: ApiServer, automations: Path, env: dict[str, str], held: threading.Event
) -> None:
    processes = [start(env, "migrate", name, "--path", automations, "--yes") for name in (CHURN, SCORING)]
    release_when_all_arrived(mock, held, processes)
    results = finish(processes)
    assert [code for code, _, _ in results] == [0, 0], results
    assert set(ledger(automations)) == {CHURN, SCORING}  # before: the later stale copy dropped the other
    assert natives(mock)[0].automation_spec.is_enabled and len(natives(mock, SCORING)) == 1
    assert dag(airflow)["is_paused"] is True and dag(airflow, SCORING)["is_paused"] is True


def test_two_migrates_back_at_once_remove_both_ledger_entries(
    mock: Any, airflow: ApiServer, automations: Path, env: dict[str, str], cli: Any
) -> None:
    for name in (CHURN, SCORING):
        assert cli("migrate", name, "--path", automations, "--yes").code == 0
    gate = threading.Event()
    mock.list_gate = gate
    try:
        processes = [start(env, "migrate", "--back", name, "--path", automations, "--yes") for name in (CHURN, SCORING)]
        release_when_all_arrived(mock, gate, processes)
        results = finish(processes)
    finally:
        gate.set()
        mock.list_gate = None
    assert [code for code, _, _ in results] == [0, 0], results
    assert ledger(automations) == {}  # before: the later stale copy put the other entry back
    assert not natives(mock)[0].automation_spec.is_enabled and dag(airflow)["is_paused"] is False


def test_three_migrates_of_one_name_make_one_native_automation(
    mock: Any, airflow: ApiServer, automations: Path, env: dict[str, str], held: threading.Event
) -> None:
    processes = [start(env, "migrate", CHURN, "--path", automations, "--yes") for _ in range(3)]
    release_when_all_arrived(mock, held, processes)
    results = finish(processes)
    assert sorted(code for code, _, _ in results) == [0, 1, 1], results
    for code, _, err in results:
        if code:
            assert "another frogml-airflow migrate of it is running" in err or "already runs on JFrog ML" in err, err
    (only,) = natives(mock)
    assert only.automation_spec.is_enabled
    assert dag(airflow)["is_paused"] is True and set(ledger(automations)) == {CHURN}


def test_three_checkouts_migrating_one_name_at_once_leave_at_most_one(
    mock: Any, airflow: ApiServer, automations: Path, env: dict[str, str], held: threading.Event, tmp_path: Path
) -> None:
    """Three machines (three copies of the folder, no shared lock) against one JFrog ML and one Airflow."""
    copies = [shutil.copytree(automations, tmp_path / f"checkout-{i}") for i in range(3)]
    processes = [start(env, "migrate", CHURN, "--path", copy, "--yes") for copy in copies]
    release_when_all_arrived(mock, held, processes)
    results = finish(processes)
    found = natives(mock)
    assert len(found) <= 1, [n.automation_id for n in found]  # before: three, all enabled
    winners = [Path(copy) for copy, (code, _, _) in zip(copies, results, strict=True) if code == 0]
    # A command whose look-up came after another's create takes that automation over (an update):
    # several may succeed, all on the one automation.
    assert len(found) == (1 if winners else 0), results
    for copy, (code, _, err) in zip(copies, results, strict=True):
        if code:
            assert "Both sides are as they were" in err, err
            assert ledger(Path(copy)) == {}
        else:
            assert set(ledger(Path(copy))) == {CHURN}
    assert dag(airflow)["is_paused"] is bool(winners)
    if winners:
        assert found[0].automation_spec.is_enabled


def wait_for_line(process: subprocess.Popen[str], text: str, timeout: float = 240) -> list[str]:
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    deadline = time.monotonic() + timeout
    while not any(text in line for line in lines):
        assert process.poll() is None, f"ended early: {lines} {process.stderr.read()}"  # type: ignore[union-attr]
        assert time.monotonic() < deadline, lines
        time.sleep(0.1)
    return lines


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["Ctrl-C", "SIGTERM"])
def test_a_migrate_stopped_while_it_waits_undoes_itself_and_says_what_it_checked(
    mock: Any, airflow: ApiServer, automations: Path, env: dict[str, str], signum: int
) -> None:
    airflow.api("POST", f"/dags/{CHURN}/dagRuns", {"logical_date": None})  # stays queued: migrate waits
    process = start(env, "migrate", CHURN, "--path", automations, "--yes", "--wait")
    lines = wait_for_line(process, "  wait  ")
    assert len(natives(mock)) == 1 and dag(airflow)["is_paused"] is True  # registered and paused by now
    process.send_signal(signum)
    try:
        out, err = process.communicate(timeout=240)
    except subprocess.TimeoutExpired:  # say what it was doing, and leave no process holding the lock
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"migrate still running 240 s after {signal.Signals(signum).name}: {''.join(lines)}{out}{err}")
    assert process.returncode == 128 + signum, err
    assert "Traceback" not in out + err
    assert "Both sides are as they were (checked: DAG churn_retrain active" in err, "".join(lines) + out + err
    assert "the automation it created on JFrog ML is deleted" in err
    assert natives(mock) == [] and dag(airflow)["is_paused"] is False and ledger(automations) == {}
