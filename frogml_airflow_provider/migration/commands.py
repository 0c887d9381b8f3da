"""``frogml-airflow status`` and ``frogml-airflow migrate [--back]``: the commands over the hand-over.

They load the automation files as the loader does (``dags.catalog``: the same DAG ids, the same
collisions refused), reach JFrog ML through the management session and Airflow through its REST API
(``airflow_api``), never print a secret, and print names and fields escaped (``term.printable``).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from frogml_airflow_provider.dags.ledger import read_ledger
from frogml_airflow_provider.errors import (
    AutomationLookupError,
    FrogMLProviderError,
    HandoverError,
    HandoverInterrupted,
)
from frogml_airflow_provider.migration.airflow_api import AirflowApi, DagState
from frogml_airflow_provider.migration.drift import drifted_fields
from frogml_airflow_provider.migration.handover import Candidate, Native, Options, Stopped, to_airflow, to_jfrog
from frogml_airflow_provider.term import json_text, printable

if TYPE_CHECKING:
    from frogml_airflow_provider.dags.approval import ApprovalSetting
    from frogml_airflow_provider.platform.jfrog.automations import AutomationsService

_REGISTERED = ("enabled", "disabled")


class RegisteredAutomations:
    """The JFrog ML side of a hand-over: the JFrog ML session's automation service, the listing kept
    until the next write. Every automation listed or written has its secrets scrubbed by the session."""

    def __init__(self, api: AutomationsService) -> None:
        self.api = api
        self.where = api.where
        self._all: list[Any] | None = None

    def all(self) -> list[Any]:
        if self._all is None:
            self._all = self.api.all()
        return self._all

    def find(self, name: str) -> Native | None:
        """The automation called ``name``, None when there is none; HandoverError when names repeat."""
        try:
            found = self.api.named(name, self.all(), missing_ok=True)
        except AutomationLookupError as error:
            raise HandoverError(str(error)) from None
        if found is None:
            return None
        return _native(found)

    def named_all(self, name: str) -> list[Native]:
        """Every automation called ``name``, from a fresh listing (what a check after a write needs)."""
        self._all = None
        return [_native(found) for found in self.all() if found.automation_spec.automation_name == name]

    def running(self, native: Native, name: str) -> list[str]:
        """The ids of the automation's executions still running."""
        from frogml_airflow_provider.management.commands import EXECUTION_STATUSES

        running = [code for code, said in EXECUTION_STATUSES.items() if said == "running"]
        found = self.api.executions(native.automation_id, name)
        return [str(item.execution_id) for item in found if item.run_details.status in running]

    def create(self, spec: Any) -> str:
        self._all = None
        return str(self.api.create(spec))

    def update(self, automation_id: str, spec: Any, *, enabled: bool | None = None) -> None:
        self._all = None
        self.api.update(automation_id, spec, enabled=enabled)

    def delete(self, automation_id: str, name: str) -> None:
        self._all = None
        self.api.delete(automation_id, name)

    def toggle(self, automation_id: str, name: str, *, enabled: bool) -> None:
        self._all = None
        self.api.toggle(automation_id, name, enabled=enabled)

    def disabled_spec(self, automation: Any) -> Any:
        from frogml_airflow_provider.management.specs import wire_spec
        from frogml_airflow_provider.platform.jfrog.automations import secret_values

        spec = wire_spec(self.api.sdk, automation)
        spec.is_enabled = False
        self.api.session.secrets.update(secret_values(spec))
        return spec

    def as_json(self, native: Native) -> dict[str, Any]:
        """The registered spec's protobuf-JSON (what ``export.native`` writes for a file)."""
        return dict(self.api.sdk.json_format.MessageToDict(native.spec))

    def last_execution(self, native: Native, name: str) -> tuple[str, str]:
        from frogml_airflow_provider.management.commands import EXECUTION_STATUSES
        from frogml_airflow_provider.management.specs import timestamp

        found = self.api.executions(native.automation_id, name)
        if not found:
            return "", ""
        details = [item.run_details for item in found]
        latest = max(details, key=lambda d: timestamp(d, "start_time"))
        return timestamp(latest, "start_time"), EXECUTION_STATUSES.get(latest.status, str(latest.status))


