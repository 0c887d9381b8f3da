"""Many automations: the loader shares of ``frogml-airflow init`` vs. the same DAGs from dag-factory.

``python benchmarks/scale.py [--sizes 500,2000] [--repeat 1] [--big 5000] [--no-bytes] [--shares N]`` prints:
1. Serialized bytes per DAG (``DagSerialization`` JSON): generated, generated with every spec default
   in the task arguments (what earlier versions wrote), and the equivalent hand-written DAG file.
2. For each of ``--sizes``: one whole-process ``airflow dag-processor -n 1`` pass (fresh migrated SQLite
   DB, Airflow's default settings) over a folder set up by ``frogml-airflow init``, then over the same
   DAGs from one dag-factory YAML file, side by side: wall time, DAGs serialized, import errors, and the
   slowest DAG file (``dag.last_parse_duration``: its process's parse and serialize). Bar: <= 0.5x.
   dag-factory is given the schedule as its users write it (Airflow's ``CronTriggerTimetable``), and,
   as ``dag-factory*``, the generated DAGs' own timetable: then the DAGs are the same (tasks, arguments,
   outlets, schedule; checked on 20 first) but for what dag-factory adds itself (its YAML appended to
   ``doc_md``, a ``dagfactory`` tag), and the difference left is how the DAGs are generated and spread over files.
3. ``--big``: one pass over that many automations with Airflow's default timeouts: every DAG, no import
   error, and no DAG file over 10 s (a 5x margin under ``dag_file_processor_timeout``).

dag-factory is a benchmark-only tool (the ``bench`` extra), never a dependency of the provider. The
provider's modules are byte-compiled first, as pip compiles an installed wheel (an editable install
under ``PYTHONDONTWRITEBYTECODE`` would otherwise compile them again in every dag-processor child;
both sides import them).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any, NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from parse import AIRFLOW, AUTOMATION, compile_provider, handwritten_dag, probe, run, verdict

from frogml_airflow_provider.dags.catalog import catalog
from frogml_airflow_provider.dags.plan import DagPlan
from frogml_airflow_provider.dags.render import _outlets as outlets_of  # the assets the generated DAGs declare

RATIO_BAR, FILE_BAR_S = 0.5, 10.0
RULE = "-" * 110
DAG_FACTORY_LOADER = """# dag-factory: every DAG of dags.yaml (airflow DAG file)
from pathlib import Path

from dagfactory import load_yaml_dags

load_yaml_dags(globals_dict=globals(), config_filepath=str(Path(__file__).with_name("dags.yaml")))
"""
BYTES_PROBE = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
from airflow.serialization.serialized_objects import DagSerialization

def sizes(folder):
    bag = DagBag(dag_folder=folder)
    assert not bag.import_errors, bag.import_errors
    return {i: len(json.dumps(DagSerialization.to_dict(d), sort_keys=True)) for i, d in bag.dags.items()}

print(MARK, json.dumps([sizes(folder) for folder in sys.argv[1:]]))
"""
FILE_PROBE = """
import json, sys, time
import airflow  # paid before the clock, as in the dag-processor (its parent has it imported)
from airflow.dag_processing.dagbag import DagBag
from airflow.serialization.serialized_objects import DagSerialization

started = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
payload = [json.dumps(DagSerialization.to_dict(dag)) for dag in bag.dags.values()]
seconds = time.perf_counter() - started
print(MARK, json.dumps({"seconds": seconds, "dags": len(payload), "errors": len(bag.import_errors)}))
"""
SAME_PROBE = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
from airflow.serialization.serialized_objects import DagSerialization

def shape(dag):  # all but the file and what dag-factory adds of its own (its YAML in doc_md, its tag)
    data = DagSerialization.to_dict(dag)["dag"]
    for key in ("fileloc", "relative_fileloc", "doc_md"):
        data.pop(key, None)
    data["tags"] = sorted(set(data.get("tags", ())) - {"dagfactory"})
    return json.dumps(data, sort_keys=True, default=str)

ours, theirs = (DagBag(dag_folder=folder).dags for folder in sys.argv[1:3])
differ = sorted(i for i in ours if i not in theirs or shape(ours[i]) != shape(theirs[i]))
print(MARK, json.dumps({"dags": len(ours), "differ": differ}))
"""
FULL_SPECS = """
# What earlier versions passed to the operators: every field of the spec, defaults included.
import frogml_airflow_provider.dags.plan as plan

