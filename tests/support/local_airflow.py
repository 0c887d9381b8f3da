"""Airflow as ``airflow standalone`` runs it, one component at a time: SQLite, LocalExecutor, the API
server, scheduler, dag-processor and triggerer, each its own process group on loopback ports, so a
test can stop and restart one of them (the triggerer, mid-crossing). Read the metadata database with
``sqlite3`` directly: the test process keeps its own AIRFLOW_HOME."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.airflow import free_port
from tests.support.cluster import run_airflow, stop_group

COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")


@dataclass
class LocalAirflow:
    home: Path
    dags: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            "HOME": str(self.home),
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
            "PYTHONWARNINGS": "ignore",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            **self.extra_env,
        }
        for name in [key for key in self.env if key.startswith("AIRFLOW_CONN_") or key.startswith("AIRFLOW_VAR_")]:
            del self.env[name]  # the test process's own connections are not this Airflow's

    def airflow(self, *args: str, timeout: float = 300) -> str:
        return run_airflow(self.env, *args, timeout=timeout)

    def start(self, *names: str) -> None:
        for name in names or COMPONENTS:
            log = self.home / f"{name}.log"
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "airflow", name],
                env=self.env,
                stdout=log.open("ab"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def restart(self, name: str) -> None:
        stop_group(self.processes.pop(name))
        self.start(name)

    def log(self, name: str) -> Path:
        return self.home / f"{name}.log"

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            stop_group(process)
        self.processes.clear()

    # -- the metadata database, read as it is ----------------------------------------------------------
    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        db = sqlite3.connect(self.home / "airflow.db", timeout=30)
        try:
            return list(db.execute(sql, params))
        finally:
            db.close()

    def asset_state(self, asset_name: str) -> dict[str, Any]:
        found = self.rows(
            "SELECT s.key, s.value FROM asset_state_store s JOIN asset a ON a.id = s.asset_id WHERE a.name = ?",
            asset_name,
        )
        return {key: json.loads(value) for key, value in found}

    def dag_runs(self, dag_id: str) -> list[tuple[str, str, str]]:
        """(run_id, state, run_type) of each run of ``dag_id``, oldest first."""
        return [
            tuple(row)
            for row in self.rows("SELECT run_id, state, run_type FROM dag_run WHERE dag_id = ? ORDER BY id", dag_id)
        ]  # type: ignore[misc]

    def watchers_of(self, asset_name: str) -> list[str]:
        """The trigger class paths watching ``asset_name`` now (the dag-processor keeps them in step)."""
        return [
            row[0]
            for row in self.rows(
                "SELECT t.classpath FROM trigger t JOIN asset_watcher x ON x.trigger_id = t.id "
                "JOIN asset a ON a.id = x.asset_id WHERE a.name = ?",
                asset_name,
            )
        ]
