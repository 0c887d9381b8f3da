"""HTML pages of the local platform console: builds with metrics and logs, deployments with their
endpoints, and per model the gate's and the metric trigger's decisions as charts."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from html import escape
from urllib.parse import quote

from frogml_airflow_provider.console.approvals import approvals_section
from frogml_airflow_provider.console.charts import Event, Point, chart
from frogml_airflow_provider.platform.base import Decision, ShowsHistory
from frogml_airflow_provider.triggers.metric_history import WatcherHistory

STYLE = """
:root{--bg:#fff;--fg:#111827;--muted:#6b7280;--border:#e5e7eb;--subtle:#f9fafb;--line:#1d4ed8;
--threshold:#dc2626;--ok:#16a34a;--bad:#dc2626;--warn:#d97706;--event:#7c3aed;
--font:Inter,system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
--mono:"Fira Code",ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color-scheme:light}
:root.dark{--bg:#111111;--fg:#fafafa;--muted:#a1a1aa;--border:#27272a;--subtle:#18181b;--line:#60a5fa;
--threshold:#f87171;--ok:#4ade80;--bad:#f87171;--warn:#fbbf24;--event:#c4b5fd;color-scheme:dark}
@media (prefers-color-scheme:dark){:root:not(.light){--bg:#111111;--fg:#fafafa;--muted:#a1a1aa;
--border:#27272a;--subtle:#18181b;--line:#60a5fa;--threshold:#f87171;--ok:#4ade80;--bad:#f87171;
--warn:#fbbf24;--event:#c4b5fd;color-scheme:dark}}
*{box-sizing:border-box}
html,body{background:var(--bg);color:var(--fg)}
body{font-family:var(--font);font-size:14px;line-height:1.5;margin:0;padding:16px 20px;max-width:100%;overflow-x:hidden}
h1{font-size:20px;font-weight:600;margin:0 0 12px}h2{font-size:16px;font-weight:600;margin:24px 0 8px}
a{color:var(--line);text-decoration:none}a:hover{text-decoration:underline}
nav.crumbs{font-size:13px;color:var(--muted);margin-bottom:8px}
table{border-collapse:collapse;margin:8px 0 16px;width:100%}
td,th{border-bottom:1px solid var(--border);padding:6px 10px;text-align:left;vertical-align:top;
overflow-wrap:break-word}td a,td code,dd a,dd code{overflow-wrap:anywhere}
th{font-weight:600;color:var(--muted);font-size:12px;background:var(--subtle)}
code,pre{font-family:var(--mono);font-size:12px}
.SUCCESSFUL,.SERVING,.passed,.delivered{color:var(--ok)}.FAILED,.TIMED_OUT,.failed,.not-delivered{color:var(--bad)}
.RUNNING,.QUEUED,.DEPLOYING{color:var(--warn)}
pre{background:var(--subtle);border:1px solid var(--border);border-radius:6px;padding:12px;
overflow:auto;max-height:480px;white-space:pre-wrap}
.empty{color:var(--muted)}
.facts{display:flex;flex-wrap:wrap;gap:8px 24px;margin:4px 0 12px}.facts div{min-width:0}
.facts dt{font-size:12px;color:var(--muted)}.facts dd{margin:0;overflow-wrap:anywhere}
figure.chart{margin:8px 0 20px;max-width:100%}
figure.chart figcaption{font-size:13px;color:var(--muted);margin-bottom:4px}
figure.chart .plot{position:relative;width:100%;min-height:20px;overflow:hidden}
.chart .tip{position:absolute;z-index:10;pointer-events:none;background:var(--bg);color:var(--fg);
border:1px solid var(--border);border-radius:6px;padding:6px 8px;font-size:12px;
white-space:nowrap;box-shadow:0 2px 8px #0003}
"""


def page(title: str, body: str, prefix: str, crumbs: str = "") -> str:
    """A console page: Airflow's look (``static/console.js`` takes its theme and fonts from the
    parent page when shown inside Airflow's UI), no horizontal scroll, the charts drawn by uPlot."""
    home = crumbs or f"<a href='{prefix}/'>JFrog ML local platform</a>"
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{STYLE}</style>"
        f"<link rel='stylesheet' href='{prefix}/static/uPlot.min.css'>"
        f"<script src='{prefix}/static/uPlot.iife.min.js' defer></script>"
        f"<script src='{prefix}/static/console.js' defer></script></head><body>"
        f"<nav class='crumbs'>{home}</nav><h1>{escape(title)}</h1>{body}</body></html>"
    )


def _when(epoch: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch)) if epoch else ""


def index(platform: ShowsHistory, prefix: str) -> str:
    builds = platform.builds()
    models = sorted({build.model_id for build in builds})
    model_links = " · ".join(f"<a href='{prefix}/models/{quote(m)}'>{escape(m)}</a>" for m in models) or "none yet"
    rows = "".join(
        f"<tr><td><a href='{prefix}/builds/{quote(build.build_id)}'>{escape(build.build_id)}</a></td>"
        f"<td>{escape(build.model_id)}</td><td class='{build.state.value}'>{build.state.value}</td>"
        f"<td>{escape(_metrics(build.metrics))}</td><td>{_when(build.started_at)}</td></tr>"
        for build in reversed(builds)
    )
    return page(
        "JFrog ML local platform",
        (
            f"<p>Models: {model_links} · <a href='{prefix}/batch'>batch jobs</a> · "
            f"<a href='{prefix}/status'>where each automation runs</a></p>"
            f"<h2>Deployments</h2>{deployments_table(platform)}"
            "<h2>Builds</h2><table><tr><th>build</th><th>model</th><th>state</th><th>metrics</th><th>started</th></tr>"
            f"{rows}</table>"
        ),
        prefix,
    )


def deployments_table(platform: ShowsHistory, model_id: str | None = None) -> str:
    rows = []
    for deployment in platform.deployments(model_id):
        endpoint = escape(deployment.endpoint) if deployment.state.value == "SERVING" else ""
        rows.append(
            f"<tr><td>{escape(deployment.model_id)}</td><td>{escape(deployment.variation)}</td>"
            f"<td>{escape(deployment.build_id)}</td><td class='{deployment.state.value}'>"
            f"{deployment.state.value}</td><td><code>{endpoint}</code></td></tr>"
        )
    head = "<tr><th>model</th><th>variation</th><th>build</th><th>state</th><th>endpoint (POST JSON rows)</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>" if rows else "<p class='empty'>Nothing deployed.</p>"


def build_page(platform: ShowsHistory, build_id: str, prefix: str) -> str:
    build = platform.get_build(build_id)
    body = (
        f"<p>Model <a href='{prefix}/models/{quote(build.model_id)}'>{escape(build.model_id)}</a>, "
        f"state <b class='{build.state.value}'>{build.state.value}</b>"
        f"{' — ' + escape(build.error) if build.error else ''}</p>"
        f"<p>Metrics: {escape(_metrics(build.metrics)) or 'none logged'}</p>"
        f"<h2>Build log (last lines)</h2><pre>{escape(build.log_tail)}</pre>"
    )
    return page(f"Build {build_id}", body, prefix)


def model_page(
    platform: ShowsHistory, model_id: str, prefix: str, watchers: Sequence[WatcherHistory] | str = ()
) -> str:
    """``watchers``: the model's metric triggers as the triggerer recorded them (or why they could not be read)."""
    gates = platform.decisions("gate", model_id)
    body = (
        f"<h2>Deployments</h2>{deployments_table(platform, model_id)}"
        + approvals_section(platform, model_id)
        + gate_chart(gates)
        + trigger_charts(platform.decisions("trigger", model_id), watchers)
    )
    return page(f"Model {model_id}", body, prefix)


def gate_chart(gates: Sequence[Decision]) -> str:
    """The gate's metric per build over time against its threshold; builds that passed (deployed) marked."""
    points = [
        Point(d.at, float(d.detail["value"]), _finite(d.detail.get("threshold")), bool(d.detail["passed"]), d.subject)
        for d in gates
        if isinstance(d.detail.get("value"), (int, float))
    ]
    metric = str(gates[-1].detail.get("metric") or "build metric") if gates else "build metric"
    deploys = [Event(d.at, f"deployed {d.subject}") for d in gates if d.detail.get("passed")]
    return f"<h2>{escape(metric)} across builds</h2>" + chart(
        points,
        title=f"{metric} per build, at the gate",
        y_label=metric,
        marked_as="passed: deployed",
        unmarked_as="below the gate: not deployed",
        events=deploys,
    )


def trigger_charts(earlier: Sequence[Decision], watchers: Sequence[WatcherHistory] | str) -> str:
    """Each metric trigger's evaluations over time, crossings marked, one chart per DAG; evaluations of
    the per-run form of earlier versions (``earlier``, kept by the local platform) come first."""
    if isinstance(watchers, str):
        return f"<h2>Metric triggers</h2><p class='empty'>{escape(watchers)}</p>"
    by_dag = {watcher.dag_id: watcher for watcher in watchers}
    dag_ids = list(dict.fromkeys([*(d.subject for d in earlier), *by_dag]))
    charts = []
    for dag_id in dag_ids or [""]:
        watcher = by_dag.get(dag_id)
        before = [d for d in earlier if d.subject == dag_id]
        named = watcher.about.get("trigger_name") if watcher else (before[-1].detail.get("trigger") if before else "")
        trigger = str(named or "trigger metric")
        points = [
            Point(d.at, float(d.detail["value"]), _finite(d.detail.get("threshold")), bool(d.detail["retrain"]))
            for d in before
            if isinstance(d.detail.get("value"), (int, float))
        ]
        evaluations = watcher.evaluations if watcher else []
        points += [
            Point(e.at.timestamp(), e.value, e.threshold, e.sent, e.decision)
            for e in evaluations
            if e.value is not None
        ]
        retrains = [Event(p.at, "retrain started") for p in points if p.marked]
        failed = sum(1 for e in evaluations if e.error)
        note = f"<p class='empty'>{failed} evaluation(s) failed (not shown).</p>" if failed else ""
        where = f" (DAG {escape(dag_id)})" if dag_id else ""
        charts.append(
            f"<h2>{escape(trigger)} over time{where}</h2>"
            + chart(
                points,
                title=f"{trigger} per evaluation",
                y_label=trigger,
                marked_as="crossed: retrain started",
                unmarked_as="no retrain",
                events=retrains,
            )
            + note
        )
    return "".join(charts)


def _finite(value: object) -> float | None:
    number = float(value) if isinstance(value, (int, float)) else None
    return number if number is not None and abs(number) != float("inf") else None


def _metrics(metrics: Mapping[str, float]) -> str:
    return ", ".join(f"{k} = {v:.4g}" for k, v in sorted(metrics.items()))
