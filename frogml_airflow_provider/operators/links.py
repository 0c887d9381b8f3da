"""Operator extra links: from a task to its build, or to its model's deployments and charts.

On the local platform they open the console the provider's plugin serves under ``/frogml``; on
JFrog ML, the platform's own pages (``<JFrog URL>/ui/ml/models/<model>/build/<build>``, the
address the frogml SDK prints for a build).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from airflow.sdk import BaseOperatorLink
from airflow.sdk.execution_time.xcom import XCom

from frogml_airflow_provider.tasks import BATCH_JOB_ID, BUILD_ID


def _jfrog_ui(operator: Any) -> str | None:
    """The JFrog ML UI root when the operator's connection points at JFrog ML, else None."""
    locator = operator.hook.locator
    if locator.get("kind") != "jfrog":
        return None
    return f"{str(locator.get('url') or '').rstrip('/')}/ui/ml"


class FrogMLBuildLink(BaseOperatorLink):
    """The build this task started (its metrics and log)."""

    name = "JFrog ML build"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        build_id = XCom.get_value(ti_key=ti_key, key=BUILD_ID)
        if not build_id:
            return ""
        ui = _jfrog_ui(operator)
        if ui:
            return f"{ui}/models/{quote(str(operator.model_id))}/build/{quote(str(build_id))}"
        return f"/frogml/builds/{quote(str(build_id))}"


class FrogMLModelLink(BaseOperatorLink):
    """The model's deployments, and its build metrics and trigger metric as charts."""

    name = "JFrog ML model"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        ui = _jfrog_ui(operator)
        return f"{ui or '/frogml'}/models/{quote(str(operator.model_id))}"


class FrogMLBatchJobLink(BaseOperatorLink):
    """The batch job this task started: its state, files and rows (on JFrog ML: the model's page)."""

    name = "JFrog ML batch job"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        job_id = XCom.get_value(ti_key=ti_key, key=BATCH_JOB_ID)
        if not job_id:
            return ""
        ui = _jfrog_ui(operator)
        if ui:
            return f"{ui}/models/{quote(str(operator.model_id))}"
        return f"/frogml/batch/{quote(str(job_id))}"
