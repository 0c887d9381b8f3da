"""A whole automation run (``dag.test()``) on JFrog ML: build -> gate on the build's metric ->
deploy, against the loopback control plane, with the ``frogml_default`` connection pointing at it.

The control plane moves builds along as the platform would: a build turns SUCCESSFUL (with the
metrics its model logged) on its second poll, and a deployment serves when first polled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from airflow.dag_processing.dagbag import DagBag

from frogml_airflow_provider.cli import main as cli
from frogml_airflow_provider.platform.jfrog._mapping import run_tag
from tests.support.jfrog import ENV_ID, MODEL, MODEL_API, connection

pytestmark = [pytest.mark.sdk, pytest.mark.airflow_db]

AUTOMATION = """
from frogml.core.automations import *

automation = Automation(
    name="{name}",
    model_id="{model}",
    trigger=NoneTrigger(),
    action=FrogmlBuildDeploy(
        BuildSpecifications(git_uri="https://github.com/acme/models.git#churn", tags=["nightly"],
                            env_vars=["STAGE=prod"]),
        BuildMetric("f1_score", ThresholdDirection.ABOVE, "0.8"),
        DeploymentSpecifications(number_of_pods=1, variation_name="default"),
    ),
)
"""


@pytest.fixture
def dags(airflow_db: Path, control_plane, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AIRFLOW__FROGML__POLL_INTERVAL", "0.2")
    monkeypatch.setenv("AIRFLOW_CONN_FROGML_DEFAULT", connection(control_plane.port))
    folder = airflow_db / "dags"
    assert cli(["init", str(folder)]) == 0
    names = {"jfrog_met": None, "jfrog_not_met": None}
    for name in names:
        (folder / "automations" / f"{name}.py").write_text(AUTOMATION.format(name=name, model=MODEL))
    bag = DagBag(dag_folder=str(folder))
    assert bag.import_errors == {}
    yield bag.dags
    for name in names:
        (folder / "automations" / f"{name}.py").unlink()


def progress_builds(control_plane, f1_score: float) -> None:
    polls: dict[str, int] = {}

    def on_get(build: Any) -> None:
        polls[build.buildId] = polls.get(build.buildId, 0) + 1
        if polls[build.buildId] == 2:
            control_plane.set_status(build.buildId, "SUCCESSFUL", {"f1_score": f1_score})

    control_plane.builds.on_get = on_get
    control_plane.deployments.auto_serve = True


def states(run: Any) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


def xcom(run: Any, task_id: str, key: str) -> Any:
    (ti,) = [ti for ti in run.get_task_instances() if ti.task_id == task_id]
    return ti.xcom_pull(task_ids=task_id, key=key)


def test_a_good_build_is_deployed_on_jfrog_ml(dags, control_plane) -> None:
    progress_builds(control_plane, 0.91)
    run = dags["jfrog_met"].test()
    assert states(run) == {
        "build": "success",
        "check_build_metric": "success",
        "deploy": "success",
        "skip_deploy": "skipped",
    }
    (request,) = control_plane.orchestrator.requests
    build_id = request.build_spec.build_properties.build_id
    key = f"jfrog_met/{run.run_id}/build"  # the build operator's run key: one build per run, across retries
    assert list(request.build_spec.build_properties.tags) == ["nightly", run_tag(key)]
    assert xcom(run, "build", "build_id") == build_id
    assert xcom(run, "build", "metrics") == {"f1_score": 0.91}
    (deployed,) = control_plane.deployments.requests
    assert deployed.build_id == build_id and list(deployed.environment_to_deployment) == [ENV_ID]
    assert xcom(run, "deploy", "endpoint") == f"{MODEL_API}/v1/{MODEL}/predict"


def test_a_retried_build_task_re_attaches_instead_of_building_again(control_plane, monkeypatch) -> None:
    """The worker dies after BuildModel; Airflow retries the task: it finds the run's build by tag."""
    from airflow.sdk.exceptions import TaskDeferred

    from frogml_airflow_provider.operators.build import FrogMLBuildOperator
    from tests.support import TaskInstanceXCom

    monkeypatch.setenv("AIRFLOW_CONN_FROGML_DEFAULT", connection(control_plane.port))
    spec = {"git_uri": "https://github.com/acme/models.git", "tags": ["nightly"]}
    ti = TaskInstanceXCom("build")
    attempts = []
    for _ in range(2):
        operator = FrogMLBuildOperator(task_id="build", model_id=MODEL, build_spec=spec, poll_interval=0.1)
        with pytest.raises(TaskDeferred) as deferred:
            operator.execute({"ti": ti})  # type: ignore[arg-type]
        attempts.append(deferred.value.trigger.build_id)
    assert attempts[0] == attempts[1] and len(control_plane.orchestrator.requests) == 1
    control_plane.set_status(attempts[0], "FAILED")  # after a failure, a retry builds anew
    operator = FrogMLBuildOperator(task_id="build", model_id=MODEL, build_spec=spec, poll_interval=0.1)
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute({"ti": ti})  # type: ignore[arg-type]
    assert deferred.value.trigger.build_id != attempts[0] and len(control_plane.orchestrator.requests) == 2


def test_a_build_below_the_threshold_is_not_deployed(dags, control_plane) -> None:
    progress_builds(control_plane, 0.5)
    run = dags["jfrog_not_met"].test()
    assert states(run)["deploy"] == "skipped" and states(run)["check_build_metric"] == "success"
    assert len(control_plane.orchestrator.requests) == 1 and control_plane.deployments.requests == []
