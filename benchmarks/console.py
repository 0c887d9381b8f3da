"""The console's status page under concurrent views, on a real ``airflow api-server``.

``python benchmarks/console.py [--automations 500] [--clients 50] [--seconds 20] [--cache-seconds 5]``:
a folder set up by ``frogml-airflow init`` with that many automation files (the JFrog ML docs
example), serialized by ``airflow dags reserialize`` (the dag-processor's part: DAGs, import errors
and the loader's record), and one API server (``tests/support/airflow.py``: one worker). Then
``--clients`` threads view ``/frogml/status`` back to back for ``--seconds`` while one more thread asks
``/api/v2/version`` every 0.1 s. Printed: the latency percentiles of ``/api/v2/version`` alone, then
during the load, and of the page itself, and the pages served per second. Bar: ``/api/v2/version``
under 0.5 s at p99 during the load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from parse import AUTOMATION  # noqa: E402 - after sys.path

from tests.support.airflow import start_api_server  # noqa: E402

BAR_S = 0.5
PROBE = """
import json, sys, time
import requests
url, until = sys.argv[1], time.monotonic() + float(sys.argv[2])
times = []
with requests.Session() as session:
    while time.monotonic() < until:
        started = time.perf_counter()
        session.get(url, timeout=120).raise_for_status()
        times.append([time.monotonic() - until + float(sys.argv[2]), time.perf_counter() - started])
        time.sleep(0.1)
print(json.dumps(times))
"""


def percentiles(samples: list[float]) -> str:
    if not samples:
        return "no sample"
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return (
        f"n={len(ordered):5d}  p50 {at(0.5) * 1000:7.1f} ms  p90 {at(0.9) * 1000:7.1f} ms  "
        f"p99 {at(0.99) * 1000:7.1f} ms  max {ordered[-1] * 1000:7.1f} ms  "
        f"mean {statistics.mean(ordered) * 1000:7.1f} ms"
    )


def timed_get(url: str, headers: dict[str, str]) -> tuple[float, int, int]:
    started = time.perf_counter()
    answer = requests.get(url, headers=headers, timeout=120)
    return time.perf_counter() - started, answer.status_code, len(answer.content)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--automations", type=int, default=500)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--cache-seconds", type=float, default=5.0, help="[frogml] console_cache_seconds")
    parser.add_argument(
        "--baseline",
        default="",
        metavar="PATH",
        help="first load this path of Airflow's own the same way (e.g. /api/v2/monitor/health), for comparison",
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="frogml-console-bench-"))
    dags = work / "dags"
    os.environ["AIRFLOW__FROGML__CONSOLE_CACHE_SECONDS"] = str(args.cache_seconds)
    subprocess.run(
        [sys.executable, "-m", "frogml_airflow_provider.cli", "init", str(dags)], check=True, capture_output=True
    )
    for i in range(1, args.automations + 1):
        text = AUTOMATION.format(i=i, minute=i % 60, hour=i % 24, weekday=i % 7)
        (dags / "automations" / f"retrain_{i:04d}.py").write_text(text)
    started = time.perf_counter()
    server = start_api_server(work / "home", dags, timeout=300)
    print(f"{args.automations} automations serialized and the API server up in {time.perf_counter() - started:.1f} s")
    try:
        headers = {"Authorization": f"Bearer {server.token()}", "Accept": "text/html"}
        first = timed_get(f"{server.url}/frogml/status", headers)
        assert first[1] == 200, first
        page = requests.get(f"{server.url}/frogml/status", headers=headers, timeout=120).text
        rows = page.count("<tr>") - 1
        print(f"first view: {first[0] * 1000:.0f} ms, {first[2]:,} bytes, {rows} rows")

        idle = [timed_get(f"{server.url}/api/v2/version", {})[0] for _ in range(30)]
        stop = threading.Event()
        page_times: list[float] = []
        statuses: dict[int, int] = {}
        version_times: list[float] = []
        lock = threading.Lock()

        def viewer(path: str) -> None:
            while not stop.is_set():
                took, status, _ = timed_get(f"{server.url}{path}", headers)
                with lock:
                    page_times.append(took)
                    statuses[status] = statuses.get(status, 0) + 1

        def prober() -> None:
            # In a process of its own: in this one, 50 client threads would hold the GIL it waits on.
            done = subprocess.run(
                [sys.executable, "-c", PROBE, f"{server.url}/api/v2/version", str(args.seconds)],
                capture_output=True,
                text=True,
                check=True,
            )
            pairs = json.loads(done.stdout)
            version_times.extend(took for _, took in pairs)
            slowest.extend(sorted(pairs, key=lambda pair: -pair[1])[:3])

        slowest: list[list[float]] = []

        def load(path: str) -> None:
            stop.clear()
            slowest.clear()
            page_times.clear()
            version_times.clear()
            statuses.clear()
            threads = [threading.Thread(target=viewer, args=(path,)) for _ in range(args.clients)]
            threads.append(threading.Thread(target=prober))
            for thread in threads:
                thread.start()
            stop.wait(args.seconds)
            stop.set()
            for thread in threads:
                thread.join()
            print(f"/api/v2/version, {args.clients} clients on {path}: {percentiles(version_times)}")
            print(f"{path} itself:{' ' * max(0, 30 - len(path))}{percentiles(page_times)}")
            print(f"  served: {len(page_times) / args.seconds:.1f}/s, statuses {statuses}")
            shown = ", ".join(f"{took * 1000:.0f} ms at {at:.1f} s" for at, took in slowest)
            print(f"  slowest /api/v2/version answers (seconds into the load): {shown}")

        print(f"/api/v2/version, idle: {percentiles(idle)}")
        if args.baseline:
            load(args.baseline)
        load("/frogml/status")
        worst = sorted(version_times)[min(len(version_times) - 1, int(0.99 * len(version_times)))]
        verdict = "OK" if worst < BAR_S else "OVER"
        print(f"bar: /api/v2/version p99 under load {worst * 1000:.0f} ms vs {BAR_S * 1000:.0f} ms: {verdict}")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
