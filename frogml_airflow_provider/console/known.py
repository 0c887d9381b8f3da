"""What this Airflow already knows of the automations, for the console's status page.

The API server never imports an automation file (DAG authors' code belongs to the dag-processor
and the workers): everything here is read, not run.

- Airflow's metadata database: the DAGs tagged ``frogml`` (paused, stale, scheduled, their file,
  their last run) and the import errors the loader reported, one query each.
- The loader's record (``dags.shares.read_records``), written by the dag-processor at parse time
  under ``$AIRFLOW_HOME/frogml/names``: each DAG's automation name, file, ledger entry and field
  digests. Where the API server does not share that folder, rows show what the database says.
- JFrog ML, through the ``frogml_default`` connection when it points there: its automations,
  their last execution and their spec (for drift), cached for ``JFROG_TTL`` seconds and fetched by
  one view at a time, whatever the number of views.

Views are bounded: the database and record snapshot is shared for ``SNAPSHOT_TTL`` seconds, JFrog
ML's side for ``JFROG_TTL`` (both configurable), and
``VIEWS_AT_ONCE`` console pages are built at once (``console_turn``), the others waiting in the event
loop; a view that waits longer than ``VIEW_WAIT`` seconds says the console is busy.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

from frogml_airflow_provider.dags.shares import LOADER_PREFIX, RecordSet, field_digests, read_records

SNAPSHOT_TTL = 5.0  # [frogml] console_cache_seconds: a snapshot of the database and the record serves every view
JFROG_TTL = 60.0  # [frogml] console_jfrog_cache_seconds: JFrog ML's side (a list, a call per automation)
VIEWS_AT_ONCE = 1  # console pages built at once per API server process: the others wait, the server answers
VIEW_WAIT = 20.0  # seconds a view waits for its turn before it says the console is busy
FROGML_TAG = "frogml"


@dataclass(frozen=True)
class Dag:
    dag_id: str
    is_paused: bool
    is_stale: bool
    scheduled: bool
    relative_fileloc: str
    last_run_state: str
    last_run_at: str


@dataclass(frozen=True)
class ImportProblem:
    filename: str
    text: str

    @property
    def of_a_loader_file(self) -> bool:
        """A loader file failed as a whole (its DAGs are kept stale); else one automation file's error."""
        return os.path.basename(self.filename).startswith(LOADER_PREFIX)


@dataclass(frozen=True)
class Snapshot:
    dags: dict[str, Dag]
    errors: tuple[ImportProblem, ...]
    records: RecordSet
    problems: tuple[str, ...]  # what could not be read, each said as content


@dataclass(frozen=True)
class NativeState:
    enabled: bool
    scheduled: bool
    spec: dict[str, str]  # field digests, as the loader's record has them
    last_execution: str
    last_execution_status: str


@dataclass(frozen=True)
class JFrogSide:
    natives: dict[str, NativeState] | None  # None: JFrog ML is not reachable from here
    notes: tuple[str, ...] = field(default=())


def records_home() -> Path:
    from airflow.configuration import AIRFLOW_HOME

    return Path(AIRFLOW_HOME) / "frogml" / "names"


def read_snapshot() -> Snapshot:
    problems: list[str] = []
    dags: dict[str, Dag] = {}
    errors: tuple[ImportProblem, ...] = ()
    try:
        dags, errors = _from_database()
    except Exception as error:  # noqa: BLE001 - the page says it, and shows what else it knows
        problems.append(f"Airflow's metadata database could not be read: {type(error).__name__}: {error}")
    records = read_records(records_home())
    problems.extend(records.problems)
    return Snapshot(dags, errors, records, tuple(problems))


def _from_database() -> tuple[dict[str, Dag], tuple[ImportProblem, ...]]:
    from airflow.models.dag import DagModel, DagTag
    from airflow.models.dagrun import DagRun
    from airflow.models.errors import ParseImportError
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    tagged = select(DagTag.dag_id).where(DagTag.name == FROGML_TAG)
    last = (
        select(DagRun.dag_id, func.max(DagRun.id).label("run_id"))
        .where(DagRun.dag_id.in_(tagged))
        .group_by(DagRun.dag_id)
        .subquery()
    )
    # Columns, not ORM objects: no identity map and a few tuples per DAG (thousands of ORM objects per
    # refresh set off full garbage collections that paused the whole API server under load).
    query = (
        select(
            DagModel.dag_id,
            DagModel.is_paused,
            DagModel.is_stale,
            DagModel.timetable_summary,
            DagModel.relative_fileloc,
            DagRun.state,
            DagRun.run_after,
        )
        .where(DagModel.dag_id.in_(tagged))
        .outerjoin(last, last.c.dag_id == DagModel.dag_id)
        .outerjoin(DagRun, DagRun.id == last.c.run_id)
    )
    with create_session() as session:
        dags = {
            dag_id: Dag(
                dag_id=dag_id,
                is_paused=bool(paused),
                is_stale=bool(stale),
                scheduled=summary not in (None, "", "None"),
                relative_fileloc=fileloc or "",
                last_run_state=str(state or ""),
                last_run_at=run_after.isoformat() if run_after else "",
            )
            for dag_id, paused, stale, summary, fileloc, state, run_after in session.execute(query)
        }
        errors = tuple(
            ImportProblem(filename or "", stacktrace or "")
            for filename, stacktrace in session.execute(
                select(ParseImportError.filename, ParseImportError.stacktrace).order_by(ParseImportError.filename)
            )
            if _ours(filename or "", stacktrace or "")
        )
    return dags, errors