_sparse = plan.to_plain
plan.to_plain = lambda value, defaults=True: _sparse(value, defaults=True)
"""


class Pass(NamedTuple):
    seconds: float
    dags: int
    errors: int
    slowest_file: str
    slowest_s: float


def airflow_env(home: Path, dags: Path) -> dict[str, str]:
    """Airflow's defaults (timeouts, parsing_processes), a fresh home; examples off."""
    home.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PYTHONWARNINGS": "ignore",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def automations_folder(root: Path, n: int, shares: int | None = None) -> tuple[Path, list[DagPlan]]:
    """``frogml-airflow init`` (its defaults, or ``--shares``), then n automation files (the JFrog ML docs example)."""
    init = [sys.executable, "-m", "frogml_airflow_provider.cli", "init", str(root)]
    run(init + ([] if shares is None else ["--shares", str(shares)]), dict(os.environ))
    for i in range(1, n + 1):
        text = AUTOMATION.format(i=i, minute=i % 60, hour=i % 24, weekday=i % 7)
        (root / "automations" / f"retrain_{i:04d}.py").write_text(text)
    found = catalog(root / "automations", label="automations")
    assert len(found.plans) == n and not found.errors, found.errors
    return root, [plan for _, plan in found.plans]


# The schedule as a dag-factory user writes it (Airflow's own cron timetable), and the generated DAGs'
# own timetable (the provider's, see dags/timetable.py): with it, the DAGs are the same (``same_dags``).
AIRFLOW_TIMETABLE = "airflow.sdk.CronTriggerTimetable"
PROVIDER_TIMETABLE = "frogml_airflow_provider.dags.timetable.FrogMLCronTimetable"


