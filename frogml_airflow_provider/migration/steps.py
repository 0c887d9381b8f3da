"""Running a hand-over's steps: in order, and on *any* exception (Ctrl-C and SIGTERM too) undone in
reverse with further signals held off; then both sides read again (``check``), and the message
says what that check found, not what the steps assumed. Used by ``handover``.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, TextIO

from frogml_airflow_provider.errors import FrogMLProviderError, HandoverError, HandoverInterrupted


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
