"""The local platform's registry of builds and deployments: one SQLite file, safe across processes.

The build runner and model servers (separate processes) write their own state here; the platform,
operators and triggers read it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Defined in errors (with every other exception); still importable from here, their old home.
from frogml_airflow_provider.errors import RegistryUnreadableError as RegistryUnreadableError
from frogml_airflow_provider.errors import StateMissingError as StateMissingError
from frogml_airflow_provider.platform.base import (
    Build,
    BuildState,
    Decision,
    Deployment,
    DeploymentState,
    PlatformError,
)
from frogml_airflow_provider.platform.local.paths import StateDir

_SCHEMA = """
CREATE TABLE IF NOT EXISTS builds (
    build_id TEXT PRIMARY KEY, model_id TEXT NOT NULL, run_key TEXT NOT NULL, state TEXT NOT NULL,
    spec TEXT NOT NULL, metrics TEXT NOT NULL DEFAULT '{}', error TEXT NOT NULL DEFAULT '',
    pid INTEGER, created REAL NOT NULL, finished REAL
);
CREATE INDEX IF NOT EXISTS builds_by_run ON builds (model_id, run_key, created);
CREATE TABLE IF NOT EXISTS deployments (
    model_id TEXT NOT NULL, variation TEXT NOT NULL, build_id TEXT NOT NULL, state TEXT NOT NULL,
    port INTEGER, pid INTEGER, error TEXT NOT NULL DEFAULT '', spec TEXT NOT NULL DEFAULT '{}',
    updated REAL NOT NULL, PRIMARY KEY (model_id, variation)
);
CREATE TABLE IF NOT EXISTS decisions (
    kind TEXT NOT NULL, model_id TEXT NOT NULL, subject TEXT NOT NULL, detail TEXT NOT NULL, at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS servers (
    pid INTEGER PRIMARY KEY, model_id TEXT NOT NULL, variation TEXT NOT NULL, port INTEGER, started REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS deployment_history (
    model_id TEXT NOT NULL, variation TEXT NOT NULL, build_id TEXT NOT NULL, state TEXT NOT NULL,
    port INTEGER, at REAL NOT NULL
);
"""


_OPEN = threading.local()  # one connection per process, thread and file: a poll costs ~5 us, not ~250


class Store:
    """The registry file, opened once per thread (a triggerer polls it for hundreds of builds).

    Reads never create it: a state folder nothing was written to (or that was deleted) reads as
    empty. A file that is not a SQLite database is an error naming the file and the fix.
    """

    def __init__(self, state_dir: str | os.PathLike[str] | StateDir) -> None:
        self.state = state_dir if isinstance(state_dir, StateDir) else StateDir(state_dir)
        self.state_dir = self.state.root
        self.path = self.state.db

    def exists(self) -> bool:
        """Whether anything was recorded here; a state "folder" that is a file is an error, not "no"."""
        try:
            self.path.stat()
        except FileNotFoundError:
            return False
        except OSError as error:
            raise unopenable(self.path, error) from None
        return True

    @contextmanager
    def _db(self, *, create: bool = True) -> Iterator[sqlite3.Connection]:
        try:
            yield self._connection(create)
        except sqlite3.OperationalError:
            raise
        except sqlite3.DatabaseError as error:
            raise corrupt(self.path, error) from None

    def _connection(self, create: bool) -> sqlite3.Connection:
        key = (os.getpid(), str(self.path))  # a forked child opens its own
        connections: dict[tuple[int, str], tuple[sqlite3.Connection, int]] = _OPEN.__dict__.setdefault(
            "connections", {}
        )
        try:
            inode = self.path.stat().st_ino
        except FileNotFoundError:
            inode = 0
        except OSError as error:  # the state "folder" is a file, or may not be read
            raise unopenable(self.path, error) from None
        cached = connections.get(key)
        if cached is not None and cached[1] == inode:
            return cached[0]
        if cached is not None:  # the file was deleted or replaced: the old handle writes nowhere
            connections.pop(key)[0].close()
        if not inode and not create:
            raise StateMissingError(self.path)
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except (OSError, sqlite3.OperationalError) as error:  # a file where the folder should be, a folder as db
            raise unopenable(self.path, error) from None
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
        except sqlite3.OperationalError as error:
            db.close()
            if self.path.is_dir() or "unable to open" in str(error):
                raise unopenable(self.path, error) from None
            raise
        except sqlite3.DatabaseError as error:
            db.close()
            raise corrupt(self.path, error) from None
        db.row_factory = sqlite3.Row
        connections[key] = (db, self.path.stat().st_ino)
        return db

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Rows of a query, or none when nothing was ever recorded here (no file is created)."""
        try:
            with self._db(create=False) as db:
                return db.execute(sql, args).fetchall()
        except StateMissingError:
            return []

    # -- builds ----------------------------------------------------------------------------
    def new_build(self, model_id: str, run_key: str, spec: dict[str, Any]) -> str:
        build_id = f"{model_id[:40]}-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
        with self._db() as db:
            db.execute(
                "INSERT INTO builds (build_id, model_id, run_key, state, spec, created) VALUES (?,?,?,?,?,?)",
                (build_id, model_id, run_key, BuildState.QUEUED.value, json.dumps(spec), time.time()),
            )
        return build_id

    def set_build(self, build_id: str, **values: Any) -> None:
        if "metrics" in values:
            values["metrics"] = json.dumps(values["metrics"])
        if "state" in values:
            values["state"] = BuildState(values["state"]).value
            if BuildState(values["state"]).terminal:
                values.setdefault("finished", time.time())
        assignments = ", ".join(f"{name} = ?" for name in values)
        with self._db(create=False) as db:
            db.execute(f"UPDATE builds SET {assignments} WHERE build_id = ?", (*values.values(), build_id))

    def finish_build_if_running(self, build_id: str, state: BuildState, error: str) -> bool:
        """Move a build to a terminal state unless it reached one already (first writer wins)."""
        with self._db(create=False) as db:
            cursor = db.execute(
                "UPDATE builds SET state = ?, error = ?, finished = ? WHERE build_id = ? AND state IN (?, ?)",
                (state.value, error, time.time(), build_id, BuildState.QUEUED.value, BuildState.RUNNING.value),
            )
            return cursor.rowcount == 1

    def build_row(self, build_id: str) -> sqlite3.Row | None:
        return next(iter(self._read("SELECT * FROM builds WHERE build_id = ?", (build_id,))), None)

    def latest_build_for(self, model_id: str, run_key: str) -> sqlite3.Row | None:
        rows = self._read(
            "SELECT * FROM builds WHERE model_id = ? AND run_key = ? ORDER BY created DESC LIMIT 1", (model_id, run_key)
        )
        return next(iter(rows), None)

    def builds(self, model_id: str | None = None) -> list[sqlite3.Row]:
        if model_id:
            return self._read("SELECT * FROM builds WHERE model_id = ? ORDER BY created", (model_id,))
        return self._read("SELECT * FROM builds ORDER BY created")

    # -- decisions (for the console's charts) -----------------------------------------------
    def record_decision(self, kind: str, model_id: str, subject: str, detail: dict[str, Any]) -> None:
        with self._db() as db:
            db.execute(
                "INSERT INTO decisions VALUES (?,?,?,?,?)", (kind, model_id, subject, json.dumps(detail), time.time())
            )

    def decisions(self, kind: str, model_id: str) -> list[Decision]:
        rows = self._read(
            "SELECT at, subject, detail FROM decisions WHERE kind = ? AND model_id = ? ORDER BY at", (kind, model_id)
        )
        return [Decision(kind, model_id, row["subject"], json.loads(row["detail"]), row["at"]) for row in rows]

    # -- deployments -----------------------------------------------------------------------
    def put_deployment(
        self,
        model_id: str,
        variation: str,
        build_id: str,
        state: DeploymentState,
        *,
        port: int | None = None,
        pid: int | None = None,
        error: str = "",
        spec: dict[str, Any] | None = None,
    ) -> None:
        now = time.time()
        with self._db() as db:
            db.execute(
                "INSERT INTO deployments (model_id, variation, build_id, state, port, pid, error, spec, updated) "
                "VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (model_id, variation) DO UPDATE SET build_id=excluded.build_id,"
                " state=excluded.state, port=excluded.port, pid=excluded.pid, error=excluded.error,"
                " spec=excluded.spec, updated=excluded.updated",
                (model_id, variation, build_id, state.value, port, pid, error, json.dumps(spec or {}), now),
            )
            db.execute(
                "INSERT INTO deployment_history VALUES (?,?,?,?,?,?)",
                (model_id, variation, build_id, state.value, port, now),
            )

    def deployment_row(self, model_id: str, variation: str) -> sqlite3.Row | None:
        rows = self._read("SELECT * FROM deployments WHERE model_id = ? AND variation = ?", (model_id, variation))
        return next(iter(rows), None)

    def deployments(self) -> list[sqlite3.Row]:
        return self._read("SELECT * FROM deployments ORDER BY model_id, variation")

    def names_server(self, model_id: str, variation: str, pid: int) -> bool:
        """True while the deployment is DEPLOYING with this server (no later deploy replaced it)."""
        row = self.deployment_row(model_id, variation)
        return row is not None and row["pid"] == pid and row["state"] == DeploymentState.DEPLOYING.value

    def mark_serving(self, model_id: str, variation: str, pid: int) -> bool:
        """SERVING, if the deployment still names this server (a later deploy may have replaced it)."""
        with self._db(create=False) as db:
            cursor = db.execute(
                "UPDATE deployments SET state = ?, updated = ? WHERE model_id = ? AND variation = ? AND pid = ?"
                " AND state = ?",
                (DeploymentState.SERVING.value, time.time(), model_id, variation, pid, DeploymentState.DEPLOYING.value),
            )
            if cursor.rowcount != 1:
                return False
            row = db.execute(
                "SELECT build_id, port FROM deployments WHERE model_id = ? AND variation = ?", (model_id, variation)
            ).fetchone()
            db.execute(
                "INSERT INTO deployment_history VALUES (?,?,?,?,?,?)",
                (model_id, variation, row["build_id"], DeploymentState.SERVING.value, row["port"], time.time()),
            )
            return True

    def fail_deployment(self, model_id: str, variation: str, pid: int, error: str) -> None:
        """FAILED with ``error``, if the deployment still names this server."""
        with self._db(create=False) as db:
            db.execute(
                "UPDATE deployments SET state = ?, error = ?, updated = ? WHERE model_id = ? AND variation = ?"
                " AND pid = ?",
                (DeploymentState.FAILED.value, error, time.time(), model_id, variation, pid),
            )

    # -- model server processes: every one the platform starts is known until it is gone ------
    def add_server(self, pid: int, model_id: str, variation: str, port: int) -> None:
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO servers VALUES (?,?,?,?,?)", (pid, model_id, variation, port, time.time())
            )

    def remove_server(self, pid: int) -> None:
        with self._db(create=False) as db:
            db.execute("DELETE FROM servers WHERE pid = ?", (pid,))

    def servers(self, model_id: str | None = None, variation: str | None = None) -> list[sqlite3.Row]:
        if model_id is None:
            return self._read("SELECT * FROM servers ORDER BY started")
        return self._read(
            "SELECT * FROM servers WHERE model_id = ? AND variation = ? ORDER BY started", (model_id, variation)
        )


def corrupt(path: Path, error: Exception) -> PlatformError:
    return RegistryUnreadableError(
        f"the local platform's registry {path} is not a readable SQLite database ({error}). Move it aside "
        f"(mv {path} {path}.broken) and rerun the DAG: the builds and deployments recorded in it are lost; "
        "stop model servers still running from it (processes of frogml_airflow_provider.platform.local.server)"
    )


def unopenable(path: Path, error: Exception) -> PlatformError:
    reason = getattr(error, "strerror", None) or str(error)
    return RegistryUnreadableError(
        f"the local platform's registry {path} cannot be opened ({reason}): {path.parent} must be a folder and "
        f"{path.name} a SQLite file in it, both readable and writable by Airflow's user. Fix the path (the frogml "
        "connection's extra.state_dir, or [frogml] local_state_dir) or move what is in the way aside"
    )


def build_from_row(row: sqlite3.Row, log_tail: str = "") -> Build:
    return Build(
        build_id=row["build_id"],
        model_id=row["model_id"],
        state=BuildState(row["state"]),
        run_key=row["run_key"],
        metrics=json.loads(row["metrics"]),
        error=row["error"],
        log_tail=log_tail,
        started_at=row["created"],
    )


def deployment_from_row(row: sqlite3.Row) -> Deployment:
    endpoint = f"http://127.0.0.1:{row['port']}/v1/{row['model_id']}/predict" if row["port"] else ""
    return Deployment(
        model_id=row["model_id"],
        variation=row["variation"],
        build_id=row["build_id"],
        state=DeploymentState(row["state"]),
        endpoint=endpoint,
        error=row["error"],
    )
