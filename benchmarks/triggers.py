"""Memory and CPU of one real ``airflow triggerer`` holding N waiting builds (default 500).

``python benchmarks/triggers.py [--builds 500] [--seconds 60]`` makes a throwaway Airflow home (SQLite, no
examples, ``airflow db migrate``) with one DAG: a ``FrogMLBuildOperator`` mapped over N models. It starts
one ``airflow triggerer --skip-serve-logs`` (default capacity 1000) and measures its two processes, the
supervisor and the forked trigger runner, in three stages, without restarting it:
1. baseline: no trigger to run;
2. one build: the first trigger, which pays the one-off imports (provider, platform, sqlite3);
3. N builds: every task instance of the run deferred on its own ``FrogMLBuildTrigger``.

Each trigger polls a local-platform build that stays RUNNING (its pid is one sleeping process started
here, named as a build runner; its ``build.log`` holds 64 KB of output, as a build some minutes in) at the
operator's default ``poll_interval`` of 10 s, exactly as a deferred build task does. A stage is measured from one poll
interval after its last trigger logged 'starting'. Memory is RSS averaged over the window (pages the
runner still shares with the supervisor count in both, a constant that cancels out in the deltas;
PSS/USS do not, they move as copy-on-write pages get unshared and as other processes map the venv's
libraries). CPU is user+system seconds per minute. No scheduler runs: at the end the task instances
must all be ``deferred``, none ``running`` (no worker slot held). Every process started here is
stopped and the temporary folder removed on exit.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import psutil

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
DAG_ID = "frogml_trigger_bench"
KB_PER_BUILD_TARGET = 200.0
POLL_INTERVAL = 10.0
LOG_KB = 64  # what LocalPlatform.log_tail reads at most
LOG_LINE = "Collecting scikit-learn==1.5.2 (from -r requirements.txt (line 4)): downloaded 13.3 MB in 2.1 s\n"
RULE = "-" * 106

DAG_FILE = """from datetime import datetime

from airflow.sdk import DAG

from frogml_airflow_provider.operators.build import FrogMLBuildOperator

