"""Operator extra links: from a task to its build, or to its model's deployments and charts.

On the local platform they open the console the provider's plugin serves under ``/frogml``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from airflow.sdk import BaseOperatorLink
from airflow.sdk.execution_time.xcom import XCom


class FrogMLBuildLink(BaseOperatorLink):
    """The build this task started (its metrics and log)."""

    name = "JFrog ML build"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        build_id = XCom.get_value(ti_key=ti_key, key="build_id")
        return f"/frogml/builds/{quote(str(build_id))}" if build_id else ""


class FrogMLModelLink(BaseOperatorLink):
    """The model's deployments, and its build metrics and trigger metric as charts."""

    name = "JFrog ML model"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        return f"/frogml/models/{quote(str(operator.model_id))}"
