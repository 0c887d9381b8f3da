"""``airflow standalone`` on free loopback ports, for tests that need the whole of Airflow."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.support.airflow import free_port
from tests.support.cluster import stop_group


@dataclass
class Standalone:
    home: Path
    url: str
    process: subprocess.Popen[bytes]
    env: dict[str, str]

    @property
    def password(self) -> str:
        generated = self.home / "simple_auth_manager_passwords.json.generated"
        return str(next(iter(json.loads(generated.read_text()).values())))

    def token(self) -> str:
        request = urllib.request.Request(
            f"{self.url}/auth/token",
            method="POST",
            data=json.dumps({"username": "admin", "password": self.password}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return str(json.loads(response.read())["access_token"])

    def api(self, path: str, body: object | None = None) -> dict:
        request = urllib.request.Request(
            f"{self.url}/api/v2{path}",
            method="POST" if body is not None else "GET",
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.token()}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        """SIGINT (standalone's own shutdown), then the group's SIGTERM and SIGKILL: its scheduler and
        LocalExecutor workers outlive a SIGINT for over a minute, which each test would wait out."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        stop_group(self.process, grace=10)


def start(home: Path, dags: Path, extra_env: dict[str, str] | None = None, timeout: float = 180) -> Standalone:
    port = free_port()
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__FROGML__POLL_INTERVAL": "1",
        "AIRFLOW__FROGML__TRIGGER_INITIAL_DELAY": "10",
        "PYTHONWARNINGS": "ignore",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        **(extra_env or {}),
    }
    home.mkdir(parents=True, exist_ok=True)
    log = open(home / "standalone.log", "wb")  # noqa: SIM115 - lives as long as the process
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("airflow")), "standalone"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    instance = Standalone(home, f"http://127.0.0.1:{port}", process, env)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{instance.url}/api/v2/version", timeout=2):
                if (home / "simple_auth_manager_passwords.json.generated").exists():
                    return instance
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            instance.stop()
            raise RuntimeError(f"airflow standalone did not come up; see {home / 'standalone.log'}")
        time.sleep(1)
