"""Rows per second of a local batch job of the sample model, against its ``predict`` called directly.

``python benchmarks/batch.py [--rows 400000] [--files 4] [--executors 2] [--format csv]`` builds
dags_examples/sample_model (the iris classifier) on a throwaway local platform, writes ``--rows``
iris rows split over ``--files`` input files, and measures:

1. the limit: the built model loaded once in this process, ``predict`` called on each file's rows
   already in memory (no reading, no writing, no process);
2. a batch job over the same files, wall time from ``submit_batch_job`` to SUCCESSFUL: reading,
   predicting, writing the outputs, the runner and ``--executors`` worker processes (each imports
   frogml and loads the model);
3. a batch job over single-row files, one per worker: the fixed cost of a job (its processes
   start, import frogml and load the model), so that the job's marginal rate
   (rows / (job - fixed)) can be told apart from its start-up.

Each is measured ``--repeat`` times and the fastest run counts (the machine may be shared). It
prints each rate and the ratio batch / direct. The temporary folder is removed on exit.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from frogml_airflow_provider.platform.base import BatchJobRequest, BuildRequest  # noqa: E402
from frogml_airflow_provider.platform.local.batch_files import write_frame  # noqa: E402
from frogml_airflow_provider.platform.local.platform import LocalPlatform  # noqa: E402

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=400_000)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--executors", type=int, default=2)
    parser.add_argument("--format", choices=("csv", "parquet", "feather"), default="csv")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measure; the fastest counts")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="frogml-batch-bench-"))
    platform = LocalPlatform(work / "state")
    try:
        build_id = build(platform, work)
        frames = write_inputs(platform, args.rows, args.files, args.format)
        direct = min(direct_seconds(platform, build_id, frames) for _ in range(args.repeat))
        job = min(job_seconds(platform, "bench", args.format, args.executors, args.rows) for _ in range(args.repeat))
        workers = min(args.executors, args.files)
        write_inputs(platform, workers, workers, args.format, folder="one")
        fixed = min(job_seconds(platform, "one", args.format, args.executors, workers) for _ in range(args.repeat))
    finally:
        platform.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    rule = "-" * 78
    print(rule)
    print(f"{args.rows:,} rows in {args.files} {args.format} file(s), iris classifier, {args.executors} executor(s)")
    print(rule)
    print(f"direct predict, one process, rows in memory : {direct:8.3f} s  {args.rows / direct:14,.0f} rows/s")
    print(f"local batch job, submit -> SUCCESSFUL        : {job:8.3f} s  {args.rows / job:14,.0f} rows/s")
    print(f"fixed cost: 1-row files, same workers        : {fixed:8.3f} s")
    marginal = job - fixed
    if marginal > 0.05 * job:
        print(f"batch job without its fixed cost             : {marginal:8.3f} s  {args.rows / marginal:14,.0f} rows/s")
        beyond = f", {direct / marginal:.4f} without the fixed cost"
    else:
        print("batch job without its fixed cost             :  n/a (within the noise of the fixed cost; more --rows)")
        beyond = ""
    print(rule)
    print(f"ratio batch / direct: {direct / job:.4f} end to end{beyond}")
    return 0


def build(platform: LocalPlatform, work: Path) -> str:
    repo = work / "repo"
    shutil.copytree(ROOT / "dags_examples" / "sample_model", repo)
    for step in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "sample"]):
        subprocess.run(["git", "-C", str(repo), "-c", "user.email=b@l", "-c", "user.name=b", *step], check=True)
    spec = {"git_uri": str(repo), "git_branch": "main", "main_dir": "main"}
    build = platform.submit_build(BuildRequest("iris-classifier", spec, "bench"))
    while not build.state.terminal:
        time.sleep(0.5)
        build = platform.get_build(build.build_id)
    if build.state.value != "SUCCESSFUL":
        raise SystemExit(f"the sample model's build failed:\n{build.log_tail}")
    return build.build_id


def write_inputs(
    platform: LocalPlatform, rows: int, files: int, kind: str, folder: str = "bench"
) -> list[pd.DataFrame]:
    generator = np.random.default_rng(7)
    data = pd.DataFrame(generator.uniform(0.1, 7.9, size=(rows, 4)).round(1), columns=FEATURES)
    target = platform.state_dir / "buckets" / "in" / folder
    target.mkdir(parents=True)
    bounds = np.linspace(0, rows, files + 1).astype(int)
    frames = [data.iloc[start:end].reset_index(drop=True) for start, end in itertools.pairwise(bounds)]
    for index, frame in enumerate(frames):
        write_frame(frame, target / f"part-{index:03d}.{kind}", kind)
    return frames


def direct_seconds(platform: LocalPlatform, build_id: str, frames: list[pd.DataFrame]) -> float:
    from frogml_airflow_provider.platform.local.server import load

    model = load(platform.state_dir / "builds" / build_id)
    model.predict(frames[0].head(2))  # warm up (first-call imports)
    started = time.perf_counter()
    for frame in frames:
        model.predict(frame)
    return time.perf_counter() - started


def job_seconds(platform: LocalPlatform, folder: str, kind: str, executors: int, rows: int) -> float:
    data = {"source_bucket": "in", "source_folder": folder, "input_file_type": kind}
    data |= {"destination_bucket": "out", "destination_folder": folder, "output_file_type": kind}
    started = time.perf_counter()
    job = platform.submit_batch_job(BatchJobRequest("iris-classifier", "", data, {"executors": executors}, folder))
    while not job.state.terminal:
        time.sleep(0.05)
        job = platform.get_batch_job(job.job_id, log_tail=False)
    seconds = time.perf_counter() - started
    if job.state.value != "SUCCESSFUL" or job.rows_done != rows:
        raise SystemExit(f"the batch job ended {job.state.value} with {job.rows_done} rows: {job.error}")
    return seconds


if __name__ == "__main__":
    sys.exit(main())
