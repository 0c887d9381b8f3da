"""A resumed FrogML task sends no second OpenLineage START (``operators/_lineage_once.py``), read through
the OpenLineage provider's own policy resolution (what its listener asks before each event); the end to
end count, one START/COMPLETE pair per operator, is in tests/dags/test_assets_run.py."""

from __future__ import annotations

from contextlib import nullcontext
from types import SimpleNamespace
from typing import Any

import pytest
from airflow.providers.openlineage.api.emission_policy import extend_global_openlineage_emission_policy
from airflow.providers.openlineage.utils.emission_policy import OL_EMISSION_POLICY_PARAM, resolve_task_emission_policy

from frogml_airflow_provider.errors import PlatformError
from frogml_airflow_provider.operators import _lineage_once
from frogml_airflow_provider.operators.build import FrogMLBuildOperator

FAILED = {"build_id": "b-1", "state": "ERROR", "error": "lost"}  # execute_complete raises on it (no platform)


def operator() -> FrogMLBuildOperator:
    return FrogMLBuildOperator(task_id="build", model_id="m", build_spec={"git_uri": "/srv/git/m.git"})


def context(next_method: str | None) -> dict[str, Any]:
    """What the task runner hands the task: the server's TI context names the method a resumed task runs."""
    return {"ti": SimpleNamespace(_ti_context_from_server=SimpleNamespace(next_method=next_method))}


def emits(task: FrogMLBuildOperator) -> bool:
    return resolve_task_emission_policy(operator=task, dag_id="d", task_id=task.task_id).emit


def test_the_param_is_the_one_the_provider_reads() -> None:
    assert _lineage_once.POLICY_PARAM == OL_EMISSION_POLICY_PARAM


def test_a_first_start_is_reported() -> None:
    task = operator()
    task.render_template_fields(context(None))
    assert emits(task)


@pytest.mark.parametrize("event", [{"build_id": "b-1", "state": "SUCCESSFUL"}, FAILED], ids=["complete", "fail"])
def test_a_resumed_task_is_quiet_while_it_starts_and_reports_how_it_ends(event: dict[str, Any]) -> None:
    task = operator()
    task.render_template_fields(context("execute_complete"))
    assert not emits(task)  # the listener's second START: dropped
    seen: list[bool] = []

    def finish(ctx: Any, event: dict[str, Any]) -> str:
        seen.append(emits(task))  # what the listener would decide for COMPLETE or FAIL
        if event["state"] == "ERROR":
            raise PlatformError(event["error"])
        return str(event["build_id"])

    task.execute_complete = finish  # type: ignore[method-assign]
    with pytest.raises(PlatformError) if event is FAILED else nullcontext():
        task.resume_execution("execute_complete", {"event": event}, context("execute_complete"))
    assert seen == [True] and emits(task)
    assert OL_EMISSION_POLICY_PARAM not in task.params  # nothing left on the task


def test_an_authors_own_policy_survives_a_resumption() -> None:
    task = extend_global_openlineage_emission_policy(operator(), emit=False, include_source_code=False)
    before = dict(task.params[OL_EMISSION_POLICY_PARAM])
    task.render_template_fields(context("execute_complete"))
    assert task.params[OL_EMISSION_POLICY_PARAM] == {**before, "emit_task_events": False}
    with pytest.raises(PlatformError):
        task.resume_execution("execute_complete", {"event": FAILED}, context("execute_complete"))
    assert task.params[OL_EMISSION_POLICY_PARAM] == before and not emits(task)


def test_the_approval_step_resumes_quiet_too() -> None:
    """``approve_deploy`` waits in the triggerer for the human's answer, so it resumes as well."""
    from frogml_airflow_provider.operators.approval import FrogMLApprovalOperator

    task = FrogMLApprovalOperator(task_id="approve_deploy", model_id="m")
    task.render_template_fields(context(None))
    assert emits(task)  # type: ignore[arg-type]
    task.render_template_fields(context("execute_complete"))
    assert not emits(task)  # type: ignore[arg-type]
    task.execute_complete = lambda context, event: None  # type: ignore[method-assign]
    task.resume_execution("execute_complete", {"event": {}}, context("execute_complete"))
    assert emits(task) and OL_EMISSION_POLICY_PARAM not in task.params  # type: ignore[arg-type]
