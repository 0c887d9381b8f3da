"""Batch jobs on the local platform, for real: a build, a detached runner, worker processes,
files on disk. What is scored, where it goes, and what happens when something is wrong."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from frogml_airflow_provider.platform.base import (
    BatchJob,
    BatchJobRequest,
    BatchJobState,
    BuildRequest,
    DeploymentState,
    PlatformError,
)
from frogml_airflow_provider.platform.local.platform import LocalPlatform, process_alive
from tests.support import BATCH_MODEL, git, spec, wait_build

MODEL = "batch-model"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalPlatform, str]:
    """One state folder with one successful build of BATCH_MODEL (builds cost seconds)."""
    root = tmp_path_factory.mktemp("batch")
    repo = root / "repo"
    (repo / "main").mkdir(parents=True)
    (repo / "main" / "__init__.py").write_text(
        "from .model import BatchModel\n\n\ndef load_model():\n    return BatchModel()\n"
    )
    (repo / "main" / "model.py").write_text(BATCH_MODEL)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "model")
    platform = LocalPlatform(root / "state")
    build = wait_build(platform, platform.submit_build(BuildRequest(MODEL, spec(repo), "build-run")))
    assert build.state.value == "SUCCESSFUL", build.log_tail
    yield platform, build.build_id
    platform.shutdown()


def request(
    key: str, source: str, destination: str, *, input_type: str = "csv", output_type: str = "csv", **execution: object
) -> BatchJobRequest:
    return BatchJobRequest(
        MODEL,
        "",
        {
            "source_bucket": "inputs",
            "source_folder": source,
            "input_file_type": input_type,
            "destination_bucket": "outputs",
            "destination_folder": destination,
            "output_file_type": output_type,
        },
        execution,
        key,
    )


def inputs(platform: LocalPlatform, folder: str, frames: dict[str, pd.DataFrame], kind: str = "csv") -> Path:
    root = platform.state_dir / "buckets" / "inputs" / folder
    for name, frame in frames.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        {
            "csv": lambda f, p: f.to_csv(p, index=False),
            "parquet": lambda f, p: f.to_parquet(p),
            "feather": lambda f, p: f.to_feather(p),
        }[kind](frame, root / name)
    return root


def wait(platform: LocalPlatform, job: BatchJob, timeout: float = 120) -> BatchJob:
    deadline = time.monotonic() + timeout
    while not job.state.terminal:
        assert time.monotonic() < deadline, f"batch job still {job.state} after {timeout}s:\n{job.log_tail}"
        time.sleep(0.2)
        job = platform.get_batch_job(job.job_id)
    return job


def outputs(platform: LocalPlatform, folder: str) -> list[str]:
    root = platform.state_dir / "buckets" / "outputs" / folder
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) if root.exists() else []


def frame(xs: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"r{i}" for i in range(len(xs))], "x": xs})


def test_every_input_row_is_scored_in_parallel_into_one_output_per_file(built) -> None:
    platform, build_id = built
    inputs(platform, "day1", {"a.csv": frame([1, 2, 3]), "sub/b.csv": frame([4.5] * 500)})
    job = platform.submit_batch_job(
        request("run-1", "day1", "scores/day1", output_type="parquet", executors=2, params={"SCORED_BY": "nightly"})
    )
    assert (job.model_id, job.build_id, job.files_total) == (MODEL, build_id, 2)  # the latest successful build
    done = wait(platform, job)
    assert done.state is BatchJobState.SUCCESSFUL, done.log_tail
    assert (done.files_done, done.rows_done) == (2, 503)
    assert outputs(platform, "scores/day1") == ["a.parquet", "sub", "sub/b.parquet"]  # no staging folder left
    scored = pd.read_parquet(platform.state_dir / "buckets" / "outputs" / "scores/day1/a.parquet")
    # The input's id is kept; x comes back from the model, not twice; params reach the model as env vars.
    assert scored.to_dict("list") == {
        "id": ["r0", "r1", "r2"],
        "x": [1.0, 2.0, 3.0],
        "y": [2.0, 4.0, 6.0],
        "scored_by": ["nightly"] * 3,
    }
    assert len(pd.read_parquet(platform.state_dir / "buckets" / "outputs" / "scores/day1/sub/b.parquet")) == 500
    assert (
        "2/2 files, 503 rows" in done.log_tail
        and "on 2 worker process(es), forked from the loaded model" in done.log_tail
    )
    assert platform.find_batch_job(request("run-1", "day1", "x")).job_id == job.job_id  # re-attach by run
    assert platform.find_batch_job(request("run-2", "day1", "x")) is None


def test_feather_in_csv_out_and_a_file_of_no_rows(built) -> None:
    platform, _ = built
    inputs(platform, "feathers", {"f.feather": frame([1.5]), "none.feather": frame([])}, kind="feather")
    done = wait(platform, platform.submit_batch_job(request("run-f", "feathers", "f", input_type="feather")))
    assert done.state is BatchJobState.SUCCESSFUL, done.log_tail
    assert pd.read_csv(platform.state_dir / "buckets/outputs/f/f.csv").to_dict("list")["y"] == [3.0]
    assert len(pd.read_csv(platform.state_dir / "buckets/outputs/f/none.csv")) == 0


def test_a_row_the_model_fails_on_is_named_and_nothing_is_written(built) -> None:
    platform, _ = built
    inputs(platform, "bad-row", {"good.csv": frame([1, 2]), "bad.csv": frame([1, 2, 3, 4, 5, -6, 7])})
    done = wait(platform, platform.submit_batch_job(request("run-b", "bad-row", "b")))
    assert done.state is BatchJobState.FAILED
    assert done.error == "bad.csv: the model failed on row 6 (counting data rows from 1): ValueError: x must be >= 0"
    assert outputs(platform, "b") == []  # not even good.csv: a failed job leaves nothing behind


def test_a_folder_named_like_an_output_fails_the_job_and_leaves_nothing_behind(built) -> None:
    platform, _ = built
    inputs(platform, "clash", {"a.csv": frame([1]), "b.csv": frame([2])})
    (platform.state_dir / "buckets" / "outputs" / "clash" / "b.csv").mkdir(parents=True)
    done = wait(platform, platform.submit_batch_job(request("run-clash", "clash", "clash")))
    assert done.state is BatchJobState.FAILED
    assert "b.csv is a folder; the output 'b.csv' would replace it" in done.error
    assert outputs(platform, "clash") == ["b.csv"]  # the folder as it was, and no a.csv


def test_a_file_that_does_not_parse_fails_the_job_naming_it(built) -> None:
    platform, _ = built
    root = inputs(platform, "unparsable", {"fine.parquet": frame([1])}, kind="parquet")
    (root / "broken.parquet").write_text("not parquet at all")
    done = wait(platform, platform.submit_batch_job(request("run-u", "unparsable", "u", input_type="parquet")))
    assert done.state is BatchJobState.FAILED
    assert done.error.startswith("broken.parquet cannot be read as parquet: ")
    assert outputs(platform, "u") == []


def test_mistakes_found_before_a_job_starts_fail_at_once(built) -> None:
    platform, _ = built
    with pytest.raises(PlatformError, match=r"buckets/inputs/missing does not exist"):
        platform.submit_batch_job(request("run-m", "missing", "m"))
    inputs(platform, "only-csv", {"a.csv": frame([1])})
    with pytest.raises(PlatformError, match=r"has no parquet file \(\.parquet, \.pq\)"):
        platform.submit_batch_job(request("run-m", "only-csv", "m", input_type="parquet"))
    with pytest.raises(PlatformError, match=r"'..' may not climb out of a bucket"):
        platform.submit_batch_job(request("run-m", "only-csv", "../../../escape"))
    with pytest.raises(PlatformError, match=r"output_file_type 'json' is not one of csv, parquet, feather"):
        platform.submit_batch_job(request("run-m", "only-csv", "m", output_type="json"))
    assert platform.find_batch_job(request("run-m", "x", "y")) is None  # no job was created


def test_task_timeout_and_job_timeout_stop_the_job(built) -> None:
    platform, _ = built
    inputs(platform, "slow", {"slow.csv": frame([1])})
    slow = {"params": {"PREDICT_SECONDS": "30"}}
    task = wait(platform, platform.submit_batch_job(request("run-t", "slow", "t", task_timeout=1, **slow)))
    assert task.state is BatchJobState.TIMED_OUT and task.error == "slow.csv took longer than task_timeout (1s)"
    job = wait(platform, platform.submit_batch_job(request("run-j", "slow", "t", job_timeout=3, **slow)))
    assert job.state is BatchJobState.TIMED_OUT
    assert job.error == "job_timeout of 3s passed with 0 of 1 file(s) done"
    assert outputs(platform, "t") == []


def test_cancel_stops_the_runner_and_its_workers(built) -> None:
    platform, _ = built
    inputs(platform, "cancel", {"c.csv": frame([1])})
    job = platform.submit_batch_job(request("run-c", "cancel", "c", params={"LOAD_SECONDS": "60"}))
    pid = platform.batch_store.row(job.job_id)["pid"]
    deadline = time.monotonic() + 60
    while not (platform.state_dir / "buckets/outputs/c").exists():  # the runner has started its workers
        assert time.monotonic() < deadline
        time.sleep(0.2)
    cancelled = platform.cancel_batch_job(job.job_id)  # while the runner loads the model
    assert cancelled.state is BatchJobState.CANCELLED
    assert not process_alive(pid)
    assert "BATCH JOB CANCELLED" in cancelled.log_tail and "failed" not in cancelled.log_tail
    assert outputs(platform, "c") == []
    assert platform.cancel_batch_job(job.job_id).state is BatchJobState.CANCELLED  # terminal stays terminal


def test_which_build_scores(built) -> None:
    platform, build_id = built
    assert platform.batch_build(MODEL, "") == build_id  # nothing deployed: the latest successful build
    assert platform.batch_build(MODEL, build_id) == build_id
    with pytest.raises(PlatformError, match=r"build_id 'nope' is not a build of model 'batch-model'"):
        platform.batch_build(MODEL, "nope")
    with pytest.raises(PlatformError, match=r"model 'other' has no build to run a batch job on"):
        platform.batch_build("other", "")
    platform.store.put_deployment(MODEL, "default", "served-build", DeploymentState.SERVING)
    assert platform.batch_build(MODEL, "") == "served-build"  # the build serving in 'default' comes first
    platform.store.put_deployment(MODEL, "default", "served-build", DeploymentState.STOPPED)  # for the next tests
    assert platform.batch_build(MODEL, "") == build_id


def test_a_model_that_does_not_load_fails_the_job_naming_the_build(built) -> None:
    platform, build_id = built
    broken = platform.store.new_build(MODEL, "broken-run", {})
    artifact = platform.state_dir / "builds" / broken / "artifact"
    shutil.copytree(platform.state_dir / "builds" / build_id / "artifact", artifact)
    (artifact / "model.pkl").write_bytes(b"not a pickle")
    platform.store.set_build(broken, state="SUCCESSFUL")
    inputs(platform, "load", {"l.csv": frame([1])})
    job = BatchJobRequest(MODEL, broken, request("run-l", "load", "l").data_spec, {"executors": 2}, "run-l")
    done = wait(platform, platform.submit_batch_job(job))
    assert done.state is BatchJobState.FAILED
    assert done.error.startswith(f"the model of build {broken} failed to load: UnpicklingError")
    assert outputs(platform, "l") == []
    platform.store.set_build(broken, state="FAILED")  # the next tests score with the good build again


def test_a_runner_with_threads_spawns_workers_that_load_the_model_themselves(built) -> None:
    platform, _ = built
    inputs(platform, "spawned", {"s1.csv": frame([1]), "s2.csv": frame([2])})
    threaded = {"OPENBLAS_NUM_THREADS": "2", "SCORED_BY": "spawned"}  # numpy then starts a thread: no fork
    done = wait(platform, platform.submit_batch_job(request("run-s", "spawned", "s", executors=2, params=threaded)))
    assert done.state is BatchJobState.SUCCESSFUL, done.log_tail
    assert "on 2 worker process(es), each loading the model" in done.log_tail
    scored = pd.read_csv(platform.state_dir / "buckets/outputs/s/s2.csv")
    assert scored.to_dict("list") == {"id": ["r0"], "x": [2.0], "y": [4.0], "scored_by": ["spawned"]}
