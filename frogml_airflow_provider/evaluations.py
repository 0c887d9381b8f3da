"""``frogml-airflow evaluations``: what each metric trigger saw, now that evaluations make no DAG runs.

Read from Airflow's metadata database (the asset state store the watchers write), so it runs where
Airflow's configuration is, as the ``airflow`` CLI does; it never runs an automation file.

    frogml-airflow evaluations                   every metric-based automation: its last evaluation
    frogml-airflow evaluations NAME [--limit N]  one automation's history, newest last, crossings marked
"""

from __future__ import annotations

import sys

from frogml_airflow_provider.term import json_text, printable, table_lines, tag
from frogml_airflow_provider.triggers.metric_history import Evaluation, WatcherHistory

MARKS = {"retrain": "crossed: retrain", "resend": "crossing sent again", "dropped": "crossing dropped"}


def evaluations(name: str | None, *, limit: int = 20, as_json: bool = False) -> int:
    from frogml_airflow_provider.dags.plan import dag_id_for
    from frogml_airflow_provider.triggers.metric_store import read_watchers

    try:
        watchers = read_watchers([dag_id_for(name)] if name else None)
    except Exception as error:  # noqa: BLE001 - no database here: say so, no traceback
        print(
            f"{tag('error', sys.stderr)} cannot read Airflow's metadata database: {printable(str(error))[:300]}",
            file=sys.stderr,
        )
        print("Run this where Airflow is configured (AIRFLOW_HOME, [database] sql_alchemy_conn).", file=sys.stderr)
        return 2
    if as_json:
        print(json_text([w.to_json(limit or None) for w in watchers]))
        return 0 if watchers or not name else 1
    if name and not watchers:
        print(
            f"{tag('error', sys.stderr)} no evaluations recorded for {printable(name)!r}: it is not a metric-based "
            "automation, its DAG is paused, or its watcher has not evaluated yet",
            file=sys.stderr,
        )
        return 1
    if not name:
        _overview(watchers)
        return 0
    _history(watchers[0], limit)
    return 0


def _overview(watchers: list[WatcherHistory]) -> None:
    if not watchers:
        print("No metric trigger has evaluated yet.")
        return
    rows = []
    for watcher in watchers:
        last = watcher.evaluations[-1] if watcher.evaluations else None
        sent = [e for e in watcher.evaluations if e.sent]
        rows.append(
            [
                printable(watcher.dag_id),
                printable(str(watcher.about.get("trigger_name", ""))),
                _when(last) if last else "n/a",
                _value(last) if last else "n/a",
                _decision(last) if last else "n/a",
                _when(sent[-1]) if sent else "none kept",
            ]
        )
    for line in table_lines(
        ("dag", "trigger", "last evaluated", "value / threshold", "decision", "last crossing"), rows
    ):
        print(line)


def _history(watcher: WatcherHistory, limit: int) -> None:
    about = watcher.about
    if about:
        print(
            f"{printable(watcher.dag_id)}: trigger {printable(str(about.get('trigger_name')))!r}, "
            f"{printable(str(about.get('direction', '')).lower())} {printable(str(about.get('threshold')))}, "
            f"evaluated on cron {printable(str(about.get('cron')))} (UTC)"
        )
    shown = watcher.evaluations[-limit:] if limit else watcher.evaluations
    if len(shown) < len(watcher.evaluations):
        print(f"(the last {len(shown)} of {len(watcher.evaluations)} kept; --limit 0 shows all)")
    rows = [[_when(e), _value(e), _decision(e)] for e in shown]
    for line in table_lines(("evaluated at", "value / threshold", "decision"), rows):
        print(line)
    taken = watcher.taken
    if taken:
        run, crossing = printable(str(taken.get("run_id"))), printable(str(taken.get("crossing")))
        print(f"last crossing taken by DAG run {run} ({crossing})")


def _when(evaluation: Evaluation) -> str:
    return evaluation.at.strftime("%Y-%m-%d %H:%M:%S UTC")


def _value(evaluation: Evaluation) -> str:
    if evaluation.error:
        return "n/a"
    return (
        f"{evaluation.value:.6g} / {evaluation.threshold:.6g}"
        if evaluation.value is not None and evaluation.threshold is not None
        else "n/a"
    )


def _decision(evaluation: Evaluation) -> str:
    if evaluation.error:
        return printable(f"error: {evaluation.error}")[:200]
    return MARKS.get(evaluation.decision, evaluation.decision)
