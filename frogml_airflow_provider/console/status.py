"""The console's "where each automation runs" page: the table of ``frogml-airflow status``, from what
this Airflow already knows (``console.known``): the API server imports no automation file.

A row per DAG the loader generated (tag ``frogml``) that the viewer may read, by Airflow's own
per-DAG access control (the auth manager's ``get_authorized_dag_ids``, as Airflow's DAG list does);
the automations only JFrog ML has are shown to viewers who may read every DAG. Import errors are
shown to viewers allowed Airflow's import errors view; a loader file's error only to those who may
read every DAG of that file (Airflow redacts it likewise). Whatever cannot be read is said on the
page, never a 500.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any

from frogml_airflow_provider.console import known
from frogml_airflow_provider.console.pages import page
from frogml_airflow_provider.dags.shares import Record

_RENDERED_LOCK = threading.Lock()  # guards the caches of rendered pages and of access
SNAPSHOT = known.Cached(known.ttl("console_cache_seconds", known.SNAPSHOT_TTL), known.read_snapshot)
_JFROG: dict[str, known.Cached] = {}

HEADERS = (
    "automation",
    "file",
    "runs on",
    "ledger",
    "Airflow DAG",
    "last run",
    "JFrog ML",
    "last execution",
    "drift",
)


@dataclass(frozen=True)
class Access:
    """What the viewer may see, from Airflow's auth manager."""

    dag_ids: frozenset[str]  # the DAGs the viewer may read
    every_dag: bool  # may read every DAG (then also the automations only JFrog ML has)
    import_errors: bool  # may see Airflow's import errors view


_ACCESS: OrderedDict[tuple[str, str, str], tuple[float, Access]] = OrderedDict()
_ACCESS_KEPT = 256


def access_of(user: Any) -> Access:
    """The viewer's access, asked of the auth manager at most once per snapshot period per user: the
    question reads every DAG id, and asked on every view it kept the API server's collector busy."""
    key = (type(user).__qualname__, str(user.get_id()), str(user.get_name()))
    now = time.monotonic()
    with _RENDERED_LOCK:
        cached = _ACCESS.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    access = _ask_access(user)
    with _RENDERED_LOCK:
        _ACCESS[key] = (now + SNAPSHOT.ttl(), access)
        _ACCESS.move_to_end(key)
        while len(_ACCESS) > _ACCESS_KEPT:
            _ACCESS.popitem(last=False)
    return access


def _ask_access(user: Any) -> Access:
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import AccessView

    manager = get_auth_manager()
    return Access(
        dag_ids=frozenset(manager.get_authorized_dag_ids(user=user, method="GET")),
        every_dag=bool(manager.is_authorized_dag(method="GET", user=user)),
        import_errors=bool(manager.is_authorized_view(access_view=AccessView.IMPORT_ERRORS, user=user)),
    )


def jfrog_for(conn_id: str) -> known.JFrogSide:
    cached = _JFROG.get(conn_id)
    if cached is None:
        seconds = known.ttl("console_jfrog_cache_seconds", known.JFROG_TTL)
        cached = _JFROG.setdefault(conn_id, known.Cached(seconds, lambda: known.jfrog_side(conn_id)))
    side: known.JFrogSide = cached.get()
    return side


# The last pages, by the access they were rendered for, with the snapshot and JFrog ML side that made them.
_RENDERED: OrderedDict[tuple[Access, str], tuple[known.Snapshot, known.JFrogSide, str]] = OrderedDict()
_RENDERED_KEPT = 16


def status_page(prefix: str, access_now: Callable[[], Access], conn_id: str = "frogml_default") -> str:
    """The page; views with the same access to the same snapshot share one rendering."""
    access = access_now()
    snapshot: known.Snapshot = SNAPSHOT.get()
    jfrog = jfrog_for(conn_id)
    with _RENDERED_LOCK:
        done = _RENDERED.get((access, prefix))
    if done is not None and done[0] is snapshot and done[1] is jfrog:
        return done[2]
    html = page("Where each automation runs", _body(snapshot, jfrog, access), prefix)
    with _RENDERED_LOCK:
        _RENDERED[(access, prefix)] = (snapshot, jfrog, html)
        _RENDERED.move_to_end((access, prefix))
        while len(_RENDERED) > _RENDERED_KEPT:
            _RENDERED.popitem(last=False)
    return html


