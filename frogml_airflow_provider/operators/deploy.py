"""``FrogMLDeployOperator``: deploy the build that passed the gate (task ``deploy``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from airflow.sdk import Context

from frogml_airflow_provider.operators._base import FrogMLBaseOperator
from frogml_airflow_provider.plan import BUILD


class FrogMLDeployOperator(FrogMLBaseOperator):
    """Deploys the build pushed to XCom by ``build_task_id`` with ``deployment_spec`` (a
    ``DeploymentSpecifications`` as data) and waits, deferred, until it serves.
    """

    template_fields: Sequence[str] = ("model_id", "deployment_spec")
    template_fields_renderers = {"deployment_spec": "json"}

    def __init__(
        self,
        *,
        deployment_spec: dict[str, Any],
        build_task_id: str = BUILD,
        deploy_timeout: timedelta = timedelta(minutes=30),
        poll_interval: float = 5.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.deployment_spec = deployment_spec
        self.build_task_id = build_task_id
        self.deploy_timeout = deploy_timeout
        self.poll_interval = poll_interval

    def execute(self, context: Context) -> Any:
        raise NotImplementedError("deploying on a platform lands with issue #3")
