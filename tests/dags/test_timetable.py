"""The generated DAGs' timetable: Airflow's CronTriggerTimetable, found through the plugin, decoded once.

It must schedule exactly as Airflow's own timetable (the same serialized fields, the same next runs),
be registered where Airflow looks for custom timetables, and give equal serialized values one
shared instance, so that a decode costs a dictionary lookup instead of a cron_descriptor run.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pendulum
import pytest
from airflow import plugins_manager
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG
from airflow.sdk import CronTriggerTimetable as SdkCronTimetable
from airflow.serialization.encoders import encode_timetable
from airflow.serialization.serialized_objects import DagSerialization
from airflow.timetables.base import DataInterval, TimeRestriction
from airflow.timetables.trigger import CronTriggerTimetable

from frogml_airflow_provider.dags import timetable as module
from frogml_airflow_provider.dags.timetable import FrogMLCronTimetable
from tests.support import EXAMPLES
from tests.support.airflow import start_api_server

NAME = "frogml_airflow_provider.dags.timetable.FrogMLCronTimetable"
EXPRESSIONS = ["0 0 * * 0", "*/15 * * * *", "30 2 1 * *", "0 9-17 * * 1-5", "0 0 L * *", "0 0 1 1 *"]
NOW = pendulum.datetime(2026, 3, 29, 0, 59, tz="UTC")  # just before a DST change in Europe


def stored(schedule: object) -> dict:
    """A one-task DAG with this schedule, as Airflow stores it."""
    with DAG("t", schedule=schedule) as dag:  # type: ignore[arg-type]
        EmptyOperator(task_id="a")
    return DagSerialization.to_dict(dag)


def test_the_plugin_registers_it_where_airflow_looks_for_custom_timetables() -> None:
    assert plugins_manager.get_timetables_plugins()[NAME] is FrogMLCronTimetable


@pytest.mark.parametrize("run_immediately", [timedelta(0), True])
@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_it_stores_what_airflows_timetable_stores(expression: str, run_immediately: bool | timedelta) -> None:
    ours = stored(FrogMLCronTimetable.utc(expression, run_immediately=run_immediately))["dag"]["timetable"]
    airflows = stored(SdkCronTimetable(expression, timezone="UTC", run_immediately=run_immediately))["dag"]["timetable"]
    assert ours["__type"] == NAME
    assert airflows["__type"] == "airflow.timetables.trigger.CronTriggerTimetable"
    assert ours["__var"] == airflows["__var"]


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_a_decoded_dag_schedules_as_airflows_own_timetable(expression: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("airflow.timetables.trigger.utcnow", lambda: NOW)
    ours = DagSerialization.from_dict(
        stored(FrogMLCronTimetable.utc(expression, run_immediately=timedelta(0)))
    ).timetable
    airflows = CronTriggerTimetable(expression, timezone="UTC", run_immediately=timedelta(0))
    assert type(ours) is FrogMLCronTimetable
    assert (ours.summary, ours.description) == (airflows.summary, airflows.description)
    assert ours.description  # described, as Airflow describes it
    last = DataInterval(NOW - timedelta(days=3), NOW - timedelta(days=3))
    for restriction in (
        TimeRestriction(earliest=None, latest=None, catchup=False),
        TimeRestriction(earliest=NOW - timedelta(days=40), latest=None, catchup=True),
        TimeRestriction(earliest=None, latest=NOW + timedelta(days=400), catchup=False),
    ):
        for previous in (None, last):
            assert ours.next_dagrun_info(
                last_automated_data_interval=previous, restriction=restriction
            ) == airflows.next_dagrun_info(last_automated_data_interval=previous, restriction=restriction)


def test_equal_values_decode_to_one_instance_and_different_ones_do_not() -> None:
    module._decoded.cache_clear()
    weekly = encode_timetable(FrogMLCronTimetable.utc("0 0 * * 0", run_immediately=timedelta(0)))["__var"]
    first, second = FrogMLCronTimetable.deserialize(weekly), FrogMLCronTimetable.deserialize(dict(weekly))
    assert first is second
    assert module._decoded.cache_info().misses == 1  # described once, however often Airflow decodes it
    now = FrogMLCronTimetable.deserialize({**weekly, "run_immediately": True})
    other = FrogMLCronTimetable.deserialize({**weekly, "expression": "0 1 * * 0"})
    assert len({id(first), id(now), id(other)}) == 3
    assert (now.serialize()["run_immediately"], other.summary) == (True, "0 1 * * 0")


EARLIER_RENDER = """
from datetime import timedelta

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, CronTriggerTimetable

# retrain_my_model as earlier versions of the loader rendered it: Airflow's own timetable.
with DAG(
    "retrain_my_model",
    schedule=CronTriggerTimetable("0 0 * * 0", timezone="UTC", run_immediately=timedelta(0)),
    catchup=False,
):
    EmptyOperator(task_id="build")
"""


def stored_type(home: Path) -> str:
    with sqlite3.connect(home / "airflow.db") as db:
        return str(db.execute("SELECT timetable_type FROM dag WHERE dag_id = 'retrain_my_model'").fetchone()[0])


@pytest.mark.slow
def test_a_dag_stored_by_an_earlier_version_moves_to_it_and_keeps_its_runs(tmp_path: Path) -> None:
    """Upgrade in a real Airflow: the DAG stored with Airflow's timetable (and a run of it) first,
    then the loader's; the API server, a separate process, decodes both versions through the plugin."""
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "retrain_my_model.py").write_text(EARLIER_RENDER)
    airflow = start_api_server(tmp_path / "home", dags)
    try:
        assert stored_type(tmp_path / "home") == "CronTriggerTimetable"  # Airflow names its own classes short
        before = airflow.api("POST", "/dags/retrain_my_model/dagRuns", {"logical_date": None})
        (dags / "retrain_my_model.py").unlink()
        subprocess.run([sys.executable, "-m", "frogml_airflow_provider.cli", "init", str(dags)], check=True)
        shutil.copy(EXAMPLES / "automations" / "retrain_my_model.py", dags / "automations")
        airflow.reserialize()

        details = airflow.api("GET", "/dags/retrain_my_model/details")
        assert (details["timetable_summary"], details["timetable_description"]) == (
            "0 0 * * 0",
            "At 00:00, only on Sunday",
        )
        assert details["fileloc"].endswith(".py") and "frogml_automations_" in details["fileloc"]
        assert stored_type(tmp_path / "home") == NAME
        runs = airflow.api("GET", "/dags/retrain_my_model/dagRuns")["dag_runs"]
        assert [run["dag_run_id"] for run in runs] == [before["dag_run_id"]]  # the earlier run is kept
        for version in airflow.api("GET", "/dags/retrain_my_model/dagVersions")["dag_versions"]:
            number = version["version_number"]  # every stored version decodes in the API server
            assert airflow.api("GET", f"/dags/retrain_my_model/dagVersions/{number}")["version_number"] == number
        # The CLI decodes the stored DAG and asks the timetable: the next run is a Sunday midnight.
        printed = airflow.airflow("dags", "next-execution", "retrain_my_model").strip().splitlines()[-1]
        next_run = pendulum.parse(printed)
        assert (next_run.isoweekday(), next_run.time().isoformat()) == (7, "00:00:00"), printed
    finally:
        airflow.stop()
