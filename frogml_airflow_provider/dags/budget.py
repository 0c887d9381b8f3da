"""A time budget per automation file, nested inside Airflow's own import timeout.

All automation files run inside one DAG file (the loader), so they share its
``[core] dagbag_import_timeout``: without a budget of their own, one file stuck at import costs
every automation its DAG, and the error lands on the loader. Airflow's timeout is a SIGALRM
interval timer (``signal.setitimer``); there is only one such timer per process, so this one
nests: it takes the timer over for one file, fires at whichever deadline comes first, and gives
the outer timer back with the time it had left. When the outer deadline is the one reached, the
outer handler runs (Airflow's ``AirflowTaskTimeout`` for the whole loader propagates as before).

Signals reach only the main thread: elsewhere the budget is not enforced (the dag-processor,
``DagBag`` and the CLI all load in the main thread). A file stuck inside one long C call that
does not return to Python (not ``time.sleep``, which is interrupted) is stopped when it returns.
Pure: no Airflow import.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

DEFAULT_FILE_TIMEOUT = 5.0  # seconds; well below Airflow's 30 s import timeout for the whole loader


class FileTimeout(BaseException):
    """Raised inside an automation file that ran past its budget. A BaseException, so that the
    file's own ``except Exception`` does not swallow it."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"did not finish importing within {seconds:g} s")
        self.seconds = seconds


class Budgets:
    """Gives each file its budget (``per_file`` seconds; 0 or less: none) while loading.

    ``outer_expired`` tells the loader that an exception came from the outer (Airflow) timeout
    and must propagate; ``interrupted``, that a real Ctrl+C arrived and must propagate too.
    """

    def __init__(self, per_file: float) -> None:
        self.per_file = per_file
        self.outer_expired = False
        self.interrupted = False
        self._enabled = per_file > 0 and threading.current_thread() is threading.main_thread()

    def must_propagate(self, error: BaseException) -> bool:
        """An exception that is not the file's own: the loader's import timeout, or a real Ctrl+C."""
        return self.outer_expired or (self.interrupted and isinstance(error, KeyboardInterrupt))

    @contextmanager
    def watching_interrupts(self) -> Iterator[None]:
        """A ``KeyboardInterrupt`` a file raises is its error; a real Ctrl+C still stops loading."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.getsignal(signal.SIGINT)

        def on_interrupt(signum: int, frame: FrameType | None) -> Any:
            self.interrupted = True
            if callable(previous):
                return previous(signum, frame)
            if previous != signal.SIG_IGN:
                raise KeyboardInterrupt
            return None

        signal.signal(signal.SIGINT, on_interrupt)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    @contextmanager
    def file(self) -> Iterator[None]:
        """One file's budget: raises ``FileTimeout`` in the file when it runs out."""
        if not self._enabled:
            yield
            return
        now = time.monotonic()
        outer_handler = signal.getsignal(signal.SIGALRM)
        outer_left, outer_interval = signal.getitimer(signal.ITIMER_REAL)
        outer_deadline = now + outer_left if outer_left > 0 else None
        own_deadline = now + self.per_file

        def arm() -> None:
            """The timer for the nearer deadline that has not passed yet."""
            deadline = own_deadline if outer_deadline is None else min(own_deadline, outer_deadline)
            if deadline <= time.monotonic() and outer_deadline is not None:
                deadline = outer_deadline  # the file's own budget is spent: only the outer one is left
            signal.setitimer(signal.ITIMER_REAL, max(deadline - time.monotonic(), 1e-6))

        def on_alarm(signum: int, frame: FrameType | None) -> Any:
            now = time.monotonic()
            if outer_deadline is not None and now >= outer_deadline - 0.001:
                self.outer_expired = True  # the whole loader's time is up: Airflow's handler decides
                signal.signal(signal.SIGALRM, _settable(outer_handler))
                if callable(outer_handler):
                    return outer_handler(signum, frame)
                signal.raise_signal(signal.SIGALRM)
                return None
            if now >= own_deadline - 0.001:
                if outer_deadline is not None:
                    arm()  # keep the outer deadline, in case the file swallows this
                raise FileTimeout(self.per_file)
            arm()  # woken early (timer rounding): wait for the rest
            return None

        signal.signal(signal.SIGALRM, on_alarm)
        arm()
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, _settable(outer_handler))
            if outer_deadline is not None and not self.outer_expired:
                # The outer timer again, with the time it had left (at once if that ran out meanwhile).
                signal.setitimer(signal.ITIMER_REAL, max(outer_deadline - time.monotonic(), 1e-6), outer_interval)


def _settable(handler: Callable[..., Any] | int | signal.Handlers | None) -> Callable[..., Any] | int:
    """``getsignal`` answers None for a handler not set from Python; the default stands in for it."""
    return signal.SIG_DFL if handler is None else handler
