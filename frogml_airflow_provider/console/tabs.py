"""The tabs the plugin adds to a generated DAG's pages in Airflow's UI (``plugins.py``): the DAG's
model story (builds, gate decisions, what serves, the metric trigger's evaluations, batch jobs) and a
run's (its build, the gate's comparison, who approved the deploy, the deployment, the
notifications); a task instance's tab is the run's, opened at the task's part (``#task-<task id>``).
HTML from what ``story`` read; no automation file is imported.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any
from urllib.parse import quote

from frogml_airflow_provider.console import pages
from frogml_airflow_provider.console.story import DagFacts, RunFacts, builds_of_dag, builds_of_run, by_subject
from frogml_airflow_provider.platform.base import Build, Decision, ShowsHistory
from frogml_airflow_provider.tasks import APPROVAL, APPROVE_DEPLOY, BUILD, CHECK_BUILD_METRIC, DEPLOY
from frogml_airflow_provider.triggers.metric_history import WatcherHistory

BUILDS_SHOWN = 50  # newest builds in the table; the chart draws every gate decision
EVALUATIONS_SHOWN = 20
BATCH_SHOWN = 20


def _when(epoch: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch)) if epoch else ""


def _q(text: str) -> str:
    return quote(text, safe="")


def _airflow(prefix: str) -> str:
    """Airflow's UI root: the console is mounted one level below it (``/frogml``)."""
    return prefix.rstrip("/").rsplit("/", 1)[0]


def _crumbs(prefix: str, facts: DagFacts) -> str:
    return (
        f"<a href='{prefix}/'>JFrog ML local platform</a> · model "
        f"<a href='{prefix}/models/{_q(facts.model_id)}'>{escape(facts.model_id)}</a>"
    )


def _facts(items: Sequence[tuple[str, str]]) -> str:
    cells = "".join(f"<div><dt>{escape(k)}</dt><dd>{v}</dd></div>" for k, v in items)
    return f"<dl class='facts'>{cells}</dl>"


def _metrics(metrics: Mapping[str, float]) -> str:
    return ", ".join(f"{k} = {v:.4g}" for k, v in sorted(metrics.items())) or "none logged"


def _gate_text(gate: Mapping[str, Any] | None) -> str:
    if not gate:
        return "<span class='empty'>no decision</span>"
    direction = str(gate.get("direction") or "").lower().replace("_", " ")
    verdict = "passed: deploy" if gate.get("passed") else "not passed: no deploy"
    css = "passed" if gate.get("passed") else "failed"
    return (
        f"{escape(str(gate.get('metric')))} = {_num(gate.get('value'))} {escape(direction)} "
        f"{_num(gate.get('threshold'))}: <b class='{css}'>{verdict}</b>"
    )


def _num(value: object) -> str:
    return f"{value:.6g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else escape(str(value))


def not_generated(dag_id: str, prefix: str) -> str:
    """A plain DAG: Airflow 3.3 shows a plugin's tab on every DAG (no per-DAG scope before
    ``applies_to``), so the tab says plainly it has nothing here."""
    body = (
        f"<p><b>{escape(dag_id)}</b> is not a JFrog ML DAG: it was not generated from an automation file "
        "(it has no <code>frogml</code> tag), so this tab has nothing to show for it.</p>"
        f"<p>The models, builds and deployments of the JFrog ML DAGs are in the "
        f"<a href='{prefix}/'>JFrog ML console</a>.</p>"
    )
    return pages.page("Not a JFrog ML DAG", body, prefix)


def dag_tab(
    platform: ShowsHistory,
    facts: DagFacts,
    prefix: str,
    watchers: Sequence[WatcherHistory] | str,
    batch_jobs: Sequence[Any] = (),
) -> str:
    builds = builds_of_dag(platform, facts)
    gates = platform.decisions("gate", facts.model_id)
    mine = {b.build_id for b in builds}
    gates_here = [d for d in gates if d.subject in mine]
    body = (
        _facts(
            [
                ("automation", escape(facts.automation)),
                ("model", f"<a href='{prefix}/models/{_q(facts.model_id)}'>{escape(facts.model_id)}</a>"),
                ("automation file", f"<code>{escape(facts.file)}</code>" if facts.file else "unknown"),
                ("builds by this DAG", str(len(builds))),
            ]
        )
        + f"<h2>Serving now</h2>{pages.deployments_table(platform, facts.model_id)}"
        + pages.gate_chart(gates_here)
        + _builds_table(builds, by_subject(gates_here), prefix, facts)
        + _trigger(platform, facts, watchers)
        + _batch(batch_jobs, prefix)
    )
    return pages.page(f"JFrog ML: {facts.automation}", body, prefix, _crumbs(prefix, facts))


