"""Test-wide setup. Airflow reads its environment on first import, so it is set here, first.

Each test session gets its own AIRFLOW_HOME (SQLite, no examples); tests that need a migrated
metadata database use the ``airflow_db`` fixture, which migrates once per session.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

_HOME = Path(tempfile.mkdtemp(prefix="frogml-airflow-tests-"))
os.environ["AIRFLOW_HOME"] = str(_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(_HOME / "dags")
os.environ.setdefault("PYTHONWARNINGS", "ignore")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "dags_examples"


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A migrated metadata database for this session (``airflow db migrate`` once)."""
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True)
    return _HOME


@pytest.fixture
def write_files(tmp_path: Path):
    """Write ``{relative path: source}`` under a fresh folder and return the folder."""

    def write(files: dict[str, str], root: Path | None = None) -> Path:
        base = root or tmp_path / "automations"
        for name, source in files.items():
            path = base / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(source)
        return base

    return write
