"""The JFrog ML tabs on a DAG's and a DAG run's pages, with a long history, on a real ``airflow api-server``.

``python benchmarks/tabs.py [--evaluations 1000] [--builds 200] [--views 30]``: one API server
(``tests/support/airflow.py``: one worker) over a fresh metadata database holding a generated DAG
(tagged ``frogml``), a DAG run with its asset events and a metric watcher with ``--evaluations``
evaluations in the asset state store; the local platform holds ``--builds`` builds of that DAG, each
with its gate decision, and one notification outcome for the run. Then each tab is viewed
``--views`` times back to back. Printed: the console's first request (it builds the app), each
tab's first view (cold caches) and the latency percentiles, and each page's size. Bar: a tab under
0.3 s at p90.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BAR_S = 0.3
DAG, MODEL, RUN = "retrain_bench", "bench-model", "manual__2026-12-05T10:00:00+00:00"


def seed(state_dir: Path, builds: int, evaluations: int) -> None:
    """The history, written as the operators, notifiers and the watcher write it (their stores)."""
    from frogml_airflow_provider.platform.base import BuildState
    from frogml_airflow_provider.platform.local.platform import LocalPlatform
    from frogml_airflow_provider.triggers import metric_history as history
    from tests.support import store_watcher_state
    from tests.support.story import add_dag, add_run

    platform = LocalPlatform(state_dir)
    first = None
    for i in range(builds):
        run = RUN if i == builds - 1 else f"scheduled__{i:05d}"
        build_id = platform.store.new_build(MODEL, f"{DAG}/{run}/build", {})
        value = 0.7 + 0.2 * ((i * 37) % 100) / 100
        platform.store.set_build(build_id, state=BuildState.SUCCESSFUL, metrics={"f1_score": value, "auc": value})
        gate = {"metric": "f1_score", "value": value, "direction": "ABOVE", "threshold": 0.8, "against": "threshold"}
        platform.record_decision("gate", MODEL, build_id, {**gate, "passed": value > 0.8})
        first = first or build_id
    outcome = {"notifier": "webhook", "status": "SUCCESSFUL", "delivered": True, "attempts": 1, "http_status": 200}
    platform.record_decision("notification", MODEL, f"{DAG}/{RUN}", {**outcome, "reason": ""})
    at = time.time() - evaluations * 60
    chunks: dict[str, list[dict[str, object]]] = {}
    for i in range(evaluations):
        value = 0.1 + 0.3 * ((i * 13) % 50) / 50
        item = {"t": at + i * 60, "d": "retrain" if i % 100 == 99 else "quiet", "v": value, "th": 0.25}
        chunks.setdefault(history.chunk_key(i), []).append(item)
    about = {"dag_id": DAG, "model_id": MODEL, "trigger_name": "error_rate"}
    store_watcher_state(DAG, {history.ABOUT_KEY: about, **chunks})
    add_dag(DAG, ["frogml", MODEL])
    add_run(DAG, RUN, [(f"frogml://builds/{MODEL}", {"build_id": first})])


def views(url: str, headers: dict[str, str], count: int) -> tuple[float, list[float], int]:
    times = []
    size = 0
    with requests.Session() as session:
        for _ in range(count + 1):
            started = time.perf_counter()
            answer = session.get(url, headers=headers, timeout=120)
            times.append(time.perf_counter() - started)
            answer.raise_for_status()
            size = len(answer.content)
    return times[0], times[1:], size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=1000)
    parser.add_argument("--builds", type=int, default=200)
    parser.add_argument("--views", type=int, default=30)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="frogml-tabs-bench-"))
    dags = home / "dags"
    dags.mkdir(parents=True)
    state = home / "frogml-local"
    conn = json.dumps({"conn_type": "frogml", "extra": {"state_dir": str(state)}})
    # This process writes the same database the server reads: its settings before Airflow is imported.
    os.environ.update({"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"})
    os.environ["AIRFLOW_CONN_FROGML_DEFAULT"] = conn
    from tests.support.airflow import PASSWORDS, start_api_server

    server = start_api_server(home, dags, extra_env={"AIRFLOW_CONN_FROGML_DEFAULT": conn})
    try:
        seed(state, args.builds, args.evaluations)
        password = json.loads((home / PASSWORDS).read_text())["admin"]
        answer = requests.post(f"{server.url}/auth/token", json={"username": "admin", "password": password}, timeout=30)
        answer.raise_for_status()
        headers = {"Authorization": f"Bearer {answer.json()['access_token']}", "Accept": "text/html"}
        started = time.perf_counter()  # the console is built on its first request (plugins.LazyConsole)
        requests.get(f"{server.url}/frogml/static/console.js", headers=headers, timeout=120).raise_for_status()
        print(f"the console's first request (builds the app): {(time.perf_counter() - started) * 1000:.1f} ms")
        print(f"{args.builds} builds with gate decisions, {args.evaluations} evaluations; {args.views} views each")
        worst = 0.0
        for name, path in (("DAG tab", f"/frogml/dags/{DAG}"), ("run tab", f"/frogml/dags/{DAG}/runs/{RUN}")):
            first, times, size = views(f"{server.url}{path}", headers, args.views)
            ordered = sorted(times)
            p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
            worst = max(worst, p90)
            print(
                f"{name:8s} first {first * 1000:7.1f} ms  p50 {statistics.median(times) * 1000:7.1f} ms  "
                f"p90 {p90 * 1000:7.1f} ms  max {max(times) * 1000:7.1f} ms  page {size / 1024:6.1f} KiB"
            )
        verdict = "OK" if worst < BAR_S else "OVER"
        print(f"bar: a tab under {BAR_S * 1000:.0f} ms at p90: {verdict}")
        return 0 if worst < BAR_S else 1
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
