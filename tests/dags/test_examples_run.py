"""``airflow dags test`` on the example automation, on a fresh AIRFLOW_HOME, as a user runs it:
build the sample model from git, gate on f1_score, deploy, call the endpoint."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from frogml_airflow_provider.platform.base import DeploymentState
from frogml_airflow_provider.platform.local.platform import LocalPlatform
from tests.support.dags_test import DEPLOYS, UNREACHABLE, airflow, iris_home

pytestmark = pytest.mark.slow


@pytest.fixture
def airflow_home(tmp_path: Path, make_repo) -> Iterator[dict[str, str]]:
    with iris_home(tmp_path, make_repo(sample=True)) as env:
        yield env


def test_the_example_builds_gates_deploys_and_serves(airflow_home: dict[str, str]) -> None:
    done = airflow(airflow_home, "dags", "test", DEPLOYS)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-4000:]
    assert "state=success" in log
    assert "f1_score = " in log and "is above 0.8 (the threshold): deploy" in log
    platform = LocalPlatform(Path(airflow_home["AIRFLOW_HOME"]) / "frogml-local")
    (build,) = platform.store.builds("iris-classifier")
    assert build["state"] == "SUCCESSFUL" and json.loads(build["metrics"])["f1_score"] > 0.8
    deployment = platform.get_deployment("iris-classifier", "default")
    assert deployment is not None and deployment.state is DeploymentState.SERVING
    assert deployment.build_id == build["build_id"]
    rows = [
        {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2},
        {"sepal_length": 6.7, "sepal_width": 3.0, "petal_length": 5.2, "petal_width": 2.3},
    ]
    request = urllib.request.Request(deployment.endpoint, data=json.dumps(rows).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert json.loads(response.read()) == [{"species": 0}, {"species": 2}]
    assert platform.query("SELECT COUNT(*) FROM iris_classifier WHERE error IS NULL").single_number("q") == 1


def test_a_threshold_it_cannot_meet_skips_the_deployment(airflow_home: dict[str, str]) -> None:
    done = airflow(airflow_home, "dags", "test", UNREACHABLE)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-4000:]
    assert "state=success" in log
    assert "is not above 1.0 (the threshold): skip the deployment" in log
    platform = LocalPlatform(Path(airflow_home["AIRFLOW_HOME"]) / "frogml-local")
    assert [row["state"] for row in platform.store.builds("iris-classifier")] == ["SUCCESSFUL"]
    assert platform.store.deployments() == []
