"""The provider in a production-shaped Airflow: PostgreSQL, Redis, CeleryExecutor with two Celery
workers, the API server, scheduler, triggerer and dag-processor, each a real process, running
twenty generated DAGs at once against the JFrog ML backend (a loopback control plane).

Every run succeeds with exactly one build; the worker running one build task is killed (SIGKILL to
its whole process group) while the task is inside BuildModel, and the retry, on the other worker,
re-attaches to that build instead of starting a second one.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from frogml_airflow_provider.cli import main as cli
from tests.support.cluster import Cluster, Postgres, Redis, missing_services, wait_for

pytestmark = [pytest.mark.distributed, pytest.mark.sdk]

DAGS = 20
KILLED = "dist_00"  # the DAG whose build task loses its worker
AUTOMATION = """
from frogml.core.automations import *

automation = Automation(
    name="{name}",
    model_id="{model}",
    trigger=NoneTrigger(),
    execute_immediately=True,  # one run as soon as the DAG is active
    action=FrogmlBuildDeploy(
        BuildSpecifications(git_uri="https://github.com/acme/models.git#churn", tags=["nightly"]),
        BuildMetric("f1_score", ThresholdDirection.ABOVE, "0.8"),
        DeploymentSpecifications(number_of_pods=1),
    ),
)
"""


@pytest.fixture(scope="module")
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The loopback JFrog ML control plane of the backend's tests (tests/support/jfrog.py)."""
    missing = missing_services()
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (scripts/test.sh installs them as root)")
    pytest.importorskip("grpc")
    previous = os.environ.get("HOME")
    os.environ["HOME"] = str(tmp_path_factory.mktemp("sdk-home"))  # the SDK writes ~/.frogml at import
    try:
        from frogml_airflow_provider.platform.jfrog import _sdk

        sdk = _sdk.load()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import frogml_services_mock.services_mock  # noqa: F401
    finally:
        if previous is None:
            os.environ.pop("HOME", None)
        else:
            os.environ["HOME"] = previous
    from tests.support.jfrog import start_control_plane

    plane = start_control_plane(sdk)
    yield plane
    plane.server.stop(0)


class BuildBehaviour:
    """Builds succeed (f1 0.9) on their second poll; the killed DAG's BuildModel call blocks until
    released, so that its worker is inside the task when it dies. Deployments serve when polled."""

    def __init__(self, plane: Any, blocked_model: str) -> None:
        self.plane = plane
        self.blocked_model = blocked_model
        self.arrived, self.release = threading.Event(), threading.Event()
        self.polls: Counter[str] = Counter()
        self._given = plane.builds.given_build
        plane.builds.given_build = self.given_build  # called by BuildModel once the build is registered
        plane.builds.on_get = self.on_get
        plane.deployments.auto_serve = True

    def given_build(self, build: Any) -> None:
        self._given(build)
        if build.model_uuid == self.plane.models.models[self.blocked_model].uuid and not self.arrived.is_set():
            self.arrived.set()
            self.release.wait(120)

    def on_get(self, build: Any) -> None:
        self.polls[build.buildId] += 1
        if self.polls[build.buildId] == 2:
            self.plane.set_status(build.buildId, "SUCCESSFUL", {"f1_score": 0.9})


@pytest.fixture
def cluster(tmp_path: Path, control_plane: Any) -> Iterator[Cluster]:
    from tests.support.jfrog import connection

    home, dags = tmp_path / "home", tmp_path / "dags"
    home.mkdir()
    assert cli(["init", str(dags)]) == 0
    for i in range(DAGS):
        model = f"model_{i:02d}"
        control_plane.create_model(model)
        (dags / "automations" / f"dist_{i:02d}.py").write_text(AUTOMATION.format(name=f"dist_{i:02d}", model=model))
    postgres, redis = Postgres(), Redis(tmp_path)
    cluster = Cluster(home, dags, postgres, redis)
    extra = dict(
        AIRFLOW_CONN_FROGML_DEFAULT=connection(control_plane.port),
        AIRFLOW__FROGML__POLL_INTERVAL="1",
        AIRFLOW__FROGML__TRIGGER_INITIAL_DELAY="0",
        AIRFLOW__CORE__DEFAULT_TASK_RETRIES="2",
        AIRFLOW__CORE__DEFAULT_TASK_RETRY_DELAY="1",
        AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT="20",
        AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL="3",
        AIRFLOW__CORE__PARALLELISM="32",
        # A killed worker's prefetched, unstarted task messages come back only after the broker's
        # visibility timeout (Airflow's default: a day): a minute here, so no run waits for them.
        AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT="60",
        # A task the killed worker had received but not started stays queued in Airflow: requeued
        # after a minute instead of Airflow's ten.
        AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT="60",
    )
    try:
        postgres.start()
        redis.start()
        cluster.configure(**extra)
        cluster.airflow("db", "migrate")
        cluster.start("api-server", "api-server", "--host", "127.0.0.1", "--port", cluster.env["AIRFLOW__API__PORT"])
        cluster.start("dag-processor", "dag-processor")
        cluster.start("scheduler", "scheduler")
        cluster.start("triggerer", "triggerer")
        for worker in ("worker-1", "worker-2"):
            cluster.start(worker, "celery", "worker", "-H", worker, "--concurrency", "4", "--skip-serve-logs")
        yield cluster
    finally:
        cluster.stop()
        redis.stop()
        postgres.stop()


def test_twenty_runs_on_celery_workers_one_build_each_and_a_killed_worker_re_attaches(
    cluster: Cluster, control_plane: Any
) -> None:
    behaviour = BuildBehaviour(control_plane, blocked_model="model_00")
    try:
        wait_for(
            f"{DAGS} DAGs serialized by the dag-processor",
            lambda: cluster.postgres.query("SELECT count(*) FROM serialized_dag")[0][0] == DAGS,
            240,
            cluster.log("dag-processor"),
        )
        assert behaviour.arrived.wait(240), "the killed DAG's build never reached BuildModel"
        pid = wait_for(
            "the build task's process id",
            lambda: cluster.postgres.query(
                "SELECT pid FROM task_instance WHERE dag_id = %s AND task_id = 'build' AND pid IS NOT NULL", KILLED
            ),
            60,
        )[0][0]
        worker = cluster.owner_of(pid)
        assert worker in ("worker-1", "worker-2"), f"pid {pid} is not in a worker's process tree"
        cluster.kill(worker)
    finally:
        behaviour.release.set()

    def finished() -> list[tuple[str, str]]:
        runs = cluster.postgres.query("SELECT dag_id, state FROM dag_run ORDER BY dag_id")
        done = [run for run in runs if run[1] in ("success", "failed")]
        return runs if len(done) == DAGS else []

    runs = wait_for(f"{DAGS} finished DAG runs", finished, 420, cluster.log("scheduler"))
    assert runs == [(f"dist_{i:02d}", "success") for i in range(DAGS)]
    # Exactly one build per run: one BuildModel request per model (each DAG has its own model).
    built = Counter(request.build_spec.build_properties.model_id for request in control_plane.orchestrator.requests)
    assert built == {f"model_{i:02d}": 1 for i in range(DAGS)}
    # The killed task was retried (a second try) and that try re-attached to the first build.
    ((tries, state),) = cluster.postgres.query(
        "SELECT try_number, state FROM task_instance WHERE dag_id = %s AND task_id = 'build'", KILLED
    )
    assert (tries, state) == (2, "success")
    deployed = Counter(request.build_id for request in control_plane.deployments.requests)
    assert len(deployed) == DAGS and set(deployed.values()) == {1}
