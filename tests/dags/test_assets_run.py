"""Assets out and in, with Airflow's own machinery on a fresh AIRFLOW_HOME: ``airflow dags test`` of the
iris automation deploys and emits the model's asset event (extra in the metadata DB); the scheduler's
own step creates a run of the example DAG scheduled on that asset, and ``airflow tasks test`` of that
run reads the event and calls the endpoint. A run whose gate fails emits no model event and starts nothing.
The OpenLineage provider's own file transport records the runs: one START/COMPLETE pair per operator,
with the datasets and the ``frogml`` run facet, and not the notification's secret webhook URL."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from frogml_airflow_provider.assets import build_uri, model_uri
from frogml_airflow_provider.platform.local.platform import LocalPlatform
from tests.support import EXAMPLES
from tests.support.dags_test import DEPLOYS, UNREACHABLE, airflow, iris_home

pytestmark = pytest.mark.slow

SMOKE = "smoke_test_iris_classifier"
# One step of the scheduler's loop: create the DAG runs that are due, asset-triggered ones included.
SCHEDULER_STEP = """
from airflow.jobs.job import Job
from airflow.jobs.scheduler_job_runner import SchedulerJobRunner
from airflow.utils.session import create_session
from airflow.utils.sqlalchemy import prohibit_commit

with create_session() as session, prohibit_commit(session) as guard:
    SchedulerJobRunner(job=Job())._create_dagruns_for_dags(guard, session)
"""
WEBHOOK_TOKEN = "EXAMPLE-NOT-A-REAL-TOKEN-42"
SECRETS = ("password", WEBHOOK_TOKEN)


@pytest.fixture
def airflow_home(tmp_path: Path, make_repo, receiver) -> Iterator[dict[str, str]]:
    env = {
        "FROGML_DEMO_WEBHOOK_URL": f"{receiver.url}/hook?token={WEBHOOK_TOKEN}",  # the automation's on_success
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
            {"type": "file", "log_file_path": str(tmp_path / "lineage.jsonl"), "append": True}
        ),
        "AIRFLOW__OPENLINEAGE__NAMESPACE": "frogml-tests",
    }
    with iris_home(tmp_path, make_repo(sample=True), also=(EXAMPLES / "smoke_test_iris.py",), env=env) as environment:
        yield environment


def scheduler_step(env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-c", SCHEDULER_STEP], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


def events(home: Path, uri: str) -> list[dict]:
    with sqlite3.connect(home / "airflow.db") as db:
        rows = db.execute(
            "SELECT e.extra FROM asset_event e JOIN asset a ON a.id = e.asset_id WHERE a.uri = ? ORDER BY e.id", (uri,)
        ).fetchall()
    return [json.loads(extra) for (extra,) in rows]


def smoke_runs(home: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(home / "airflow.db") as db:
        return db.execute("SELECT run_id, run_type FROM dag_run WHERE dag_id = ?", (SMOKE,)).fetchall()


def test_a_deploy_emits_the_model_asset_and_the_dag_scheduled_on_it_runs(airflow_home: dict[str, str]) -> None:
    env = airflow_home
    home = Path(env["AIRFLOW_HOME"])

    # A gate that fails: the build's event, no model event, nothing queued for the smoke test.
    done = airflow(env, "dags", "test", UNREACHABLE)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    (built,) = events(home, build_uri("iris-classifier"))
    assert built["metrics"]["f1_score"] > 0 and built["automation"] == UNREACHABLE
    assert events(home, model_uri("iris-classifier", "default")) == []
    scheduler_step(env)
    assert smoke_runs(home) == []

    # A gate that passes: the deploy's event carries what was deployed, and the smoke test is due.
    done = airflow(env, "dags", "test", DEPLOYS)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    (deployed,) = events(home, model_uri("iris-classifier", "default"))
    platform = LocalPlatform(home / "frogml-local")
    serving = platform.get_deployment("iris-classifier", "default")
    assert serving is not None
    assert deployed["build_id"] == serving.build_id and deployed["endpoint"] == serving.endpoint
    assert deployed["gate"]["passed"] is True and deployed["gate"]["metric"] == "f1_score"
    assert deployed["metrics"]["f1_score"] == deployed["gate"]["value"]
    assert (deployed["platform"], deployed["automation"], deployed["variation"]) == (
        "local",
        "retrain_iris_classifier",
        "default",
    )
    assert deployed["evaluation"] is None  # a scheduled automation: no metric crossing
    assert len(events(home, build_uri("iris-classifier"))) == 2
    text = json.dumps(deployed)
    assert not any(secret in text for secret in SECRETS), text

    scheduler_step(env)
    ((run_id, run_type),) = smoke_runs(home)
    assert run_type == "asset_triggered"
    done = airflow(env, "tasks", "test", SMOKE, "call_endpoint", run_id)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-4000:]
    assert f"Build {serving.build_id} of iris-classifier serves at {serving.endpoint}" in log
    assert "the endpoint answered [{'species': 0}, {'species': 2}]" in log

    lineage = (home.parent / "lineage.jsonl").read_text()
    assert WEBHOOK_TOKEN not in lineage
    runs = [json.loads(line) for line in lineage.splitlines()]
    retrain = [e for e in runs if e["job"]["name"].startswith("retrain_iris_classifier.")]
    operators = ("build", "check_build_metric", "deploy")
    for task in operators:
        mine = [e for e in retrain if e["job"]["name"] == f"retrain_iris_classifier.{task}"]
        # One OpenLineage run per task, deferred ones (build, deploy) included: START, then COMPLETE.
        assert [e["eventType"] for e in mine] == ["START", "COMPLETE"], task
        assert len({e["run"]["runId"] for e in mine}) == 1, task
    done_ = {e["job"]["name"].split(".", 1)[1]: e for e in retrain if e["eventType"] == "COMPLETE"}
    build, gate, deploy = (done_[task] for task in operators)
    assert build["inputs"][0]["namespace"] == "file" and build["inputs"][0]["name"].endswith("repo")
    assert [(d["namespace"], d["name"]) for d in build["outputs"]] == [("frogml://builds", "iris-classifier")]
    assert build["run"]["facets"]["frogml"]["build_id"] == serving.build_id
    assert gate["run"]["facets"]["frogml"]["gate"]["passed"] is True
    assert [(d["namespace"], d["name"]) for d in deploy["outputs"]] == [("frogml://models", "iris-classifier/default")]
    assert deploy["run"]["facets"]["frogml"]["endpoint"] == serving.endpoint
