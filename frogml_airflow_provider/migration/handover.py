"""``frogml-airflow migrate NAME...`` and ``migrate --back NAME...``: one automation at a time.

To JFrog ML, in this order, so that the two sides are never scheduled at once:

1. the spec is registered (or updated) on JFrog ML *disabled*; right after a create, the name is
   looked up again: another command that created it at the same time means ours is deleted again
   (one name, one native automation, whatever runs at once);
2. the Airflow DAG is paused; a run in progress is waited for (``--wait``), else the command refuses;
3. the ledger beside the automation files records that JFrog ML runs it (the loader then keeps the
   DAG visible but unscheduled);
4. the native automation is enabled (unless the file says ``is_enabled=False``).

Back to Airflow, the mirror image: the native automation is disabled (an execution still running
is waited for with ``--wait``, else the command refuses), the ledger entry removed, the DAG unpaused.

The whole hand-over holds the automation's lock beside the ledger (one hand-over of a name at a
time on this machine); each ledger change is a locked read-modify-write of the automation's own
entry. Each step knows how to undo itself, the step that failed halfway included: on *any*
exception (Ctrl-C and SIGTERM too: the command turns SIGTERM into ``Stopped``) the steps are undone
in reverse, with further signals held off until the undo ends. Both outcomes end with both sides
read again, and the message says what that check found, not what the steps assumed.
"""

from __future__ import annotations

import random
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, TextIO

from frogml_airflow_provider.dags.ledger import automation_lock, read_ledger, update_ledger
from frogml_airflow_provider.errors import FrogMLProviderError, HandoverError, HandoverInterrupted
from frogml_airflow_provider.migration.airflow_api import DagState

CREATE_TRIES = 3  # a create that met another command's create of the same name is tried again


class AirflowSide(Protocol):
    url: str

    def dag(self, dag_id: str) -> DagState | None: ...
    def active_runs(self, dag_id: str) -> list[str]: ...
    def set_paused(self, dag_id: str, paused: bool) -> None: ...


@dataclass(frozen=True)
class Native:
    """A registered automation as a hand-over sees it."""

    automation_id: str
    enabled: bool
    spec: Any  # the SDK's AutomationSpec, as registered


class JFrogSide(Protocol):
    where: str

    def find(self, name: str) -> Native | None: ...
    def named_all(self, name: str) -> list[Native]: ...
    def running(self, native: Native, name: str) -> list[str]: ...
    def create(self, spec: Any) -> str: ...
    def update(self, automation_id: str, spec: Any, *, enabled: bool | None = None) -> None: ...
    def delete(self, automation_id: str, name: str) -> None: ...
    def toggle(self, automation_id: str, name: str, *, enabled: bool) -> None: ...
    def disabled_spec(self, automation: Any) -> Any: ...


