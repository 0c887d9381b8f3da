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
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from frogml_airflow_provider.dags.ledger import automation_lock, read_ledger, update_ledger
from frogml_airflow_provider.errors import HandoverError
from frogml_airflow_provider.migration.airflow_api import DagState
from frogml_airflow_provider.migration.steps import Expected, Options, Step, Stopped, run_steps

__all__ = ["Candidate", "Expected", "Native", "Options", "Step", "Stopped", "run_steps", "to_airflow", "to_jfrog"]

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


@dataclass
class Candidate:
    """An automation of the folder, with what the command needs to know about it."""

    name: str
    dag_id: str
    source: str
    automation: Any  # the spec's Automation (None where only its wire form is known: the console)
    spec: dict[str, Any]  # its AutomationSpec protobuf-JSON (export.native), secrets as written


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