def _native(found: Any) -> Native:
    return Native(found.automation_id, bool(found.automation_spec.is_enabled), found.automation_spec)


@contextmanager
def _sides(conn_id: str, airflow_url: str | None) -> Iterator[tuple[AirflowApi, RegisteredAutomations]]:
    from frogml_airflow_provider.management.commands import session

    airflow = AirflowApi(airflow_url)  # a bad --airflow-url is refused before JFrog ML is called
    try:
        with session(conn_id) as client:
            yield airflow, RegisteredAutomations(client.automations)
    finally:
        airflow.close()


def load_candidates(path: Path) -> tuple[Path, dict[str, Candidate]]:
    """The automations folder and its automations by name, looked up as the loader does
    (``dags.catalog``: DAG ids, DAG-id collisions, the ledger); HandoverError listing every problem,
    so that a command never acts on a DAG that belongs to another automation."""
    from frogml_airflow_provider.dags.catalog import catalog
    from frogml_airflow_provider.export.native import automation_spec

    if not path.is_dir():
        raise HandoverError(f"{path}: not a folder; give the automations folder (the one beside the loader DAG file)")
    found = catalog(path, file_timeout=_file_timeout())
    if found.errors:
        problems = "".join(f"\n  {error}" for error in found.errors)
        raise HandoverError(f"{path}: fix these first (frogml-airflow validate {path}):{problems}")
    automations = {item.automation.name: item.automation for item in found.report.automations}
    candidates = {}
    for source, plan in found.plans:
        automation = automations[plan.automation_name]
        candidates[plan.automation_name] = Candidate(
            plan.automation_name, plan.dag_id, source, automation, automation_spec(automation)
        )
    return path, candidates


def _file_timeout() -> float:
    """The loader's per-file budget, as this machine's Airflow configuration sets it."""
    from frogml_airflow_provider.dags.budget import DEFAULT_FILE_TIMEOUT

    try:
        return float(os.environ.get("AIRFLOW__FROGML__AUTOMATION_FILE_TIMEOUT") or DEFAULT_FILE_TIMEOUT)
    except ValueError:
        return DEFAULT_FILE_TIMEOUT


@contextmanager
def _stopped_by_sigterm() -> Iterator[None]:
    """SIGTERM and SIGHUP unwind like Ctrl-C (``Stopped``), so that a hand-over undoes itself."""

    def stop(signum: int, frame: Any) -> None:
        raise Stopped(signum)

    previous = {}
    try:
        for signum in (signal.SIGTERM, signal.SIGHUP):
            previous[signum] = signal.signal(signum, stop)
    except ValueError:  # not the main thread (a test, the console): signals are not ours
        pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


# -- migrate ------------------------------------------------------------------------------------------------
def migrate(
    path: Path,
    names: list[str],
    *,
    conn_id: str,
    airflow_url: str | None,
    back: bool,
    dry_run: bool,
    yes: bool,
    wait: bool,
    wait_timeout: float = 3600.0,
    poll: float = 5.0,
) -> int:
    try:
        with _stopped_by_sigterm():
            return _migrate(path, names, conn_id, airflow_url, back, dry_run, yes, wait, wait_timeout, poll)
    except HandoverInterrupted as error:
        print(f"error  {printable(str(error))}", file=sys.stderr)
        return error.exit_code
    except (KeyboardInterrupt, Stopped) as error:
        signum = int(getattr(error, "signum", signal.SIGINT))
        print(
            f"error  stopped ({signal.Signals(signum).name}) while no step was under way: the lines above say "
            "what was done; check with frogml-airflow status",
            file=sys.stderr,
        )
        return 128 + signum
    except FrogMLProviderError as error:
        print(f"error  {printable(str(error))}", file=sys.stderr)
        return int(getattr(error, "exit_code", 1))


