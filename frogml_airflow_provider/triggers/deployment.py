"""``FrogMLDeploymentTrigger``: wait for a deployment of one build to serve (or fail)."""

from __future__ import annotations

from typing import Any

from frogml_airflow_provider.platform.base import DeploymentState, Platform
from frogml_airflow_provider.triggers.base import FrogMLPollingTrigger


class FrogMLDeploymentTrigger(FrogMLPollingTrigger):
    def __init__(self, *, model_id: str, variation: str, build_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model_id = model_id
        self.variation = variation
        self.build_id = build_id

    def serialize(self) -> tuple[str, dict[str, Any]]:
        fields = {"model_id": self.model_id, "variation": self.variation, "build_id": self.build_id}
        return (f"{type(self).__module__}.{type(self).__qualname__}", {**self._kwargs(), **fields})

    def check(self, platform: Platform) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        deployment = platform.get_deployment(self.model_id, self.variation)
        if deployment is None:
            return None, {"state": DeploymentState.DEPLOYING.value, "build_id": self.build_id}
        event = deployment.to_event()
        if deployment.build_id != self.build_id:
            # Another build holds the variation: ours failed to start, or was replaced meanwhile.
            return None, event
        return (event if deployment.state.terminal else None), event