def _body(snapshot: known.Snapshot, jfrog: known.JFrogSide, access: Access) -> str:
    records = snapshot.records.records
    visible = sorted(dag_id for dag_id in snapshot.dags if dag_id in access.dag_ids)
    rows = [_dag_row(snapshot.dags[dag_id], records.get(dag_id), jfrog) for dag_id in visible]
    if access.every_dag and jfrog.natives is not None:
        named = {records[dag_id].name for dag_id in snapshot.dags if dag_id in records}
        named |= set(snapshot.dags)  # a DAG without a record: its id is the best name known
        rows += [_native_only(name, native) for name, native in sorted(jfrog.natives.items()) if name not in named]
    notes = [*snapshot.problems, *jfrog.notes]
    if snapshot.dags and not records:
        notes.append(
            f"The loader's record ({known.records_home()}) is not readable here: automation names, files, "
            "ledger and drift are not shown. The dag-processor writes it at parse time; the API server "
            "reads it where both share $AIRFLOW_HOME."
        )
    head = "".join(f"<th>{escape(h)}</th>" for h in HEADERS)
    table = (
        f"<table><tr>{head}</tr>{''.join(rows)}</table>"
        if rows
        else "<p class='empty'>No automation here that you may see: no DAG tagged frogml yet.</p>"
    )
    roots = snapshot.records.roots
    folders = ", ".join(f"<code>{escape(root)}</code>" for root in roots)
    where = f"<p>Automation files in {folders} (as last parsed).</p>" if roots and access.every_dag else ""
    said = "".join(f"<p class='empty'>{escape(text)}</p>" for text in notes)
    return where + said + table + _errors(snapshot, access)


def _dag_row(dag: known.Dag, record: Record | None, jfrog: known.JFrogSide) -> str:
    name = record.name if record else dag.dag_id
    native = jfrog.natives.get(name) if jfrog.natives is not None else None
    state = "stale" if dag.is_stale else ("paused" if dag.is_paused else "active")
    airflow_runs, jfrog_runs = state == "active", bool(native and native.enabled)
    runs_on = {(True, True): "both", (True, False): "airflow", (False, True): "jfrog"}.get(
        (airflow_runs, jfrog_runs), "neither"
    )
    twice = runs_on == "both" and dag.scheduled and bool(native and native.scheduled)
    if record is None:
        ledger, drift = "unknown", "unknown"
    else:
        ledger = record.runs_on + (f" since {record.since}" if record.since else "")
        drift = _drift(record, native, known_side=jfrog.natives is not None)
    cells = (
        name,
        record.file if record else "",
        runs_on + (" (scheduled on both!)" if twice else ""),
        ledger,
        state + ("" if dag.scheduled else ", unscheduled"),
        " ".join(filter(None, (dag.last_run_state, dag.last_run_at))) or "-",
        _native_state(native, known_side=jfrog.natives is not None),
        " ".join(filter(None, (native.last_execution_status, native.last_execution))) if native else "-",
        drift,
    )
    return _tr(cells, failed=twice)


def _native_only(name: str, native: known.NativeState) -> str:
    cells = (
        name,
        "",
        "jfrog" if native.enabled else "neither",
        "",
        "absent",
        "-",
        _native_state(native, known_side=True),
        " ".join(filter(None, (native.last_execution_status, native.last_execution))) or "-",
        "n/a",
    )
    return _tr(cells, failed=False)


def _drift(record: Record, native: known.NativeState | None, *, known_side: bool) -> str:
    from frogml_airflow_provider.migration.drift import drifted_fields

    if not known_side or native is None:
        return "n/a" if known_side else "unknown"
    return ", ".join(drifted_fields(record.spec, native.spec)) or "-"


def _native_state(native: known.NativeState | None, *, known_side: bool) -> str:
    if not known_side:
        return "unknown"
    return "absent" if native is None else ("enabled" if native.enabled else "disabled")


def _tr(cells: tuple[str, ...], *, failed: bool) -> str:
    return f"<tr{' class=FAILED' if failed else ''}>" + "".join(f"<td>{escape(cell)}</td>" for cell in cells) + "</tr>"


def _errors(snapshot: known.Snapshot, access: Access) -> str:
    if not snapshot.errors:
        return ""
    if not access.import_errors:
        return "<h2>Files with problems</h2><p class='empty'>Your role may not see import errors.</p>"
    items = []
    for problem in snapshot.errors:
        text = problem.text
        if problem.of_a_loader_file:
            of_file = {d.dag_id for d in snapshot.dags.values() if d.relative_fileloc == problem.filename}
            if not of_file <= access.dag_ids:
                text = "REDACTED - you do not have read permission on all DAGs in the file"
        items.append(f"<li><code>{escape(problem.filename)}</code><pre>{escape(text)}</pre></li>")
    return f"<h2>Files with problems</h2><ul>{''.join(items)}</ul>"