def dag_factory_folder(root: Path, plans: list[DagPlan], timetable: str = AIRFLOW_TIMETABLE) -> Path:
    """The same DAGs (operators, arguments, schedule, callbacks, docs) as one dag-factory YAML file."""
    import yaml

    root.mkdir(parents=True)
    config = {plan.dag_id: dag_factory_dag(plan, timetable) for plan in plans}
    (root / "dags.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    (root / "dag_factory_dags.py").write_text(DAG_FACTORY_LOADER)
    return root


def dag_factory_dag(plan: DagPlan, timetable: str) -> dict[str, Any]:
    assert plan.schedule.cron and not plan.schedule.run_immediately and plan.on_error is not None
    on_error = {
        "callback": "frogml_airflow_provider.notifications.slack.FrogMLSlackNotifier",
        "webhook": plan.on_error.webhook,  # type: ignore[attr-defined]
        "model_id": plan.model_id,
        "automation": plan.automation_name,
    }
    modules = {
        "build": "frogml_airflow_provider.operators.build.FrogMLBuildOperator",
        "check_build_metric": "frogml_airflow_provider.operators.gate.FrogMLBuildMetricBranchOperator",
        "deploy": "frogml_airflow_provider.operators.deploy.FrogMLDeployOperator",
        "skip_deploy": "airflow.providers.standard.operators.empty.EmptyOperator",
    }
    tasks = {
        task.task_id: {
            "operator": modules[task.task_id],
            **dict(task.arguments),
            "on_failure_callback": dict(on_error),
            **dag_factory_outlets(plan, task),
            **({"dependencies": list(task.upstream)} if task.upstream else {}),
        }
        for task in plan.tasks
    }
    return {
        "default_args": {"owner": "frogml"},
        "schedule": {
            "__type__": timetable,
            "__args__": [plan.schedule.cron],
            "timezone": "UTC",
            "run_immediately": {"__type__": "datetime.timedelta", "seconds": 0},
        },
        "catchup": False,
        "max_active_runs": 1,
        "is_paused_upon_creation": plan.is_paused_upon_creation,
        "tags": list(plan.tags),
        "description": plan.description,
        "doc_md": plan.doc_md,
        "tasks": tasks,
    }


def dag_factory_outlets(plan: DagPlan, task: Any) -> dict[str, Any]:
    """The task's outlets as the generated DAG declares them (``frogml://`` assets in the ``frogml`` group)."""
    assets = outlets_of(plan, task.task_id, task.arguments)
    return (
        {"outlets": [{"__type__": "airflow.sdk.Asset", "uri": a.uri, "group": a.group} for a in assets]}
        if assets
        else {}
    )


def processor_pass(dags: Path, home: Path) -> Pass:
    """``airflow db migrate`` (not timed), then one timed ``airflow dag-processor -n 1``."""
    env = airflow_env(home, dags)
    run([AIRFLOW, "db", "migrate"], env)
    started = time.perf_counter()
    run([AIRFLOW, "dag-processor", "-n", "1"], env)
    seconds = time.perf_counter() - started
    with sqlite3.connect(home / "airflow.db") as db:
        dags_serialized = db.execute("SELECT count(*) FROM serialized_dag").fetchone()[0]
        errors = db.execute("SELECT count(*) FROM import_error").fetchone()[0]
        slowest = db.execute(
            "SELECT relative_fileloc, max(last_parse_duration) FROM dag GROUP BY relative_fileloc "
            "ORDER BY 2 DESC LIMIT 1"
        ).fetchone() or ("-", 0.0)
    return Pass(seconds, dags_serialized, errors, str(slowest[0]), float(slowest[1] or 0.0))


def report_bytes(work: Path) -> None:
    root, plans = automations_folder(work / "bytes-loader", 50)
    hand = work / "bytes-handwritten"
    hand.mkdir()
    for plan in plans:
        (hand / f"{plan.dag_id}.py").write_text(handwritten_dag(plan))
    full = work / "bytes-full"
    shutil.copytree(root, full)
    for loader in full.glob("frogml_automations_*.py"):
        loader.write_text(FULL_SPECS + loader.read_text())
    env = airflow_env(work / "home-bytes", root)
    generated, full_sizes, handwritten = probe(BYTES_PROBE, [str(root), str(full), str(hand)], env)
    assert set(generated) == set(full_sizes) == set(handwritten), "the three folders must hold the same DAGs"

    def mean(sizes: dict[str, int]) -> float:
        return sum(sizes.values()) / len(sizes)

    print("\n1. Serialized DAG (DagSerialization JSON), bytes per DAG, 50 automations (the JFrog ML docs example)")
    print(f"{'generated':>12} {'all defaults (before)':>22} {'hand-written equivalent':>24}\n{RULE}")
    print(f"{mean(generated):>12.0f} {mean(full_sizes):>22.0f} {mean(handwritten):>24.0f}")
    print(
        f"generated / before: {mean(generated) / mean(full_sizes):.2f}; generated / hand-written: "
        f"{mean(generated) / mean(handwritten):.2f}"
    )


def report_sizes(sizes: list[int], work: Path, repeat: int, shares: int | None) -> None:
    print("\n2. One `airflow dag-processor -n 1` pass, whole process, Airflow's defaults; same DAGs both sides")
    print("   dag-factory: the schedule as its users write it (Airflow's CronTriggerTimetable); the bar is on it")
    print("   dag-factory*: given the generated DAGs' own timetable (FrogMLCronTimetable): the same DAGs, outlets too")
    if repeat > 1:
        print(f"   median of {repeat} passes each, alternating loader / dag-factory (the machine's load varies)")
    print(f"   {same_dags(work)}")
    print(f"{'N':>6} {'':<13} {'wall s':>7} {'DAGs':>6} {'errors':>7} {'slowest file':>28} {'its s':>6}  bar")
    print(RULE)
    for n in sizes:
        root, plans = automations_folder(work / f"loader-{n}", n, shares)
        sides = {
            "loader shares": root,
            "dag-factory": dag_factory_folder(work / f"dag-factory-{n}", plans),
            "dag-factory*": dag_factory_folder(work / f"dag-factory-same-{n}", plans, PROVIDER_TIMETABLE),
        }
        runs: dict[str, list[Pass]] = {label: [] for label in sides}
        for attempt in range(repeat):
            for index, (label, folder) in enumerate(sides.items()):
                runs[label].append(processor_pass(folder, work / f"home-{index}-{n}-{attempt}"))
        medians = {label: median_pass(passes) for label, passes in runs.items()}
        ours = medians["loader shares"]
        for label, result in medians.items():
            ok = result.dags == n and result.errors == 0
            ratio = ours.seconds / result.seconds
            bar = {
                "loader shares": "",
                "dag-factory": f"loader {ratio:.2f}x this <= {RATIO_BAR}: {verdict(ratio <= RATIO_BAR)}",
                "dag-factory*": f"loader {ratio:.2f}x this",
            }[label]
            print(
                f"{n:>6} {label:<13} {result.seconds:>7.1f} {result.dags:>6} {result.errors:>7} "
                f"{result.slowest_file:>28} {result.slowest_s:>6.1f}  {'' if ok else '!! DAGs missing; '}{bar}"
            )
        if repeat > 1:
            every = "; ".join(f"{label} {[round(r.seconds, 1) for r in passes]}" for label, passes in runs.items())
            print(f"{'':>6} all passes, s: {every}")
        for folder in list(sides.values())[1:]:
            shutil.rmtree(folder, ignore_errors=True)


def same_dags(work: Path, n: int = 20) -> str:
    """Are dag-factory*'s DAGs the generated ones (tasks, arguments, outlets, schedule)? Serialized, compared."""
    root, plans = automations_folder(work / "same-loader", n)
    theirs = dag_factory_folder(work / "same-dag-factory", plans, PROVIDER_TIMETABLE)
    result = probe(SAME_PROBE, [str(root), str(theirs)], airflow_env(work / "home-same", root))
    differ = result["differ"]
    return f"dag-factory* gives the generated DAGs ({result['dags']} compared): {verdict(not differ)}" + (
        f"; differ: {differ[:3]}" if differ else ""
    )


def median_pass(runs: list[Pass]) -> Pass:
    ordered = sorted(runs, key=lambda result: result.seconds)
    middle = ordered[len(ordered) // 2]
    return middle._replace(dags=min(r.dags for r in runs), errors=max(r.errors for r in runs))


def report_big(n: int, work: Path, shares: int | None) -> None:
    root, _ = automations_folder(work / f"loader-{n}", n, shares)
    result = processor_pass(root, work / f"home-loader-{n}")
    print(f"\n3. {n} automations, folder from `frogml-airflow init`, one dag-processor pass, default timeouts")
    print(f"{'wall s':>7} {'DAGs':>6} {'errors':>7} {'slowest file':>28} {'its s':>6}  bar\n{RULE}")
    ok = result.dags == n and result.errors == 0
    print(
        f"{result.seconds:>7.1f} {result.dags:>6} {result.errors:>7} {result.slowest_file:>28} "
        f"{result.slowest_s:>6.1f}  all {n} DAGs, no import error: {verdict(ok)}"
    )
    # Airflow's last_parse_duration runs until the manager collects the result, so it includes waiting
    # while the manager writes another file's DAGs to the database. The file's own cost: its largest
    # share parsed and serialized alone, in a fresh process (what the dag-processor's child does).
    largest = max(root.glob("frogml_automations_*.py"), key=lambda loader: dags_of(root, loader))
    own = probe(FILE_PROBE, [str(largest)], airflow_env(work / f"home-file-{n}", root))
    print(
        f"largest share {largest.name}: {own['dags']} DAGs parsed and serialized alone in {own['seconds']:.1f} s; "
        f"< {FILE_BAR_S:.0f} s: {verdict(own['seconds'] < FILE_BAR_S and not own['errors'])} "
        f"(its dag-processor time above, waits included: {result.slowest_s:.1f} s)"
    )


def dags_of(root: Path, loader: Path) -> int:
    """How many automation files a loader share takes."""
    from frogml_airflow_provider.dags.shares import share_of

    text = loader.read_text()
    share, shares = (int(text.split(f"{key}=")[1].split(",")[0].split(")")[0]) for key in ("share", "shares"))
    files = (root / "automations").rglob("*.py")
    return sum(share_of(str(path.relative_to(root / "automations")), shares) == share for path in files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="500,2000", help="automation counts compared with dag-factory")
    parser.add_argument("--big", type=int, default=5000, help="automations in the default-timeouts pass (0: skip)")
    parser.add_argument("--no-bytes", action="store_true", help="skip the serialized-size comparison")
    parser.add_argument("--repeat", type=int, default=1, help="passes per side and size (median; alternating)")
    parser.add_argument("--shares", type=int, default=None, help="loader files (default: what init writes)")
    parser.add_argument("--keep", action="store_true", help="keep the generated folders")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"Python {sys.version.split()[0]}, apache-airflow {version('apache-airflow')}, "
        f"dag-factory {version('dag-factory')}, {cores} core(s), load average {os.getloadavg()[0]:.1f}"
    )
    compile_provider()
    work = Path(tempfile.mkdtemp(prefix="frogml-scale-bench-"))
    try:
        if not args.no_bytes:
            report_bytes(work)
        if sizes:
            report_sizes(sizes, work, args.repeat, args.shares)
        if args.big:
            report_big(args.big, work, args.shares)
    finally:
        if args.keep:
            print(f"\ngenerated folders kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
