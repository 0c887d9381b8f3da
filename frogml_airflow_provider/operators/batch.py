"""``FrogMLBatchOperator``: run a batch job on the model (task ``run_batch``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import Context

from frogml_airflow_provider.errors import NotSupportedError
from frogml_airflow_provider.operators._base import FrogMLBaseOperator


class FrogMLBatchOperator(FrogMLBaseOperator):
    """Starts a batch execution of ``model_id`` (on ``build_id``, or the deployed build).

    Not run yet on either platform: the task fails saying so (``NotSupportedError``).

    :param build_id: the build to run; "" for the build deployed now.
    :param data_specifications: where the input is read and the output written (a
        ``BatchJobDataSpecifications`` as data).
    :param execution_specifications: the job's resources (a ``BatchJobExecutionSpecifications`` as data).
    :param model_id: the JFrog ML model (its id, as in the automation's ``model_id``).
    :param automation_name: the automation this task belongs to (for logs and the console); "".
    :param frogml_conn_id: the ``frogml`` connection: the local embedded platform, or JFrog ML.
        Default ``frogml_default``.
    :param kwargs: the arguments of Airflow's ``BaseOperator`` (``task_id``, ``retries``...).
    """

    template_fields: Sequence[str] = ("model_id", "build_id", "data_specifications", "execution_specifications")
    template_fields_renderers = {"data_specifications": "json", "execution_specifications": "json"}

    def __init__(
        self,
        *,
        build_id: str = "",
        data_specifications: dict[str, Any],
        execution_specifications: dict[str, Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.build_id = build_id
        self.data_specifications = data_specifications
        self.execution_specifications = execution_specifications

    def execute(self, context: Context) -> Any:
        raise NotSupportedError(
            f"task {self.task_id!r}: batch executions (model {self.model_id!r}) are not run by this provider yet; "
            "run the automation's batch on JFrog ML (frogml-airflow register, then run)"
        )
