"""``airflow`` commands on a fresh AIRFLOW_HOME, as a user runs them (``airflow dags test``...), over a
DAGs folder set up by ``frogml-airflow init`` with the iris example and a copy of it whose gate fails."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from frogml_airflow_provider.cli import main as cli
from frogml_airflow_provider.platform.local.platform import LocalPlatform
from tests.support import EXAMPLES

DEPLOYS = "retrain_iris_classifier"  # the iris example: its build passes the gate (f1_score above 0.8)
UNREACHABLE = "retrain_iris_unreachable"  # the iris example with a threshold its build cannot meet


def airflow(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The ``airflow`` CLI of this interpreter's environment, bounded (a ``dags test`` builds a model)."""
    return subprocess.run(
        [str(Path(sys.executable).with_name("airflow")), *args], env=env, capture_output=True, text=True, timeout=600
    )


@contextmanager
def iris_home(
    tmp_path: Path, sample_repo: Path, *, also: tuple[Path, ...] = (), env: dict[str, str] | None = None
) -> Iterator[dict[str, str]]:
    """A migrated AIRFLOW_HOME (``tmp_path/home``) whose DAGs folder (``tmp_path/dags``) holds the iris
    automation, its UNREACHABLE copy and the files ``also`` names; yields the environment to run
    ``airflow`` in (``env`` added), and stops the local platform's servers afterwards."""
    home, dags = tmp_path / "home", tmp_path / "dags"
    assert cli(["init", str(dags)]) == 0
    example = (EXAMPLES / "automations" / "iris_classifier.py").read_text()
    (dags / "automations" / "iris_classifier.py").write_text(example)
    unreachable = example.replace(f'"{DEPLOYS}"', f'"{UNREACHABLE}"').replace('threshold="0.8"', 'threshold="1.0"')
    assert unreachable != example
    (dags / "automations" / "iris_unreachable.py").write_text(unreachable)
    for path in also:
        shutil.copy(path, dags)
    environment = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PYTHONWARNINGS": "ignore",
        "FROGML_SAMPLE_MODEL_REPO": str(sample_repo),
        **(env or {}),
    }
    migrated = airflow(environment, "db", "migrate")
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    try:
        yield environment
    finally:
        LocalPlatform(home / "frogml-local").shutdown()