def _builds_table(builds: Sequence[Build], gates: Mapping[str, Decision], prefix: str, facts: DagFacts) -> str:
    if not builds:
        return "<h2>Builds</h2><p class='empty'>No build by this DAG yet.</p>"
    rows = []
    for build in list(reversed(builds))[:BUILDS_SHOWN]:
        run_id = _run_of(build, facts.dag_id)
        run = (
            f"<a target='_top' href='{_airflow(prefix)}/dags/{_q(facts.dag_id)}/runs/{_q(run_id)}'>{escape(run_id)}</a>"
            if run_id
            else "<span class='empty'>a metric crossing</span>"
        )
        gate = gates.get(build.build_id)
        rows.append(
            f"<tr><td><a href='{prefix}/builds/{_q(build.build_id)}'>{escape(build.build_id)}</a></td><td>{run}</td>"
            f"<td class='{build.state.value}'>{build.state.value}</td><td>{escape(_metrics(build.metrics))}</td>"
            f"<td>{_gate_text(gate.detail if gate else None)}</td><td>{_when(build.started_at)}</td></tr>"
        )
    more = len(builds) - BUILDS_SHOWN
    note = f"<p class='empty'>{more} older build(s) in the <a href='{prefix}/'>console</a>.</p>" if more > 0 else ""
    head = "<tr><th>build</th><th>DAG run</th><th>state</th><th>metrics</th><th>gate</th><th>started</th></tr>"
    return f"<h2>Builds</h2><table>{head}{''.join(rows)}</table>{note}"


def _run_of(build: Build, dag_id: str) -> str:
    """The DAG run of a build's run key ``<dag>/<run>/<task>``; "" for ``<dag>/crossing/<c>/<task>``."""
    parts = build.run_key[len(dag_id) + 1 :].rsplit("/", 1)
    return "" if len(parts) < 2 or parts[0].startswith("crossing/") else parts[0]


def _trigger(platform: ShowsHistory, facts: DagFacts, watchers: Sequence[WatcherHistory] | str) -> str:
    if isinstance(watchers, str):
        return pages.trigger_charts([], watchers)
    watcher = next((w for w in watchers if w.dag_id == facts.dag_id), None)
    earlier = [d for d in platform.decisions("trigger", facts.model_id) if d.subject == facts.dag_id]
    if watcher is None and not earlier:
        return ""  # not a metric-triggered DAG
    charts = pages.trigger_charts(earlier, [watcher] if watcher else [])
    if watcher is None or not watcher.evaluations:
        return charts
    rows = "".join(
        f"<tr><td>{e.at.strftime('%Y-%m-%d %H:%M:%S UTC')}</td><td>{'' if e.value is None else f'{e.value:.6g}'}</td>"
        f"<td>{'' if e.threshold is None else f'{e.threshold:.6g}'}</td>"
        f"<td class='{'passed' if e.sent else ''}'>{escape(e.decision)}</td><td>{escape(e.error or '')}</td></tr>"
        for e in reversed(watcher.evaluations[-EVALUATIONS_SHOWN:])
    )
    head = "<tr><th>evaluated</th><th>value</th><th>threshold</th><th>decision</th><th>error</th></tr>"
    return (
        charts + f"<h2>Last evaluations</h2><p class='empty'>{len(watcher.evaluations)} kept; the newest "
        f"{min(EVALUATIONS_SHOWN, len(watcher.evaluations))}:</p><table>{head}{rows}</table>"
    )


def _batch(jobs: Sequence[Any], prefix: str) -> str:
    if not jobs:
        return ""
    rows = "".join(
        f"<tr><td><a href='{prefix}/batch/{_q(job.job_id)}'>{escape(job.job_id)}</a></td>"
        f"<td class='{job.state.value}'>{job.state.value}</td><td>{job.files_done} / {job.files_total}</td>"
        f"<td>{job.rows_done:,}</td><td>{_when(job.started_at)}</td></tr>"
        for job in list(reversed(jobs))[:BATCH_SHOWN]
    )
    head = "<tr><th>job</th><th>state</th><th>files</th><th>rows</th><th>started</th></tr>"
    return f"<h2>Batch jobs</h2><table>{head}{rows}</table>"


