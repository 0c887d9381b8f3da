"""Parse cost of automations behind the loader DAG file vs. the same DAGs written by hand.

``python benchmarks/parse.py [--sizes 100,1000] [--processor-size 500] [--repeat 3] [--profile]`` prints:
1. In-process ``DagBag(dag_folder=...)``, median of ``--repeat`` fresh processes, ``import airflow`` paid
   before the clock: N automation files behind the ``frogml-airflow init`` loader shares vs. N hand-written DAG files.
2. One whole-process ``airflow dag-processor -n 1`` pass over ``--processor-size`` files (fresh migrated
   SQLite DB), DAGs serialized and import errors counted; an empty folder gives the fixed cost.
3. One automation file of that pass is broken: it must be the one import error, under its own name.
4. From 1., the number of automations at which one loader file would reach Airflow's default
   ``[core] dagbag_import_timeout`` on this machine (a linear extrapolation, said as such).

Every measurement is a fresh subprocess with PYTHONDONTWRITEBYTECODE=1: no DAG file's .pyc carries over.
The provider's own modules are byte-compiled first (``compile_provider``), as pip compiles an installed
wheel: both sides import them, and an editable install would otherwise compile them in every process.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any, NamedTuple

from frogml_airflow_provider.dags.catalog import catalog
from frogml_airflow_provider.dags.plan import DagPlan

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
MARK = "@@frogml-bench@@"
RATIO_TARGET, LOADER_1000_S, PROCESSOR_S = 1.2, 4.0, 6.0
IMPORT_TIMEOUT_S = 30.0  # Airflow's default [core] dagbag_import_timeout: one loader file's whole budget
RULE = "-" * 110

# The JFrog ML docs' reference example ("Define Automations"), one per file, varied by index.
AUTOMATION = """from frogml.core.automations import (
    Automation, BuildMetric, BuildSpecifications, DeploymentSpecifications, FrogmlBuildDeploy,
    ScheduledTrigger, SlackNotification, ThresholdDirection,
)

retrain = Automation(
    name="retrain_model_{i:04d}",
    model_id="model-{i:04d}",
    trigger=ScheduledTrigger(cron="{minute} {hour} * * {weekday}"),
    action=FrogmlBuildDeploy(
        build_spec=BuildSpecifications(
            git_uri="https://github.com/org_id/repository_name.git#dir_1/dir_2",
            git_access_token_secret="token_secret_name", git_branch="main", main_dir="main",
            tags=["prod"], env_vars=["key1=val1", "key2=val2", "key3=val3"],
        ),
        deployment_condition=BuildMetric(metric_name="f1_score", direction=ThresholdDirection.ABOVE, threshold="0.65"),
        deployment_spec=DeploymentSpecifications(number_of_pods=1, cpu_fraction=2.0, memory="2Gi", variation_name="B"),
    ),
    on_error=SlackNotification(webhook="https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"),
)
"""
BREAK = ("ThresholdDirection.ABOVE,", "ThresholdDirection.ABOVEE,")  # the broken automation's typo

# What a DAG author writes for the same automation: same operators, shape, schedule and arguments.
HANDWRITTEN = """from datetime import timedelta

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

from frogml_airflow_provider.assets import frogml_build, frogml_model
from frogml_airflow_provider.dags.timetable import FrogMLCronTimetable
from frogml_airflow_provider.notifications.slack import FrogMLSlackNotifier
from frogml_airflow_provider.operators.build import FrogMLBuildOperator
from frogml_airflow_provider.operators.deploy import FrogMLDeployOperator
from frogml_airflow_provider.operators.gate import FrogMLBuildMetricBranchOperator

on_error = FrogMLSlackNotifier({p.on_error.webhook!r}, model_id={p.model_id!r}, automation={p.automation_name!r})

with DAG(
    dag_id={p.dag_id!r},
    schedule=FrogMLCronTimetable({p.schedule.cron!r}, timezone="UTC", run_immediately={run_immediately}),
    catchup=False,{start_date}
    max_active_runs=1,
    is_paused_upon_creation={p.is_paused_upon_creation!r},
    tags={tags!r},
    description={p.description!r},
    doc_md={p.doc_md!r},
    default_args={{"owner": "frogml"}},
):
    build = FrogMLBuildOperator(
        task_id="build", on_failure_callback=on_error, outlets=[frogml_build({p.model_id!r})], **{args[build]!r}
    )
    check = FrogMLBuildMetricBranchOperator(
        task_id="check_build_metric", on_failure_callback=on_error, **{args[check_build_metric]!r}
    )
    deploy = FrogMLDeployOperator(
        task_id="deploy",
        on_failure_callback=on_error,
        outlets=[frogml_model({p.model_id!r}, {variation!r})],
        **{args[deploy]!r},
    )
    build >> check >> [deploy, EmptyOperator(task_id="skip_deploy", on_failure_callback=on_error)]
