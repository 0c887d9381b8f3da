"""The bar: a ``dag.test()`` of a batch automation on the local platform, after a build, writes the
predictions of every input row; notifications fire as for build-deploy (once, on the run's outcome)."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pandas as pd
import pytest
from airflow.dag_processing.dagbag import DagBag

from frogml_airflow_provider.cli import main as cli
from frogml_airflow_provider.platform.local.platform import LocalPlatform
from tests.support import BATCH_MODEL

pytestmark = pytest.mark.slow

BUILD = """
from frogml.core.automations import *

automation = Automation(
    name="batch_model_build",
    model_id="batch-model",
    trigger=NoneTrigger(),
    action=FrogmlBuildDeploy(
        BuildSpecifications(git_uri="{repo}"),
        BuildMetric("f1_score", ThresholdDirection.ABOVE, "0.5"),
        DeploymentSpecifications(),
    ),
)
"""
BATCH = """
from frogml.core.automations import *

automation = Automation(
    name="{name}",
    model_id="batch-model",
    trigger=NoneTrigger(),
    action=BatchExecution(
        data_specifications=BatchJobDataSpecifications(
            source_bucket="incoming", source_folder="{source}", input_file_type="csv",
            destination_bucket="file://{destination}", destination_folder="scores/{{%Y-%m-%d}}",
            output_file_type="parquet",
        ),
        execution_specifications=BatchJobExecutionSpecifications(executors=2, params={{"SCORED_BY": "{name}"}}),
    ),
    on_success=CustomWebhook(url="{url}/success", http_method="POST"),
    on_error=CustomWebhook(url="{url}/error", http_method="POST"),
)
"""


@pytest.fixture
def dags(airflow_db: Path, local_conn: LocalPlatform, make_repo, receiver, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("AIRFLOW__FROGML__POLL_INTERVAL", "0.3")
    folder = airflow_db / "dags"
    assert cli(["init", str(folder)]) == 0
    repo = make_repo(files={"main/model.py": BATCH_MODEL.replace("BatchModel", "TinyModel")})
    files = {
        "batch_model_build": BUILD.format(repo=repo),
        "batch_scores": BATCH.format(name="batch_scores", source="good", destination=tmp_path, url=receiver.url),
        "batch_bad_row": BATCH.format(name="batch_bad_row", source="bad", destination=tmp_path, url=receiver.url),
    }
    for name, text in files.items():
        (folder / "automations" / f"{name}.py").write_text(text)
    incoming = local_conn.state_dir / "buckets" / "incoming"
    (incoming / "good").mkdir(parents=True)
    pd.DataFrame({"id": range(250), "x": [float(i) for i in range(250)]}).to_csv(incoming / "good/a.csv", index=False)
    pd.DataFrame({"id": ["p", "q"], "x": [0.5, 1.5]}).to_csv(incoming / "good/b.csv", index=False)
    (incoming / "bad").mkdir()
    pd.DataFrame({"id": ["p", "q", "r"], "x": [1.0, -1.0, 2.0]}).to_csv(incoming / "bad/c.csv", index=False)
    bag = DagBag(dag_folder=str(folder))
    assert bag.import_errors == {}
    yield bag.dags
    for name in files:
        (folder / "automations" / f"{name}.py").unlink()


def states(run) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


def test_after_a_build_a_batch_run_scores_every_input_row(dags, local_conn: LocalPlatform, receiver, tmp_path) -> None:
    built = dags["batch_model_build"].test()
    assert str(built.state) == "success", states(built)
    (build,) = local_conn.store.builds("batch-model")
    run = dags["batch_scores"].test()
    assert str(run.state) == "success", states(run)
    when = (run.logical_date or run.run_after).astimezone(UTC)
    scores = tmp_path / "scores" / when.strftime("%Y-%m-%d")
    assert sorted(p.name for p in scores.iterdir()) == ["a.parquet", "b.parquet"]
    a = pd.read_parquet(scores / "a.parquet")
    assert a["id"].tolist() == list(range(250)) and a["y"].tolist() == [2.0 * i for i in range(250)]
    assert set(a["scored_by"]) == {"batch_scores"}
    assert pd.read_parquet(scores / "b.parquet").to_dict("list") == {
        "id": ["p", "q"],
        "x": [0.5, 1.5],
        "y": [1.0, 3.0],
        "scored_by": ["batch_scores"] * 2,
    }
    (job,) = local_conn.batch_jobs("batch-model")
    assert (job.build_id, job.files_done, job.rows_done) == (build["build_id"], 2, 252)  # the deployed build
    (request,) = [r for r in receiver.requests if r["path"] in ("/success", "/error")]
    assert request["path"] == "/success" and request["json"]["status"] == "SUCCESSFUL"
    assert request["json"]["automation"] == "batch_scores" and request["json"]["build_id"] == build["build_id"]


def test_a_row_the_model_fails_on_fails_the_run_and_notifies_once(dags, local_conn, receiver, tmp_path) -> None:
    assert str(dags["batch_model_build"].test().state) == "success"
    receiver.requests.clear()
    run = dags["batch_bad_row"].test()
    assert str(run.state) == "failed", states(run)
    (request,) = receiver.requests
    assert request["path"] == "/error" and request["json"]["status"] == "FAILED"
    (job,) = local_conn.batch_jobs("batch-model")
    assert job.error == "c.csv: the model failed on row 2 (counting data rows from 1): ValueError: x must be >= 0"
    assert not (tmp_path / "scores").exists() or not any((tmp_path / "scores").rglob("*.parquet"))