class Stopped(BaseException):
    """SIGTERM (or SIGHUP) arrived: unwinds like Ctrl-C, so that the hand-over undoes itself."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@dataclass
class Step:
    says: str
    do: Callable[[], None]
    undo: Callable[[], None] | None = None  # must be safe to call when ``do`` failed halfway
    undo_says: str = ""
    side: str = ""  # what it changes: dag | native | ledger (a rollback checks only those it touched)


@dataclass
class Candidate:
    """An automation of the folder, with what the command needs to know about it."""

    name: str
    dag_id: str
    source: str
    automation: Any  # the spec's Automation (None where only its wire form is known: the console)
    spec: dict[str, Any]  # its AutomationSpec protobuf-JSON (export.native), secrets as written


@dataclass
class Options:
    dry_run: bool = False
    wait: bool = False
    wait_timeout: float = 3600.0
    poll: float = 5.0
    by: str = "frogml-airflow migrate"
    out: TextIO | None = None  # None: sys.stdout at the time of writing
    scrub: Callable[[str], str] = field(default=str)  # secrets out of foreign error text (the session's)

    def say(self, text: str) -> None:
        from frogml_airflow_provider.term import printable

        print(printable(text), file=self.out or sys.stdout, flush=True)


@dataclass
class Expected:
    """What both sides should say at the end: read again to check it."""

    dag_id: str
    dag_paused: bool | None  # None: the DAG is unknown to Airflow
    native: bool | None  # None: no native automation; else whether it is enabled
    ledger: str  # airflow | jfrog
    created: dict[str, str] = field(default_factory=dict)  # "id": the automation this command created
    sides: frozenset[str] = frozenset({"dag", "native", "ledger"})  # what to check


def to_jfrog(candidate: Candidate, folder: Path, airflow: AirflowSide, jfrog: JFrogSide, options: Options) -> str:
    """Hand ``candidate`` over to JFrog ML; what was checked after. HandoverError (rolled back) if not."""
    with _locked(folder, candidate.name, options):
        return _to_jfrog(candidate, folder, airflow, jfrog, options)


def to_airflow(candidate: Candidate, folder: Path, airflow: AirflowSide, jfrog: JFrogSide, options: Options) -> str:
    """Hand ``candidate`` back to Airflow; what was checked after. HandoverError (rolled back) if not."""
    with _locked(folder, candidate.name, options):
        return _to_airflow(candidate, folder, airflow, jfrog, options)


@contextmanager
def _locked(folder: Path, name: str, options: Options) -> Iterator[None]:
    if options.dry_run:
        yield
        return
    with automation_lock(folder, name):
        yield


def _to_jfrog(candidate: Candidate, folder: Path, airflow: AirflowSide, jfrog: JFrogSide, options: Options) -> str:
    name, dag_id = candidate.name, candidate.dag_id
    ledger = read_ledger(folder)
    if ledger.runs_on(name) == "jfrog":
        raise HandoverError(
            f"{name}: already runs on JFrog ML (since {ledger.handovers[name].since}, {ledger.path}); "
            f"to bring it back: frogml-airflow migrate --back {name}"
        )
    dag = airflow.dag(dag_id)
    if dag is not None and not options.wait:
        _refuse_if_running(airflow, dag_id, name)
    native = jfrog.find(name)
    wanted = jfrog.disabled_spec(candidate.automation)
    steps: list[Step] = []
    created: dict[str, str] = {}
    before = Expected(dag_id, dag.is_paused if dag else None, native.enabled if native else None, "airflow", created)

    if native is None:

        def create() -> None:
            _create_alone(jfrog, name, wanted, options, created)

        def uncreate() -> None:
            made = created["id"] if "id" in created else _made_meanwhile(jfrog, name)
            if made and created.get("deleted") != made:
                jfrog.delete(made, name)
                created["deleted"] = made

        steps.append(
            Step(
                f"register {name} on JFrog ML at {jfrog.where}, disabled", create, uncreate, "delete it again", "native"
            )
        )
    else:
        previous = native

        steps.append(
            Step(
                f"update {name} on JFrog ML at {jfrog.where} to the file's spec, disabled",
                lambda: jfrog.update(previous.automation_id, wanted),
                lambda: _restore(jfrog, previous, name),
                "restore its previous spec and state",
                "native",
            )
        )

    if dag is None:
        options.say(f"  note  Airflow at {airflow.url} does not know DAG {dag_id!r}: nothing to pause")
    else:
        was_paused = dag.is_paused

        def pause() -> None:
            if not was_paused:
                airflow.set_paused(dag_id, True)
            _settle(lambda: airflow.active_runs(dag_id), f"DAG {dag_id}", "run(s)", name, options)

        steps.append(
            Step(
                f"pause DAG {dag_id} in Airflow at {airflow.url}" + (" (already paused)" if was_paused else ""),
                pause,
                None if was_paused else (lambda: airflow.set_paused(dag_id, False)),
                "unpause it",
                "dag",
            )
        )

    def record() -> None:
        update_ledger(folder, lambda now: now.with_handover(name, by=options.by))

    def unrecord() -> None:  # our entry only: the automation's lock keeps other commands off it
        update_ledger(folder, lambda now: now.without(name))

    steps.append(
        Step(f"record in {ledger.path.name} that JFrog ML runs {name}", record, unrecord, "remove the entry", "ledger")
    )

    enabled = bool(getattr(candidate.automation, "is_enabled", True))
    if enabled:

        def automation_id() -> str:
            return created.get("id") or (native.automation_id if native else "")

        steps.append(
            Step(
                f"enable {name} on JFrog ML",
                lambda: jfrog.toggle(automation_id(), name, enabled=True),
                lambda: jfrog.toggle(automation_id(), name, enabled=False),
                "disable it again",
                "native",
            )
        )
    else:
        options.say(f"  note  {name} says is_enabled=False: it stays disabled on JFrog ML")
    after = Expected(dag_id, True if dag else None, enabled, "jfrog")
    return run_steps(
        name, steps, options, lambda expected: _check(expected, folder, name, airflow, jfrog), before, after
    )


def _to_airflow(candidate: Candidate, folder: Path, airflow: AirflowSide, jfrog: JFrogSide, options: Options) -> str:
    name, dag_id = candidate.name, candidate.dag_id
    ledger = read_ledger(folder)
    if ledger.runs_on(name) != "jfrog":
        raise HandoverError(f"{name}: runs on Airflow already ({ledger.path.name} does not list it)")
    entry = ledger.handovers[name]
    native = jfrog.find(name)
    dag = airflow.dag(dag_id)
    if native is not None and not options.wait:
        _refuse_if_executing(jfrog, native, name)
    before = Expected(dag_id, dag.is_paused if dag else None, native.enabled if native else None, "jfrog")
    steps: list[Step] = []
    if native is not None:
        found = native

        def disable() -> None:
            if found.enabled:
                jfrog.toggle(found.automation_id, name, enabled=False)
            _settle(lambda: jfrog.running(found, name), f"JFrog ML automation {name}", "execution(s)", name, options)

        steps.append(
            Step(
                f"disable {name} on JFrog ML at {jfrog.where}" + ("" if found.enabled else " (already disabled)"),
                disable,
                (lambda: jfrog.toggle(found.automation_id, name, enabled=True)) if found.enabled else None,
                "enable it again",
                "native",
            )
        )
    else:
        options.say(f"  note  JFrog ML at {jfrog.where} has no automation {name!r}: nothing to disable")

    def unrecord() -> None:
        update_ledger(folder, lambda now: now.without(name))

    def rerecord() -> None:  # our entry only, as it was: the automation's lock keeps other commands off it
        update_ledger(folder, lambda now: now.with_entry(entry))

    steps.append(Step(f"remove {name} from {ledger.path.name}", unrecord, rerecord, "restore the entry", "ledger"))
    unpause = dag is not None and dag.is_paused and bool(getattr(candidate.automation, "is_enabled", True))
    if unpause:
        steps.append(
            Step(
                f"unpause DAG {dag_id} in Airflow at {airflow.url} (its schedule returns at the next parse)",
                lambda: airflow.set_paused(dag_id, False),
                lambda: airflow.set_paused(dag_id, True),
                "pause it again",
                "dag",
            )
        )
    elif dag is None:
        options.say(
            f"  note  Airflow at {airflow.url} does not know DAG {dag_id!r} yet: it is created active "
            "at its first parse"
        )
    after = Expected(
        dag_id, (False if unpause else dag.is_paused) if dag else None, False if native else None, "airflow"
    )
    return run_steps(
        name, steps, options, lambda expected: _check(expected, folder, name, airflow, jfrog), before, after
    )


# -- running the steps ----------------------------------------------------------------------------------------
def run_steps(
    name: str,
    steps: list[Step],
    options: Options,
    check: Callable[[Expected], tuple[list[str], list[str]]] | None = None,
    before: Expected | None = None,
    after: Expected | None = None,
) -> str:
    """Do ``steps`` in order. On any exception (a signal too) undo the ones started, in reverse, with
    signals held off, check both sides against ``before`` and raise HandoverError saying what the
    check found. On success, check both sides against ``after``; returns what it found."""
    if options.dry_run:
        for step in steps:
            options.say(f"  would {step.says}")
        return ""
    started: list[Step] = []
    try:
        for step in steps:
            started.append(step)
            step.do()
            options.say(f"  done  {step.says}")
    except BaseException as error:  # noqa: BLE001 - Ctrl-C, SIGTERM and any failure: undo, then report
        failed = f"{started[-1].says}: {_reason(error, options)}"
        with _signals_held(options):
            incomplete = _undo(started, options)
            touched = frozenset(step.side for step in started if step.side)
            facts, wrong = _checked(check, replace(before, sides=touched) if before else None)
        message = _rolled_back(name, failed, incomplete, facts, wrong)
        if isinstance(error, KeyboardInterrupt | Stopped):
            raise HandoverInterrupted(message, signum=int(getattr(error, "signum", signal.SIGINT))) from None
        raise HandoverError(message) from None
    facts, wrong = _checked(check, after)
    if wrong:
        raise HandoverError(
            f"{name}: every step was done, but reading both sides again found: {'; '.join(wrong)} "
            "(another change at the same time?); check with frogml-airflow status"
        )
    return ", ".join(facts)


def _undo(started: list[Step], options: Options) -> list[str]:
    incomplete = []
    for step in reversed(started):
        if step.undo is None:
            continue
        try:
            step.undo()
            options.say(f"  undone  {step.says} ({step.undo_says})")
        except Exception as error:  # noqa: BLE001 - keep undoing the others, report this one
            incomplete.append(f"{step.says}: could not {step.undo_says}: {_reason(error, options)}")
    return incomplete


def _checked(
    check: Callable[[Expected], tuple[list[str], list[str]]] | None, expected: Expected | None
) -> tuple[list[str], list[str]]:
    if check is None or expected is None:
        return [], []
    try:
        return check(expected)
    except Exception as error:  # noqa: BLE001 - the check could not read a side: say so, never assume
        return [], [f"no answer: they could not be read ({_reason(error, Options())})"]


def _rolled_back(name: str, failed: str, incomplete: list[str], facts: list[str], wrong: list[str]) -> str:
    if incomplete:
        return (
            f"{name}: failed to {failed}. ROLLBACK INCOMPLETE, fix by hand (frogml-airflow status shows both sides): "
            + "; ".join([*incomplete, *wrong])
        )
    if wrong:
        return (
            f"{name}: failed to {failed}. Every step was undone, but reading both sides again found: "
            f"{'; '.join(wrong)} (another command at the same time?); check with frogml-airflow status and fix by hand"
        )
    checked = f" (checked: {', '.join(facts)})" if facts else ""
    return f"{name}: failed to {failed}. Both sides are as they were{checked}"


def _reason(error: BaseException, options: Options) -> str:
    if isinstance(error, KeyboardInterrupt):
        return "interrupted (Ctrl-C)"
    if isinstance(error, Stopped):
        return f"stopped by {error}"
    if isinstance(error, FrogMLProviderError | OSError):
        return options.scrub(str(error))
    return options.scrub(f"{type(error).__name__}: {error}")


@contextmanager
def _signals_held(options: Options) -> Iterator[None]:
    """While undoing: Ctrl-C and SIGTERM are noted and ignored (each call is bounded, so the undo ends)."""
    held = (signal.SIGINT, signal.SIGTERM)
    try:
        previous = {signum: signal.getsignal(signum) for signum in held}

        def note(signum: int, frame: Any) -> None:
            try:
                options.say(f"  note  {signal.Signals(signum).name} while undoing: finishing the undo first")
            except RuntimeError:  # a print interrupted by this very signal
                pass

        for signum in held:
            signal.signal(signum, note)
    except ValueError:  # not the main thread: signals go to the main thread anyway
        yield
        return
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


# -- checks ---------------------------------------------------------------------------------------------------
def _check(
    expected: Expected, folder: Path, name: str, airflow: AirflowSide, jfrog: JFrogSide
) -> tuple[list[str], list[str]]:
    """The sides in ``expected.sides`` read again: (facts found, what differs from ``expected``).

    After an undo only the sides this command touched are read, and of JFrog ML only the automation
    it created (if it created one): another command may have changed the rest meanwhile."""
    facts: list[str] = []
    wrong: list[str] = []
    if "dag" in expected.sides:
        dag = airflow.dag(expected.dag_id)
        paused = dag.is_paused if dag else None
        said = {None: f"no DAG {expected.dag_id} in Airflow", True: f"DAG {expected.dag_id} paused"}
        said[False] = f"DAG {expected.dag_id} active"
        (facts if paused == expected.dag_paused else wrong).append(
            said[paused] + ("" if paused == expected.dag_paused else f" (expected: {said[expected.dag_paused]})")
        )
    if "native" in expected.sides:
        _check_native(expected, name, jfrog, facts, wrong)
    if "ledger" in expected.sides:
        owner = read_ledger(folder).runs_on(name)
        (facts if owner == expected.ledger else wrong).append(
            f"ledger: {owner}" + ("" if owner == expected.ledger else f" (expected: {expected.ledger})")
        )
    return facts, wrong


def _check_native(expected: Expected, name: str, jfrog: JFrogSide, facts: list[str], wrong: list[str]) -> None:
    natives = jfrog.named_all(name)
    ours = expected.created.get("id", "")
    if expected.native is None and ours:  # we created one: it must be gone; others are not ours
        if any(native.automation_id == ours for native in natives):
            wrong.append(f"the automation {name} it created on JFrog ML (id {ours}) is still there")
            return
        others = ", ".join(native.automation_id for native in natives)
        facts.append(
            "the automation it created on JFrog ML is deleted" + (f" (another command's: {others})" if others else "")
        )
        return
    state: bool | None = natives[0].enabled if len(natives) == 1 else None
    shown = {
        None: f"no JFrog ML automation {name}",
        True: f"{name} enabled on JFrog ML",
        False: f"{name} disabled on JFrog ML",
    }
    if len(natives) > 1:
        ids = ", ".join(native.automation_id for native in natives)
        wrong.append(f"{len(natives)} JFrog ML automations named {name} (ids {ids})")
    elif state == expected.native:
        facts.append(shown[state])
    else:
        wrong.append(f"{shown[state]} (expected: {shown[expected.native]})")


def _create_alone(jfrog: JFrogSide, name: str, spec: Any, options: Options, created: dict[str, str]) -> None:
    """Create ``name`` (its id in ``created["id"]``) and look it up again: when another command created
    one too (from another machine, say), ours is deleted (``created["deleted"]``), and after a pause
    we try again if the other is gone too.

    Under a consistent store this keeps at most one: a command keeps its automation only when its
    own look-up after its create shows no other, so of two overlapping creates the later one's
    look-up always sees the earlier one."""
    for attempt in range(CREATE_TRIES):
        created.pop("deleted", None)
        created["id"] = made = jfrog.create(spec)
        others = [n.automation_id for n in jfrog.named_all(name) if n.automation_id != made]
        if not others:
            return
        jfrog.delete(made, name)
        created["deleted"] = made
        options.say(f"  note  another automation named {name} appeared on JFrog ML meanwhile: deleted ours")
        time.sleep(random.uniform(0.5, 2.0) * (attempt + 1))
        if jfrog.find(name) is not None:
            break
    raise HandoverError(
        f"{name}: another command created it on JFrog ML at the same time (another frogml-airflow migrate or "
        f"register?); ours was deleted again. Check with frogml-airflow status, then run migrate again"
    )


def _restore(jfrog: JFrogSide, previous: Native, name: str) -> None:
    """Put back the spec an update replaced. Its enabled state too, unless the automation is enabled
    now: by then our own enable is undone, so another command enabled it (a hand-over from another
    machine that found the same automation) and disabling it would leave it running nowhere."""
    now = next((n for n in jfrog.named_all(name) if n.automation_id == previous.automation_id), None)
    keep_enabled = now is not None and now.enabled and not previous.enabled
    jfrog.update(previous.automation_id, previous.spec, enabled=True if keep_enabled else None)


def _made_meanwhile(jfrog: JFrogSide, name: str) -> str:
    """The automation our interrupted create made (the reply lost): the one of that name, if alone."""
    found = jfrog.named_all(name)
    return found[0].automation_id if len(found) == 1 and not found[0].enabled else ""


def _refuse_if_running(airflow: AirflowSide, dag_id: str, name: str) -> None:
    running = airflow.active_runs(dag_id)
    if running:
        raise HandoverError(
            f"{name}: DAG {dag_id} has {len(running)} run(s) in progress ({', '.join(running[:3])}); "
            "wait for them with --wait, or try again when they are done"
        )


def _refuse_if_executing(jfrog: JFrogSide, native: Native, name: str) -> None:
    running = jfrog.running(native, name)
    if running:
        raise HandoverError(
            f"{name}: JFrog ML has {len(running)} execution(s) of it in progress ({', '.join(running[:3])}); "
            "wait for them with --wait, or try again when they are done"
        )


def _settle(running: Callable[[], list[str]], what: str, kind: str, name: str, options: Options) -> None:
    """After turning one side off: nothing may be left in progress there (one may have started just
    before). Refuses at once without ``--wait``; with it, waits up to ``wait_timeout``."""
    found = running()
    if found and not options.wait:
        raise HandoverError(
            f"{name}: {what} has {len(found)} {kind} in progress ({', '.join(found[:3])}); "
            "wait for them with --wait, or try again when they are done"
        )
    deadline = time.monotonic() + options.wait_timeout
    announced = False
    while found:
        if time.monotonic() > deadline:
            raise HandoverError(
                f"{name}: {what} still has {kind} in progress after {options.wait_timeout:g} s "
                f"({', '.join(found[:3])}); try again later"
            )
        if not announced:
            options.say(f"  wait  {what}: {kind} in progress: {', '.join(found[:3])}")
            announced = True
        time.sleep(options.poll)
        found = running()
