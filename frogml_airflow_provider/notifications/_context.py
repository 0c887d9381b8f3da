"""What a notification says about a run, read from an Airflow callback context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from frogml_airflow_provider.tasks import APPROVAL_CONTEXT, BUILD, BUILD_ID, EVALUATION, RUN_BATCH

SUCCESSFUL = "SUCCESSFUL"
FAILED = "FAILED"


@dataclass(frozen=True)
class RunFacts:
    execution_date: str
    model_id: str
    automation: str
    status: str
    build_id: str
    dag_id: str
    run_id: str
    evaluation: dict[str, Any] | None = None  # the metric crossing that started the run, if one did
    approval: dict[str, Any] | None = None  # the approval step's news: status, url, responded_by, timeout_hours

    @property
    def why(self) -> str:
        """The crossing in a line: ``error_rate = 0.5 (above 0.25) at 2026-12-05T10:00:00+00:00``."""
        e = self.evaluation
        if not e:
            return ""
        direction = str(e.get("direction", "")).lower().replace("_", " ")
        again = ", sent again" if e.get("resent") else ""
        crossed = f"{e.get('trigger')} = {e.get('value')} ({direction} {e.get('threshold')})"
        return f"{crossed} at {e.get('evaluated_at')}{again}"

    def platform_params(self) -> dict[str, str]:
        """The fields JFrog ML sends with a custom webhook (and, from the approval step, two more)."""
        params = {
            "execution_date": self.execution_date,
            "model_id": self.model_id,
            "automation": self.automation,
            "status": self.status,
            "build_id": self.build_id,
        }
        if self.approval:
            params["approval_url"] = str(self.approval.get("url") or "")
            params["responded_by"] = str(self.approval.get("responded_by") or "")
        return params


def run_facts(context: Any, *, model_id: str, automation: str, status: str) -> RunFacts:
    dag_run = context.get("dag_run")
    when = None
    if dag_run is not None:
        when = getattr(dag_run, "logical_date", None) or getattr(dag_run, "run_after", None)
    when = when or context.get("logical_date")
    build_id = ""
    evaluation = None
    ti = context.get("ti") or context.get("task_instance")
    if ti is not None:
        try:
            # The build this run built, or the one its batch job ran on.
            build_id = (
                ti.xcom_pull(task_ids=BUILD, key=BUILD_ID) or ti.xcom_pull(task_ids=RUN_BATCH, key=BUILD_ID) or ""
            )
        except Exception:  # noqa: BLE001 - a missing XCom must not stop the notification
            build_id = ""
        evaluation = run_evaluation(ti)
    dag = context.get("dag")
    approval = context.get(APPROVAL_CONTEXT)
    if isinstance(approval, dict) and approval.get("status"):
        status = str(approval["status"])
    else:
        approval = None
    return RunFacts(
        execution_date=when.isoformat() if hasattr(when, "isoformat") else str(when or ""),
        model_id=model_id,
        automation=automation,
        status=status,
        build_id=str(build_id),
        dag_id=getattr(dag, "dag_id", "") or getattr(dag_run, "dag_id", ""),
        run_id=getattr(dag_run, "run_id", "") or context.get("run_id", ""),
        evaluation=evaluation,
        approval=approval,
    )


def run_evaluation(ti: Any) -> dict[str, Any] | None:
    """The metric evaluation that started the run (pushed by its first task), or None."""
    try:
        found = ti.xcom_pull(task_ids=BUILD, key=EVALUATION) or ti.xcom_pull(task_ids=RUN_BATCH, key=EVALUATION)
    except Exception:  # noqa: BLE001 - a missing XCom must not stop the notification
        return None
    return found if isinstance(found, dict) else None
