"""Polling triggers: wait for a platform state in the triggerer, holding no worker slot.

A trigger carries only its platform's locator, ids and an absolute deadline (epoch seconds),
never a secret: triggers are stored in the metadata database.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from frogml_airflow_provider.platform.base import Platform

MAX_CONSECUTIVE_ERRORS = 3


class FrogMLPollingTrigger(BaseTrigger):
    """Polls ``check`` every ``poll_interval`` seconds until it returns an event or the deadline passes."""

    def __init__(
        self, *, platform: dict[str, Any], deadline: float, poll_interval: float = 10.0, initial_delay: float = 0.0
    ) -> None:
        super().__init__()
        self.platform = platform
        self.deadline = deadline
        self.poll_interval = poll_interval
        # The operator checked just before deferring. Resuming it again within seconds races the
        # scheduler's handling of the deferral (Airflow 3.3 then fails the task as "changed
        # externally"), so the first check waits this long.
        self.initial_delay = initial_delay

    def _kwargs(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "deadline": self.deadline,
            "poll_interval": self.poll_interval,
            "initial_delay": self.initial_delay,
        }

    def check(self, platform: Platform) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """(final event or None to keep waiting, the latest state as an event payload)."""
        raise NotImplementedError

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from frogml_airflow_provider.platform.registry import platform_from_locator

        platform = platform_from_locator(self.platform)
        errors = 0
        await asyncio.sleep(max(0.0, min(self.initial_delay, self.deadline - time.time())))
        while True:
            try:
                final, latest = await asyncio.to_thread(self.check, platform)
                errors = 0
            except Exception as error:  # noqa: BLE001 - reported to the operator, which fails clearly
                errors += 1
                if errors >= MAX_CONSECUTIVE_ERRORS:
                    yield TriggerEvent(
                        {"state": "ERROR", "error": f"{type(error).__name__}: {error}", "timed_out": False}
                    )
                    return
                final, latest = None, {}
            if final is not None:
                yield TriggerEvent({**final, "timed_out": False})
                return
            remaining = self.deadline - time.time()
            if remaining <= 0:
                yield TriggerEvent({**latest, "timed_out": True})
                return
            await asyncio.sleep(min(self.poll_interval, remaining))
