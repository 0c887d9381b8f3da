"""A model variation keeps its URL across deploys, and a redeploy drops no request: clients calling
in a loop through two redeploys see only answers (first from the old build, then from the new)."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

from frogml_airflow_provider.platform.base import Build, BuildRequest, DeploymentState
from frogml_airflow_provider.platform.local.platform import LocalPlatform, process_alive
from tests.support import spec, wait_build, wait_serving

CLIENTS = 3


def build(platform: LocalPlatform, repo: Path, key: str, factor: int) -> Build:
    request = BuildRequest("tiny-model", spec(repo, env_vars=[f"FACTOR={factor}"]), key)
    return wait_build(platform, platform.submit_build(request))


def predict(url: str, rows: object) -> tuple[int, object]:
    request = urllib.request.Request(url, data=json.dumps(rows).encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_redeploy_keeps_the_url_and_drops_no_request(local_platform: LocalPlatform, make_repo) -> None:
    repo = make_repo()
    builds = [build(local_platform, repo, f"run-{factor}", factor) for factor in (2, 3, 4)]
    local_platform.deploy("tiny-model", builds[0].build_id, {})
    first = wait_serving(local_platform, "tiny-model")
    assert first.state is DeploymentState.SERVING
    url = first.endpoint

    answers: Counter[object] = Counter()
    failures: list[str] = []
    done = threading.Event()

    def client() -> None:
        while not done.is_set():
            try:
                status, body = predict(url, [{"x": 1}])
                answers[(status, str(body))] += 1
                if status != 200:
                    failures.append(f"{status} {body}")
            except OSError as error:  # refused, reset, timed out: a dropped request
                failures.append(repr(error))

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        for later in builds[1:]:
            time.sleep(0.5)
            old_pid = local_platform.store.deployment_row("tiny-model", "default")["pid"]
            assert local_platform.deploy("tiny-model", later.build_id, {}).endpoint == url
            swapped = wait_serving(local_platform, "tiny-model")
            assert (swapped.state, swapped.build_id, swapped.endpoint) == (
                DeploymentState.SERVING,
                later.build_id,
                url,
            )
            deadline = time.monotonic() + 30
            while process_alive(old_pid):  # the replaced server finishes and exits meanwhile
                assert time.monotonic() < deadline, "the replaced server still runs"
                time.sleep(0.1)
            time.sleep(0.5)  # calls answered by the new server alone
    finally:
        done.set()
        for thread in threads:
            thread.join(timeout=30)
    assert failures == []
    # Each build answered: 1 * 2, then 1 * 3, then 1 * 4.
    assert {body for (_, body) in answers} == {"[{'y': 2.0}]", "[{'y': 3.0}]", "[{'y': 4.0}]"}, answers


def test_a_port_taken_meanwhile_moves_the_endpoint(local_platform: LocalPlatform, make_repo) -> None:
    """Stopped, its port taken by another program: the next deploy serves on a new port (said by the
    endpoint it returns), rather than failing."""
    done = build(local_platform, make_repo(), "run-1", 2)
    local_platform.deploy("tiny-model", done.build_id, {})
    url = wait_serving(local_platform, "tiny-model").endpoint
    local_platform.stop_deployment("tiny-model", "default")
    port = int(url.split(":")[2].split("/")[0])
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen(1)
        local_platform.deploy("tiny-model", done.build_id, {})
        moved = wait_serving(local_platform, "tiny-model")
        assert moved.state is DeploymentState.SERVING and moved.endpoint != url
        assert predict(moved.endpoint, [{"x": 1}])[0] == 200
