"""One local batch job, run in its own process: the model over every input file, in parallel.

    python -m frogml_airflow_provider.platform.local.batch_runner STATE_DIR JOB_ID

As on JFrog ML, each input file is one task, read whole and passed to the model's ``predict`` as
one frame; ``executors`` worker processes take tasks in turn; ``params`` reach the model as
environment variables. The runner loads the build's model once and forks the workers from it
(see ``prepare``). ``task_timeout`` bounds each file and
``job_timeout`` the whole job (seconds, 0: unbounded here; the operator still bounds its wait).

Outputs are written to a hidden staging folder inside the destination and renamed into place
only once every file succeeded, all or nothing (``commit``): a failed, cancelled or timed-out job
leaves no output behind, and no reader ever sees a half-written file.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import shutil
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from frogml_airflow_provider.platform.base import BatchJobState
from frogml_airflow_provider.platform.local.batch_files import (
    STAGING_PREFIX,
    BatchFileError,
    merged,
    predictions_frame,
    read_frame,
    write_frame,
)
from frogml_airflow_provider.platform.local.batch_store import BatchStore
from frogml_airflow_provider.platform.local.store import Store

_LOADED: Any = None  # the model, loaded by the runner before it forks its workers
MATH_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
FORK_AWARE_THREADS = {"jemalloc_bg_thd"}  # pyarrow's allocator: its pthread_atfork handlers make a fork safe
POLL = 0.1  # seconds between checks of the timeouts while waiting on the workers
BISECT_TRIES = 24  # predictions spent finding the row a model fails on (2**24 rows)


class JobFailed(Exception):
    def __init__(self, message: str, state: BatchJobState = BatchJobState.FAILED, *, keep: bool = False) -> None:
        super().__init__(message)
        self.state = state
        self.keep = keep  # the staging folder holds files a failed rollback could not put back: keep it


class Cancelled(BaseException):  # like KeyboardInterrupt: past every `except Exception` (model code too)
    """SIGTERM: the platform cancels the job."""


def run(state_dir: Path, job_id: str) -> int:
    jobs = BatchStore(Store(state_dir))
    plan = json.loads((state_dir / "batch" / job_id / "job.json").read_text())
    staging = Path(plan["destination"]) / f"{STAGING_PREFIX}{job_id}"

    def cancel(*_: Any) -> None:
        raise Cancelled()

    signal.signal(signal.SIGTERM, cancel)
    if not jobs.start(job_id):
        print(f"batch job {job_id} was cancelled before it started", flush=True)
        return 1
    try:
        rows = execute(plan, staging, progress=lambda files, rows: jobs.set(job_id, files_done=files, rows_done=rows))
        # From here the job is done: a cancel arriving now must not leave half the outputs in place.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        commit(staging, Path(plan["destination"]), plan["outputs"])
    except Cancelled:
        # The platform records the state (cancelled, or timed out) once this process is gone.
        shutil.rmtree(staging, ignore_errors=True)
        print("BATCH JOB CANCELLED", flush=True)
        return 1
    except JobFailed as error:
        if not error.keep:
            shutil.rmtree(staging, ignore_errors=True)
        print(f"BATCH JOB {error.state.value}: {error}", flush=True)
        jobs.finish_if_running(job_id, error.state, str(error))
        return 1
    except Exception as error:  # noqa: BLE001 - anything else fails the job, with its traceback in the log
        shutil.rmtree(staging, ignore_errors=True)
        traceback.print_exc()
        jobs.finish_if_running(job_id, BatchJobState.FAILED, f"{type(error).__name__}: {error}")
        return 1
    if jobs.finish_if_running(job_id, BatchJobState.SUCCESSFUL, ""):
        print(
            f"BATCH JOB SUCCESSFUL: {len(plan['inputs'])} file(s), {rows} row(s) in {plan['destination']}", flush=True
        )
    return 0


def execute(plan: dict[str, Any], staging: Path, progress: Any) -> int:
    """Run every task on the workers; the rows scored. Raises JobFailed naming the file at fault."""
    inputs, outputs = plan["inputs"], plan["outputs"]
    job_timeout, task_timeout = int(plan["job_timeout"] or 0), int(plan["task_timeout"] or 0)
    started = time.monotonic()
    staging.mkdir(parents=True, exist_ok=True)
    method = prepare(plan)
    context: Any = multiprocessing.get_context(method)
    tasks: Any = context.Queue()
    results: Any = context.Queue()
    workers = [
        context.Process(
            target=work,
            args=(plan["build_dir"], plan["params"], plan["input_file_type"], plan["output_file_type"], tasks, results),
            daemon=True,
        )
        for _ in range(max(1, min(int(plan["executors"] or 1), len(inputs))))
    ]
    for worker in workers:
        worker.start()
    # Only now: the first put starts the queue's feeder thread, which a forked worker must not inherit.
    for index, (source, target) in enumerate(zip(inputs, outputs, strict=True)):
        tasks.put((index, str(Path(plan["source"]) / source), str(staging / target), source))
    for _ in workers:
        tasks.put(None)
    how = "forked from the loaded model" if method == "fork" else "each loading the model"
    count = f"{len(inputs)} file(s) on {len(workers)} worker process(es)"
    print(f"running {count}, {how}; build {plan['build_id']}", flush=True)
    running: dict[int, tuple[int, float]] = {}  # worker pid -> (task index, started)
    done = rows = 0
    try:
        while done < len(inputs):
            try:
                message = results.get(timeout=POLL)
            except queue.Empty:
                message = None
            if message is not None:
                kind, pid, *rest = message
                if kind == "start":
                    running[pid] = (rest[0], time.monotonic())
                elif kind == "done":
                    index, count = rest
                    running.pop(pid, None)
                    done, rows = done + 1, rows + count
                    progress(done, rows)
                    print(f"{done}/{len(inputs)} files, {rows} rows: {inputs[index]} ({count} rows)", flush=True)
                else:  # "error": the message names the file
                    raise JobFailed(rest[0])
            now = time.monotonic()
            if job_timeout and now - started > job_timeout:
                raise JobFailed(
                    f"job_timeout of {job_timeout}s passed with {done} of {len(inputs)} file(s) done",
                    BatchJobState.TIMED_OUT,
                )
            for index, since in running.values():
                if task_timeout and now - since > task_timeout:
                    raise JobFailed(
                        f"{inputs[index]} took longer than task_timeout ({task_timeout}s)", BatchJobState.TIMED_OUT
                    )
            if message is None and not any(worker.is_alive() for worker in workers) and results.empty():
                busy = ", ".join(inputs[index] for index, _ in running.values()) or "no file"
                codes = ", ".join(str(worker.exitcode) for worker in workers)
                raise JobFailed(f"the worker processes exited (codes {codes}) while on {busy}; see the job's log")
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
    return rows


def prepare(plan: dict[str, Any]) -> str:
    """Load the model here, once, and say how to start the workers: "fork" them from this process
    (they share the loaded model; starting one costs milliseconds, not an interpreter importing
    frogml) while it is single-threaded, natively too, as forking is safe only then; else "spawn"
    clean interpreters, each loading the model itself."""
    global _LOADED
    os.environ.update({str(k): str(v) for k, v in plan["params"].items()})  # as JFrog ML passes parameters
    for name in MATH_THREADS:  # executors are the parallelism: one math thread each, unless told otherwise
        os.environ.setdefault(name, "1")
    _LOADED = load_model(plan["build_dir"])
    if _single_threaded():
        return "fork"
    _LOADED = None
    return "spawn"


def load_model(build_dir: str) -> Any:
    from frogml_airflow_provider.platform.local.server import load

    try:
        return load(Path(build_dir))
    except Exception as error:  # noqa: BLE001 - reported as the job's failure
        traceback.print_exc()
        raise JobFailed(f"the model of build {Path(build_dir).name} failed to load: {_reason(error)}") from None


def _single_threaded() -> bool:
    """No thread but this one, save allocator threads that handle a fork themselves."""
    try:
        tasks = os.listdir("/proc/self/task")
        names = [Path(f"/proc/self/task/{task}/comm").read_text().strip() for task in tasks]
    except OSError:
        return False
    return sum(1 for name in names if name not in FORK_AWARE_THREADS) == 1


def commit(staging: Path, destination: Path, outputs: list[str]) -> None:
    """Every output into place, all or nothing, then the staging folder away.

    Each rename is atomic, but a job's outputs are many renames: every target is checked first
    (``check_targets``), and a rename that still fails (a mount appearing midway, a folder created
    meanwhile) moves back every output already placed, and restores the files they replaced, before
    the error propagates, so a failed job leaves the destination as it found it.
    """
    check_targets(staging, destination, outputs)
    kept = staging / ".replaced"  # the files the outputs replace, until every output is in place
    made: list[Path] = []  # folders this commit created, removed again on a rollback
    placed: list[tuple[Path, Path, Path | None]] = []  # (output in staging, target, replaced file kept)
    try:
        for name in outputs:
            target = destination / name
            for folder in reversed([target.parent, *target.parent.parents]):
                if folder in made or folder.is_dir():
                    continue
                folder.mkdir()
                made.append(folder)
            backup: Path | None = None
            if target.exists() or target.is_symlink():
                backup = kept / name
                backup.parent.mkdir(parents=True, exist_ok=True)
                os.replace(target, backup)
            placed.append((staging / name, target, backup))
            os.replace(staging / name, target)
    except BaseException as error:
        undone = _roll_back(placed, made)
        if not isinstance(error, Exception):
            raise  # Ctrl-C: undone as well, then it goes on
        said = (
            "nothing was left there: every output placed was taken back"
            if undone
            else f"some outputs could not be taken back: check {destination}; the files they replaced are "
            f"kept in {kept}"
        )
        raise JobFailed(
            f"the outputs could not be put into {destination} ({_reason(error)}); {said}", keep=not undone
        ) from None
    shutil.rmtree(staging, ignore_errors=True)


def check_targets(staging: Path, destination: Path, outputs: list[str]) -> None:
    """Refuse, before any rename, a target that is a folder, a path through a file, or a target on
    another file system than the staging folder (a rename cannot cross it)."""
    device = staging.stat().st_dev
    problems: list[str] = []
    for name in outputs:
        target = destination / name
        if target.is_dir() and not target.is_symlink():
            problems.append(f"{target} is a folder; the output {name!r} would replace it")
            continue
        blocked = next((p for p in target.parents if p.exists() and not p.is_dir()), None)
        if blocked is not None and (blocked == destination or destination in blocked.parents):
            problems.append(f"{blocked} is a file where the output {name!r} needs a folder")
            continue
        existing = next(p for p in (target.parent, *target.parent.parents) if p.exists())
        if existing.stat().st_dev != device:
            problems.append(f"{existing} is on another file system than {staging.parent}; a rename cannot cross it")
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise JobFailed(f"no output was written into {destination}: {shown}")


def _roll_back(placed: list[tuple[Path, Path, Path | None]], made: list[Path]) -> bool:
    """Undo ``commit``'s renames, last first; False when something could not be undone."""
    complete = True
    for staged, target, backup in reversed(placed):
        try:
            if os.path.lexists(target) and not os.path.lexists(staged):
                os.replace(target, staged)
            if backup is not None and os.path.lexists(backup):
                os.replace(backup, target)
        except OSError:
            complete = False
    for folder in reversed(made):
        try:
            folder.rmdir()
        except OSError:
            complete = False
    return complete


