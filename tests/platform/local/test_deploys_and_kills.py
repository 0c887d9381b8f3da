"""The local platform under concurrency and kills: deploys at once leave one known server, a
build stops at its own deadline or when its deferred task is killed, a lost or broken registry
says so."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from frogml_airflow_provider.platform.base import BuildRequest, BuildState, DeploymentState, PlatformError
from frogml_airflow_provider.platform.local.platform import LocalPlatform
from frogml_airflow_provider.platform.local.processes import process_alive
from tests.support import spec, wait_build, wait_serving

DEPLOY = """
import sys
from frogml_airflow_provider.platform.local.platform import LocalPlatform
LocalPlatform(sys.argv[1]).deploy("tiny-model", sys.argv[2], {"variation_name": "default"})
"""


def servers_of(state_dir: Path) -> set[int]:
    """Every model server process running from this state folder, found from /proc alone."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [w.decode(errors="replace") for w in argv]
        ours = "frogml_airflow_provider.platform.local.server" in words and str(state_dir) in words
        if ours and process_alive(int(entry.name)):
            found.add(int(entry.name))
    return found


def settle(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "did not settle"
        time.sleep(0.2)


def test_deploys_at_once_leave_one_server_and_shutdown_reaches_all(local_platform: LocalPlatform, make_repo) -> None:
    repo = make_repo()
    first = wait_build(local_platform, local_platform.submit_build(BuildRequest("tiny-model", spec(repo), "r1")))
    second = wait_build(local_platform, local_platform.submit_build(BuildRequest("tiny-model", spec(repo), "r2")))
    workers = [  # two Airflow workers deploying the same model and variation at the same moment
        subprocess.Popen([sys.executable, "-c", DEPLOY, str(local_platform.state_dir), build.build_id])
        for build in (first, second, first)
    ]
    assert all(worker.wait(60) == 0 for worker in workers)
    serving = wait_serving(local_platform, "tiny-model")
    assert serving.state is DeploymentState.SERVING
    pid = local_platform.store.deployment_row("tiny-model", "default")["pid"]
    settle(lambda: servers_of(local_platform.state_dir) == {pid})  # the others stopped themselves or were stopped
    assert [row["pid"] for row in local_platform.store.servers()] == [pid]
    local_platform.shutdown()
    assert servers_of(local_platform.state_dir) == set()


def test_a_build_stops_at_its_own_deadline_without_a_trigger(local_platform: LocalPlatform, make_repo) -> None:
    request = BuildRequest("tiny-model", spec(make_repo(), env_vars=["BUILD_SECONDS=120"]), "r", timeout=3)
    started = local_platform.submit_build(request)
    pid = local_platform.store.build_row(started.build_id)["pid"]
    done = wait_build(local_platform, started, timeout=30)
    assert done.state is BuildState.TIMED_OUT and "did not finish within 3 s" in done.error
    settle(lambda: not process_alive(pid), timeout=10)
    assert "BUILD TIMED OUT" in local_platform.get_build(started.build_id).log_tail
    assert local_platform.store.build_row(started.build_id)["state"] == "TIMED_OUT"  # recorded by the build itself


def test_killing_the_deferred_task_cancels_its_build(local_platform: LocalPlatform, make_repo, monkeypatch) -> None:
    """Airflow's triggerer calls the trigger's on_kill when a deferred task is cleared or marked failed."""
    from airflow.jobs import triggerer_job_runner as triggerer

    from frogml_airflow_provider.triggers.build import FrogMLBuildTrigger

    monkeypatch.setenv("AIRFLOW_DISABLE_GREENBACK_PORTAL", "true")
    started = local_platform.submit_build(
        BuildRequest("tiny-model", spec(make_repo(), env_vars=["BUILD_SECONDS=120"]), "r")
    )
    pid = local_platform.store.build_row(started.build_id)["pid"]
    trigger = FrogMLBuildTrigger(
        platform=local_platform.locator(), build_id=started.build_id, deadline=time.time() + 600, poll_interval=0.2
    )

    async def clear_the_task() -> None:
        runner = triggerer.TriggerRunner()
        runner.triggers[1] = {"task": None, "name": "build", "events": 0, "is_watcher": False}  # type: ignore[typeddict-item]
        task = asyncio.create_task(runner.run_trigger(1, trigger))
        runner.triggers[1]["task"] = task
        await asyncio.sleep(1.0)  # it polls the running build
        runner.to_cancel.append(1)  # what a clear or mark-failed of the deferred task does
        await runner.cancel_triggers()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(clear_the_task())
    assert local_platform.get_build(started.build_id).state is BuildState.CANCELLED
    assert not process_alive(pid)


def test_a_deleted_state_folder_is_named_with_the_fix(local_platform: LocalPlatform, make_repo) -> None:
    done = wait_build(local_platform, local_platform.submit_build(BuildRequest("tiny-model", spec(make_repo()), "r")))
    local_platform.deploy("tiny-model", done.build_id, {})
    wait_serving(local_platform, "tiny-model")
    server = local_platform.store.deployment_row("tiny-model", "default")["pid"]
    shutil.rmtree(local_platform.state_dir)
    with pytest.raises(PlatformError) as lost:
        local_platform.get_build(done.build_id)  # this thread still holds a connection to the deleted file
    message = str(lost.value)
    assert str(local_platform.state_dir / "platform.db") in message and "deleted" in message
    settle(lambda: not process_alive(server), timeout=15)  # an orphaned server stops itself
    assert not local_platform.state_dir.exists()  # and reading recreated nothing


def test_a_corrupt_registry_is_named_with_the_fix(tmp_path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "platform.db").write_bytes(b"this is not a database" * 100)
    platform = LocalPlatform(state)
    for call in (lambda: platform.find_build("m", "r"), lambda: platform.builds(), lambda: platform.get_build("b")):
        with pytest.raises(PlatformError) as broken:
            call()
        assert f"{state / 'platform.db'} is not a readable SQLite database" in str(broken.value)
        assert f"mv {state / 'platform.db'} {state / 'platform.db'}.broken" in str(broken.value)
    assert os.path.getsize(state / "platform.db") == 2200  # left as it was for the user to inspect
