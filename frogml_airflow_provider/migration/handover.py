"""``frogml-airflow migrate NAME...`` and ``migrate --back NAME...``: one automation at a time.

To JFrog ML, in this order, so that the two sides are never scheduled at once:

1. the spec is registered (or updated) on JFrog ML *disabled*;
2. the Airflow DAG is paused; a run in progress is waited for (``--wait``), else the command refuses;
3. the ledger beside the automation files records that JFrog ML runs it (the loader then keeps the
   DAG visible but unscheduled);
4. the native automation is enabled (unless the file says ``is_enabled=False``).

Back to Airflow: the native automation is disabled, the ledger entry removed, the DAG unpaused.

Each step knows how to undo itself: when a step fails, the steps done so far are undone in reverse
order, so both sides are left as they were; anything that could not be undone is reported as such.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

from frogml_airflow_provider.dags.ledger import Ledger, read_ledger, write_ledger
from frogml_airflow_provider.errors import FrogMLProviderError, HandoverError
from frogml_airflow_provider.migration.airflow_api import DagState


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
    def create(self, spec: Any) -> str: ...
    def update(self, automation_id: str, spec: Any) -> None: ...
    def delete(self, automation_id: str, name: str) -> None: ...
    def toggle(self, automation_id: str, name: str, *, enabled: bool) -> None: ...
    def disabled_spec(self, automation: Any) -> Any: ...


@dataclass
class Step:
    says: str
    do: Callable[[], None]
    undo: Callable[[], None] | None = None
    undo_says: str = ""


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

    def say(self, text: str) -> None:
        print(text, file=self.out or sys.stdout)


def to_jfrog(candidate: Candidate, folder: Path, airflow: AirflowSide, jfrog: JFrogSide, options: Options) -> None:
    """Hand ``candidate`` over to JFrog ML; raises HandoverError (both sides as before) when it cannot."""
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

    if native is None:

        def create() -> None:
            created["id"] = jfrog.create(wanted)

        steps.append(
            Step(
                f"register {name} on JFrog ML at {jfrog.where}, disabled",
                create,
                lambda: jfrog.delete(created["id"], name),
                "delete it again",
            )
        )
    else:
        previous = native

        def restore() -> None:
            jfrog.update(previous.automation_id, previous.spec)

        steps.append(
            Step(
                f"update {name} on JFrog ML at {jfrog.where} to the file's spec, disabled",
                lambda: jfrog.update(previous.automation_id, wanted),
                restore,
                "restore its previous spec and state",
            )
        )

    if dag is None:
        options.say(f"  note  Airflow at {airflow.url} does not know DAG {dag_id!r}: nothing to pause")
    else:
        was_paused = dag.is_paused

        def pause() -> None:
            if not was_paused:
                airflow.set_paused(dag_id, True)
            try:
                _settle_runs(airflow, dag_id, name, options)
            except HandoverError:  # a run that started just before the pause: this step undoes itself
                if not was_paused:
                    airflow.set_paused(dag_id, False)
                raise

        steps.append(
            Step(
                f"pause DAG {dag_id} in Airflow at {airflow.url}" + (" (already paused)" if was_paused else ""),
                pause,
                None if was_paused else (lambda: airflow.set_paused(dag_id, False)),
                "unpause it",
            )
        )

    steps.append(
        _ledger_step(
            ledger, ledger.with_handover(name, by=options.by), f"record in {ledger.path.name} that JFrog ML runs {name}"
        )
    )

    if getattr(candidate.automation, "is_enabled", True):

        def automation_id() -> str:
            return created.get("id") or (native.automation_id if native else "")

        steps.append(
            Step(
                f"enable {name} on JFrog ML",
                lambda: jfrog.toggle(automation_id(), name, enabled=True),
                lambda: jfrog.toggle(automation_id(), name, enabled=False),
                "disable it again",
            )
        )
    else:
        options.say(f"  note  {name} says is_enabled=False: it stays disabled on JFrog ML")
    run_steps(name, steps, options)


def to_airflow(candidate: Candidate, folder: Path, airflow: AirflowSide, jfrog: JFrogSide, options: Options) -> None:
    """Hand ``candidate`` back to Airflow; raises HandoverError (both sides as before) when it cannot."""
    name, dag_id = candidate.name, candidate.dag_id
    ledger = read_ledger(folder)
    if ledger.runs_on(name) != "jfrog":
        raise HandoverError(f"{name}: runs on Airflow already ({ledger.path.name} does not list it)")
    native = jfrog.find(name)
    dag = airflow.dag(dag_id)
    steps: list[Step] = []
    if native is not None and native.enabled:
        steps.append(
            Step(
                f"disable {name} on JFrog ML at {jfrog.where}",
                lambda: jfrog.toggle(native.automation_id, name, enabled=False),
                lambda: jfrog.toggle(native.automation_id, name, enabled=True),
                "enable it again",
            )
        )
    elif native is None:
        options.say(f"  note  JFrog ML at {jfrog.where} has no automation {name!r}: nothing to disable")
    steps.append(_ledger_step(ledger, ledger.without(name), f"remove {name} from {ledger.path.name}"))
    if dag is not None and dag.is_paused and getattr(candidate.automation, "is_enabled", True):
        steps.append(
            Step(
                f"unpause DAG {dag_id} in Airflow at {airflow.url} (its schedule returns at the next parse)",
                lambda: airflow.set_paused(dag_id, False),
                lambda: airflow.set_paused(dag_id, True),
                "pause it again",
            )
        )
    elif dag is None:
        options.say(
            f"  note  Airflow at {airflow.url} does not know DAG {dag_id!r} yet: it is created active "
            "at its first parse"
        )
    run_steps(name, steps, options)


def _ledger_step(before: Ledger, after: Ledger, says: str) -> Step:
    return Step(says, lambda: write_ledger(after), lambda: write_ledger(before), "restore the ledger")


def run_steps(name: str, steps: list[Step], options: Options) -> None:
    """Do ``steps`` in order; on a failure undo the done ones in reverse and raise HandoverError."""
    if options.dry_run:
        for step in steps:
            options.say(f"  would {step.says}")
        return
    done: list[Step] = []
    for step in steps:
        try:
            step.do()
        except (FrogMLProviderError, OSError) as error:
            failed = f"{step.says}: {error}"
            break
        options.say(f"  done  {step.says}")
        done.append(step)
    else:
        return
    incomplete = []
    for step in reversed(done):
        if step.undo is None:
            continue
        try:
            step.undo()
            options.say(f"  undone  {step.says} ({step.undo_says})")
        except (FrogMLProviderError, OSError) as error:
            incomplete.append(f"{step.says}: could not {step.undo_says}: {error}")
    if incomplete:
        raise HandoverError(f"{name}: failed to {failed}. ROLLBACK INCOMPLETE, fix by hand: " + "; ".join(incomplete))
    raise HandoverError(f"{name}: failed to {failed}. Both sides are as they were")


def _refuse_if_running(airflow: AirflowSide, dag_id: str, name: str) -> None:
    running = airflow.active_runs(dag_id)
    if running:
        raise HandoverError(
            f"{name}: DAG {dag_id} has {len(running)} run(s) in progress ({', '.join(running[:3])}); "
            "wait for them with --wait, or try again when they are done"
        )


def _settle_runs(airflow: AirflowSide, dag_id: str, name: str, options: Options) -> None:
    """After the pause: no run may be left in progress (one may have started just before it)."""
    if not options.wait:
        _refuse_if_running(airflow, dag_id, name)
        return
    deadline = time.monotonic() + options.wait_timeout
    announced = False
    while running := airflow.active_runs(dag_id):
        if time.monotonic() > deadline:
            raise HandoverError(
                f"{name}: DAG {dag_id} still has run(s) in progress after {options.wait_timeout:g} s "
                f"({', '.join(running[:3])}); try again later"
            )
        if not announced:
            options.say(f"  wait  DAG {dag_id}: run(s) in progress: {', '.join(running[:3])}")
            announced = True
        time.sleep(options.poll)