with DAG("{dag_id}", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    FrogMLBuildOperator.partial(task_id="build", build_spec={{"git_uri": "https://example.invalid/m.git"}}).expand(
        model_id=[f"model-{{i:04d}}" for i in range({builds})]
    )
"""


class Usage(NamedTuple):
    triggers: int
    ready_s: float
    rss_mb: tuple[float, float]  # supervisor, runner
    cpu_s_per_min: tuple[float, float]

    @property
    def total_mb(self) -> float:
        return sum(self.rss_mb)

    @property
    def total_cpu(self) -> float:
        return sum(self.cpu_s_per_min)


def prepare_home(root: Path, builds: int) -> None:
    """Environment for this process and every ``airflow`` child; a migrated DB holding the DAG; one dag run."""
    from cryptography.fernet import Fernet

    dags = root / "dags"
    dags.mkdir()
    (dags / "bench.py").write_text(DAG_FILE.format(dag_id=DAG_ID, builds=builds))
    os.environ.update(
        AIRFLOW_HOME=str(root / "home"),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__FERNET_KEY=Fernet.generate_key().decode(),  # the same key in every process
        PYTHONWARNINGS="ignore",
    )
    for command in (["db", "migrate"], ["dags", "reserialize"]):
        subprocess.run([AIRFLOW, *command], check=True, capture_output=True)

    from airflow.api.common.trigger_dag import trigger_dag
    from airflow.utils.types import DagRunTriggeredByType

    with contextlib.redirect_stdout(io.StringIO()):  # its 'creating dag run' log line
        trigger_dag(DAG_ID, run_id="bench", triggered_by=DagRunTriggeredByType.CLI)


def defer_builds(state_dir: Path, map_indexes: range, sleeper_pid: int) -> None:
    """A RUNNING build per task instance, and the task instance deferred on a trigger that waits for it."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.trigger import Trigger
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState
    from sqlalchemy import select

    from frogml_airflow_provider.platform.base import BuildState
    from frogml_airflow_provider.platform.local.platform import LocalPlatform
    from frogml_airflow_provider.triggers.build import FrogMLBuildTrigger

    platform = LocalPlatform(state_dir)
    deadline = time.time() + 3600
    with create_session() as session:
        query = select(TaskInstance).where(TaskInstance.dag_id == DAG_ID, TaskInstance.map_index.in_(map_indexes))
        tis = session.scalars(query).all()
        if len(tis) != len(map_indexes):
            raise RuntimeError(f"expected {len(map_indexes)} mapped task instances, found {len(tis)}")
        for ti in tis:
            build_id = platform.store.new_build(f"model-{ti.map_index:04d}", f"{DAG_ID}/bench/build", {})
            platform.store.set_build(build_id, state=BuildState.RUNNING, pid=sleeper_pid)
            (state_dir / "builds" / build_id).mkdir(parents=True)
            (state_dir / "builds" / build_id / "build.log").write_text(LOG_LINE * (LOG_KB * 1024 // len(LOG_LINE)))
            trigger = FrogMLBuildTrigger(
                platform=platform.locator(), build_id=build_id, deadline=deadline, poll_interval=POLL_INTERVAL
            )
            row = Trigger.from_object(trigger)
            session.add(row)
            session.flush()
            ti.state, ti.trigger_id, ti.next_method = TaskInstanceState.DEFERRED, row.id, "execute_complete"


def ti_states() -> dict[str, int]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    query = select(TaskInstance.state, func.count()).where(TaskInstance.dag_id == DAG_ID).group_by(TaskInstance.state)
    with create_session() as session:
        return {str(state): count for state, count in session.execute(query).all()}


def started_triggers(logs: Path) -> int:
    """Triggers whose runner logged 'trigger ... starting' (each gets its own ``*.trigger.<job>.log``)."""
    return sum("starting" in path.read_text(errors="replace") for path in logs.rglob("*.trigger.*.log"))


def measure(triggerer: subprocess.Popen[bytes], triggers: int, seconds: float) -> Usage:
    """Wait until ``triggers`` run and one poll interval passed, then sample both processes for ``seconds``."""
    logs, began = Path(os.environ["AIRFLOW_HOME"]) / "logs", time.monotonic()
    root = psutil.Process(triggerer.pid)
    while not root.children() or started_triggers(logs) < triggers:
        if triggerer.poll() is not None or time.monotonic() - began > 120:
            raise RuntimeError(f"the triggerer did not run {triggers} triggers within {time.monotonic() - began:.0f} s")
        time.sleep(0.5)
    ready = time.monotonic() - began
    time.sleep(POLL_INTERVAL)  # past the first burst of polls: the steady state of waiting builds

    (runner,) = root.children()  # the trigger runner; serve-logs is skipped
    procs = (root, runner)
    rss: list[tuple[int, int]] = []
    try:
        cpu_before, start = [sum(p.cpu_times()[:2]) for p in procs], time.monotonic()
        while time.monotonic() - start < seconds:
            rss.append((root.memory_info().rss, runner.memory_info().rss))
            time.sleep(1.0)
        elapsed = time.monotonic() - start
        cpu = [(sum(p.cpu_times()[:2]) - before) * 60 / elapsed for p, before in zip(procs, cpu_before, strict=True)]
    except psutil.NoSuchProcess as error:
        raise RuntimeError(f"triggerer process {error.pid} exited while being measured") from error
    mean_rss = [sum(column) / len(column) / 2**20 for column in zip(*rss, strict=True)]
    return Usage(triggers, ready, (mean_rss[0], mean_rss[1]), (cpu[0], cpu[1]))


def stop(child: subprocess.Popen[bytes]) -> None:
    """SIGTERM the child's process group (it was started in its own session), SIGKILL if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if child.poll() is not None:
            return
        try:
            os.killpg(child.pid, sig)
            child.wait(20)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def report(builds: int, stages: list[Usage], states: dict[str, int], blocked: int) -> bool:
    baseline, one, loaded = stages
    print(RULE)
    print("triggers |  RSS MB: supervisor  runner   total | CPU s/min: supervisor  runner   total | ready after")
    for usage in stages:
        print(
            f"{usage.triggers:>8} | {usage.rss_mb[0]:>18.1f} {usage.rss_mb[1]:>7.1f} {usage.total_mb:>7.1f} | "
            f"{usage.cpu_s_per_min[0]:>21.2f} {usage.cpu_s_per_min[1]:>7.2f} {usage.total_cpu:>7.2f} | "
            f"{usage.ready_s:.1f} s"
        )
    print(RULE)
    per_build = (loaded.total_mb - baseline.total_mb) * 1024 / builds
    marginal = (loaded.total_mb - one.total_mb) * 1024 / (builds - 1)
    runner = (loaded.rss_mb[1] - one.rss_mb[1]) * 1024 / (builds - 1)
    print(
        f"memory per waiting build: {per_build:.0f} KB = ({loaded.total_mb:.1f} - {baseline.total_mb:.1f} MB)"
        f" / {builds}  [target < {KB_PER_BUILD_TARGET:.0f} KB]"
    )
    print(f"  past the first build's one-off imports: {marginal:.0f} KB per build, {runner:.0f} KB of it in the runner")
    extra = loaded.total_cpu - baseline.total_cpu
    polls = builds * 60 / POLL_INTERVAL
    print(
        f"CPU: {baseline.total_cpu:.2f} s/min idle, {loaded.total_cpu:.2f} s/min with {builds} builds: "
        f"{extra:+.2f} s/min = {extra / 60:.1%} of one core, {extra * 1000 / polls:.2f} ms per poll"
        f" ({polls:.0f} polls/min)"
    )
    print(f"event loop blocked > 0.2 s (triggerer watchdog warnings): {blocked} times")
    print(f"task instances at the end: {states}  [target: all {builds} deferred, none running: no worker slot]")
    ok = per_build < KB_PER_BUILD_TARGET and states == {"deferred": builds}
    print(f"method: real `airflow triggerer` process (supervisor + trigger runner); result: {'PASS' if ok else 'FAIL'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--builds", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=60.0, help="window of the baseline and N-build stages")
    args = parser.parse_args()
    if args.builds < 2:
        parser.error("--builds must be at least 2")

    root = Path(tempfile.mkdtemp(prefix="frogml-trigger-bench-"))
    # Stands in for every build's process; the platform recognises a build process by its command line.
    stand_in = [
        sys.executable,
        "-c",
        "import time; time.sleep(600)",
        "frogml_airflow_provider.platform.local.build_runner",
    ]
    sleeper = subprocess.Popen(stand_in, start_new_session=True)
    triggerer: subprocess.Popen[bytes] | None = None
    try:
        prepare_home(root, args.builds)
        with open(root / "triggerer.log", "wb") as out:
            triggerer = subprocess.Popen(
                [AIRFLOW, "triggerer", "--skip-serve-logs"], stdout=out, stderr=out, start_new_session=True
            )
        stages = [measure(triggerer, 0, args.seconds)]
        defer_builds(root / "platform", range(1), sleeper.pid)
        stages.append(measure(triggerer, 1, min(args.seconds, 20.0)))
        defer_builds(root / "platform", range(1, args.builds), sleeper.pid)
        stages.append(measure(triggerer, args.builds, args.seconds))
        states = ti_states()
        blocked = (root / "triggerer.log").read_text(errors="replace").count("async thread was blocked")
    except BaseException:
        if (log := root / "triggerer.log").exists():
            print(log.read_text(errors="replace")[-4000:], file=sys.stderr)
        raise
    finally:
        if triggerer is not None:
            stop(triggerer)
        sleeper.kill()
        sleeper.wait()
        shutil.rmtree(root, ignore_errors=True)
    return 0 if report(args.builds, stages, states, blocked) else 1


if __name__ == "__main__":
    sys.exit(main())
