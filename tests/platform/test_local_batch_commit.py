"""A batch job's outputs go into their destination all or nothing (``batch_runner.commit``), on real
folders: a target that is a folder, a path through a file, another file system, and a rename that
fails midway (injected) leave the destination exactly as it was, replaced files included."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from frogml_airflow_provider.platform.local import batch_runner
from frogml_airflow_provider.platform.local.batch_runner import JobFailed, commit

OUTPUTS = ["a.csv", "sub/b.csv", "z.csv"]


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` (staging folder left out) with its text; folders as ``/``."""
    return {
        p.relative_to(root).as_posix(): (p.read_text() if p.is_file() else "/")
        for p in sorted(root.rglob("*"))
        if not p.relative_to(root).as_posix().startswith(".frogml-batch-")
    }


def staged(destination: Path) -> Path:
    staging = destination / ".frogml-batch-job1"
    for name in OUTPUTS:
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
        (staging / name).write_text(f"new {name}")
    return staging


def test_every_output_goes_into_place_and_replaces_an_old_one(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("old a")
    commit(staged(tmp_path), tmp_path, OUTPUTS)
    assert tree(tmp_path) == {"a.csv": "new a.csv", "sub": "/", "sub/b.csv": "new sub/b.csv", "z.csv": "new z.csv"}
    assert not (tmp_path / ".frogml-batch-job1").exists()


def test_a_folder_named_like_an_output_leaves_nothing_behind(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("old a")
    (tmp_path / "z.csv").mkdir()
    before = tree(tmp_path)
    with pytest.raises(JobFailed, match=r"no output was written into .*z\.csv is a folder; the output 'z.csv'"):
        commit(staged(tmp_path), tmp_path, OUTPUTS)
    assert tree(tmp_path) == before


def test_a_file_where_an_output_needs_a_folder_is_named(tmp_path: Path) -> None:
    (tmp_path / "sub").write_text("a file")
    before = tree(tmp_path)
    with pytest.raises(JobFailed, match=r"sub is a file where the output 'sub/b.csv' needs a folder"):
        commit(staged(tmp_path), tmp_path, OUTPUTS)
    assert tree(tmp_path) == before


@pytest.mark.skipif(not os.path.isdir("/dev/shm"), reason="needs a second file system (/dev/shm)")
def test_an_output_on_another_file_system_is_refused_before_any_rename(tmp_path: Path) -> None:
    other = Path(tempfile.mkdtemp(dir="/dev/shm"))
    try:
        if other.stat().st_dev == tmp_path.stat().st_dev:
            pytest.skip("/dev/shm is on the same file system here")
        (tmp_path / "sub").symlink_to(other)
        before = tree(tmp_path)
        with pytest.raises(JobFailed, match="is on another file system than"):
            commit(staged(tmp_path), tmp_path, OUTPUTS)
        assert tree(tmp_path) == before and list(other.iterdir()) == []
    finally:
        for path in other.iterdir():
            path.unlink()
        other.rmdir()


def test_a_rename_failing_midway_takes_back_every_output_and_restores_replaced_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.csv").write_text("old a")
    before = tree(tmp_path)
    real = os.replace

    def replace(source: str | Path, target: str | Path) -> None:
        if Path(target) == tmp_path / "z.csv":  # the last output: two are in place already
            raise OSError(18, "Invalid cross-device link")
        real(source, target)

    monkeypatch.setattr(batch_runner.os, "replace", replace)
    with pytest.raises(JobFailed, match=r"Invalid cross-device link.*nothing was left there"):
        commit(staged(tmp_path), tmp_path, OUTPUTS)
    assert tree(tmp_path) == before  # a.csv is the old one again, sub/ is gone


def test_a_rollback_that_cannot_finish_keeps_the_replaced_files_and_says_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.csv").write_text("old a")
    staging = staged(tmp_path)
    real = os.replace

    def replace(source: str | Path, target: str | Path) -> None:
        if Path(target) == tmp_path / "z.csv" or (Path(target) == tmp_path / "a.csv" and "replaced" in str(source)):
            raise OSError(5, "Input/output error")  # the last output, and putting the old a.csv back
        real(source, target)

    monkeypatch.setattr(batch_runner.os, "replace", replace)
    with pytest.raises(JobFailed, match=r"could not be taken back.*kept in .*\.replaced") as raised:
        commit(staging, tmp_path, OUTPUTS)
    assert raised.value.keep and (staging / ".replaced" / "a.csv").read_text() == "old a"
