"""The evaluations a metric watcher decides on: one per tick of the automation's cron, shared by
every watcher of the same query, connection and cron (``share_key``).

Each evaluation runs the ``SqlMetric`` query (and a SQL threshold) on the platform in a thread of its
own, within ``[frogml] query_timeout``: it never blocks the triggerer's event loop and never raises (a
failure is an ``error`` entry, never a value). After failures the next tick waits (one minute,
doubling, an hour at most). Used by ``triggers/metric.py``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from croniter import croniter

from frogml_airflow_provider.automations._checks import is_sql
from frogml_airflow_provider.get_provider_info import DEFAULT_CONN_ID
from frogml_airflow_provider.platform.numbers import query_number, query_timeout

MAX_BACKOFF = 3600.0
PLATFORM_TTL = 300.0  # a connection changed in Airflow is picked up within this
QUERY_GRACE = 15.0  # past query_timeout, the platform's own stop had its chance: stop waiting


def share_key(kwargs: dict[str, Any]) -> tuple[str, ...]:
    """What watchers must have in common to share an evaluation: the connection, the cron, the query
    and a SQL threshold (a literal threshold is each watcher's own)."""
    threshold = str(kwargs.get("threshold") or "")
    return (
        "frogml-metric",
        str(kwargs.get("frogml_conn_id") or DEFAULT_CONN_ID),
        str(kwargs["cron"]).strip(),
        str(kwargs["sql_query"]).strip(),
        threshold.strip() if is_sql(threshold) else "",
    )


async def evaluations(kwargs: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    """Raw evaluations on the cron: ``{"at", "value", "threshold"}`` (threshold only when it is a SQL
    query), or ``{"at", "error"}``. Runs forever; backs off after failures."""
    cron = str(kwargs["cron"]).strip()
    failures = 0
    now = datetime.now(UTC)
    tick = now.replace(microsecond=0) if kwargs.get("evaluate_at_start") else next_tick(cron, now)
    while True:
        await asyncio.sleep(max(0.0, (tick - datetime.now(UTC)).total_seconds()))
        raw = await evaluate(kwargs, tick)
        yield raw
        failures = failures + 1 if "error" in raw else 0
        tick = next_tick(cron, tick, failures=failures, now=datetime.now(UTC))


def next_tick(cron: str, after: datetime, *, failures: int = 0, now: datetime | None = None) -> datetime:
    """The cron's next tick after ``after`` and ``now`` (ticks missed while a query ran are skipped);
    after ``failures`` failed evaluations in a row, not before a back-off of one minute, doubling,
    an hour at most."""
    earliest = max(after, now or after)
    if failures:
        earliest = max(earliest, (now or after) + timedelta(seconds=min(MAX_BACKOFF, 60.0 * 2 ** (failures - 1))))
    following: datetime = croniter(cron, earliest).get_next(datetime)
    return following.astimezone(UTC)


async def evaluate(kwargs: dict[str, Any], tick: datetime) -> dict[str, Any]:
    """One evaluation of the metric (and a SQL threshold), in a thread: never blocks the event loop,
    never raises: a failure is an ``error`` entry."""
    at = tick.timestamp()
    try:
        limit = query_timeout()
        loop = asyncio.get_running_loop()
        work = loop.run_in_executor(_executor(), _evaluate_sync, kwargs)
        value, threshold = await asyncio.wait_for(work, timeout=limit + QUERY_GRACE)
    except TimeoutError:
        return {"at": at, "error": f"the metric query did not answer within {limit + QUERY_GRACE:g} s; stopped waiting"}
    except Exception as error:  # noqa: BLE001 - recorded in the history; never a crossing
        return {"at": at, "error": f"{type(error).__name__}: {error}" if not str(error) else str(error)}
    return {"at": at, "value": value, "threshold": threshold}


def _evaluate_sync(kwargs: dict[str, Any]) -> tuple[float, float | None]:
    platform = _platform(str(kwargs.get("frogml_conn_id") or DEFAULT_CONN_ID))
    where = f"trigger {kwargs['trigger_name']!r} (DAG {kwargs['dag_id']!r})"
    value = query_number(platform, str(kwargs["sql_query"]), role="metric", where=where)
    threshold = str(kwargs["threshold"])
    if is_sql(threshold):
        return value, query_number(platform, threshold, role="threshold", where=where)
    return value, None


_EXECUTOR: ThreadPoolExecutor | None = None
_PLATFORMS: dict[str, tuple[float, Any]] = {}


def _executor() -> ThreadPoolExecutor:
    """Metric queries get threads of their own: a slow query never holds the threads other
    triggers (builds, deployments) use."""
    global _EXECUTOR
    if _EXECUTOR is None:
        from airflow.configuration import conf

        workers = max(1, conf.getint("frogml", "metric_trigger_query_threads", fallback=8))
        _EXECUTOR = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="frogml-metric")
    return _EXECUTOR


def _platform(conn_id: str) -> Any:
    """One platform per connection in this process, rebuilt every few minutes (a changed connection)."""
    cached = _PLATFORMS.get(conn_id)
    if cached is not None and time.monotonic() - cached[0] < PLATFORM_TTL:
        return cached[1]
    from frogml_airflow_provider.hooks.frogml import FrogMLHook

    platform = FrogMLHook(frogml_conn_id=conn_id).platform
    _PLATFORMS[conn_id] = (time.monotonic(), platform)
    return platform
