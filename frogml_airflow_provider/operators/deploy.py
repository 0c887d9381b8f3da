"""``FrogMLDeployOperator``: deploy the build that passed the gate (task ``deploy``)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from airflow.sdk import Context

from frogml_airflow_provider.assets import public_url
from frogml_airflow_provider.errors import FrogMLDeployFailed, PlatformError
from frogml_airflow_provider.operators._base import FrogMLBaseOperator, poll_interval, trigger_initial_delay
from frogml_airflow_provider.operators._outputs import emit, run_facts
from frogml_airflow_provider.operators.links import FrogMLModelLink
from frogml_airflow_provider.platform.base import DeploymentState
from frogml_airflow_provider.tasks import BUILD, BUILD_ID, CHECK_BUILD_METRIC, ENDPOINT, GATE, METRICS, complete
from frogml_airflow_provider.triggers.deployment import FrogMLDeploymentTrigger

__all__ = ["FrogMLDeployFailed", "FrogMLDeployOperator"]  # FrogMLDeployFailed: defined in errors.py


class FrogMLDeployOperator(FrogMLBaseOperator):
    """Deploys the build pushed to XCom by ``build_task_id`` with ``deployment_spec`` (a
    ``DeploymentSpecifications`` as data) and waits, deferred, until it serves. Idempotent: a
    build already serving in the variation is not deployed again. Pushes ``endpoint``.

    :param deployment_spec: the deployment (a ``DeploymentSpecifications`` as data: pods, CPU,
        memory, variation, environments...).
    :param build_task_id: the task whose XCom ``build_id`` is deployed. Default ``build``.
    :param deploy_timeout: how long the deployment may take to serve before the task fails.
        Default 30 minutes.
    :param poll_interval: seconds between status checks while deferred (default: ``[frogml] poll_interval``).
    :param model_id: the JFrog ML model (its id, as in the automation's ``model_id``).
    :param automation_name: the automation this task belongs to (for logs and the console); "".
    :param frogml_conn_id: the ``frogml`` connection: the local embedded platform, or JFrog ML.
        Default ``frogml_default``.
    :param kwargs: the arguments of Airflow's ``BaseOperator`` (``task_id``, ``retries``...).
    """

    template_fields: Sequence[str] = ("model_id", "deployment_spec")
    operator_extra_links = (FrogMLModelLink(),)
    template_fields_renderers = {"deployment_spec": "json"}

    def __init__(
        self,
        *,
        deployment_spec: dict[str, Any],
        build_task_id: str = BUILD,
        deploy_timeout: timedelta = timedelta(minutes=30),
        poll_interval: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.deployment_spec = deployment_spec
        self.build_task_id = build_task_id
        self.deploy_timeout = deploy_timeout
        self.poll_interval = poll_interval
        self.lineage_extra: dict[str, Any] | None = None  # the asset event's extra, for OpenLineage too

    @property
    def variation(self) -> str:
        return str(complete(self.deployment_spec, "DeploymentSpecifications").get("variation_name") or "default")

    def execute(self, context: Context) -> Any:
        self.deployment_spec = complete(self.deployment_spec, "DeploymentSpecifications")  # the DAG: what was given
        build_id = context["ti"].xcom_pull(task_ids=self.build_task_id, key=BUILD_ID)
        if not build_id:
            raise FrogMLDeployFailed(f"no build_id from task {self.build_task_id!r}: nothing to deploy")
        deployment = self.hook.platform.deploy(self.model_id, build_id, self.deployment_spec)
        self.log.info("Deploying build %s of model %s to variation %s", build_id, self.model_id, self.variation)
        if deployment.state.terminal and deployment.build_id == build_id:
            return self._finish(context, deployment.to_event())
        deadline = time.time() + self.deploy_timeout.total_seconds()
        self.defer(
            trigger=FrogMLDeploymentTrigger(
                platform=self.hook.locator,
                model_id=self.model_id,
                variation=self.variation,
                build_id=build_id,
                deadline=deadline,
                poll_interval=poll_interval(self.poll_interval),
                initial_delay=trigger_initial_delay(),
            ),
            method_name="execute_complete",
            timeout=self.deploy_timeout + timedelta(minutes=5),
        )

    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        if event.get("timed_out"):
            raise FrogMLDeployFailed(
                f"model {self.model_id!r} did not serve within {self.deploy_timeout} (last state: {event.get('state')})"
            )
        if event.get("state") == "ERROR":
            raise PlatformError(f"could not follow the deployment of model {self.model_id!r}: {event.get('error')}")
        return self._finish(context, event)

    def _finish(self, context: Context, event: dict[str, Any]) -> str:
        if event["state"] != DeploymentState.SERVING.value:
            raise FrogMLDeployFailed(
                f"deployment of build {event.get('build_id')} of model {self.model_id!r} "
                f"is {event['state']}: {event.get('error') or 'no reason given'}"
            )
        context["ti"].xcom_push(key=ENDPOINT, value=event["endpoint"])
        self.log.info("Model %s serves build %s at %s", self.model_id, event["build_id"], event["endpoint"])
        self.lineage_extra = emit(context, self.outlets, "models", self._extra(context, event), self.log)
        return str(event["endpoint"])

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """OpenLineage (when its provider is installed): the build in, the deployed model out."""
        from frogml_airflow_provider import lineage as _lineage

        return self._lineage(_lineage, [_lineage.model_dataset(self.model_id, self.variation)])

    def get_openlineage_facets_on_failure(self, task_instance: Any) -> Any:
        from frogml_airflow_provider import lineage as _lineage

        return self._lineage(_lineage, [])

    def _lineage(self, _lineage: Any, outputs: list[Any]) -> Any:
        facet = self.lineage_extra or {"automation": self.automation_name, "variation": self.variation}
        return _lineage.lineage([_lineage.build_dataset(self.model_id)], outputs, facet, self.model_id)

    def _extra(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """The model asset event's extra (``assets.py``): what now serves, why, and where; nothing secret."""
        ti = context["ti"]
        gate = ti.xcom_pull(task_ids=CHECK_BUILD_METRIC, key=GATE)
        environments = self.deployment_spec.get("environments") or []
        return {
            **run_facts(self, context, self.build_task_id),
            "variation": self.variation,
            "build_id": event["build_id"],
            "metrics": ti.xcom_pull(task_ids=self.build_task_id, key=METRICS) or {},
            "gate": gate if isinstance(gate, dict) else None,
            "endpoint": public_url(str(event["endpoint"])),
            "environments": [str(name) for name in environments],
        }
