"""``airflow dags test`` on the shipped batch example, on a fresh AIRFLOW_HOME, as the demo runs it:
build and deploy the sample model, then nightly_batch scores the shipped flowers."""

from __future__ import annotations

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
    finally:
        LocalPlatform(home / "frogml-local").shutdown()