def run_tab(
    platform: ShowsHistory, facts: DagFacts, run: RunFacts, prefix: str, notifications: Sequence[Decision] = ()
) -> str:
    builds = builds_of_run(platform, facts, run)
    gates = by_subject(platform.decisions("gate", facts.model_id))
    airflow = _airflow(prefix)
    task = f"{airflow}/dags/{_q(facts.dag_id)}/runs/{_q(run.run_id)}/tasks"
    sections = [
        _facts(
            [
                ("automation", escape(facts.automation)),
                ("model", f"<a href='{prefix}/models/{_q(facts.model_id)}'>{escape(facts.model_id)}</a>"),
                ("run", escape(run.run_id)),
                ("state", escape(run.state)),
                ("run after", escape(run.run_after)),
            ]
        )
    ]
    if not builds:
        sections.append(f"<h2 id='task-{BUILD}'>Build</h2><p class='empty'>This run made no build (yet).</p>")
    for build in builds:
        gate = gates.get(build.build_id)
        sections.append(
            f"<h2 id='task-{BUILD}'>Build {escape(build.build_id)}</h2>"
            + _facts(
                [
                    ("state", f"<b class='{build.state.value}'>{build.state.value}</b>"),
                    ("started", _when(build.started_at)),
                    ("metrics", escape(_metrics(build.metrics))),
                    (
                        "logs",
                        f"<a href='{prefix}/builds/{_q(build.build_id)}'>build log</a> · "
                        f"<a target='_top' href='{task}/build'>the build task's log</a>",
                    ),
                ]
            )
            + (f"<p class='FAILED'>{escape(build.error)}</p>" if build.error else "")
            + f"<h2 id='task-{CHECK_BUILD_METRIC}'>Gate</h2><p>{_gate_text(gate.detail if gate else None)}"
            + (f" <span class='empty'>(against {escape(str(gate.detail.get('against')))})</span>" if gate else "")
            + "</p>"
        )
    sections.append(_approval(platform, facts, run))
    sections.append(_deployment(run, facts, platform))
    sections.append(_notifications(notifications))
    return pages.page(f"JFrog ML: run {run.run_id}", "".join(sections), prefix, _crumbs(prefix, facts))


def _approval(platform: ShowsHistory, facts: DagFacts, run: RunFacts) -> str:
    """Who approved or rejected this run's deploy, and when (``approve_deploy``'s records); nothing
    for a DAG whose deploys need no approval."""
    from frogml_airflow_provider.console.approvals import SAID, STYLE

    mine = [
        d
        for d in platform.decisions(APPROVAL, facts.model_id)
        if d.detail.get("dag_id") == facts.dag_id and d.detail.get("run_id") == run.run_id
    ]
    if not mine:
        return ""
    rows = "".join(
        f"<tr><td>{escape(d.subject)}</td><td class='{STYLE.get(str(d.detail.get('decision')), '')}'>"
        f"{escape(SAID.get(str(d.detail.get('decision')), str(d.detail.get('decision'))))}</td>"
        f"<td>{escape(str(d.detail.get('responded_by') or '-'))}</td>"
        f"<td>{escape(str(d.detail.get('responded_at') or ''))}</td></tr>"
        for d in mine
    )
    head = "<tr><th>build</th><th>decision</th><th>by</th><th>at (UTC)</th></tr>"
    return f"<h2 id='task-{APPROVE_DEPLOY}'>Approval</h2><table>{head}{rows}</table>"


def _deployment(run: RunFacts, facts: DagFacts, platform: ShowsHistory) -> str:
    deployed = [extra for uri, extra in run.events if uri.startswith("frogml://models/") and extra.get("build_id")]
    if not deployed:
        return f"<h2 id='task-{DEPLOY}'>Deployment</h2><p class='empty'>This run deployed nothing.</p>"
    rows = []
    serving = {(d.variation, d.build_id): d for d in platform.deployments(facts.model_id)}
    for extra in deployed:
        variation, build_id = str(extra.get("variation") or ""), str(extra.get("build_id"))
        now = serving.get((variation, build_id))
        state = now.state.value if now else "replaced since"
        rows.append(
            f"<tr><td>{escape(variation)}</td><td>{escape(build_id)}</td><td class='{state}'>{escape(state)}</td>"
            f"<td><code>{escape(str(extra.get('endpoint') or ''))}</code></td>"
            f"<td>{escape(', '.join(map(str, extra.get('environments') or [])))}</td></tr>"
        )
    head = "<tr><th>variation</th><th>build</th><th>now</th><th>endpoint</th><th>environments</th></tr>"
    return f"<h2 id='task-{DEPLOY}'>Deployment</h2><table>{head}{''.join(rows)}</table>"


def _notifications(recorded: Sequence[Decision]) -> str:
    """Delivered or not, and why: what the notifier recorded (its kind, never a URL or a header)."""
    if not recorded:
        return (
            "<h2>Notifications</h2><p class='empty'>None recorded for this run (none configured, or sent "
            "before notification outcomes were recorded).</p>"
        )
    rows = []
    for decision in recorded:
        d = decision.detail
        delivered = bool(d.get("delivered"))
        outcome = "delivered" if delivered else "NOT delivered"
        http = f"HTTP {d['http_status']}" if d.get("http_status") else ""
        why = ", ".join(filter(None, (http, f"{d.get('attempts')} attempt(s)", str(d.get("reason") or ""))))
        rows.append(
            f"<tr><td>{escape(str(d.get('notifier') or ''))}</td><td>{escape(str(d.get('status') or ''))}</td>"
            f"<td class='{'delivered' if delivered else 'not-delivered'}'>{outcome}</td><td>{escape(why)}</td>"
            f"<td>{_when(decision.at)}</td></tr>"
        )
    head = "<tr><th>notifier</th><th>status sent</th><th>delivery</th><th>details</th><th>at</th></tr>"
    return f"<h2>Notifications</h2><table>{head}{''.join(rows)}</table>"
