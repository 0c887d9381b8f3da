"""What every FrogML operator shares: the connection id and a lazily built hook."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from airflow.sdk import BaseOperator

from frogml_airflow_provider.hooks.frogml import DEFAULT_CONN_ID, FrogMLHook

FROGML_GREEN = "#41bf47"


class FrogMLOperatorMixin:
    """Mixed into each operator; keeps ``execute`` thin by putting platform access in one place."""

    frogml_conn_id: str

    @cached_property
    def hook(self) -> FrogMLHook:
        return FrogMLHook(frogml_conn_id=self.frogml_conn_id)


class FrogMLBaseOperator(FrogMLOperatorMixin, BaseOperator):
    ui_color = FROGML_GREEN

    def __init__(
        self, *, model_id: str, automation_name: str = "", frogml_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.model_id = model_id
        self.automation_name = automation_name
        self.frogml_conn_id = frogml_conn_id