def _migrate(
    path: Path,
    names: list[str],
    conn_id: str,
    airflow_url: str | None,
    back: bool,
    dry_run: bool,
    yes: bool,
    wait: bool,
    wait_timeout: float,
    poll: float,
) -> int:
    folder, candidates = load_candidates(path)
    missing = [name for name in names if name not in candidates]
    if missing:
        known = ", ".join(sorted(candidates)[:20]) or "none"
        raise HandoverError(f"no automation named {', '.join(map(repr, missing))} under {folder} (there are: {known})")
    direction = "to Airflow" if back else "to JFrog ML"
    if not dry_run and not yes:
        if sys.stdin is None or not sys.stdin.isatty():
            raise HandoverError(
                "not migrating without confirmation: stdin is not a terminal. Pass --yes, or --dry-run to see the steps"
            )
        from frogml_airflow_provider.management.register import ask

        if not ask(f"move {len(names)} automation(s) {direction}? [y/N] "):
            print("nothing moved")
            return 1
    failed = 0
    with _sides(conn_id, airflow_url) as (airflow, jfrog):
        options = Options(
            dry_run=dry_run, wait=wait, wait_timeout=wait_timeout, poll=poll, scrub=jfrog.api.session.scrub
        )
        for name in dict.fromkeys(names):
            options.say(f"{name} ({candidates[name].source}) {direction}:")
            try:
                checked = (to_airflow if back else to_jfrog)(candidates[name], folder, airflow, jfrog, options)
            except HandoverInterrupted:
                raise
            except HandoverError as error:
                print(f"error  {printable(str(error))}", file=sys.stderr)
                failed += 1
                continue
            if not dry_run:
                options.say(f"moved  {name} {direction}" + (f" (checked: {checked})" if checked else ""))
    if dry_run:
        print("dry run: nothing changed")
    return 1 if failed else 0


# -- status -------------------------------------------------------------------------------------------------
@dataclass
class Row:
    name: str
    source: str
    owner: str  # what the ledger says: airflow | jfrog
    since: str
    dag: str  # active | paused | absent
    dag_scheduled: bool
    last_run: str
    last_run_state: str
    native: str  # enabled | disabled | absent
    native_scheduled: bool
    last_execution: str
    last_execution_status: str
    drift: list[str]
    approval: list[str] = field(default_factory=list)  # the [frogml] approval_required entries naming it

    @property
    def runs_on(self) -> str:
        airflow, jfrog = self.dag == "active", self.native == "enabled"
        return {(True, True): "both", (True, False): "airflow", (False, True): "jfrog"}.get((airflow, jfrog), "neither")

    @property
    def scheduled_twice(self) -> bool:
        return self.runs_on == "both" and self.dag_scheduled and self.native_scheduled

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "runs_on": self.runs_on, "scheduled_twice": self.scheduled_twice}


def status_rows(
    folder: Path,
    candidates: dict[str, Candidate],
    airflow: Any,
    jfrog: RegisteredAutomations | None,
    approvals: ApprovalSetting | None = None,
) -> list[Row]:
    """``jfrog`` None: JFrog ML is not set up here; its columns say "unknown". ``approvals``: which
    automations wait for a human before deploying in Airflow (``dags.approval``)."""
    from frogml_airflow_provider.dags.plan import plan_dag
    from frogml_airflow_provider.management.specs import trigger_kind

    ledger = read_ledger(folder)
    natives = {a.automation_spec.automation_name: a for a in jfrog.all()} if jfrog else {}
    rows = []
    for name in sorted(set(candidates) | set(natives)):
        candidate = candidates.get(name)
        dag: DagState | None = airflow.dag(candidate.dag_id) if candidate else None
        native = jfrog.find(name) if jfrog and name in natives else None
        drift: list[str] = []
        if jfrog and candidate and native:
            drift = drifted_fields(candidate.spec, jfrog.as_json(native))
        started, status = jfrog.last_execution(native, name) if jfrog and native else ("", "")
        handover = ledger.handovers.get(name)
        rows.append(
            Row(
                name=name,
                source=candidate.source if candidate else "",
                owner=ledger.runs_on(name),
                since=handover.since if handover else "",
                dag="absent" if dag is None else ("paused" if dag.is_paused else "active"),
                dag_scheduled=bool(dag and dag.scheduled),
                last_run=dag.last_run_at if dag else "",
                last_run_state=dag.last_run_state if dag else "",
                native=_native_state(native, known=jfrog is not None),
                native_scheduled=bool(native and trigger_kind(native.spec) in ("scheduled", "metric")),
                last_execution=started,
                last_execution_status=status,
                drift=drift,
                approval=list(
                    approvals.entries_for(plan_dag(candidate.automation))
                    if approvals and candidate and candidate.automation is not None
                    else ()
                ),
            )
        )
    return rows


