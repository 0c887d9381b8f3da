"""Helpers shared by the tests: paths of this checkout, a fresh interpreter, git repositories,
a recording HTTP server, and waits on the local platform. Test modules import these, never each other."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from frogml_airflow_provider.platform.base import Build
from frogml_airflow_provider.platform.local.platform import LocalPlatform

ROOT = Path(__file__).resolve().parents[2]
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

BATCH_MODEL = '''
import os
import time

import frogml
import pandas as pd
from frogml import FrogMlModel


class BatchModel(FrogMlModel):
    """y = 2x; refuses a negative x; sleeps LOAD_SECONDS, PREDICT_SECONDS; tags rows with SCORED_BY (params)."""

    def build(self):
        frogml.log_metric({"f1_score": 0.9})

    def initialize_model(self):
        time.sleep(float(os.environ.get("LOAD_SECONDS", "0")))

    @frogml.api()
    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        time.sleep(float(os.environ.get("PREDICT_SECONDS", "0")))
        if (df["x"] < 0).any():
            raise ValueError("x must be >= 0")
        return pd.DataFrame({"x": df["x"], "y": df["x"] * 2.0, "scored_by": os.environ.get("SCORED_BY", "")})
'''


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        check=True,
        capture_output=True,
    )


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


class TaskInstanceXCom:
    """The little of a task instance these operators touch: identity and XCom."""

    def __init__(self, task_id: str, run_id: str = "manual__1") -> None:
        self.dag_id, self.run_id, self.task_id = "retrain", run_id, task_id
        self.xcom: dict[tuple[str, str], Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcom[(self.task_id, key)] = json.loads(json.dumps(value))  # XCom stores JSON

    def xcom_pull(self, task_ids: str, key: str = "return_value") -> Any:
        return self.xcom.get((task_ids, key))


def spec(repo: Path | str, **extra: object) -> dict[str, object]:
    return {"git_uri": str(repo), "git_branch": "main", "main_dir": "main", **extra}


def wait_build(platform: LocalPlatform, build: Build, timeout: float = 90) -> Build:
    deadline = time.monotonic() + timeout
    while not build.state.terminal:
        assert time.monotonic() < deadline, f"build still {build.state} after {timeout}s:\n{build.log_tail}"
        time.sleep(0.2)
        build = platform.get_build(build.build_id)
    return build


def wait_serving(platform: LocalPlatform, model_id: str, variation: str = "default", timeout: float = 60):
    deadline = time.monotonic() + timeout
    while True:
        deployment = platform.get_deployment(model_id, variation)
        if deployment and deployment.state.terminal:
            return deployment
        assert time.monotonic() < deadline, "deployment never settled"
        time.sleep(0.2)


def store_watcher_state(dag_id: str, stored: dict[str, Any]) -> None:
    """What a metric watcher writes into Airflow's asset state store for its asset (the asset and its
    DAG created as the dag-processor creates them), written through Airflow's own models."""
    from airflow.models import DagModel
    from airflow.models.asset import AssetActive, AssetModel
    from airflow.models.asset_state_store import AssetStateStoreModel
    from airflow.models.dagbundle import DagBundleModel
    from airflow.utils.session import create_session
    from sqlalchemy import delete, select

    from frogml_airflow_provider.tasks import metric_asset_name, metric_asset_uri

    name, uri = metric_asset_name(dag_id), metric_asset_uri(dag_id)
    with create_session() as session:
        if session.get(DagBundleModel, "frogml-tests") is None:
            session.add(DagBundleModel(name="frogml-tests"))
            session.flush()
        session.merge(DagModel(dag_id=dag_id, bundle_name="frogml-tests", is_paused=False))
        asset = session.scalar(select(AssetModel).where(AssetModel.name == name))
        if asset is None:
            asset = AssetModel(name=name, uri=uri, group="frogml")
            session.add(asset)
            session.flush()
            session.add(AssetActive.for_asset(asset))
        session.execute(delete(AssetStateStoreModel).where(AssetStateStoreModel.asset_id == asset.id))
        for key, value in stored.items():
            session.add(AssetStateStoreModel(asset_id=asset.id, key=key, value=json.dumps(value)))
