"""``FrogMLApprovalOperator``: a human approves the deploy the gate chose (task ``approve_deploy``).

Only in the DAGs of automations that ``[frogml] approval_required`` names (``dags.approval``). It is
Airflow's ``ApprovalOperator``: the request shows in Airflow's Required Actions (Browse -> Required
Actions, and the task's Required Actions tab), and the task waits there (``awaiting_input``, no
worker slot, no triggerer). Approve: ``deploy`` runs. Reject, or no answer within the timeout (the
scheduler then answers with the default, Reject): ``deploy`` is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast
from urllib.parse import quote

from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.sdk import BaseNotifier, Context

from frogml_airflow_provider.hooks.frogml import DEFAULT_CONN_ID
from frogml_airflow_provider.operators._base import FrogMLOperatorMixin
from frogml_airflow_provider.operators._lineage_once import OneStartPerRun
from frogml_airflow_provider.platform.base import RecordsDecisions
from frogml_airflow_provider.tasks import (
    APPROVAL,
    APPROVAL_CONTEXT,
    APPROVAL_TIMED_OUT,
    AWAITING_APPROVAL,
    BUILD,
    BUILD_ID,
    CHECK_BUILD_METRIC,
    DEPLOY_REJECTED,
    GATE,
    METRICS,
)

DEFAULT_TIMEOUT = 24 * 3600.0
APPROVED, REJECTED, TIMED_OUT = "approved", "rejected", "timed_out"


class FrogMLApprovalOperator(OneStartPerRun, FrogMLOperatorMixin, ApprovalOperator):
    """Asks a human to approve deploying the build that passed the gate; skips the deploy unless approved.

    Pushes XCom ``approval``: ``decision`` (``approved``, ``rejected`` or ``timed_out``),
    ``responded_by`` (the user's name; empty on a time-out), ``responded_at`` (ISO 8601, UTC) and
    ``build_id``; the local platform keeps it for the console's model page.

    :param model_id: the JFrog ML model to deploy.
    :param automation_name: the automation this task belongs to; "".
    :param variation: the variation the deploy deploys into. Default ``default``.
    :param timeout_seconds: how long the request waits; then the answer is Reject. Default 24 hours.
    :param required_by: the ``[frogml] approval_required`` entries that asked for this step (shown
        in the request).
    :param notifier: a FrogML notifier (the automation's ``on_success``, else ``on_error``) told of
        the request, with the link to it, and of a rejection or time-out; None: only Airflow's UI shows it.
    :param build_task_id: the task whose XCom ``build_id`` and ``metrics`` are shown. Default ``build``.
    :param gate_task_id: the task whose XCom ``gate`` is shown. Default ``check_build_metric``.
    :param frogml_conn_id: the ``frogml`` connection (to record the decision). Default ``frogml_default``.
    :param kwargs: the arguments of Airflow's ``ApprovalOperator`` and ``BaseOperator``.
    """

    template_fields: Sequence[str] = ("subject", "body")
    ui_color = "#ffb74d"

    def __init__(
        self,
        *,
        model_id: str,
        automation_name: str = "",
        variation: str = "default",
        timeout_seconds: float = DEFAULT_TIMEOUT,
        required_by: Sequence[str] = (),
        notifier: BaseNotifier | None = None,
        build_task_id: str = BUILD,
        gate_task_id: str = CHECK_BUILD_METRIC,
        frogml_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("subject", f"Deploy model {model_id} to variation {variation}?")
        super().__init__(
            defaults=ApprovalOperator.REJECT,  # what the scheduler answers when the time is up
            response_timeout=timedelta(seconds=timeout_seconds),
            **kwargs,
        )
        self.model_id = model_id
        self.automation_name = automation_name
        self.variation = variation
        self.timeout_seconds = timeout_seconds
        self.required_by = list(required_by)
        self._notifier = notifier  # holds credentials: private, never a template field or serialized
        self.build_task_id = build_task_id
        self.gate_task_id = gate_task_id
        self.frogml_conn_id = frogml_conn_id

    def execute(self, context: Context) -> Any:
        ti = context["ti"]
        build_id = ti.xcom_pull(task_ids=self.build_task_id, key=BUILD_ID)
        metrics = ti.xcom_pull(task_ids=self.build_task_id, key=METRICS) or {}
        gate = ti.xcom_pull(task_ids=self.gate_task_id, key=GATE) or {}
        self.body = self._request_body(build_id, metrics, gate)
        url = required_actions_url(ti)
        self.log.info("Waiting for approval of build %s: %s", build_id, url or "Browse -> Required Actions")
        self._tell(context, AWAITING_APPROVAL, url=url)
        return super().execute(context)  # parks the task until an answer (or the time-out's Reject)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        if "error" not in event:
            # Before Airflow's part: on Reject it skips ``deploy`` by raising (DownstreamTasksSkipped).
            self.validate_chosen_options(event["chosen_options"])
            self._settle(context, event)
        return super().execute_complete(context=context, event=event)

    def _settle(self, context: Context, event: dict[str, Any]) -> None:
        """Say the decision: XCom ``approval``, the platform's record, the log, and unless approved a notification."""
        approved = list(event["chosen_options"]) == [self.APPROVE]
        decision = APPROVED if approved else (TIMED_OUT if event.get("timedout") else REJECTED)
        user = (event.get("responded_by_user") or {}) if decision != TIMED_OUT else {}
        at: Any = event.get("responded_at")
        ti = context["ti"]
        build_id = str(ti.xcom_pull(task_ids=self.build_task_id, key=BUILD_ID) or "")
        record = {
            "decision": decision,
            "responded_by": str(user.get("name") or ""),
            "responded_by_id": str(user.get("id") or ""),
            "responded_at": at.isoformat() if hasattr(at, "isoformat") else str(at or ""),
            "build_id": build_id,
            "variation": self.variation,
            "run_id": ti.run_id,
            "dag_id": ti.dag_id,
        }
        ti.xcom_push(key=APPROVAL, value=record)
        self.log.info(
            "Deploy of build %s %s%s at %s",
            build_id,
            decision.replace("_", " "),
            f" by {record['responded_by']}" if record["responded_by"] else "",
            record["responded_at"],
        )
        self._record(build_id, record)
        if not approved:
            status = APPROVAL_TIMED_OUT if decision == TIMED_OUT else DEPLOY_REJECTED
            self._tell(context, status, url="", responded_by=record["responded_by"])

    def _request_body(self, build_id: Any, metrics: dict[str, Any], gate: dict[str, Any]) -> str:
        lines = [
            f"Automation **{self.automation_name}** wants to deploy build `{build_id}` of model "
            f"`{self.model_id}` to variation `{self.variation}`.",
            "",
        ]
        if gate:
            lines.append(
                f"- Gate: `{gate.get('metric')}` = {gate.get('value')} is "
                f"{str(gate.get('direction', '')).lower()} {gate.get('threshold')} ({gate.get('against')})"
            )
        if metrics:
            shown = ", ".join(f"`{name}` = {value}" for name, value in sorted(metrics.items()))
            lines.append(f"- Metrics: {shown}")
        hours = self.timeout_seconds / 3600
        lines += [
            f"- Asked by `[frogml] approval_required`: {', '.join(f'`{e}`' for e in self.required_by) or '-'}",
            f"- No answer within {hours:g} h counts as **Reject** (`[frogml] approval_timeout`).",
        ]
        return "\n".join(lines)

    def _tell(self, context: Context, status: str, *, url: str, responded_by: str = "") -> None:
        if self._notifier is None:
            return
        news = {
            "status": status,
            "url": url,
            "responded_by": responded_by,
            "timeout_hours": self.timeout_seconds / 3600,
        }
        told: dict[str, Any] = {**dict(context), APPROVAL_CONTEXT: news}
        self._notifier.notify(cast(Context, told))  # FrogML notifiers never raise

    def _record(self, build_id: str, record: dict[str, Any]) -> None:
        """For the console's model page: a nicety, so a platform that cannot record changes nothing."""
        try:
            platform = self.hook.platform
            if isinstance(platform, RecordsDecisions):
                platform.record_decision(APPROVAL, self.model_id, build_id, record)
        except Exception as error:  # noqa: BLE001 - the decision stands either way (it is in XCom)
            self.log.warning("The approval could not be recorded on the platform: %s: %s", type(error).__name__, error)


def required_actions_url(ti: Any) -> str:
    """The task's Required Actions page in Airflow's UI, from ``[api] base_url`` (its path kept); ""
    when it is not set (Airflow cannot know the address users reach it at)."""
    from airflow.configuration import conf

    base = (conf.get("api", "base_url", fallback="") or "").rstrip("/")
    if not base:
        return ""
    run = quote(str(ti.run_id), safe="")
    path = f"/dags/{quote(ti.dag_id, safe='')}/runs/{run}/tasks/{quote(ti.task_id, safe='')}/required_actions"
    map_index = getattr(ti, "map_index", -1)
    return f"{base}{path}?map_index={map_index if map_index is not None else -1}"
