"""Run a call that might never return, without hanging the test session."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def outcome_within(seconds: float, call: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    """``(result, exception)`` of ``call()``; fails the test when it is still running after
    ``seconds`` (the thread is left behind as a daemon: only a broken build gets there)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = call()
        except BaseException as error:  # handed to the test
            box["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s: nothing bounds it"
    return box.get("result"), box.get("error")