def work(build_dir: str, params: dict[str, str], input_type: str, output_type: str, tasks: Any, results: Any) -> None:
    """A worker process: load the model once, then score files until the queue says stop."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.environ.update({str(k): str(v) for k, v in params.items()})  # as JFrog ML passes parameters
    pid = os.getpid()
    model = _LOADED  # forked from the runner: loaded there already
    if model is None:
        try:
            model = load_model(build_dir)
        except JobFailed as error:
            results.put(("error", pid, str(error)))
            return
    while (task := tasks.get()) is not None:
        index, source, target, shown = task
        results.put(("start", pid, index))
        try:
            count = score_file(model, Path(source), Path(target), input_type, output_type, shown)
        except BatchFileError as error:
            results.put(("error", pid, str(error)))
            return
        except Exception as error:  # noqa: BLE001
            traceback.print_exc()
            results.put(("error", pid, f"{shown}: {_reason(error)}"))
            return
        results.put(("done", pid, index, count))


def score_file(model: Any, source: Path, target: Path, input_type: str, output_type: str, shown: str) -> int:
    """Predict one file into ``target``; the number of rows. Errors name the file (and the row)."""
    frame = read_frame(source, input_type, shown)
    if len(frame) == 0:
        write_frame(frame, target, output_type)
        return 0
    try:
        predictions = model.predict(frame.copy())
    except Exception as error:  # noqa: BLE001 - the model's own failure: find the row it fails on
        row = failing_row(model, frame)
        where = f" on row {row + 1} (counting data rows from 1)" if row is not None else ""
        raise BatchFileError(f"{shown}: the model failed{where}: {_reason(error)}") from None
    write_frame(merged(frame, predictions_frame(predictions, len(frame), shown)), target, output_type)
    return len(frame)


def failing_row(model: Any, frame: Any) -> int | None:
    """The index of a row the model fails on alone, by bisection; None when no single row does."""

    def fails(part: Any) -> bool:
        try:
            model.predict(part.copy())
        except Exception:  # noqa: BLE001
            return True
        return False

    low, high = 0, len(frame)
    for _ in range(BISECT_TRIES):
        if high - low <= 1:
            break
        middle = (low + high) // 2
        if fails(frame.iloc[low:middle]):
            high = middle
        elif fails(frame.iloc[middle:high]):
            low = middle
        else:
            return None
    return low if high - low == 1 and fails(frame.iloc[low:high]) else None


def _reason(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1]), sys.argv[2]))
