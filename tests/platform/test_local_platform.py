"""The local platform for real: git repositories, subprocess builds, a model server, SQL analytics."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path

import pytest

from frogml_airflow_provider.platform.base import (
    Build,
    BuildRequest,
    BuildState,
    DeploymentState,
    PlatformError,
    QueryShapeError,
)
from frogml_airflow_provider.platform.local.platform import LocalPlatform, process_alive
from tests.support import spec, wait_build, wait_serving


def build(platform: LocalPlatform, repo: Path | str, key: str = "run-1", **extra: object) -> Build:
    return wait_build(platform, platform.submit_build(BuildRequest("tiny-model", spec(repo, **extra), key)))


def predict(endpoint: str, rows: object) -> tuple[int, object]:
    request = urllib.request.Request(endpoint, data=json.dumps(rows).encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_build_clones_builds_and_records_metrics(local_platform: LocalPlatform, make_repo) -> None:
    repo = make_repo(subdir="models/tiny")
    done = build(local_platform, f"{repo}#models/tiny", env_vars=["METRIC_F1_SCORE=0.75", "METRIC_AUC=0.5"])
    assert done.state is BuildState.SUCCESSFUL, done.log_tail
    assert done.metrics == {"f1_score": 0.75, "auc": 0.5}
    assert "BUILD SUCCESSFUL" in done.log_tail
    assert (local_platform.state_dir / "builds" / done.build_id / "artifact" / "model.pkl").exists()


def test_branch_is_honoured(local_platform: LocalPlatform, make_repo) -> None:
    repo = make_repo(branch="release")
    assert build(local_platform, repo, git_branch="release").state is BuildState.SUCCESSFUL
    missing = build(local_platform, repo, key="run-2", git_branch="nope")
    assert missing.state is BuildState.FAILED
    assert "git clone of branch 'nope' failed" in missing.error


def test_a_failing_build_fails_with_its_reason_and_log(local_platform: LocalPlatform, make_repo) -> None:
    done = build(local_platform, make_repo(), env_vars=["BUILD_FAILS=1"])
    assert done.state is BuildState.FAILED
    assert "RuntimeError: training data is missing" in done.error
    assert "Traceback" in done.log_tail and "training data is missing" in done.log_tail


def test_a_repository_without_the_main_dir_fails_clearly(local_platform: LocalPlatform, make_repo) -> None:
    done = build(local_platform, make_repo(), main_dir="src")
    assert done.state is BuildState.FAILED and "no main_dir 'src'" in done.error


def test_cancel_stops_the_build_process(local_platform: LocalPlatform, make_repo) -> None:
    started = local_platform.submit_build(
        BuildRequest("tiny-model", spec(make_repo(), env_vars=["BUILD_SECONDS=60"]), "slow")
    )
    pid = local_platform.store.build_row(started.build_id)["pid"]
    cancelled = local_platform.cancel_build(started.build_id, timed_out=True)
    assert cancelled.state is BuildState.TIMED_OUT
    assert not process_alive(pid)
    assert local_platform.cancel_build(started.build_id).state is BuildState.TIMED_OUT  # terminal stays terminal


def test_a_build_whose_process_died_is_failed(local_platform: LocalPlatform, make_repo) -> None:
    started = local_platform.submit_build(
        BuildRequest("tiny-model", spec(make_repo(), env_vars=["BUILD_SECONDS=60"]), "killed")
    )
    os.killpg(local_platform.store.build_row(started.build_id)["pid"], 9)
    done = wait_build(local_platform, started, timeout=10)
    assert done.state is BuildState.FAILED and "exited without a result" in done.error


def test_find_build_returns_the_runs_build(local_platform: LocalPlatform, make_repo) -> None:
    done = build(local_platform, make_repo(), key="dag/run/build")
    assert local_platform.find_build("tiny-model", "dag/run/build") == done
    assert local_platform.find_build("tiny-model", "dag/other/build") is None


def test_the_git_token_never_reaches_disk(local_platform: LocalPlatform, make_repo) -> None:
    token = "ghp_SECRET_TOKEN_0123456789"
    request = BuildRequest("tiny-model", spec(make_repo()), "tok", git_token=token)
    done = wait_build(local_platform, local_platform.submit_build(request))
    assert done.state is BuildState.SUCCESSFUL
    assert token not in repr(request)
    for path in local_platform.state_dir.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path


def test_deploy_serves_predictions_and_records_them(local_platform: LocalPlatform, make_repo) -> None:
    repo = make_repo()
    first = build(local_platform, repo, env_vars=["FACTOR=2"])
    local_platform.deploy("tiny-model", first.build_id, {"variation_name": "default"})
    serving = wait_serving(local_platform, "tiny-model")
    assert serving.state is DeploymentState.SERVING and serving.build_id == first.build_id
    assert predict(serving.endpoint, [{"x": 1.5}, {"x": 2}]) == (200, [{"y": 3.0}, {"y": 4.0}])
    assert predict(serving.endpoint, {"columns": ["x"], "data": [[5]]}) == (200, [{"y": 10.0}])
    status, body = predict(serving.endpoint, [{"nope": 1}])
    assert status == 400 and "x" in body["error"]
    rows = local_platform.query("SELECT status, error IS NULL, latency_ms > 0 FROM tiny_model ORDER BY ts").rows
    assert rows == ((200, 1, 1), (200, 1, 1), (400, 0, 1))

    # Redeploying swaps the build, and the old server goes away.
    second = build(local_platform, repo, key="run-2", env_vars=["FACTOR=3"])
    old_pid = local_platform.store.deployment_row("tiny-model", "default")["pid"]
    local_platform.deploy("tiny-model", second.build_id, {"variation_name": "default"})
    swapped = wait_serving(local_platform, "tiny-model")
    assert swapped.build_id == second.build_id
    assert predict(swapped.endpoint, [{"x": 1}]) == (200, [{"y": 3.0}])
    deadline = time.monotonic() + 10
    while process_alive(old_pid):
        assert time.monotonic() < deadline, "the replaced server still runs"
        time.sleep(0.1)

    # Deploying what already serves is a no-op.
    assert local_platform.deploy("tiny-model", second.build_id, {}).endpoint == swapped.endpoint


def test_only_a_successful_build_can_be_deployed(local_platform: LocalPlatform, make_repo) -> None:
    failed = build(local_platform, make_repo(), env_vars=["BUILD_FAILS=1"])
    with pytest.raises(PlatformError, match="it is FAILED"):
        local_platform.deploy("tiny-model", failed.build_id, {})


def test_a_model_that_cannot_load_fails_its_deployment(local_platform: LocalPlatform, make_repo) -> None:
    done = build(local_platform, make_repo())
    (local_platform.state_dir / "builds" / done.build_id / "artifact" / "model.pkl").write_bytes(b"not a pickle")
    local_platform.deploy("tiny-model", done.build_id, {})
    failed = wait_serving(local_platform, "tiny-model")
    assert failed.state is DeploymentState.FAILED and "model failed to load" in failed.error


def test_analytics_queries_are_read_only_and_shape_checked(local_platform: LocalPlatform) -> None:
    local_platform.analytics.ensure_table("churn-model")
    local_platform.analytics.record(
        "churn-model",
        variation="default",
        build_id="b",
        request="{}",
        response="[]",
        latency_ms=12.5,
        error=None,
        status=200,
    )
    assert local_platform.query("SELECT AVG(latency_ms) FROM churn_model").single_number("q") == 12.5
    with pytest.raises(PlatformError, match=r"readonly|read-only"):
        local_platform.query("DELETE FROM churn_model")
    with pytest.raises(PlatformError, match="no such table: nope"):
        local_platform.query("SELECT 1 FROM nope")
    shapes = {
        "SELECT latency_ms FROM churn_model WHERE 0": "0 row(s) x 1 column(s)",
        "SELECT 1 UNION ALL SELECT 2": "2 row(s) x 1 column(s)",
        "SELECT 1, 2": "1 row(s) x 2 column(s)",
        "SELECT 'high'": "must return a number; it returned 'high'",
        "SELECT NULL AS v": "must return a number; it returned None in column 'v'",
    }
    for sql, message in shapes.items():
        with pytest.raises(QueryShapeError, match=message.replace("(", r"\(").replace(")", r"\)")):
            local_platform.query(sql).single_number("the threshold query")
