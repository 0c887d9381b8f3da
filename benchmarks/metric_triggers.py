"""Metric triggers as watchers in one real ``airflow triggerer``: memory per watcher, the event loop's
longest stall, queries per tick with shared work, and DAG runs made without a crossing.

``python benchmarks/metric_triggers.py [--watchers 1000] [--queries 10] [--ticks 3] [--no-share] [--bare]``

A throwaway Airflow home (SQLite, LocalExecutor) with the API server (the triggerer reaches the asset
state store through it), the scheduler and the triggerer (capacity above the watcher count). The DAGs
folder holds ``--watchers`` metric-based automations (ten per file, through ``frogml-airflow init``'s
loader shares), each evaluated every minute with one of ``--queries`` distinct SQL queries over a
local analytics table of 5,000 predictions; the threshold is never crossed. Stages:
1. idle: the triggerer with no trigger;
2. one watcher, registered by an ``airflow dag-processor -n 1`` pass, running and evaluated: what a
   first watcher costs once (the supervisor's in-process execution API client for the asset state
   store, about 60 MB of imports by tracemalloc; the runner's query threads) is not a cost per watcher;
3. ``--watchers`` more, moved into the DAGs folder and registered by a second pass; once every
   watcher runs and has evaluated, the triggerer's processes (supervisor and trigger runner) are
   sampled over ``--ticks`` minutes of evaluations.

Printed: RSS per watcher (stage 3 over stage 2; goal <= 50 KB), the longest stall of the triggerer's
event loop while watching and while the watchers started (Airflow logs every stall over 0.2 s: goal
none while watching), metric queries per tick (the shared-stream groups the watchers
formed; one per distinct query with sharing), evaluations recorded per tick, and the DAG runs and asset
events created meanwhile (goal 0; the per-evaluation form of earlier versions made one run per
automation per tick: 4,000 an hour for 1,000 automations at the default 15 minutes). Every process
started here is stopped, and the folder removed, on exit.

``--bare`` measures Airflow's own cost of a watcher, the floor under ours: the same number of plain DAG
files, each scheduled on an asset watched by Airflow's ``FileDeleteTrigger`` on a file that never
appears (one check a minute), instead of the provider's metric watchers.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from triggers import stop  # noqa: E402 - after sys.path: the build triggers' benchmark stops its children alike

from tests.support.airflow import free_port  # noqa: E402

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
MODEL = "bench-model"
KB_PER_WATCHER_GOAL = 50.0
STALL_GOAL = 0.2
RULE = "-" * 96
STALL = r"blocked for ([0-9.]+) seconds"
PER_FILE = 10
BARE_DAG = """
from airflow.providers.standard.triggers.file import FileDeleteTrigger
from airflow.sdk import DAG, Asset, AssetWatcher
from airflow.providers.standard.operators.empty import EmptyOperator

for i in range({first}, {last}):
    trigger = FileDeleteTrigger(filepath=f"/nonexistent/bare_{{i}}", poke_interval=60.0)
    asset = Asset(name=f"bare/{{i}}", watchers=[AssetWatcher(name=f"bare_{{i}}", trigger=trigger)])
    with DAG(f"bare_{{i:05d}}", schedule=[asset], is_paused_upon_creation=False):
        EmptyOperator(task_id="noop")