"""
HANDWRITTEN_BREAK = ("FrogMLDeployOperator(\n", "FrogMLDeployOperatorr(\n")

# Probes run as ``python -c PROBE ARGS...``; their result is the JSON printed after MARK.
DAGBAG_PROBE = """
import cProfile, io, json, pstats, sys, sysconfig, time
import airflow  # paid before the clock starts
from airflow.dag_processing.dagbag import DagBag

profiler, text = cProfile.Profile(), io.StringIO()
started = time.perf_counter()
if sys.argv[2] == "profile":
    profiler.enable()
bag = DagBag(dag_folder=sys.argv[1])
ms = (time.perf_counter() - started) * 1000
if sys.argv[2] == "profile":
    profiler.disable()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(15)
result = {"ms": ms, "dags": len(bag.dags), "tasks": sum(len(d.tasks) for d in bag.dags.values())}
profile = text.getvalue().replace(sysconfig.get_paths()["purelib"] + "/", "")
result.update(errors=len(bag.import_errors), profile=profile)
print(MARK, json.dumps(result))
"""
EQUIVALENCE_PROBE = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
from airflow.serialization.serialized_objects import DagSerialization

def shape(dag):
    data = DagSerialization.to_dict(dag)["dag"]
    data.pop("fileloc"), data.pop("relative_fileloc")
    return json.dumps(data, sort_keys=True, default=str)

loader, hand = (DagBag(dag_folder=folder).dags for folder in sys.argv[1:3])
same = {i for i in loader.keys() & hand.keys() if shape(loader[i]) == shape(hand[i])}
print(MARK, json.dumps({"dags": len(loader), "differ": sorted((loader.keys() | hand.keys()) - same)}))
"""


class Folders(NamedTuple):
    loader: Path  # DAGS folder from `frogml-airflow init`: the loader shares, automations/, .airflowignore
    handwritten: Path  # one DAG file per automation
    dag_ids: frozenset[str]  # the DAGs that must load
    broken: str = ""  # the broken file's name, in both folders


class Bag(NamedTuple):
    ms: float
    dags: int
    tasks: int
    errors: int


def make_folders(root: Path, n: int, *, broken: bool) -> Folders:
    loader, handwritten = root / "loader", root / "handwritten"
    handwritten.mkdir(parents=True)
    run([sys.executable, "-m", "frogml_airflow_provider.cli", "init", str(loader)], dict(os.environ))
    for i in range(1, n + 1):
        text = AUTOMATION.format(i=i, minute=i % 60, hour=i % 24, weekday=i % 7)
        (loader / "automations" / f"retrain_{i:04d}.py").write_text(text)
    found = catalog(loader / "automations", label="automations")  # what the loader renders, argument for argument
    assert len(found.plans) == n and not found.errors, found.errors
    for source, plan in found.plans:
        (handwritten / source).write_text(handwritten_dag(plan))
    dag_ids = {plan.dag_id: source for source, plan in found.plans}
    if not broken:
        return Folders(loader, handwritten, frozenset(dag_ids))
    name = f"retrain_{n // 2:04d}.py"
    for path, (old, new) in ((loader / "automations" / name, BREAK), (handwritten / name, HANDWRITTEN_BREAK)):
        path.write_text(path.read_text().replace(old, new))
    return Folders(loader, handwritten, frozenset(i for i, source in dag_ids.items() if source != name), name)


def handwritten_dag(plan: DagPlan) -> str:
    args = {task.task_id: dict(task.arguments) for task in plan.tasks}
    assert list(args) == ["build", "check_build_metric", "deploy", "skip_deploy"], list(args)
    start = plan.schedule.start_date
    return HANDWRITTEN.format(
        p=plan,
        args=args,
        variation=args["deploy"]["deployment_spec"].get("variation_name") or "default",
        tags=set(plan.tags),
        # As render.py: a start_date only to run at once; run_immediately=timedelta(0) waits for the next tick.
        run_immediately="True" if plan.schedule.run_immediately else "timedelta(0)",
        start_date=f'\n    start_date=pendulum.datetime({start:%Y, %-m, %-d}, tz="UTC"),' if start else "",
    )


