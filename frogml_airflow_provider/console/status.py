"""The console's "where each automation runs" page: the table of ``frogml-airflow status``.

The automation files are loaded in a process of their own (``migration.snapshot``, with the
loader's time budget per file): the API server never runs user files. Airflow's side is read from
the metadata database, JFrog ML's through the ``frogml_default`` connection when it points there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from html import escape
from pathlib import Path
from typing import Any

from frogml_airflow_provider.console.pages import page
from frogml_airflow_provider.migration.handover import Candidate

SNAPSHOT_TIMEOUT = 120.0  # the files' own budgets are far shorter: this bounds a stuck interpreter


def automations_folder() -> Path:
    from airflow.configuration import conf

    configured = conf.get("frogml", "automations_folder", fallback="") or ""
    return Path(configured) if configured else Path(conf.get("core", "dags_folder")) / "automations"


def load_snapshot(folder: Path) -> tuple[dict[str, Candidate], list[str]]:
    """The folder's automations, and the problems that kept some out (as ``validate`` says them)."""
    if not folder.is_dir():
        return {}, [f"{folder}: no such folder; set [frogml] automations_folder to the automation files' folder"]
    try:
        done = subprocess.run(
            [sys.executable, "-m", "frogml_airflow_provider.migration.snapshot", str(folder)],
            capture_output=True,
            text=True,
            timeout=SNAPSHOT_TIMEOUT,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
    except subprocess.TimeoutExpired:
        return {}, [f"{folder}: loading the automation files took over {SNAPSHOT_TIMEOUT:g} s"]
    if done.returncode != 0:
        return {}, [f"{folder}: loading the automation files failed: {done.stderr.strip()[-500:]}"]
    data = json.loads(done.stdout.strip().splitlines()[-1])
    found = {
        item["name"]: Candidate(item["name"], item["dag_id"], item["source"], None, item["spec"])
        for item in data["automations"]
    }
    return found, list(data["errors"])


def status_page(prefix: str, conn_id: str = "frogml_default") -> str:
    from frogml_airflow_provider.migration.airflow_db import MetadataAirflow
    from frogml_airflow_provider.migration.commands import jfrog_if_set_up, status_rows

    folder = automations_folder()
    candidates, problems = load_snapshot(folder)
    notes: list[str] = []
    with jfrog_if_set_up(conn_id, notes.append) as jfrog:
        rows = status_rows(folder, candidates, MetadataAirflow(), jfrog)
    head = "".join(
        f"<th>{escape(h)}</th>"
        for h in ("automation", "runs on", "ledger", "Airflow DAG", "last run", "JFrog ML", "last execution", "drift")
    )
    body = "".join(_row(row) for row in rows)
    table = f"<table><tr>{head}</tr>{body}</table>" if rows else "<p class='empty'>No automation found.</p>"
    said = "".join(f"<p class='empty'>{escape(text)}</p>" for text in notes)
    errors = "".join(f"<li>{escape(text)}</li>" for text in problems)
    return page(
        "Where each automation runs",
        f"<p>Automation files in <code>{escape(str(folder))}</code>.</p>{said}{table}"
        + (f"<h2>Files with problems</h2><ul>{errors}</ul>" if errors else ""),
        prefix,
    )


def _row(row: Any) -> str:
    twice = " class='FAILED'" if row.scheduled_twice else ""
    ledger = row.owner + (f" since {row.since}" if row.since else "")
    dag = row.dag + ("" if row.dag == "absent" or row.dag_scheduled else ", unscheduled")
    cells = (
        row.name,
        row.runs_on + (" (scheduled on both!)" if row.scheduled_twice else ""),
        ledger,
        dag,
        " ".join(filter(None, (row.last_run_state, row.last_run))) or "-",
        row.native,
        " ".join(filter(None, (row.last_execution_status, row.last_execution))) or "-",
        ", ".join(row.drift) or "-",
    )
    return f"<tr{twice}>" + "".join(f"<td>{escape(cell)}</td>" for cell in cells) + "</tr>"
