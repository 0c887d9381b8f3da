"""HTML pages of the local platform console: builds with metrics and logs, deployments with their
endpoints, and per model the gate's and the metric trigger's decisions as charts."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from html import escape
from urllib.parse import quote

from frogml_airflow_provider.console.approvals import approvals_section
from frogml_airflow_provider.console.charts import Point, chart
from frogml_airflow_provider.platform.base import ShowsHistory
from frogml_airflow_provider.triggers.metric_history import WatcherHistory

STYLE = """
body{font-family:system-ui,sans-serif;margin:24px;color:#1b1f23}h1{color:#2e7d32}
table{border-collapse:collapse;margin:8px 0 24px}td,th{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left}
.SUCCESSFUL,.SERVING{color:#2e7d32}.FAILED,.TIMED_OUT{color:#c62828}.RUNNING,.QUEUED,.DEPLOYING{color:#ef6c00}
pre{background:#f6f8fa;padding:12px;overflow:auto;max-height:480px}
.value{fill:none;stroke:#1565c0;stroke-width:2}.threshold{stroke:#c62828;stroke-dasharray:6 4;stroke-width:2}
.marked{fill:#2e7d32}.unmarked{fill:#9e9e9e}.axis,.legend{font-size:12px;fill:#555}
.marked-text{fill:#2e7d32}.unmarked-text{fill:#9e9e9e}.threshold-text{fill:#c62828}.empty{color:#777}
"""


def page(title: str, body: str, prefix: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><p><a href='{prefix}/'>JFrog ML local platform</a></p>"
        f"<h1>{escape(title)}</h1>{body}</body></html>"
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
    gate_points = [
        Point(
            f"build {d.subject}", float(d.detail["value"]), _finite(d.detail.get("threshold")), bool(d.detail["passed"])
        )
        for d in gates
    ]
    metric = str(gates[-1].detail["metric"]) if gates else "build metric"
    body = (
        f"<h2>Deployments</h2>{deployments_table(platform, model_id)}"
        + approvals_section(platform, model_id)
        + f"<h2>{escape(metric)} across builds</h2>"
        + chart(gate_points, title=f"{metric} per build", marked_as="deployed", unmarked_as="not deployed")
        + _trigger_charts(platform, model_id, watchers)
    )
    return page(f"Model {model_id}", body, prefix)


def _trigger_charts(platform: ShowsHistory, model_id: str, watchers: Sequence[WatcherHistory] | str) -> str:
    """Each metric trigger's evaluations over time, crossings marked, one chart per DAG; evaluations of
    the per-run form of earlier versions (kept by the local platform) come first."""
    if isinstance(watchers, str):
        return f"<h2>Metric triggers</h2><p class='empty'>{escape(watchers)}</p>"
    earlier = platform.decisions("trigger", model_id)
    by_dag = {watcher.dag_id: watcher for watcher in watchers}
    dag_ids = list(dict.fromkeys([*(d.subject for d in earlier), *by_dag]))
    charts = []
    for dag_id in dag_ids or [""]:
        watcher = by_dag.get(dag_id)
        before = [d for d in earlier if d.subject == dag_id]
        named = watcher.about.get("trigger_name") if watcher else (before[-1].detail.get("trigger") if before else "")
        trigger = str(named or "trigger metric")
        points = [
            Point(_when(d.at), float(d.detail["value"]), _finite(d.detail.get("threshold")), bool(d.detail["retrain"]))
            for d in before
        ]
        evaluations = watcher.evaluations if watcher else []
        points += [
            Point(_when(e.at.timestamp()), e.value, e.threshold, e.sent) for e in evaluations if e.value is not None
        ]
        failed = sum(1 for e in evaluations if e.error)
        note = f"<p class='empty'>{failed} evaluation(s) failed (not shown).</p>" if failed else ""
        where = f" (DAG {escape(dag_id)})" if dag_id else ""
        charts.append(
            f"<h2>{escape(trigger)} over time{where}</h2>"
            + chart(points, title=f"{trigger} per evaluation", marked_as="retrain started", unmarked_as="no retrain")
            + note
        )
    return "".join(charts)


def _finite(value: object) -> float | None:
    number = float(value) if isinstance(value, (int, float)) else None
    return number if number is not None and abs(number) != float("inf") else None


def _metrics(metrics: Mapping[str, float]) -> str:
    return ", ".join(f"{k} = {v:.4g}" for k, v in sorted(metrics.items()))