def _ours(filename: str, text: str) -> bool:
    """An import error of a loader file, or one the loader reported for an automation file (those
    start with the file's key: ``automations/x.py:3: ...``; Python's own errors never do)."""
    return os.path.basename(filename).startswith(LOADER_PREFIX) or text.startswith(f"{filename}:")


def ttl(option: str, default: float) -> Callable[[], float]:
    """The ``[frogml] option`` seconds, read when first needed (not at import: no config at import)."""

    def seconds() -> float:
        from airflow.configuration import conf

        return max(0.0, conf.getfloat("frogml", option, fallback=default))

    return seconds


class Cached:
    """One value for ``ttl()`` seconds, computed by one caller at a time: concurrent views share it."""

    def __init__(self, ttl: Callable[[], float], compute: Callable[[], Any]) -> None:
        self.ttl = ttl
        self.compute = compute
        self._lock = threading.Lock()
        self._value: Any = None
        self._until = 0.0

    def get(self) -> Any:
        if time.monotonic() < self._until:
            return self._value
        with self._lock:
            if time.monotonic() >= self._until:  # another view may have refreshed it meanwhile
                self._value = self.compute()
                self._until = time.monotonic() + self.ttl()
            return self._value

    def clear(self) -> None:
        self._until = 0.0


# Per event loop (the API server has one; each test client its own): a limiter belongs to its loop.
_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = weakref.WeakKeyDictionary()


class ConsoleBusy(Exception):
    """A view waited past ``VIEW_WAIT`` for its turn: said on the page."""


@asynccontextmanager
async def console_turn() -> AsyncIterator[None]:
    """One of ``VIEWS_AT_ONCE`` turns to build a console page. A view waits for it in the event loop,
    holding no thread: Airflow's own sync endpoints share the server's thread pool (40 threads), and
    views queued in it would starve them."""
    loop = asyncio.get_running_loop()
    limiter = _TURNS.get(loop)
    if limiter is None:
        limiter = _TURNS.setdefault(loop, anyio.CapacityLimiter(VIEWS_AT_ONCE))
    try:
        with anyio.fail_after(VIEW_WAIT):
            await limiter.acquire()
    except TimeoutError:
        raise ConsoleBusy(
            f"the console is building {VIEWS_AT_ONCE} page(s) already and this one waited {VIEW_WAIT:g} s; reload it"
        ) from None
    try:
        yield
    finally:
        limiter.release()


def jfrog_side(conn_id: str) -> JFrogSide:
    """JFrog ML's automations, or why they are unknown (never raises: a failure is a note)."""
    from frogml_airflow_provider.errors import FrogMLProviderError
    from frogml_airflow_provider.migration.commands import jfrog_if_set_up

    notes: list[str] = []
    try:
        with jfrog_if_set_up(conn_id, notes.append) as jfrog:
            if jfrog is None:
                return JFrogSide(None, tuple(notes))
            return JFrogSide(_natives(jfrog), tuple(notes))
    except FrogMLProviderError as error:
        return JFrogSide(None, (*notes, f"JFrog ML could not be read, so its side is unknown: {error}"))
    except Exception as error:  # noqa: BLE001 - the page says it; the message may hold a reply: name the type only
        return JFrogSide(None, (*notes, f"JFrog ML could not be read, so its side is unknown ({type(error).__name__})"))


def _natives(jfrog: Any) -> dict[str, NativeState]:
    from frogml_airflow_provider.management.specs import trigger_kind
    from frogml_airflow_provider.migration.handover import Native

    found = {}
    for automation in jfrog.all():
        spec = automation.automation_spec
        native = Native(automation.automation_id, bool(spec.is_enabled), spec)
        started, status = jfrog.last_execution(native, spec.automation_name)
        found[str(spec.automation_name)] = NativeState(
            enabled=native.enabled,
            scheduled=trigger_kind(spec) in ("scheduled", "metric"),
            spec=field_digests(jfrog.as_json(native)),
            last_execution=started,
            last_execution_status=status,
        )
    return found
