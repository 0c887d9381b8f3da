"""The local platform's batch jobs: a table in the registry file (``platform.db``), next to builds.

Kept out of ``store.py`` so that the registry's schema stays one concern; the table is created on
first use by each connection. The batch runner (its own process) writes progress here.
"""

from __future__ import annotations

import os
import sqlite3
import time
import uuid
from typing import Any

from frogml_airflow_provider.platform.base import BatchJob, BatchJobState
from frogml_airflow_provider.platform.local.store import Store

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS batch_jobs ("
    " job_id TEXT PRIMARY KEY, model_id TEXT NOT NULL, build_id TEXT NOT NULL, run_key TEXT NOT NULL,"
    " state TEXT NOT NULL, source TEXT NOT NULL, destination TEXT NOT NULL,"
    " files_total INTEGER NOT NULL DEFAULT 0, files_done INTEGER NOT NULL DEFAULT 0,"
    " rows_done INTEGER NOT NULL DEFAULT 0, error TEXT NOT NULL DEFAULT '', pid INTEGER,"
    " created REAL NOT NULL, finished REAL)",
    "CREATE INDEX IF NOT EXISTS batch_jobs_by_run ON batch_jobs (model_id, run_key, created)",
)
_READY: set[tuple[int, str]] = set()  # (process, file): the table exists


class BatchStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    def _run(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        key = (os.getpid(), str(self.store.path))
        with self.store._db() as db:
            if key not in _READY:
                for statement in _SCHEMA:
                    db.execute(statement)
                _READY.add(key)
            return db.execute(sql, args)

    def new_job(self, model_id: str, build_id: str, run_key: str, source: str, destination: str, files: int) -> str:
        job_id = f"batch-{model_id[:40]}-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
        self._run(
            "INSERT INTO batch_jobs (job_id, model_id, build_id, run_key, state, source, destination, files_total,"
            " created) VALUES (?,?,?,?,?,?,?,?,?)",
            (job_id, model_id, build_id, run_key, BatchJobState.QUEUED.value, source, destination, files, time.time()),
        )
        return job_id

    def set(self, job_id: str, **values: Any) -> None:
        if "state" in values:
            values["state"] = BatchJobState(values["state"]).value
        assignments = ", ".join(f"{name} = ?" for name in values)
        self._run(f"UPDATE batch_jobs SET {assignments} WHERE job_id = ?", (*values.values(), job_id))

    def start(self, job_id: str) -> bool:
        """QUEUED -> RUNNING; False when the job was cancelled meanwhile."""
        cursor = self._run(
            "UPDATE batch_jobs SET state = ? WHERE job_id = ? AND state = ?",
            (BatchJobState.RUNNING.value, job_id, BatchJobState.QUEUED.value),
        )
        return cursor.rowcount == 1

    def finish_if_running(self, job_id: str, state: BatchJobState, error: str) -> bool:
        """Move a job to a terminal state unless it reached one already (first writer wins)."""
        cursor = self._run(
            "UPDATE batch_jobs SET state = ?, error = ?, finished = ? WHERE job_id = ? AND state IN (?, ?)",
            (state.value, error, time.time(), job_id, BatchJobState.QUEUED.value, BatchJobState.RUNNING.value),
        )
        return cursor.rowcount == 1

    def row(self, job_id: str) -> sqlite3.Row | None:
        if not self.store.exists():  # a read (a console view) never creates the state folder
            return None
        return self._run("SELECT * FROM batch_jobs WHERE job_id = ?", (job_id,)).fetchone()

    def latest_for(self, model_id: str, run_key: str) -> sqlite3.Row | None:
        if not self.store.exists():
            return None
        return self._run(
            "SELECT * FROM batch_jobs WHERE model_id = ? AND run_key = ? ORDER BY created DESC LIMIT 1",
            (model_id, run_key),
        ).fetchone()

    def jobs(self, model_id: str | None = None) -> list[sqlite3.Row]:
        if not self.store.exists():
            return []
        if model_id:
            return self._run("SELECT * FROM batch_jobs WHERE model_id = ? ORDER BY created", (model_id,)).fetchall()
        return self._run("SELECT * FROM batch_jobs ORDER BY created").fetchall()


def job_from_row(row: sqlite3.Row, log_tail: str = "") -> BatchJob:
    return BatchJob(
        job_id=row["job_id"],
        model_id=row["model_id"],
        build_id=row["build_id"],
        state=BatchJobState(row["state"]),
        run_key=row["run_key"],
        files_total=row["files_total"],
        files_done=row["files_done"],
        rows_done=row["rows_done"],
        source=row["source"],
        destination=row["destination"],
        error=row["error"],
        log_tail=log_tail,
        started_at=row["created"],
    )
