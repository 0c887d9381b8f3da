"""A real Airflow API server on a free loopback port, over a DAGs folder of the test's making.

The metadata database is migrated and the folder serialized (``airflow dags reserialize``) before the
server starts, so its DAGs are known without a scheduler or dag-processor; runs created through the
API stay queued until the test changes their state.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

PASSWORDS = "simple_auth_manager_passwords.json"
CHURN, SCORING = "churn_retrain", "nightly_scoring"  # the automations of tests/migration's Airflow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ApiServer:
    home: Path
    url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    _token: str = ""

    @property
    def password(self) -> str:
        return str(json.loads((self.home / PASSWORDS).read_text())["admin"])

    def token(self) -> str:
        if not self._token:
            answer = requests.post(
                f"{self.url}/auth/token", json={"username": "admin", "password": self.password}, timeout=30
            )
            answer.raise_for_status()
            self._token = str(answer.json()["access_token"])
        return self._token

    def api(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        answer = requests.request(
            method,
            f"{self.url}/api/v2{path}",
            json=body,
            params=params,
            headers={"Authorization": f"Bearer {self.token()}"},
            timeout=30,
        )
        assert answer.status_code < 300, f"{method} {path}: {answer.status_code} {answer.text[:500]}"
        return answer.json() if answer.content else None

    def airflow(self, *args: str) -> str:
        """Run an ``airflow`` command against this server's home; its stdout."""
        done = subprocess.run(
            [str(Path(sys.executable).with_name("airflow")), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def reserialize(self) -> None:
        self.airflow("dags", "reserialize")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)


def start_api_server(
    home: Path, dags: Path, timeout: float = 120, extra_env: dict[str, str] | None = None
) -> ApiServer:
    """``extra_env`` (another auth manager, more users) is applied over this module's settings."""
    port = free_port()
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__WORKERS": "1",
        # Its own users and password, whatever the test process's environment says.
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / PASSWORDS),
        "PYTHONWARNINGS": "ignore",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        **(extra_env or {}),
    }
    home.mkdir(parents=True, exist_ok=True)
    (home / PASSWORDS).write_text(json.dumps({"admin": "migration-test-pw"}))
    server = ApiServer(home, f"http://127.0.0.1:{port}", env, None)  # type: ignore[arg-type]
    server.airflow("db", "migrate")
    server.reserialize()
    log = open(home / "api-server.log", "wb")  # noqa: SIM115 - lives as long as the process
    server.process = subprocess.Popen(
        [str(Path(sys.executable).with_name("airflow")), "api-server", "--port", str(port), "--host", "127.0.0.1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(f"{server.url}/api/v2/version", timeout=2).ok:
                return server
        except requests.RequestException:
            pass
        if server.process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"airflow api-server did not come up; see {home / 'api-server.log'}")
        time.sleep(0.5)


def dag(airflow: ApiServer, dag_id: str = CHURN) -> dict[str, Any]:
    return dict(airflow.api("GET", f"/dags/{dag_id}"))
