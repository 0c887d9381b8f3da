"""The local platform on one machine: several worker processes share one state folder safely;
a folder or a trigger from another machine fails at once, saying to use the JFrog ML backend."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from frogml_airflow_provider.platform.base import PlatformError
from frogml_airflow_provider.platform.local.machine import MARKER, claim, this_machine
from frogml_airflow_provider.platform.local.platform import LocalPlatform
from frogml_airflow_provider.platform.registry import platform_from_locator


def _worker(state_dir: str, worker: int, builds: int) -> None:
    """What a worker process does to the registry: open the platform, record builds, read them back."""
    platform = LocalPlatform(state_dir)
    assert claim(Path(state_dir)) == this_machine()  # as every write path does first; six claim at once
    for number in range(builds):
        build_id = platform.store.new_build(f"model-{worker}", f"dag/run_{number}/build", {"git_uri": "/repo"})
        assert platform.store.build_row(build_id) is not None


def test_worker_processes_on_one_machine_share_one_state_folder(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    context = multiprocessing.get_context("spawn")  # fresh interpreters, as Celery workers are
    processes = [context.Process(target=_worker, args=(str(state_dir), worker, 25)) for worker in range(6)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    assert [process.exitcode for process in processes] == [0] * 6
    platform = LocalPlatform(state_dir)
    assert len(platform.store.builds()) == 150
    assert json.loads((state_dir / MARKER).read_text())["machine"] == this_machine()


def test_a_state_folder_of_another_machine_fails_at_once(tmp_path: Path) -> None:
    state_dir = tmp_path / "shared-over-nfs"
    state_dir.mkdir()
    (state_dir / MARKER).write_text(json.dumps({"machine": "worker-a/0123456789abcdef"}))
    with pytest.raises(PlatformError) as raised:
        LocalPlatform(state_dir)
    message = str(raised.value)
    assert "worker-a/0123456789abcdef" in message and str(state_dir / MARKER) in message
    assert "JFrog ML backend" in message and this_machine() in message
    assert not (state_dir / "platform.db").exists()  # nothing written into another machine's folder


def test_a_trigger_from_another_machine_fails_at_once(tmp_path: Path) -> None:
    locator = LocalPlatform(tmp_path / "state").locator()
    assert locator["machine"] == this_machine()
    assert isinstance(platform_from_locator(json.loads(json.dumps(locator))), LocalPlatform)  # as stored
    with pytest.raises(PlatformError, match="JFrog ML backend") as raised:
        platform_from_locator({**locator, "machine": "worker-b/fedcba9876543210"})
    assert "worker-b/fedcba9876543210" in str(raised.value)


def test_a_build_started_elsewhere_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(PlatformError, match=r"lives on the machine that started it.*JFrog ML backend"):
        LocalPlatform(tmp_path / "state").get_build("model-20261203-abcdef12")


def test_reading_an_unused_state_folder_claims_nothing(tmp_path: Path) -> None:
    state_dir = tmp_path / "never-used"
    platform = LocalPlatform(state_dir)
    assert platform.builds() == [] and platform.locator()["machine"] == this_machine()
    assert not state_dir.exists()  # a page view or a status check writes nothing