def _native_state(native: Native | None, *, known: bool) -> str:
    if not known:
        return "unknown"
    return "absent" if native is None else ("enabled" if native.enabled else "disabled")


@contextmanager
def jfrog_if_set_up(conn_id: str, note: Callable[[str], None]) -> Iterator[RegisteredAutomations | None]:
    """The JFrog ML side, or None (with a ``note`` saying why) where this machine has no way to reach
    it: no SDK, no credentials, or a connection naming the local platform. Call failures still fail."""
    from frogml_airflow_provider.errors import SetupError
    from frogml_airflow_provider.management.commands import session

    with ExitStack() as stack:
        try:
            client = stack.enter_context(session(conn_id))
        except SetupError as error:
            note(f"JFrog ML is not set up here, so its side is unknown: {error}")
            client = None
        yield RegisteredAutomations(client.automations) if client is not None else None


def status(path: Path, *, conn_id: str, airflow_url: str | None, as_json: bool) -> int:
    from frogml_airflow_provider.dags.approval_config import approvals_outside_airflow

    try:
        folder, candidates = load_candidates(path)
        with jfrog_if_set_up(conn_id, lambda text: print(f"note   {printable(text)}", file=sys.stderr)) as jfrog:
            airflow = AirflowApi(airflow_url)
            try:
                rows = status_rows(folder, candidates, airflow, jfrog, approvals_outside_airflow())
            finally:
                airflow.close()
    except FrogMLProviderError as error:
        print(f"error  {printable(str(error))}", file=sys.stderr)
        return 2  # could not look: 1 means "scheduled on both sides"
    except KeyboardInterrupt:  # it only reads: nothing to undo
        print("error  interrupted (Ctrl-C): nothing was changed", file=sys.stderr)
        return 130
    if as_json:
        print(json_text([row.to_json() for row in rows]))
    else:
        print_status(rows)
    twice = [row.name for row in rows if row.scheduled_twice]
    if twice:
        print(
            f"error  scheduled on both Airflow and JFrog ML: {printable(', '.join(twice))}; pause one side "
            "(frogml-airflow pause NAME, or pause the DAG), or hand it over with frogml-airflow migrate",
            file=sys.stderr,
        )
        return 1
    return 0


def print_status(rows: list[Row]) -> None:
    from frogml_airflow_provider.term import table_lines, tag

    headers = ("AUTOMATION", "RUNS ON", "AIRFLOW DAG", "LAST RUN", "JFROG ML", "LAST EXECUTION", "DRIFT", "APPROVAL")
    table = []
    for row in rows:
        owner = f"ledger: {row.owner}" + (f" since {row.since}" if row.since else "")
        table.append(
            [
                row.name,
                f"{row.runs_on} ({owner})",
                row.dag + ("" if row.dag == "absent" or row.dag_scheduled else ", unscheduled"),
                " ".join(filter(None, (row.last_run_state, row.last_run))) or "-",
                row.native,
                " ".join(filter(None, (row.last_execution_status, row.last_execution))) or "-",
                ", ".join(row.drift) if row.drift else ("-" if row.source and row.native in _REGISTERED else "n/a"),
                ", ".join(row.approval) or "-",
            ]
        )
    header, *lines = table_lines(headers, table)
    print(header)
    for row, text in zip(rows, lines, strict=True):
        print(f"{text}  {tag('BOTH', width=0)}" if row.scheduled_twice else text)
