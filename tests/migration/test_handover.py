"""``migrate`` and ``migrate --back`` against a real Airflow API server and the SDK's automation mock:
the two sides are never scheduled at once, a run in progress is waited for or refused, and a
failure at any step leaves both sides as they were."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from frogml_airflow_provider.errors import AirflowApiError
from tests.support.airflow import CHURN, SCORING, ApiServer, dag

Cli = Callable[..., SimpleNamespace]
pytestmark = pytest.mark.slow


def native(mock: Any, name: str = CHURN) -> Any:
    found = [a for a in mock.automations.values() if a.automation_spec.automation_name == name]
    assert len(found) <= 1
    return found[0] if found else None


def ledger(folder: Path) -> dict[str, Any]:
    path = folder / "frogml-ledger.json"
    return json.loads(path.read_text())["automations"] if path.exists() else {}


def test_migrate_hands_one_automation_over_and_back(mock: Any, airflow: ApiServer, automations: Path, cli: Cli) -> None:
    done = cli("migrate", CHURN, "--path", automations, "--yes")
    assert done.code == 0, done.err
    moved = native(mock)
    assert moved is not None and moved.automation_spec.is_enabled
    assert moved.automation_spec.trigger.scheduled_trigger.cron == "0 2 * * *"
    assert dag(airflow)["is_paused"] is True
    assert set(ledger(automations)) == {CHURN} and ledger(automations)[CHURN]["runs_on"] == "jfrog"
    assert native(mock, SCORING) is None  # the other automation is left alone
    steps = [line.split()[1] for line in done.out.splitlines() if line.startswith("  done")]
    assert steps == ["register", "pause", "record", "enable"]
    checked = "(checked: DAG churn_retrain paused, churn_retrain enabled on JFrog ML, ledger: jfrog)"
    assert f"moved  {CHURN} to JFrog ML {checked}" in done.out, done.out

    airflow.reserialize()  # the loader reads the ledger: the DAG stays, unscheduled
    assert dag(airflow)["timetable_summary"] is None

    back = cli("migrate", CHURN, "--path", automations, "--yes", "--back")
    assert back.code == 0, back.err
    checked = "(checked: DAG churn_retrain active, churn_retrain disabled on JFrog ML, ledger: airflow)"
    assert f"moved  {CHURN} to Airflow {checked}" in back.out, back.out
    assert native(mock).automation_spec.is_enabled is False
    assert ledger(automations) == {}
    assert dag(airflow)["is_paused"] is False
    airflow.reserialize()
    assert dag(airflow)["timetable_summary"] == "0 2 * * *"


def test_a_run_in_progress_is_refused_without_wait_and_waited_for_with_it(
    mock: Any, airflow: ApiServer, automations: Path, cli: Cli
) -> None:
    run = airflow.api("POST", f"/dags/{CHURN}/dagRuns", {"logical_date": None})["dag_run_id"]
    refused = cli("migrate", CHURN, "--path", automations, "--yes")
    assert refused.code == 1
    assert run in refused.err and "--wait" in refused.err
    assert native(mock) is None and dag(airflow)["is_paused"] is False and ledger(automations) == {}

    def finish() -> None:
        time.sleep(3)
        airflow.api("PATCH", f"/dags/{CHURN}/dagRuns/{run}", {"state": "success"})

    finisher = threading.Thread(target=finish)
    finisher.start()
    from frogml_airflow_provider.migration import commands

    code = commands.migrate(
        automations, [CHURN], conn_id="x", airflow_url=None, back=False, dry_run=False, yes=True, wait=True, poll=0.5
    )
    finisher.join()
    assert code == 0
    assert native(mock).automation_spec.is_enabled and dag(airflow)["is_paused"] is True


def test_dry_run_changes_nothing(mock: Any, airflow: ApiServer, automations: Path, cli: Cli) -> None:
    done = cli("migrate", CHURN, "--path", automations, "--dry-run")
    assert done.code == 0, done.err
    assert [line.split()[1] for line in done.out.splitlines() if line.startswith("  would")] == [
        "register",
        "pause",
        "record",
        "enable",
    ]
    assert native(mock) is None and dag(airflow)["is_paused"] is False and ledger(automations) == {}


def _fail_pause(monkeypatch: pytest.MonkeyPatch, mock: Any) -> None:
    from frogml_airflow_provider.migration.airflow_api import AirflowApi

    def refuse(self: AirflowApi, dag_id: str, paused: bool) -> None:
        if paused:
            raise AirflowApiError("HTTP 403 injected")
        type(self).set_paused.__wrapped__(self, dag_id, paused)  # type: ignore[attr-defined]

    original = AirflowApi.set_paused
    refuse.__wrapped__ = original  # type: ignore[attr-defined]
    monkeypatch.setattr(AirflowApi, "set_paused", refuse)


def _fail_ledger(monkeypatch: pytest.MonkeyPatch, mock: Any) -> None:
    from frogml_airflow_provider.dags import ledger as module

    original = module.write_ledger
    calls = []

    def fail_first(ledger: Any) -> None:
        calls.append(ledger)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        original(ledger)

    monkeypatch.setattr(module, "write_ledger", fail_first)


FAILURES: dict[str, Callable[[pytest.MonkeyPatch, Any], None]] = {
    "register": lambda monkeypatch, mock: mock.fail("CreateAutomation", 1),
    "pause": _fail_pause,
    "record": _fail_ledger,
    "enable": lambda monkeypatch, mock: mock.fail("ToggleAutomationActivity", 1),
}


@pytest.mark.parametrize("step", list(FAILURES))
def test_a_failure_at_any_step_leaves_both_sides_as_they_were(
    step: str, mock: Any, airflow: ApiServer, automations: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    FAILURES[step](monkeypatch, mock)
    done = cli("migrate", CHURN, "--path", automations, "--yes")
    assert done.code == 1
    assert "Both sides are as they were" in done.err, done.err
    assert native(mock) is None
    assert dag(airflow)["is_paused"] is False
    assert ledger(automations) == {}


def test_an_existing_registration_is_restored_when_the_hand_over_fails(
    mock: Any, airflow: ApiServer, automations: Path, cli: Cli, folder: Callable[..., Path]
) -> None:
    from tests.support.jfrog import build

    other = folder(churn=build(CHURN, cron="0 5 * * *"))
    assert cli("register", other, "--yes").code == 0
    assert cli("pause", CHURN).code == 0
    mock.fail("ToggleAutomationActivity", 1)
    done = cli("migrate", CHURN, "--path", automations, "--yes")
    assert done.code == 1
    kept = native(mock).automation_spec
    assert kept.trigger.scheduled_trigger.cron == "0 5 * * *" and not kept.is_enabled
    assert dag(airflow)["is_paused"] is False and ledger(automations) == {}


def test_migrating_twice_or_back_without_a_hand_over_is_refused(
    mock: Any, airflow: ApiServer, automations: Path, cli: Cli
) -> None:
    back = cli("migrate", CHURN, "--path", automations, "--yes", "--back")
    assert back.code == 1 and "runs on Airflow already" in back.err
    assert cli("migrate", CHURN, "--path", automations, "--yes").code == 0
    again = cli("migrate", CHURN, "--path", automations, "--yes")
    assert again.code == 1 and "already runs on JFrog ML" in again.err


def test_a_run_that_starts_just_before_the_pause_undoes_the_pause_too(
    mock: Any, airflow: ApiServer, automations: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from frogml_airflow_provider.migration.airflow_api import AirflowApi

    original = AirflowApi.set_paused
    runs: list[str] = []

    def pause_after_a_run_started(self: AirflowApi, dag_id: str, paused: bool) -> None:
        if paused and not runs:  # the scheduler creates a run between the check and the pause
            runs.append(airflow.api("POST", f"/dags/{dag_id}/dagRuns", {"logical_date": None})["dag_run_id"])
        original(self, dag_id, paused)

    monkeypatch.setattr(AirflowApi, "set_paused", pause_after_a_run_started)
    done = cli("migrate", CHURN, "--path", automations, "--yes")
    assert done.code == 1 and runs and runs[0] in done.err
    assert "Both sides are as they were" in done.err
    assert native(mock) is None and dag(airflow)["is_paused"] is False and ledger(automations) == {}


def _interrupt(monkeypatch: pytest.MonkeyPatch, owner: Any, attribute: str, *, landed: bool) -> None:
    """Ctrl-C in the first call of ``owner.attribute``: before it acts, or after it acted (the reply lost)."""
    original = getattr(owner, attribute)
    calls: list[int] = []

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) > 1:
            return original(*args, **kwargs)
        if landed:
            original(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(owner, attribute, interrupted)


def _owners() -> dict[str, tuple[Any, str]]:
    from frogml_airflow_provider.dags import ledger as module
    from frogml_airflow_provider.migration.airflow_api import AirflowApi
    from frogml_airflow_provider.migration.commands import RegisteredAutomations

    return {
        "register": (RegisteredAutomations, "create"),
        "pause": (AirflowApi, "set_paused"),
        "record": (module, "write_ledger"),
        "enable": (RegisteredAutomations, "toggle"),
    }


@pytest.mark.parametrize("landed", [False, True], ids=["before it acts", "after it acted"])
@pytest.mark.parametrize("step", ["register", "pause", "record", "enable"])
def test_ctrl_c_at_any_step_undoes_the_hand_over(
    step: str, landed: bool, mock: Any, airflow: ApiServer, automations: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner, attribute = _owners()[step]
    _interrupt(monkeypatch, owner, attribute, landed=landed)
    done = cli("migrate", CHURN, "--path", automations, "--yes")
    assert done.code == 130, done.err
    assert "interrupted (Ctrl-C)" in done.err and "Both sides are as they were (checked:" in done.err, done.err
    assert native(mock) is None and dag(airflow)["is_paused"] is False and ledger(automations) == {}


@pytest.mark.parametrize("landed", [False, True], ids=["before it acts", "after it acted"])
@pytest.mark.parametrize("step", ["disable", "unrecord", "unpause"])
def test_ctrl_c_at_any_step_of_the_way_back_undoes_it(
    step: str, landed: bool, mock: Any, airflow: ApiServer, automations: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("migrate", CHURN, "--path", automations, "--yes").code == 0
    owners = _owners()
    owner, attribute = {"disable": owners["enable"], "unrecord": owners["record"], "unpause": owners["pause"]}[step]
    _interrupt(monkeypatch, owner, attribute, landed=landed)
    done = cli("migrate", "--back", CHURN, "--path", automations, "--yes")
    assert done.code == 130, done.err
    assert "Both sides are as they were (checked:" in done.err, done.err
    assert native(mock).automation_spec.is_enabled and dag(airflow)["is_paused"] is True
    assert set(ledger(automations)) == {CHURN}
