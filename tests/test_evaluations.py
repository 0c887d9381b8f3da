"""``frogml-airflow evaluations`` reads the metric watchers' history from Airflow's metadata database,
as the triggerer wrote it into the asset state store: no automation file is run."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from frogml_airflow_provider.cli import main as cli
from frogml_airflow_provider.triggers import metric_history as history
from frogml_airflow_provider.triggers.metric_store import read_watchers
from tests.support import store_watcher_state

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ABOUT = {
    "dag_id": "retrain_on_errors",
    "automation_name": "retrain on errors",
    "model_id": "tiny-model",
    "trigger_name": "error_rate",
    "sql_query": "SELECT 1",
    "direction": "ABOVE",
    "threshold": "0.3",
    "cron": "* * * * *",
    "evaluate_at_start": False,
}


def minute(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


@pytest.fixture
def recorded(airflow_db: Path) -> None:
    store_watcher_state(
        "retrain_on_errors",
        {
            history.ABOUT_KEY: ABOUT,
            history.STATE_KEY: {"fired": True, "fired_at": minute(1).isoformat(), "seq": 0},
            history.TAKEN_KEY: {"crossing": minute(1).isoformat(), "run_id": "asset_triggered__x"},
            "evaluations.0": [
                history.entry(at=minute(0), code="quiet", value=0.1, threshold=0.3),
                history.entry(at=minute(1), code="retrain", value=0.5, threshold=0.3, crossing=minute(1).isoformat()),
                history.entry(at=minute(2), code="error", error="no such table: \x1b[2Jtiny_model"),
            ],
        },
    )
    store_watcher_state("other", {history.ABOUT_KEY: {**ABOUT, "dag_id": "other", "model_id": "churn"}})


def test_the_history_is_read_back_per_dag(recorded) -> None:
    (watcher,) = read_watchers(["retrain_on_errors"])
    assert watcher.about == ABOUT
    assert [(e.decision, e.value) for e in watcher.evaluations] == [("quiet", 0.1), ("retrain", 0.5), ("error", None)]
    assert {w.dag_id for w in read_watchers()} >= {"retrain_on_errors", "other"}


def test_the_cli_shows_one_automations_evaluations_with_the_crossing_marked(recorded, capsys) -> None:
    assert cli(["evaluations", "retrain on errors"]) == 0  # the automation's name: its DAG id
    out = capsys.readouterr().out
    assert "trigger 'error_rate', above 0.3, evaluated on cron * * * * * (UTC)" in out
    assert "2026-12-01 09:01:00 UTC  0.5 / 0.3" in out and "crossed: retrain" in out
    assert "error: no such table: \\x1b[2Jtiny_model" in out and "\x1b" not in out  # control characters escaped
    assert "taken by DAG run asset_triggered__x" in out


def test_the_cli_lists_every_watcher_and_speaks_json(recorded, capsys) -> None:
    assert cli(["evaluations"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["dag", "trigger", "last"]
    assert any(line.startswith("retrain_on_errors") and "2026-12-01 09:01:00 UTC" in line for line in lines)
    assert cli(["evaluations", "retrain_on_errors", "--json", "--limit", "2"]) == 0
    (payload,) = json.loads(capsys.readouterr().out)
    assert [e["decision"] for e in payload["evaluations"]] == ["retrain", "error"]


def test_an_automation_without_evaluations_is_named(recorded, capsys) -> None:
    assert cli(["evaluations", "never_evaluated"]) == 1
    assert "no evaluations recorded for 'never_evaluated'" in capsys.readouterr().err
