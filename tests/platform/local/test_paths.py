"""Identifiers never become paths outside the local platform's state folder."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from frogml_airflow_provider.platform.base import BuildRequest, PlatformError
from frogml_airflow_provider.platform.local.paths import StateDir, UnsafePathError
from frogml_airflow_provider.platform.local.platform import LocalPlatform
from tests.support import spec, wait_build

UNSAFE = ["../../../tmp/x", "a/b", "/tmp/absolute", "..", ".", "", "a\\b", "~root", "nul\0byte"]


@pytest.mark.parametrize("name", UNSAFE)
def test_a_name_that_is_not_one_plain_segment_is_refused(tmp_path, name: str) -> None:
    with pytest.raises(UnsafePathError, match="refusing model_id") as refused:
        StateDir(tmp_path / "state").inside("model_id", name)
    assert "one plain name" in str(refused.value) and str(tmp_path / "state") in str(refused.value)


def test_a_symlink_out_of_the_state_folder_is_refused(tmp_path) -> None:
    state = StateDir(tmp_path / "state")
    (tmp_path / "state" / "builds").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "state" / "builds" / "b-1").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(UnsafePathError, match="outside the local platform's state folder"):
        state.build_dir("b-1")
    assert state.build_dir("b-2") == tmp_path / "state" / "builds" / "b-2"
    assert state.deployment_dir("churn.v2", "default") == tmp_path / "state" / "deployments" / "churn.v2-default"


@pytest.mark.parametrize("form", ["../../../{}", "a/{}", "/tmp/{}"])
def test_a_build_of_an_unsafe_model_id_writes_nothing(local_platform: LocalPlatform, make_repo, form: str) -> None:
    name = f"escaped-{uuid.uuid4().hex[:8]}"
    with pytest.raises(PlatformError, match=r"refusing model_id .* one plain name"):
        local_platform.submit_build(BuildRequest(form.format(name), spec(make_repo()), "run-1"))
    assert local_platform.builds() == []
    for folder in (local_platform.state_dir.parents[1], Path("/tmp"), local_platform.state_dir / "builds" / "a"):
        assert not list(folder.glob(f"{name}*")), folder


def test_a_deploy_of_an_unsafe_model_id_or_variation_is_refused(local_platform: LocalPlatform, make_repo) -> None:
    done = wait_build(local_platform, local_platform.submit_build(BuildRequest("tiny", spec(make_repo()), "r")))
    for model_id, variation, field in [
        ("../../../escaped", "default", "model_id"),
        ("a/b", "default", "model_id"),
        ("/tmp/escaped-abs", "default", "model_id"),
        ("tiny", "../x", "variation_name"),
    ]:
        with pytest.raises(UnsafePathError, match=f"refusing {field}"):
            local_platform.deploy(model_id, done.build_id, {"variation_name": variation})
    assert local_platform.deployments() == [] and local_platform.store.servers() == []
    assert not (local_platform.state_dir / "deployments").exists()


def test_a_main_dir_or_subdir_outside_the_repository_fails_the_build(local_platform: LocalPlatform, make_repo) -> None:
    repo = make_repo()
    escaped = wait_build(
        local_platform, local_platform.submit_build(BuildRequest("tiny", spec(repo, main_dir="../.."), "r"))
    )
    assert escaped.state.value == "FAILED" and "main_dir '../..' points outside the repository" in escaped.error
    sub = wait_build(
        local_platform, local_platform.submit_build(BuildRequest("tiny", spec(f"{repo}#../..", main_dir="main"), "s"))
    )
    assert sub.state.value == "FAILED" and "points outside the repository" in sub.error
