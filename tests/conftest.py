"""Test-wide setup. Airflow reads its environment on first import, so it is set here, first.

Each test session gets its own AIRFLOW_HOME (SQLite, no examples); tests that need a migrated
metadata database use the ``airflow_db`` fixture, which migrates once per session.
"""

from __future__ import annotations

import json
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
os.environ["AIRFLOW__FROGML__TRIGGER_INITIAL_DELAY"] = "0"  # the browser test sets its own

from tests.support import EXAMPLES, TINY_MODEL, Receiver, git  # noqa: E402 - after the environment above


@pytest.fixture(autouse=True)
def _fresh_metric_platforms() -> None:
    """Metric evaluations keep one platform per connection id for a few minutes (a triggerer's
    process); each test's ``frogml_default`` may point at another state folder."""
    from frogml_airflow_provider.triggers import metric_evaluation

    metric_evaluation._PLATFORMS.clear()


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


@pytest.fixture
def make_repo(tmp_path: Path):
    """A real git repository holding a frogml model: the iris sample, or a tiny one.

    ``make_repo(files={...}, subdir="models/x", branch="main")`` -> the repository's path.
    """

    def make(
        *,
        sample: bool = False,
        files: dict[str, str] | None = None,
        subdir: str = "",
        branch: str = "main",
        name: str = "repo",
    ) -> Path:
        repo = tmp_path / name
        model_root = repo / subdir if subdir else repo
        if sample:
            import shutil

            shutil.copytree(EXAMPLES / "sample_model", model_root)
        else:
            (model_root / "main").mkdir(parents=True)
            (model_root / "main" / "__init__.py").write_text(
                "from .model import TinyModel\n\n\ndef load_model():\n    return TinyModel()\n"
            )
            (model_root / "main" / "model.py").write_text(TINY_MODEL)
        for relative, text in (files or {}).items():
            (model_root / relative).parent.mkdir(parents=True, exist_ok=True)
            (model_root / relative).write_text(text)
        git(repo, "init", "-q", "-b", branch)
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "model")
        return repo

    return make


@pytest.fixture
def local_platform(tmp_path: Path):
    """A local platform in a fresh state folder; its model servers and builds are stopped after."""
    from frogml_airflow_provider.platform.local.platform import LocalPlatform

    platform = LocalPlatform(tmp_path / "state")
    yield platform
    platform.shutdown()


@pytest.fixture
def local_conn(local_platform, monkeypatch: pytest.MonkeyPatch):
    """A ``frogml`` connection (from the environment, as Airflow reads it) at this state folder."""
    conn = {"conn_type": "frogml", "extra": {"state_dir": str(local_platform.state_dir)}}
    monkeypatch.setenv("AIRFLOW_CONN_FROGML_DEFAULT", json.dumps(conn))
    return local_platform


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
