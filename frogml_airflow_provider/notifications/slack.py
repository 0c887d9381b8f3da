"""``FrogMLSlackNotifier``: a Slack message (Block Kit) about an automation's run."""

from __future__ import annotations

from typing import Any

from frogml_airflow_provider.notifications._context import SUCCESSFUL, RunFacts
from frogml_airflow_provider.notifications._delivery import Outcome, send
from frogml_airflow_provider.notifications.base import FrogMLBaseNotifier, secrets
from frogml_airflow_provider.tasks import APPROVAL_TIMED_OUT, AWAITING_APPROVAL


class FrogMLSlackNotifier(FrogMLBaseNotifier):
    """Posts the run's execution time, model, automation, final status and build id to a Slack
    incoming webhook. The webhook URL is a credential: it is not a template field, and is never
    logged or serialized.
    """

    def __init__(self, webhook: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._webhook = webhook

    def __repr__(self) -> str:
        return f"{type(self).__name__}(webhook='***', model_id={self.model_id!r})"

    def deliver(self, context: Any) -> Outcome:
        secrets(self._webhook)
        facts = self.facts(context)
        return send(
            "POST",
            self._webhook,
            body=slack_message(facts, run_url(context)),
            policy=self.delivery_policy(),
            what=f"Slack notification for {facts.automation!r}",
        )


def run_url(context: Any) -> str:
    ti = context.get("ti") or context.get("task_instance")
    return str(getattr(ti, "log_url", "") or "")


def slack_message(facts: RunFacts, link: str = "") -> dict[str, Any]:
    if facts.approval:
        return _approval_message(facts, link)
    ok = facts.status == SUCCESSFUL
    title = f"{'✅' if ok else '❌'} JFrog ML automation *{facts.automation}* {'succeeded' if ok else 'failed'}"
    fields = [
        ("Execution time", facts.execution_date),
        ("Model", facts.model_id),
        ("Automation", facts.automation),
        ("Status", facts.status),
        ("Build", facts.build_id or "—"),
    ]
    if facts.why:
        fields.append(("Started by", facts.why))
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": title}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in fields]},
    ]
    if link:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{link}|Open the Airflow run>"}]})
    return {"text": f"{facts.automation}: {facts.status}", "blocks": blocks}


def _approval_message(facts: RunFacts, link: str) -> dict[str, Any]:
    """The approval step's news: a request (with the link to Airflow's Required Actions), or a skipped deploy."""
    approval = facts.approval or {}
    url = str(approval.get("url") or "")
    who = str(approval.get("responded_by") or "")
    hours = approval.get("timeout_hours")
    within = f"{hours:g}" if isinstance(hours, (int, float)) else "?"
    if facts.status == AWAITING_APPROVAL:
        title = f"⏳ *{facts.automation}* wants to deploy build {facts.build_id or '—'}: approve or reject"
        if url:
            action = f"<{url}|Approve or reject in Airflow>"
        else:
            action = "Approve or reject in Airflow: Browse → Required Actions ([api] base_url is not set: no link)"
        after = f"No answer within {within} h counts as Reject."
        text = f"{action}. {after}"
    elif facts.status == APPROVAL_TIMED_OUT:
        title = f"⌛ *{facts.automation}*: no approval within {within} h, deploy skipped"
        text = f"<{link}|Open the Airflow run>" if link else ""
    else:
        title = f"🚫 *{facts.automation}*: deploy rejected{' by ' + who if who else ''}, deploy skipped"
        text = f"<{link}|Open the Airflow run>" if link else ""
    fields = [("Model", facts.model_id), ("Build", facts.build_id or "—"), ("Status", facts.status)]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": title}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in fields]},
    ]
    if text:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": text}]})
    return {"text": f"{facts.automation}: {facts.status}", "blocks": blocks}
