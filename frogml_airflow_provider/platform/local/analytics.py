"""The local analytics store: every prediction of a local endpoint, one SQL table per model.

SQLite is the engine, so ``SqlMetric`` queries and SQL thresholds are real SQL. A model's table
is its id with every non-alphanumeric character replaced by ``_`` (``churn-model`` ->
``churn_model``), with columns: ``ts`` (UTC, ISO 8601), ``request_id``, ``variation``,
``build_id``, ``request`` and ``response`` (JSON), ``latency_ms``, ``error`` (NULL when the
prediction worked) and ``status`` (the HTTP status).
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

from frogml_airflow_provider.platform.base import PlatformError, QueryResult

COLUMNS = ("ts", "request_id", "variation", "build_id", "request", "response", "latency_ms", "error", "status")


def table_for(model_id: str) -> str:
    return re.sub(r"\W", "_", model_id).lower()


class AnalyticsStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def ensure_table(self, model_id: str) -> None:
        with self._connect() as db:
            db.execute(
                f'CREATE TABLE IF NOT EXISTS "{table_for(model_id)}" (ts TEXT NOT NULL, request_id TEXT NOT NULL, '
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

    def query(self, sql: str) -> QueryResult:
        """Run one read-only query. Errors name the query's problem, not a driver traceback."""
        if not self.path.exists():
            raise PlatformError(
                f"analytics query failed: no predictions have been recorded yet ({self.path}); "
                "deploy a model and send it traffic first"
            )
        db = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            db.execute("PRAGMA query_only = ON")
            cursor = db.execute(sql)
            rows = tuple(tuple(row) for row in cursor.fetchmany(1000))
            columns = tuple(d[0] for d in cursor.description or ())
        except sqlite3.Error as error:
            raise PlatformError(f"analytics query failed: {error} (query: {sql.strip()[:300]})") from None
        finally:
            db.close()
        return QueryResult(columns, rows)
