"""``FrogMLBatchOperator``: run a batch job on the model (task ``run_batch``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import Context

from frogml_airflow_provider.operators._base import FrogMLBaseOperator


class FrogMLBatchOperator(FrogMLBaseOperator):
    """Starts a batch execution of ``model_id`` (on ``build_id``, or the deployed build)."""

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
        raise NotImplementedError("batch executions are not run by the local platform yet")
