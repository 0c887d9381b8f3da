"""The model page's approvals: who approved or rejected each protected deploy, and when
(``approve_deploy``'s records, ``dags.approval``). Read through the platform's decisions."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from frogml_airflow_provider.platform.base import ShowsHistory

SAID = {"approved": "approved", "rejected": "rejected", "timed_out": "no answer in time (Reject)"}
STYLE = {"approved": "SUCCESSFUL", "rejected": "FAILED", "timed_out": "TIMED_OUT"}


def approvals_section(platform: ShowsHistory, model_id: str) -> str:
    """Newest first; nothing at all for a model whose deploys need no approval."""
    decisions = platform.decisions("approval", model_id)
    if not decisions:
        return ""
    rows = []
    for decision in reversed(decisions):
        d = decision.detail
        kind = str(d.get("decision", ""))
        dag_id, run_id = str(d.get("dag_id", "")), str(d.get("run_id", ""))
        run = (
            f"<a target='_top' href='/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}'>{escape(run_id)}</a>"
            if dag_id and run_id
            else ""
        )
        rows.append(
            f"<tr><td>{escape(decision.subject)}</td><td>{escape(str(d.get('variation', '')))}</td>"
            f"<td class='{STYLE.get(kind, '')}'>{escape(SAID.get(kind, kind))}</td>"
            f"<td>{escape(str(d.get('responded_by') or '—'))}</td><td>{escape(str(d.get('responded_at', '')))}</td>"
            f"<td>{escape(dag_id)}</td><td>{run}</td></tr>"
        )
    head = (
        "<tr><th>build</th><th>variation</th><th>decision</th><th>by</th><th>at (UTC)</th><th>DAG</th><th>run</th></tr>"
    )
    return f"<h2>Deploy approvals</h2><table>{head}{''.join(rows)}</table>"