"""

AUTOMATION = """
{name} = Automation(
    name="{name}",
    model_id="{model}",
    trigger=MetricBasedTrigger(
        name="latency",
        metric=SqlMetric(sql_query="{sql}"),
        direction=ThresholdDirection.ABOVE,
        threshold="1e9",
        override_cron="* * * * *",
    ),
    action=FrogmlBuildDeploy(
        BuildSpecifications(git_uri="https://example.invalid/m.git"),
        BuildMetric("f1_score", ThresholdDirection.ABOVE, "0.5"),
        DeploymentSpecifications(),
    ),
)
"""


def query(k: int) -> str:
    return (
        f"SELECT COALESCE(AVG(latency_ms), 0) + {k} * 0 FROM "
        "(SELECT latency_ms FROM bench_model ORDER BY ts DESC LIMIT 500)"
    )


def prepare(root: Path, watchers: int, queries: int, share: bool, bare: bool = False) -> dict[str, str]:
    from cryptography.fernet import Fernet

    home, dags = root / "home", root / "home" / "dags"
    port = free_port()
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__TRIGGERER__CAPACITY": str(watchers + 100),
        "AIRFLOW__FROGML__METRIC_TRIGGER_SHARE_QUERIES": str(share),
        "AIRFLOW__DAG_PROCESSOR__DAGBAG_IMPORT_TIMEOUT": "300",
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "300",
        "AIRFLOW__DAG_PROCESSOR__DAG_FILE_PROCESSOR_TIMEOUT": "600",
        "PYTHONWARNINGS": "ignore",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    for name in [key for key in env if key.startswith(("AIRFLOW_CONN_", "AIRFLOW_VAR_"))]:
        del env[name]
    subprocess.run(
        [sys.executable, "-m", "frogml_airflow_provider.cli", "init", str(dags)],
        check=True,
        env=env,
        capture_output=True,
    )
    # The first watcher goes into the DAGs folder; the others wait in ``later/`` (see ``main``).
    automations, later = dags / "automations", root / "later"
    later.mkdir()
    header = "from frogml.core.automations import *\n"
    if bare:
        for loader in dags.glob("frogml_automations_*.py"):
            loader.unlink()
        (dags / "bare_first.py").write_text(BARE_DAG.format(first=watchers, last=watchers + 1))
        for first in range(0, watchers, PER_FILE):
            (later / f"bare_{first:05d}.py").write_text(
                BARE_DAG.format(first=first, last=min(first + PER_FILE, watchers))
            )
    else:
        first_body = AUTOMATION.format(name="watch_first", model=MODEL, sql=query(0))
        (automations / "watch_first.py").write_text(header + first_body)
    for first in range(0, watchers if not bare else 0, PER_FILE):
        body = "".join(
            AUTOMATION.format(name=f"watch_{i:05d}", model=MODEL, sql=query(i % queries))
            for i in range(first, min(first + PER_FILE, watchers))
        )
        (later / f"watch_{first:05d}.py").write_text(header + body)
    subprocess.run([AIRFLOW, "db", "migrate"], check=True, env=env, capture_output=True)

    state = home / "frogml-local"
    state.mkdir(parents=True)
    script = (
        "import sys; from frogml_airflow_provider.platform.local.platform import LocalPlatform\n"
        "p = LocalPlatform(sys.argv[1]); p.analytics.ensure_table(sys.argv[2])\n"
        "for i in range(5000):\n"
        "    p.analytics.record(sys.argv[2], variation='default', build_id='b', request='[]', response='[]',"
        " latency_ms=float(i % 97), error=None, status=200)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(state), MODEL], check=True, env=env)
    return env


def start(env: dict[str, str], *args: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [AIRFLOW, *args], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
    )


def rss_mb(process: subprocess.Popen[bytes]) -> tuple[float, float]:
    """(the supervisor's RSS, its children's: the trigger runner) in MB."""
    root = psutil.Process(process.pid)
    return root.memory_info().rss / 2**20, sum(p.memory_info().rss for p in root.children(recursive=True)) / 2**20


def sample(process: subprocess.Popen[bytes], seconds: float) -> tuple[tuple[float, float], float]:
    """(mean RSS MB of the supervisor and of the runner, CPU seconds per minute of both) over ``seconds``."""
    root = psutil.Process(process.pid)
    procs = [root, *root.children(recursive=True)]
    cpu_before, began, rss = sum(sum(p.cpu_times()[:2]) for p in procs), time.monotonic(), []
    while time.monotonic() - began < seconds:
        rss.append(rss_mb(process))
        time.sleep(1.0)
    cpu = (sum(sum(p.cpu_times()[:2]) for p in procs) - cpu_before) * 60 / (time.monotonic() - began)
    supervisor, runner = (sum(column) / len(column) for column in zip(*rss, strict=True))
    return (supervisor, runner), cpu


def evaluated(home: Path, bare: bool) -> bool:
    """Whether a watcher evaluated (a bare watcher checks its file as it starts)."""
    return bare or bool(evaluations_per_tick(home))


def rows(home: Path, sql: str) -> list[tuple]:
    db = sqlite3.connect(home / "airflow.db", timeout=60)
    try:
        return list(db.execute(sql))
    finally:
        db.close()


def evaluations_per_tick(home: Path) -> dict[float, int]:
    """How many watchers recorded an evaluation at each tick (from the asset state store)."""
    ticks: dict[float, int] = {}
    for (value,) in rows(home, "SELECT value FROM asset_state_store WHERE key LIKE 'evaluations.%'"):
        for entry in json.loads(value):
            ticks[entry["t"]] = ticks.get(entry["t"], 0) + 1
    return ticks


def wait_until(what: str, check, timeout: float) -> float:
    began = time.monotonic()
    while not check():
        if time.monotonic() - began > timeout:
            raise RuntimeError(f"{what}: not within {timeout:.0f} s")
        time.sleep(2)
    return time.monotonic() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--watchers", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=10, help="distinct metric queries among the watchers")
    parser.add_argument("--ticks", type=int, default=3, help="minutes of evaluations to sample")
    parser.add_argument("--no-share", action="store_true", help="[frogml] metric_trigger_share_queries = False")
    parser.add_argument("--keep-log", type=Path, help="copy the triggerer's log here before cleaning up")
    parser.add_argument("--bare", action="store_true", help="Airflow's own watcher cost: FileDeleteTrigger watchers")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="frogml-metric-bench-"))
    children: list[subprocess.Popen[bytes]] = []
    try:
        env = prepare(root, args.watchers, args.queries, not args.no_share, args.bare)
        home = Path(env["AIRFLOW_HOME"])
        children.append(start(env, "api-server", log=home / "api-server.log"))
        triggerer = start(env, "triggerer", "--skip-serve-logs", log=home / "triggerer.log")
        children.append(triggerer)
        children.append(start(env, "scheduler", "--skip-serve-logs", log=home / "scheduler.log"))
        time.sleep(30)
        idle_mb, idle_cpu = sample(triggerer, 15)
        # One watcher first: what the first watcher costs once (imports, the query threads, the
        # supervisor's API client for the asset state store) is not a cost per watcher.
        log = home / "triggerer.log"
        subprocess.run([AIRFLOW, "dag-processor", "-n", "1"], check=True, env=env, capture_output=True, timeout=600)
        wait_until("the first watcher running", lambda: log.read_text(errors="replace").count(" starting") >= 1, 300)
        wait_until("the first watcher's evaluation", lambda: evaluated(home, args.bare), 300)
        time.sleep(5)
        baseline_mb, baseline_cpu = sample(triggerer, 15)

        for staged in sorted((root / "later").iterdir()):
            target = Path(env["AIRFLOW__CORE__DAGS_FOLDER"]) / ("" if args.bare else "automations") / staged.name
            shutil.move(staged, target)
        parsed = time.monotonic()
        subprocess.run([AIRFLOW, "dag-processor", "-n", "1"], check=True, env=env, capture_output=True, timeout=1800)
        parse_s = time.monotonic() - parsed
        triggers = rows(home, "SELECT count(*) FROM trigger")[0][0]
        ready = wait_until(
            f"{args.watchers} watchers running",
            lambda: log.read_text(errors="replace").count(" starting") >= args.watchers + 1,
            600,
        )
        # Past the first tick every watcher evaluates at (they start waiting for the next minute).
        if args.bare:
            time.sleep(60)
        else:
            wait_until(
                "a tick evaluated by every watcher",
                lambda: any(n >= args.watchers for n in evaluations_per_tick(home).values()),
                300,
            )
        runs_before = rows(home, "SELECT count(*) FROM dag_run")[0][0]
        settled = len(log.read_bytes())
        loaded_mb, loaded_cpu = sample(triggerer, 60.0 * args.ticks)
        text = log.read_text(errors="replace")
        startup_stalls = [float(s) for s in re.findall(STALL, log.read_bytes()[:settled].decode(errors="replace"))]
        stalls = [float(s) for s in re.findall(STALL, log.read_bytes()[settled:].decode(errors="replace"))]
        if args.keep_log:
            shutil.copy(log, args.keep_log)
        groups = len(set(re.findall(r"one metric query per tick for every watcher of ([0-9a-f]+)", text)))
        per_tick = evaluations_per_tick(home)
        full_ticks = sorted(t for t, n in per_tick.items() if n >= args.watchers)
        runs = rows(home, "SELECT count(*) FROM dag_run")[0][0]
        events = rows(home, "SELECT count(*) FROM asset_event")[0][0]
    finally:
        for child in reversed(children):
            stop(child)
        shutil.rmtree(root, ignore_errors=True)

    per_watcher_kb = (sum(loaded_mb) - sum(baseline_mb)) * 1024 / args.watchers
    per_watcher_parts = [
        (after - before) * 1024 / args.watchers for after, before in zip(loaded_mb, baseline_mb, strict=True)
    ]
    queries_per_tick = groups if not args.no_share else args.watchers
    print(RULE)
    kind = "bare FileDeleteTrigger watchers (Airflow's own cost)" if args.bare else "metric watchers"
    print(
        f"{args.watchers} {kind}, {args.queries} distinct queries, every minute; sharing "
        f"{'off' if args.no_share else 'on'}; one dag-processor pass {parse_s:.1f} s; {triggers} trigger rows; "
        f"all running {ready:.0f} s after it"
    )
    print(RULE)
    print(
        f"triggerer RSS (supervisor + runner): {sum(idle_mb):.1f} MB idle, {sum(baseline_mb):.1f} MB with one "
        f"watcher (once: {sum(baseline_mb) - sum(idle_mb):+.1f} MB), {sum(loaded_mb):.1f} MB with "
        f"{args.watchers} more: {per_watcher_kb:.1f} KB per watcher (goal <= {KB_PER_WATCHER_GOAL:.0f}); of it "
        f"{per_watcher_parts[0]:.1f} KB in the supervisor, {per_watcher_parts[1]:.1f} KB in the trigger runner"
    )
    print(
        f"triggerer CPU: {idle_cpu:.2f} s/min idle, {baseline_cpu:.2f} with one watcher, "
        f"{loaded_cpu:.2f} s/min watching with all"
    )
    longest = max(stalls, default=0.0)
    print(
        f"event loop stalls over {STALL_GOAL} s (Airflow's warning) while watching: {len(stalls)}"
        + (f", longest {longest:.2f} s" if stalls else "")
        + f"; while the watchers started: {len(startup_stalls)}"
        + (f", longest {max(startup_stalls):.2f} s" if startup_stalls else "")
    )
    print(
        f"metric queries per tick: {queries_per_tick} for {args.watchers} watchers"
        + ("" if args.no_share else f" ({groups} shared-stream groups)")
    )
    print(
        f"ticks with every watcher's evaluation stored: {len(full_ticks)} "
        "(steady evaluations are written five at a time: the latest ticks are still held)"
    )
    print(
        f"DAG runs created while watching: {runs - runs_before} (all: {runs}); asset events: {events} "
        f"(the per-run form: {args.watchers * 4} runs an hour at 15 minutes, {args.watchers * 60} at 1 minute)"
    )
    print(RULE)
    ok = per_watcher_kb <= KB_PER_WATCHER_GOAL and not stalls and runs == 0
    print("all goals met" if ok else "a goal was missed (see above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
