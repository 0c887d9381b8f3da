"""``FrogMLBuildTrigger``: wait for a build to finish."""

from __future__ import annotations

import asyncio
from typing import Any

from frogml_airflow_provider.platform.base import Platform
from frogml_airflow_provider.triggers.base import FrogMLPollingTrigger


class FrogMLBuildTrigger(FrogMLPollingTrigger):
    def __init__(self, *, build_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.build_id = build_id

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (f"{type(self).__module__}.{type(self).__qualname__}", {**self._kwargs(), "build_id": self.build_id})

    def check(self, platform: Platform) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        build = platform.get_build(self.build_id, log_tail=False)
        if build.state.terminal:
            final = platform.get_build(self.build_id).to_event()  # now with the log's tail
            return final, final
        return None, build.to_event()

    async def on_kill(self) -> None:
        """The task was cleared or marked failed while deferred (Airflow calls this then, not on a
        triggerer restart): cancel the build, which would otherwise run on with nobody waiting."""
        from frogml_airflow_provider.platform.registry import platform_from_locator

        platform = platform_from_locator(self.platform)
        await asyncio.to_thread(platform.cancel_build, self.build_id)
