"""What the operators produce when they succeed, against the real local platform: the asset events'
extras (Airflow's own ``OutletEventAccessors`` as the task runner gives it) and the ``OperatorLineage``
the OpenLineage provider asks for. Nothing secret in either."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest
from airflow.providers.common.compat.openlineage.facet import Dataset
from airflow.sdk.exceptions import TaskDeferred
from airflow.sdk.execution_time.context import OutletEventAccessors
from openlineage.client.serde import Serde

from frogml_airflow_provider.assets import frogml_batch_output, frogml_build, frogml_model
from frogml_airflow_provider.operators.batch import FrogMLBatchOperator
from frogml_airflow_provider.operators.build import FrogMLBuildOperator
from frogml_airflow_provider.operators.deploy import FrogMLDeployOperator
from frogml_airflow_provider.operators.gate import FrogMLBuildMetricBranchOperator
from frogml_airflow_provider.platform.base import BuildRequest
from frogml_airflow_provider.platform.local.platform import LocalPlatform
from tests.support import BATCH_MODEL, TaskInstanceXCom, spec, wait_build

MODEL = "tiny-model"
SECRET = "s3cr3t-conn-password"
CROSSING = {
    "trigger": "error_rate",
    "crossing": "c-1",
    "value": 0.3,
    "threshold": 0.2,
    "direction": "ABOVE",
    "evaluated_at": "2026-12-05T10:00:00+00:00",
    "reason": "crossed",
    "resent": False,
}


@pytest.fixture
def conn_with_password(local_conn: LocalPlatform, monkeypatch: pytest.MonkeyPatch) -> LocalPlatform:
    """The local connection, with a password an extra or a facet must never show."""
    conn = {"conn_type": "frogml", "password": SECRET, "extra": {"state_dir": str(local_conn.state_dir)}}
    monkeypatch.setenv("AIRFLOW_CONN_FROGML_DEFAULT", json.dumps(conn))
    return local_conn


def run_trigger(trigger: Any) -> dict[str, Any]:
    async def first_event() -> dict[str, Any]:
        async for event in trigger.run():
            return event.payload
        raise AssertionError("the trigger ended without an event")

    return asyncio.run(first_event())


def finish(operator: Any, context: dict[str, Any]) -> Any:
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute(context)
    return operator.execute_complete(context, run_trigger(deferred.value.trigger))


def shown(*things: Any) -> str:
    """Everything an asset event or an OpenLineage event would carry, as text."""
    return json.dumps([Serde.to_dict(t) if hasattr(t, "_get_schema") else t for t in things], default=str)


def test_build_gate_and_deploy_emit_their_assets_and_lineage(conn_with_password: LocalPlatform, make_repo) -> None:
    repo = make_repo()
    ti, events = TaskInstanceXCom("build"), OutletEventAccessors()
    context = {"ti": ti, "outlet_events": events}
    build = FrogMLBuildOperator(
        task_id="build",
        model_id=MODEL,
        automation_name="retrain",
        build_spec=spec(repo, env_vars=["METRIC_F1_SCORE=0.9"]),
        poll_interval=0.2,
        outlets=[frogml_build(MODEL)],
    )
    ti.xcom[("build", "evaluation")] = CROSSING  # as the run's first task pushes it (operators/_crossing.py)
    build_id = finish(build, context)
    built = events[frogml_build(MODEL)].extra
    assert built["build_id"] == build_id and built["metrics"] == {"f1_score": 0.9}
    assert (built["platform"], built["automation"], built["git_uri"], built["git_branch"]) == (
        "local",
        "retrain",
        str(repo),
        "main",
    )
    assert built["evaluation"] == {k: v for k, v in CROSSING.items() if k != "resent"}
    lineage = build.get_openlineage_facets_on_complete(None)
    assert lineage.inputs == [Dataset(namespace="file", name=str(repo))]
    assert lineage.outputs == [Dataset(namespace="frogml://builds", name=MODEL)]
    facet = lineage.run_facets["frogml"]
    assert (facet.build_id, facet.metrics, facet.evaluation["crossing"]) == (build_id, {"f1_score": 0.9}, "c-1")

    ti.task_id = "check_build_metric"
    gate = FrogMLBuildMetricBranchOperator(
        task_id="check_build_metric", model_id=MODEL, metric_name="f1_score", direction="ABOVE", threshold="0.5"
    )
    assert gate.choose_branch(context) == "deploy"
    decided = gate.get_openlineage_facets_on_complete(None)
    assert decided.inputs == [Dataset(namespace="frogml://builds", name=MODEL)] and decided.outputs == []
    assert decided.run_facets["frogml"].gate["passed"] is True

    ti.task_id = "deploy"
    deploy = FrogMLDeployOperator(
        task_id="deploy",
        model_id=MODEL,
        automation_name="retrain",
        deployment_spec={"variation_name": "blue", "environments": ["prod"]},
        poll_interval=0.2,
        outlets=[frogml_model(MODEL, "blue")],
    )
    endpoint = finish(deploy, context)
    deployed = events[frogml_model(MODEL, "blue")].extra
    assert (deployed["build_id"], deployed["endpoint"], deployed["variation"]) == (build_id, endpoint, "blue")
    assert deployed["gate"] == {
        "metric": "f1_score",
        "value": 0.9,
        "direction": "ABOVE",
        "threshold": 0.5,
        "against": "the threshold",
        "passed": True,
    }
    assert (deployed["metrics"], deployed["platform"], deployed["environments"]) == (
        {"f1_score": 0.9},
        "local",
        ["prod"],
    )
    assert deployed["evaluation"]["trigger"] == "error_rate"
    lineage = deploy.get_openlineage_facets_on_complete(None)
    assert lineage.inputs == [Dataset(namespace="frogml://builds", name=MODEL)]
    assert lineage.outputs == [Dataset(namespace="frogml://models", name=f"{MODEL}/blue")]
    assert (lineage.run_facets["frogml"].endpoint, lineage.run_facets["frogml"].build_id) == (endpoint, build_id)
    text = shown(built, deployed, *lineage.run_facets.values(), *decided.run_facets.values())
    assert SECRET not in text and str(conn_with_password.state_dir) not in text


def test_an_operator_without_the_outlet_emits_nothing_and_still_succeeds(local_conn: LocalPlatform, make_repo) -> None:
    events = OutletEventAccessors()
    build = FrogMLBuildOperator(task_id="build", model_id=MODEL, build_spec=spec(make_repo()), poll_interval=0.2)
    finish(build, {"ti": TaskInstanceXCom("build"), "outlet_events": events})
    assert len(events) == 0 and build.lineage_extra is None


def test_extras_drop_credentials_and_stay_strict_json(local_conn: LocalPlatform) -> None:
    """A URL with a login (git, an endpoint) loses it; a gate with nothing to beat (-inf) becomes null."""
    ti, events = TaskInstanceXCom("deploy"), OutletEventAccessors()
    ti.xcom[("check_build_metric", "gate")] = {"metric": "f1", "threshold": float("-inf"), "passed": True}
    deploy = FrogMLDeployOperator(task_id="deploy", model_id=MODEL, deployment_spec={}, outlets=[frogml_model(MODEL)])
    event = {"build_id": "b-1", "state": "SERVING", "endpoint": "https://user:tok3n@ml.example.invalid/p?key=tok3n"}
    deploy._finish({"ti": ti, "outlet_events": events}, event)
    extra = events[frogml_model(MODEL)].extra
    assert extra["endpoint"] == "https://ml.example.invalid/p" and extra["gate"]["threshold"] is None
    assert "tok3n" not in json.dumps(extra, allow_nan=False)
    build = FrogMLBuildOperator(
        task_id="build", model_id=MODEL, build_spec={"git_uri": "https://x:tok3n@git.example.invalid/r.git"}
    )
    lineage = build.get_openlineage_facets_on_failure(None)
    assert lineage.inputs == [Dataset(namespace="https://git.example.invalid", name="r.git")] and lineage.outputs == []
    assert "tok3n" not in shown(*lineage.run_facets.values())


def test_a_sql_threshold_names_the_analytics_tables_it_reads(local_conn: LocalPlatform) -> None:
    gate = FrogMLBuildMetricBranchOperator(
        task_id="check_build_metric",
        model_id=MODEL,
        metric_name="f1_score",
        direction="ABOVE",
        threshold="SELECT AVG(f1) FROM scores s JOIN baselines b ON s.m = b.m",
    )
    lineage = gate.get_openlineage_facets_on_complete(None)
    assert lineage.inputs == [
        Dataset(namespace="frogml://builds", name=MODEL),
        Dataset(namespace="frogml-analytics://local", name="scores"),
        Dataset(namespace="frogml-analytics://local", name="baselines"),
    ]


def test_run_batch_attaches_its_output_folder_to_the_alias(local_conn: LocalPlatform, make_repo) -> None:
    repo = make_repo(files={"main/model.py": BATCH_MODEL.replace("BatchModel", "TinyModel")})
    build = wait_build(local_conn, local_conn.submit_build(BuildRequest(MODEL, spec(repo), "build-run")))
    assert build.state.value == "SUCCESSFUL", build.log_tail
    source = local_conn.state_dir / "buckets" / "in" / "2024-03-09"
    source.mkdir(parents=True)
    pd.DataFrame({"id": ["a"], "x": [1.0]}).to_csv(source / "rows.csv", index=False)
    alias, events = frogml_batch_output("retrain"), OutletEventAccessors()
    operator = FrogMLBatchOperator(
        task_id="run_batch",
        model_id=MODEL,
        data_specifications={
            "source_bucket": "in",
            "source_folder": "{%Y-%m-%d}",
            "input_file_type": "csv",
            "destination_bucket": "out",
            "destination_folder": "scores/{%Y-%m-%d}",
            "output_file_type": "csv",
        },
        execution_specifications={"executors": 1},
        poll_interval=0.2,
        outlets=[alias],
    )
    ti = TaskInstanceXCom("run_batch")
    job_id = finish(operator, {"ti": ti, "outlet_events": events, "logical_date": datetime(2024, 3, 9, tzinfo=UTC)})
    (event,) = events[alias].asset_alias_events
    out = local_conn.state_dir / "buckets" / "out" / "scores" / "2024-03-09"
    assert event.dest_asset_key.uri == out.as_uri()
    assert (event.extra["job_id"], event.extra["rows"], event.extra["source"]) == (job_id, 1, source.as_uri())
    lineage = operator.get_openlineage_facets_on_complete(None)
    assert lineage.inputs == [Dataset(namespace="file", name=str(source))]
    assert lineage.outputs == [Dataset(namespace="file", name=str(out))]
    assert lineage.run_facets["frogml"].job_id == job_id


def test_a_metric_based_run_reads_the_tables_of_the_watched_metric(local_conn: LocalPlatform) -> None:
    """The watcher's trigger sits in the first task's inlets (dags/render.py): its query's tables are inputs."""
    from airflow.sdk import Asset, AssetWatcher

    from frogml_airflow_provider.triggers.metric import FrogMLMetricTrigger

    trigger = FrogMLMetricTrigger(
        dag_id="retrain",
        automation_name="retrain",
        model_id=MODEL,
        trigger_name="error_rate",
        sql_query="SELECT AVG(error) FROM tiny_model_predictions",
        direction="ABOVE",
        threshold="0.2",
        cron="*/15 * * * *",
        evaluate_at_start=False,
    )
    watched = Asset(uri="frogml-metric://retrain", watchers=[AssetWatcher(name="w", trigger=trigger)])
    build = FrogMLBuildOperator(
        task_id="build", model_id=MODEL, build_spec={"git_uri": "/srv/git/m.git"}, inlets=[watched]
    )
    assert build.get_openlineage_facets_on_complete(None).inputs == [
        Dataset(namespace="file", name="/srv/git/m.git"),
        Dataset(namespace="frogml-analytics://local", name="tiny_model_predictions"),
    ]
