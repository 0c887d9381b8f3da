"""``airflow dags test`` on the example automation, on a fresh AIRFLOW_HOME, as a user runs it:
build the sample model from git, gate on f1_score, deploy, call the endpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from frogml_airflow_provider.cli import main as cli
from frogml_airflow_provider.platform.base import DeploymentState
from frogml_airflow_provider.platform.local.platform import LocalPlatform
from tests.support import EXAMPLES

pytestmark = pytest.mark.slow

UNREACHABLE = "retrain_iris_unreachable"


@pytest.fixture
def airflow_home(tmp_path: Path, make_repo) -> dict[str, str]:
    home, dags = tmp_path / "home", tmp_path / "dags"
    assert cli(["init", str(dags)]) == 0
    example = (EXAMPLES / "automations" / "iris_classifier.py").read_text()
    (dags / "automations" / "iris_classifier.py").write_text(example)
    unreachable = example.replace('"retrain_iris_classifier"', f'"{UNREACHABLE}"').replace(
        'threshold="0.8"', 'threshold="1.0"'
    )
    assert unreachable != example
    (dags / "automations" / "iris_unreachable.py").write_text(unreachable)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PYTHONWARNINGS": "ignore",
        "FROGML_SAMPLE_MODEL_REPO": str(make_repo(sample=True)),
    }
    airflow(env, "db", "migrate")
    yield env
    LocalPlatform(home / "frogml-local").shutdown()


def airflow(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(Path(sys.executable).with_name("airflow")), *args], env=env, capture_output=True, text=True, timeout=600
    )
    return done


def test_the_example_builds_gates_deploys_and_serves(airflow_home: dict[str, str]) -> None:
    done = airflow(airflow_home, "dags", "test", "retrain_iris_classifier")
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
