"""Which DAGs ``status`` counts as scheduled on the Airflow side, read as Airflow's REST API answers:
a metric-based automation's DAG runs on its watched asset, with no timetable of its own."""

from __future__ import annotations

from typing import Any

import pytest

from frogml_airflow_provider.migration.airflow_api import is_scheduled

CRON = {"timetable_periodic": True, "timetable_summary": "0 0 * * 0", "next_dagrun_run_after": "2026-12-06T00:00Z"}
WATCHED = {"timetable_periodic": False, "timetable_summary": "Asset", "next_dagrun_run_after": None}
MANUAL = {"timetable_periodic": False, "timetable_summary": None, "next_dagrun_run_after": None}


@pytest.mark.parametrize(
    ("dag", "scheduled"),
    [
        (CRON, True),
        ({**WATCHED, "is_paused": False}, True),  # its watcher starts runs
        ({**WATCHED, "is_paused": True}, False),  # paused: the watcher is gone at the next parse
        (MANUAL, False),
        ({**MANUAL, "timetable_summary": "None"}, False),
        ({**MANUAL, "asset_expression": {"asset": {"uri": "frogml-metric://x"}}, "is_paused": False}, True),
    ],
)
def test_a_dag_on_a_timetable_or_an_unpaused_watched_asset_is_scheduled(dag: dict[str, Any], scheduled: bool) -> None:
    assert is_scheduled(dag) is scheduled
