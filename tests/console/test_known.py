"""The console's bounds, alone: turns to build a page (waiting in the event loop, a busy console said
after ``VIEW_WAIT``) and the one-computation-per-period cache shared by concurrent views."""

from __future__ import annotations

import asyncio
import threading
import time

import anyio
import pytest

from frogml_airflow_provider.console import known


def test_a_view_past_its_wait_is_told_the_console_is_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(known, "VIEW_WAIT", 0.2)
    seen: list[str] = []

    async def main() -> None:
        held = anyio.Event()
        release = anyio.Event()

        async def holder() -> None:
            async with known.console_turn():
                held.set()
                await release.wait()

        async with anyio.create_task_group() as group:
            for _ in range(known.VIEWS_AT_ONCE):
                group.start_soon(holder)
            await held.wait()
            while known._TURNS[asyncio.get_running_loop()].borrowed_tokens < known.VIEWS_AT_ONCE:
                await anyio.sleep(0)
            with pytest.raises(known.ConsoleBusy, match=r"waited 0\.2 s; reload it"):
                async with known.console_turn():
                    seen.append("built")  # never: every turn is taken
            release.set()
        async with known.console_turn():  # turns come back
            seen.append("after")

    anyio.run(main)
    assert seen == ["after"]


def test_concurrent_views_share_one_computation_per_period() -> None:
    calls: list[float] = []
    gate = threading.Event()

    def compute() -> int:
        calls.append(time.monotonic())
        gate.wait(5)
        return len(calls)

    cached = known.Cached(lambda: 60.0, compute)
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(cached.get())) for _ in range(20)]
    for thread in threads:
        thread.start()
    gate.set()
    for thread in threads:
        thread.join(10)
    assert results == [1] * 20 and len(calls) == 1
    cached.clear()
    assert cached.get() == 2
