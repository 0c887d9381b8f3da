"""``airflow dags test`` on the shipped batch example, on a fresh AIRFLOW_HOME, as the demo runs it:
build and deploy the sample model, then nightly_batch scores the shipped flowers. The OpenLineage
provider's file transport records the deferred run_batch task: one START, one COMPLETE, the input
folder in and the scored folder out."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from frogml_airflow_provider.cli import main as cli
from frogml_airflow_provider.platform.local.platform import LocalPlatform
from tests.support import EXAMPLES
from tests.support.dags_test import airflow

pytestmark = pytest.mark.slow


def test_nightly_batch_scores_the_shipped_input(tmp_path: Path, make_repo) -> None:
    home, dags = tmp_path / "home", tmp_path / "dags"
    assert cli(["init", str(dags)]) == 0
    for name in ("iris_classifier.py", "nightly_batch.py"):
        shutil.copy(EXAMPLES / "automations" / name, dags / "automations" / name)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PYTHONWARNINGS": "ignore",
        "FROGML_SAMPLE_MODEL_REPO": str(make_repo(sample=True)),
        "FROGML_SAMPLE_BATCH_INPUT": (EXAMPLES / "batch_input").as_uri(),
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
            {"type": "file", "log_file_path": str(tmp_path / "lineage.jsonl"), "append": True}
        ),
        "AIRFLOW__OPENLINEAGE__NAMESPACE": "frogml-tests",
    }
    try:
        assert airflow(env, "db", "migrate").returncode == 0
        built = airflow(env, "dags", "test", "retrain_iris_classifier")
        assert built.returncode == 0, (built.stdout + built.stderr)[-3000:]
        done = airflow(env, "dags", "test", "nightly_batch", "2024-03-09")
        log = done.stdout + done.stderr
        assert done.returncode == 0 and "state=success" in log, log[-4000:]
        assert "Batch job batch-iris-classifier-" in log and "2 file(s), 150 row(s)" in log
        scores = home / "frogml-local" / "buckets" / "iris-scores" / "nightly" / "2024-03-09"
        assert sorted(p.name for p in scores.iterdir()) == ["evening.csv", "morning.csv"]
        for name in ("morning.csv", "evening.csv"):
            given = pd.read_csv(EXAMPLES / "batch_input" / "iris" / name)
            scored = pd.read_csv(scores / name)
            assert scored["flower_id"].tolist() == given["flower_id"].tolist()
            assert set(scored["species"]) <= {0, 1, 2} and list(scored.columns) == [*given.columns, "species"]
        events = [json.loads(line) for line in (tmp_path / "lineage.jsonl").read_text().splitlines()]
        batch = [e for e in events if e["job"]["name"] == "nightly_batch.run_batch"]
        assert [e["eventType"] for e in batch] == ["START", "COMPLETE"]  # deferred, and one pair
        (source,) = batch[-1]["inputs"]
        assert source["namespace"] == "file" and source["name"].startswith(str(EXAMPLES / "batch_input"))
        assert [(d["namespace"], d["name"]) for d in batch[-1]["outputs"]] == [("file", str(scores))]
        assert batch[-1]["run"]["facets"]["frogml"]["job_id"].startswith("batch-iris-classifier-")
    finally:
        LocalPlatform(home / "frogml-local").shutdown()
