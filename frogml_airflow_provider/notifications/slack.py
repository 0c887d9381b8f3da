"""``FrogMLSlackNotifier``: a Slack message (Block Kit) about an automation's run."""

from __future__ import annotations

from typing import Any

from frogml_airflow_provider.notifications._context import SUCCESSFUL, RunFacts
from frogml_airflow_provider.notifications._delivery import Outcome, send
from frogml_airflow_provider.notifications.base import FrogMLBaseNotifier, secrets


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
