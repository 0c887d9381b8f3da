"""What the two FrogML notifiers share: the run's facts, and a delivery that never fails the run."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseNotifier

from frogml_airflow_provider.notifications._context import FAILED, SUCCESSFUL, RunFacts, run_facts
from frogml_airflow_provider.notifications._delivery import DeliveryPolicy


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
            self.deliver(context)
        except Exception as error:  # noqa: BLE001 - a notification never changes the run's outcome
            self.log.error("%s could not be sent: %s: %s", type(self).__name__, type(error).__name__, error)

    def deliver(self, context: Any) -> None:
        raise NotImplementedError


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
