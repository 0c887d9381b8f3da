"""The local analytics store: every prediction of a local endpoint, one SQL table per model.

SQLite is the engine, so ``SqlMetric`` queries and SQL thresholds are real SQL, with columns:
``ts`` (UTC, ISO 8601), ``request_id``, ``variation``, ``build_id``, ``request`` and ``response``
(JSON), ``latency_ms``, ``error`` (NULL when the prediction worked) and ``status`` (the HTTP
status). See ``table_for`` for a model's table name.

A query may only read, and only for a limited time (``timeout``): SQLite runs a statement in C,
deaf to signals, so a recursive CTE would otherwise hold its task (and a ``max_active_runs=1``
DAG) forever.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from frogml_airflow_provider.platform.base import PlatformError, QueryResult, QueryTimeout

COLUMNS = ("ts", "request_id", "variation", "build_id", "request", "response", "latency_ms", "error", "status")
DEFAULT_QUERY_TIMEOUT = 60.0
OWNERS = "_model_tables"  # which model id owns each table; no model id maps to a leading "_"
_CANONICAL = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_PROGRESS_STEPS = 10_000  # SQLite VM instructions between deadline checks (~a millisecond)
# What a read needs: the statement itself, reading columns, calling functions, a recursive CTE.
_READ_ACTIONS = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)
# SQLite's authorizer action codes, 1 to 33 in order, to say what a refused query asked for.
_ACTIONS = (
    "CREATE INDEX",
    "CREATE TABLE",
    "CREATE TEMP INDEX",
    "CREATE TEMP TABLE",
    "CREATE TEMP TRIGGER",
    "CREATE TEMP VIEW",
    "CREATE TRIGGER",
    "CREATE VIEW",
    "DELETE",
    "DROP INDEX",
    "DROP TABLE",
    "DROP TEMP INDEX",
    "DROP TEMP TABLE",
    "DROP TEMP TRIGGER",
    "DROP TEMP VIEW",
    "DROP TRIGGER",
    "DROP VIEW",
    "INSERT",
    "PRAGMA",
    "READ",
    "SELECT",
    "TRANSACTION",
    "UPDATE",
    "ATTACH",
    "DETACH",
    "ALTER TABLE",
    "REINDEX",
    "ANALYZE",
    "CREATE VTABLE",
    "DROP VTABLE",
    "FUNCTION",
    "SAVEPOINT",
    "RECURSIVE",
)


def table_for(model_id: str) -> str:
    """A model's table: distinct ids never share one.

    An id of lower-case letters and digits in groups joined by single hyphens (``iris-classifier``,
    the form the examples use) becomes its readable name, hyphens as underscores
    (``iris_classifier``): one-to-one, as such ids have no ``_``. Any other id
    (``iris_classifier``, ``Iris.Classifier``) would collide with one of those, so it gets the
    same kind of name plus ``__`` and the first 8 hex digits of the id's SHA-256
    (``iris_classifier__db25b55e``); a canonical id never maps to a name with ``__``. Two
    non-canonical ids meet only if their names and hashes both match; ``ensure_table`` refuses
    that rather than share. A "no such table" error lists the tables there are.
    """
    if _CANONICAL.fullmatch(model_id):
        return model_id.replace("-", "_")
    stem = re.sub(r"[^a-z0-9]+", "_", model_id.lower()).strip("_") or "model"
    return f"{stem}__{hashlib.sha256(model_id.encode()).hexdigest()[:8]}"


class AnalyticsStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def ensure_table(self, model_id: str) -> None:
        table = table_for(model_id)
        with self._connect() as db:
            db.execute(f"CREATE TABLE IF NOT EXISTS {OWNERS} (name TEXT PRIMARY KEY, model_id TEXT NOT NULL)")
            db.execute(f"INSERT OR IGNORE INTO {OWNERS} VALUES (?, ?)", (table, model_id))
            (owner,) = db.execute(f"SELECT model_id FROM {OWNERS} WHERE name = ?", (table,)).fetchone()
            if owner != model_id:
                raise PlatformError(
                    f"model ids {owner!r} and {model_id!r} map to one analytics table {table!r} (a hash "
                    "collision); give one of the models another id"
                )
            db.execute(
                f'CREATE TABLE IF NOT EXISTS "{table}" (ts TEXT NOT NULL, request_id TEXT NOT NULL, '
                "variation TEXT, build_id TEXT, request TEXT, response TEXT, latency_ms REAL, error TEXT, "
                "status INTEGER)"
            )

    def record(
        self,
        model_id: str,
        *,
        variation: str,
        build_id: str,
        request: str,
        response: str | None,
        latency_ms: float,
        error: str | None,
        status: int,
        at: datetime | None = None,
    ) -> None:
        moment = (at or datetime.now(UTC)).isoformat(timespec="milliseconds")
        db = self._connect()
        try:
            db.execute(
                f'INSERT INTO "{table_for(model_id)}" VALUES (?,?,?,?,?,?,?,?,?)',
                (moment, uuid.uuid4().hex, variation, build_id, request, response, latency_ms, error, status),
            )
        finally:
            db.close()

    def query(self, sql: str, *, timeout: float | None = None) -> QueryResult:
        """Run one read-only query, stopped after ``timeout`` seconds (default 60). Errors name the
        query's problem, not a driver traceback."""
        limit = DEFAULT_QUERY_TIMEOUT if timeout is None else timeout
        shown = sql.strip()[:300]
        if not self.path.exists():
            raise PlatformError(
                f"analytics query failed: no predictions have been recorded yet ({self.path}); "
                "deploy a model and send it traffic first"
            )
        deadline = time.monotonic() + limit
        # mode=ro applies to this file only: ATTACH (and VACUUM INTO, which attaches its target)
        # opens its file read-write-create, and query_only does not stop an open from creating
        # it. So no database may be attached at all, and the authorizer refuses all but reads.
        db = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True, timeout=max(0.0, min(30.0, limit)))
        refused: list[str] = []
        try:
            db.execute("PRAGMA query_only = ON")
            db.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
            db.set_authorizer(_read_only(refused))
            db.set_progress_handler(lambda: time.monotonic() > deadline, _PROGRESS_STEPS)
            cursor = db.execute(sql)
            rows = tuple(tuple(row) for row in cursor.fetchmany(1000))
            columns = tuple(d[0] for d in cursor.description or ())
        except sqlite3.Error as error:
            if refused:
                raise PlatformError(
                    f"analytics query refused: analytics are read-only, a query may only read (SELECT, WITH); "
                    f"this one asks for "
                    f"{', '.join(dict.fromkeys(refused))} (query: {shown})"
                ) from None
            if time.monotonic() > deadline and "interrupted" in str(error):
                raise QueryTimeout(
                    f"analytics query did not finish within {limit:g} s and was stopped (query: {shown})", limit=limit
                ) from None
            raise PlatformError(f"analytics query failed: {error}{self._hint(error)} (query: {shown})") from None
        finally:
            db.close()
        return QueryResult(columns, rows)

    def _hint(self, error: sqlite3.Error) -> str:
        """For "no such table": the tables there are (a model's table name is not always its id)."""
        if "no such table" not in str(error):
            return ""
        db = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            names = [
                row[0]
                for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                if row[0] != OWNERS
            ]
        except sqlite3.Error:
            return ""
        finally:
            db.close()
        return f"; the tables are: {', '.join(names)}" if names else "; no model has a table yet"


def _read_only(refused: list[str]) -> Callable[[int, str | None, str | None, str | None, str | None], int]:
    def authorize(action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None) -> int:
        if action in _READ_ACTIONS:
            return sqlite3.SQLITE_OK
        refused.append(
            " ".join(
                part
                for part in (_ACTIONS[action - 1] if 0 < action <= len(_ACTIONS) else f"action {action}", arg1)
                if part
            )
        )
        return sqlite3.SQLITE_DENY

    return authorize
