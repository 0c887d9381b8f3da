"""What the two FrogML notifiers share: the run's facts, and a delivery that never fails the run."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseNotifier

from frogml_airflow_provider.notifications._context import FAILED, SUCCESSFUL, RunFacts, run_facts
from frogml_airflow_provider.notifications._delivery import DeliveryPolicy, Outcome


class FrogMLBaseNotifier(BaseNotifier):
    """Base of the FrogML notifiers. ``model_id`` and ``automation`` default to the DAG's.

    No template fields: Airflow renders a notifier's fields in place, so a notifier reused across
    runs would keep the first run's values. What varies per run is built inside ``notify``.
    """

    template_fields = ()

    def __init__(
        self, *, model_id: str = "", automation: str = "", policy: DeliveryPolicy | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.model_id = model_id
        self.automation = automation
        self.policy = policy  # None: [frogml] notification_* at delivery time, not at parse time

    def delivery_policy(self) -> DeliveryPolicy:
        return self.policy or DeliveryPolicy.from_config()

    def facts(self, context: Any) -> RunFacts:
        dag = context.get("dag")
        return run_facts(
            context,
            model_id=self.model_id,
            automation=self.automation or getattr(dag, "dag_id", ""),
            status=_status(context),
        )

    def notify(self, context: Any) -> None:
        try:
            outcome = self.deliver(context)
        except Exception as error:  # noqa: BLE001 - a notification never changes the run's outcome
            self.log.error("%s could not be sent: %s: %s", type(self).__name__, type(error).__name__, error)
            # The error's text may hold the URL: its class only.
            outcome = Outcome(False, 0, None, f"could not be sent ({type(error).__name__}); the log has the details")
        record_outcome(self, context, outcome)

    def deliver(self, context: Any) -> Outcome:
        raise NotImplementedError


def record_outcome(notifier: FrogMLBaseNotifier, context: Any, outcome: Outcome) -> None:
    """Keep the delivery's outcome for the run's JFrog ML tab (``console/tabs.py``), on the platform
    when it records decisions (the local one): the notifier's kind, the run's status, delivered or
    not and why (``_delivery`` words, never a URL or a header value). Never fails the notification."""
    try:
        from frogml_airflow_provider.hooks.frogml import FrogMLHook
        from frogml_airflow_provider.platform.base import RecordsDecisions

        facts = notifier.facts(context)
        platform = FrogMLHook().platform
        if not facts.model_id or not isinstance(platform, RecordsDecisions):
            return
        kind = type(notifier).__name__.removeprefix("FrogML").removesuffix("Notifier").lower()
        detail = {
            "notifier": kind,
            "status": facts.status,
            "delivered": outcome.delivered,
            "attempts": outcome.attempts,
            "http_status": outcome.status,
            "reason": outcome.reason,
        }
        platform.record_decision("notification", facts.model_id, f"{facts.dag_id}/{facts.run_id}", detail)
    except Exception as error:  # noqa: BLE001 - the record is for the UI; the delivery happened regardless
        notifier.log.warning("the notification's outcome was not recorded: %s", type(error).__name__)


def secrets(*values: str) -> None:
    """Mask credentials in every log line from here on (Airflow's masker, in the task process)."""
    from airflow.sdk.log import mask_secret

    for value in values:
        if value:
            mask_secret(value)


def _status(context: Any) -> str:
    reason = str(context.get("reason") or "")
    if reason:
        return SUCCESSFUL if reason == "success" else FAILED
    if context.get("exception") is not None:
        return FAILED
    ti = context.get("ti") or context.get("task_instance")
    state = str(getattr(ti, "state", "") or "").lower()
    return FAILED if state in {"failed", "up_for_retry", "upstream_failed"} else SUCCESSFUL
