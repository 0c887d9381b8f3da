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

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "dags_examples"


def run_python(script: str, *args: str, home: Path, cwd: Path) -> str:
    """Run a Python snippet in a fresh interpreter with HOME=home (the frogml SDK writes there at
    import); returns its stdout, failing the test with its stderr if it fails."""
    import textwrap

    env = {**os.environ, "HOME": str(home), "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


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


TINY_MODEL = '''
import os
import time

import frogml
import pandas as pd
from frogml import FrogMlModel


class TinyModel(FrogMlModel):
    """Logs the metrics it is told to through env vars; predicts x * factor."""

    def build(self):
        time.sleep(float(os.environ.get("BUILD_SECONDS", "0")))
        if os.environ.get("BUILD_FAILS"):
            raise RuntimeError("training data is missing")
        self.factor = float(os.environ.get("FACTOR", "2"))
        frogml.log_metric({k[7:].lower(): float(v) for k, v in os.environ.items() if k.startswith("METRIC_")})

    @frogml.api()
    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"y": df["x"] * self.factor})
'''


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        check=True,
        capture_output=True,
    )


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
        _git(repo, "init", "-q", "-b", branch)
        _git(repo, "add", "-A")
        _git(repo, "commit", "-qm", "model")
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


class Receiver:
    """A real HTTP server on 127.0.0.1 that records every request and answers from a script."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.requests: list[dict] = []
        self.script: list[tuple[int, dict[str, str], float]] = []  # (status, headers, delay) per request
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                import time
                import urllib.parse

                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                url = urllib.parse.urlsplit(self.path)
                receiver.requests.append(
                    {
                        "method": self.command,
                        "path": url.path,
                        "query": dict(urllib.parse.parse_qsl(url.query)),
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "json": json.loads(body) if body else None,
                    }
                )
                status, headers, delay = receiver.script.pop(0) if receiver.script else (200, {}, 0.0)
                time.sleep(delay)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(b"ok")

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


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
