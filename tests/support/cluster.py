"""Airflow as teams run it in production, on this machine: real PostgreSQL and Redis (Debian's
packages), the CeleryExecutor with several Celery workers, the API server, scheduler, triggerer and
dag-processor, each its own process group on loopback ports, all stopped at the end.

PostgreSQL refuses to run as root: as root, its data folder belongs to the ``postgres`` user and
``initdb``/``pg_ctl`` run through ``runuser``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.airflow import free_port


def _pg_bin() -> Path:
    """Debian's newest PostgreSQL (``/usr/lib/postgresql/<major>/bin``; its tools are not on PATH)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name))
    return found[-1] if found else Path("/usr/lib/postgresql/missing/bin")


PG_BIN = _pg_bin()


def missing_services() -> list[str]:
    """What this machine lacks for a distributed run (empty: all there)."""
    missing = [name for name in ("initdb", "pg_ctl") if not (PG_BIN / name).exists() and not shutil.which(name)]
    missing += [] if shutil.which("redis-server") else ["redis-server"]
    for module in ("celery", "redis", "psycopg2", "airflow.providers.celery"):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"python: {module}")
    return missing


def wait_for(what: str, check: Callable[[], Any], timeout: float, log: Path | None = None) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` (and a log's tail)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    tail = log.read_text()[-3000:] if log is not None and log.exists() else ""
    raise AssertionError(f"{what}: not within {timeout:.0f} s\n{tail}")


class Postgres:
    """A throwaway PostgreSQL cluster on 127.0.0.1:port, trust auth, database ``airflow``."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="frogml-pg-"))  # under /tmp: ``postgres`` must reach it
        self.data = self.dir / "data"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")

    def _run(self, tool: str, *args: str) -> None:
        exe = str(PG_BIN / tool) if (PG_BIN / tool).exists() else tool
        command = [exe, *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, f"{tool} failed: {done.stdout[-2000:]}{done.stderr[-2000:]}"

    def start(self) -> Postgres:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "airflow", "--no-sync", "-E", "UTF8")
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w", "-t", "60", "start")
        import psycopg2

        db = psycopg2.connect(host="127.0.0.1", port=self.port, user="airflow", dbname="postgres")
        try:
            db.autocommit = True
            with db.cursor() as cursor:
                cursor.execute("CREATE DATABASE airflow")
        finally:
            db.close()
        return self

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://airflow@127.0.0.1:{self.port}/airflow"

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        import psycopg2

        db = psycopg2.connect(host="127.0.0.1", port=self.port, user="airflow", dbname="airflow")
        try:
            with db.cursor() as cursor:
                cursor.execute(sql, params)
                return list(cursor.fetchall())
        finally:
            db.close()

    def stop(self) -> None:
        if self.data.exists():
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            except AssertionError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


class Redis:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Redis:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.folder,
            stdout=(self.folder / "redis.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for("redis-server answering", self._answers, 30, self.folder / "redis.log")
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process)


def run_airflow(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    """``airflow *args`` in ``env``; its output, or a failed assertion quoting it."""
    done = subprocess.run(
        [sys.executable, "-m", "airflow", *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"airflow {' '.join(args)}: {done.stdout[-2000:]}{done.stderr[-3000:]}"
    return done.stdout


def stop_group(process: subprocess.Popen[bytes], grace: float = 15) -> None:
    """SIGTERM to the process's group (it was started in its own session), SIGKILL after ``grace``;
    then SIGKILL to whatever of the group outlived its leader (LocalExecutor workers and the API
    server's uvicorn worker ignore SIGTERM, and were left running with PID 1 as parent)."""
    try:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(grace)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if process.poll() is None:
        process.wait(10)


@dataclass
class Cluster:
    """Airflow on CeleryExecutor: ``start(name, *args)`` runs ``airflow *args`` as a named component."""

    home: Path
    dags: Path
    postgres: Postgres
    redis: Redis
    env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def configure(self, **extra: str) -> None:
        api_port = free_port()
        self.api_url = f"http://127.0.0.1:{api_port}"
        self.env = {
            **os.environ,
            "HOME": str(self.home),  # the frogml SDK writes ~/.frogml
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.postgres.url,
            "AIRFLOW__CELERY__BROKER_URL": self.redis.url,
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + self.postgres.url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
            "AIRFLOW__API__PORT": str(api_port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(32),
            "AIRFLOW__CORE__FERNET_KEY": "",
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
            "PYTHONWARNINGS": "ignore",
            **extra,
        }
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)

    def airflow(self, *args: str, timeout: float = 300) -> str:
        return run_airflow(self.env, *args, timeout=timeout)

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = self.home / f"{name}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "airflow", *args],
            env={**self.env, **(env or {})},
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped, or killed, as a whole
        )
        self.processes[name] = process
        return process

    def log(self, name: str) -> Path:
        return self.home / f"{name}.log"

    def kill(self, name: str) -> None:
        """The machine under a worker dies: SIGKILL to its whole process group, no cleanup."""
        process = self.processes[name]
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(10)

    def owner_of(self, pid: int) -> str | None:
        """The component whose process tree holds ``pid``."""
        import psutil

        for name, process in self.processes.items():
            try:
                tree = {process.pid} | {child.pid for child in psutil.Process(process.pid).children(recursive=True)}
            except psutil.NoSuchProcess:
                continue
            if pid in tree:
                return name
        return None

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            stop_group(process)