def airflow_env(home: Path, dags: Path) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(dags)}
    return {**env, "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "PYTHONWARNINGS": "ignore", "PYTHONDONTWRITEBYTECODE": "1"}


def run(command: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode not in ok:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def probe(code: str, args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run a probe in a fresh interpreter and return the JSON it prints after MARK."""
    return json.loads(run([sys.executable, "-c", f"MARK = {MARK!r}\n{code}", *args], env).rpartition(MARK)[2])


def dagbag(dags: Path, home: Path, *, profile: bool = False) -> Bag:
    result = probe(DAGBAG_PROBE, [str(dags), "profile" if profile else "-"], airflow_env(home, dags))
    if profile:
        print(result["profile"].strip())
    return Bag(*(result[field] for field in Bag._fields))


def median_bag(dags: Path, home: Path, repeat: int) -> Bag:
    bags = [dagbag(dags, home) for _ in range(repeat)]
    return bags[0]._replace(ms=statistics.median(bag.ms for bag in bags), errors=max(bag.errors for bag in bags))


def equivalent(folders: Folders, home: Path) -> str:
    """Do the hand-written files give the loader's DAGs? Serialized DAGs compared, file paths aside."""
    env = airflow_env(home, folders.loader)
    result = probe(EQUIVALENCE_PROBE, [str(folders.loader), str(folders.handwritten)], env)
    differ = result["differ"]
    return f"{verdict(not differ)} ({result['dags']} DAGs compared" + (f"; differ: {differ[:3]})" if differ else ")")


def processor_pass(dags: Path, home: Path) -> tuple[float, set[str], list[dict[str, Any]]]:
    """``airflow db migrate`` (not timed), one timed ``airflow dag-processor -n 1``: (s, DAG ids, import errors)."""
    env = airflow_env(home, dags)
    run([AIRFLOW, "db", "migrate"], env)
    started = time.perf_counter()
    run([AIRFLOW, "dag-processor", "-n", "1"], env)
    seconds = time.perf_counter() - started
    with sqlite3.connect(home / "airflow.db") as db:
        serialized = {row[0] for row in db.execute("SELECT dag_id FROM serialized_dag")}
    listed = run([AIRFLOW, "dags", "list-import-errors", "-o", "json"], env, ok=(0, 1))  # 1: there are errors
    errors = [line for line in listed.splitlines() if line.startswith("[")]
    return seconds, serialized, json.loads(errors[-1]) if errors else []


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report_dagbag(sizes: list[int], repeat: int, work: Path) -> list[tuple[int, float]]:
    """Section 1; returns (N, loader ms) per size for the extrapolation."""
    print(f"\n1. In-process DagBag, median of {repeat} fresh processes (`import airflow` paid before the clock)")
    print(f"{'N':>6} {'loader ms':>10} {'ms/DAG':>7} {'hand-written ms':>16} {'ms/DAG':>7} {'ratio':>6}  targets")
    print(RULE)
    measured: list[tuple[int, float]] = []
    for n in sizes:
        folders = make_folders(work / f"bag-{n}", n, broken=False)
        same = equivalent(folders, work / "home-equivalence") if n == min(sizes) else ""
        loader, hand = (median_bag(dags, work / f"home-bag-{n}", repeat) for dags in folders[:2])
        for label, bag in (("loader", loader), ("hand-written", hand)):
            if (bag.dags, bag.tasks, bag.errors) != (n, 4 * n, 0):
                print(f"  !! {label}: {bag.dags} DAGs, {bag.tasks} tasks, {bag.errors} errors (want {n}, {4 * n}, 0)")
        ratio = loader.ms / hand.ms
        measured.append((n, loader.ms))
        targets = f"ratio <= {RATIO_TARGET}: {verdict(ratio <= RATIO_TARGET)}"
        if n == 1000:
            targets += f"; 1000 in one loader < {LOADER_1000_S:.0f} s: {verdict(loader.ms < LOADER_1000_S * 1000)}"
        totals = f"{loader.ms:>10.0f} {loader.ms / n:>7.2f} {hand.ms:>16.0f} {hand.ms / n:>7.2f}"
        print(f"{n:>6} {totals} {ratio:>6.2f}  {targets}")
        if same:
            print(f"{'':>6} hand-written DAGs serialize exactly as the loader's (file paths aside): {same}")
    return measured


def report_import_timeout(measured: list[tuple[int, float]]) -> None:
    """Where one loader file meets the import timeout: a line through the smallest and largest size."""
    (n1, ms1), (n2, ms2) = min(measured), max(measured)
    per = (ms2 - ms1) / (n2 - n1) if n2 != n1 else ms2 / n2
    fixed = max(ms2 - per * n2, 0.0)
    reach = int((IMPORT_TIMEOUT_S * 1000 - fixed) / per)
    print(f"\n4. One loader file against Airflow's default [core] dagbag_import_timeout ({IMPORT_TIMEOUT_S:.0f} s)")
    print(f"   measured: {per:.2f} ms per automation + {fixed:.0f} ms fixed (DagBag, N={n1} and N={n2})")
    print(
        f"   extrapolated linearly (not run): one loader file reaches {IMPORT_TIMEOUT_S:.0f} s at about "
        f"{reach:,} automations on this machine. The whole DagBag time is counted, part of it outside the "
        "import timeout, so the true limit is somewhat higher; split automations across several loader "
        "files (or raise the timeout) well before it."
    )


def report_processor(n: int, work: Path, *, handwritten: bool) -> None:
    folders = make_folders(work / f"proc-{n}", n, broken=True)
    (empty := work / "empty").mkdir()
    print(f"\n2. One `airflow dag-processor -n 1` pass, whole process; {n} files, 1 broken ({folders.broken})")
    print(f"{'':<13} {'wall s':>7} {'ms/file':>8} {'serialized DAGs':>16} {'import errors':>14}  targets\n{RULE}")
    runs = [("empty folder", empty), ("loader", folders.loader)]
    runs += [("hand-written", folders.handwritten)] if handwritten else []
    loader_errors: list[dict[str, Any]] = []
    for label, dags in runs:
        seconds, serialized, errors = processor_pass(dags, work / f"home-proc-{label.replace(' ', '-')}")
        want = set() if dags == empty else folders.dag_ids
        targets = "fixed cost" if not want else f"{len(want)} DAGs: {verdict(serialized == want)}"
        if missing := sorted(want - serialized):
            targets += f" (missing {', '.join(missing[:3])})"
        if label == "loader":
            loader_errors = errors
            targets += f"; < {PROCESSOR_S:.0f} s: {verdict(seconds < PROCESSOR_S)}"
        per_file = f"{seconds * 1000 / n:>8.1f}" if want else f"{'':>8}"
        print(f"{label:<13} {seconds:>7.1f} {per_file} {len(serialized):>16} {len(errors):>14}  {targets}")
    if not handwritten:
        print("hand-written  skipped (--skip-handwritten-processor)")

    print("\n3. The loader pass's import errors (`airflow dags list-import-errors -o json`)")
    for error in loader_errors:
        print(f"   [{error.get('bundle_name')}] {error.get('filepath')}: {error.get('error')}")
    named = [str(error.get("filepath")) for error in loader_errors] == [f"automations/{folders.broken}"]
    print(f"   exactly one, under automations/{folders.broken}: {verdict(named)}")


def compile_provider() -> None:
    """The provider's modules as an installed wheel has them: byte-compiled."""
    import frogml_airflow_provider

    compileall.compile_dir(Path(frogml_airflow_provider.__file__).parent, quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000", help="automation counts for the in-process DagBag")
    parser.add_argument("--processor-size", type=int, default=500, help="files in the dag-processor pass (0: skip)")
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per DagBag measurement")
    parser.add_argument("--skip-handwritten-processor", action="store_true", help="no hand-written dag-processor pass")
    parser.add_argument("--profile", action="store_true", help="cProfile the loader DagBag at the largest size")
    parser.add_argument("--keep", action="store_true", help="keep the generated folders")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size]

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"Python {sys.version.split()[0]}, apache-airflow {version('apache-airflow')}, {cores} core(s)")
    compile_provider()
    work = Path(tempfile.mkdtemp(prefix="frogml-parse-bench-"))
    try:
        measured = report_dagbag(sizes, args.repeat, work) if sizes else []
        if args.processor_size:
            report_processor(args.processor_size, work, handwritten=not args.skip_handwritten_processor)
        if measured:
            report_import_timeout(measured)
        if args.profile and sizes:
            print(f"\ncProfile of the loader DagBag at N={max(sizes)} (top 15 by cumulative time)")
            dagbag(work / f"bag-{max(sizes)}" / "loader", work / "home-profile", profile=True)
    finally:
        if args.keep:
            print(f"\ngenerated folders kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
