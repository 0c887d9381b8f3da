"""``LocalPlatform``: JFrog ML's build, deploy and analytics calls, on this machine.

State lives under one folder: ``platform.db`` (builds and deployments), ``builds/<id>/``
(clone, log, trained model) and ``analytics.db`` (every prediction). Builds and model servers
run as detached processes, so a worker can defer (or die) while they go on.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from frogml_airflow_provider.platform.base import (
    Build,
    BuildRequest,
    BuildState,
    Deployment,
    DeploymentState,
    PlatformError,
    QueryResult,
)
from frogml_airflow_provider.platform.local.analytics import AnalyticsStore
from frogml_airflow_provider.platform.local.build_runner import TOKEN_ENV
from frogml_airflow_provider.platform.local.machine import FIX, check_locator, claim
from frogml_airflow_provider.platform.local.store import Store, build_from_row, deployment_from_row

LOG_TAIL_LINES = 40


class LocalPlatform:
    name = "local"

    def __init__(self, state_dir: str | os.PathLike[str], *, machine: str | None = None) -> None:
        """``machine``: where the locator was made (a trigger's); another machine's fails fast."""
        self.state_dir = Path(state_dir)
        check_locator(machine, self.state_dir)
        self.machine = claim(self.state_dir)  # one machine per state folder (local/machine.py)
        self.store = Store(self.state_dir)
        self.analytics = AnalyticsStore(self.state_dir / "analytics.db")

    def locator(self) -> dict[str, Any]:
        return {"kind": self.name, "state_dir": str(self.state_dir), "machine": self.machine}

    # -- builds ----------------------------------------------------------------------------
    def submit_build(self, request: BuildRequest) -> Build:
        if not request.build_spec.get("git_uri"):
            raise PlatformError(f"cannot build model {request.model_id!r}: the build spec has no git_uri")
        build_id = self.store.new_build(request.model_id, request.run_key, dict(request.build_spec))
        build_dir = self.state_dir / "builds" / build_id
        build_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        if request.git_token:
            env[TOKEN_ENV] = request.git_token
        process = _spawn("build_runner", [str(self.state_dir), build_id], build_dir / "build.log", env=env)
        self.store.set_build(build_id, pid=process.pid)
        return self.get_build(build_id)

    def find_build(self, model_id: str, run_key: str) -> Build | None:
        row = self.store.latest_build_for(model_id, run_key)
        return self.get_build(row["build_id"]) if row else None

    def get_build(self, build_id: str, *, log_tail: bool = True) -> Build:
        row = self.store.build_row(build_id)
        if row is None:
            raise PlatformError(
                f"no local build {build_id!r} in state folder {self.state_dir} on this machine; a local build "
                f"lives on the machine that started it. {FIX}"
            )
        if not BuildState(row["state"]).terminal and row["pid"] and not process_alive(row["pid"]):
            self.store.finish_build_if_running(build_id, BuildState.FAILED, "the build process exited without a result")
            row = self.store.build_row(build_id)
        return build_from_row(row, self.log_tail(build_id) if log_tail else "")  # type: ignore[arg-type]

    def cancel_build(self, build_id: str, *, timed_out: bool = False) -> Build:
        row = self.store.build_row(build_id)
        if row is None:
            raise PlatformError(f"no local build {build_id!r} to cancel")
        if not BuildState(row["state"]).terminal:
            _terminate(row["pid"])
            state = BuildState.TIMED_OUT if timed_out else BuildState.CANCELLED
            self.store.finish_build_if_running(build_id, state, "timed out; cancelled" if timed_out else "cancelled")
        return self.get_build(build_id)

    def log_tail(self, build_id: str, lines: int = LOG_TAIL_LINES) -> str:
        path = self.state_dir / "builds" / build_id / "build.log"
        if not path.exists():
            return ""
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - 64_000))
            text = handle.read().decode(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    # -- deployments -----------------------------------------------------------------------
    def deploy(self, model_id: str, build_id: str, deployment_spec: Mapping[str, Any]) -> Deployment:
        variation = str(deployment_spec.get("variation_name") or "default")
        build = self.get_build(build_id)
        if build.state is not BuildState.SUCCESSFUL:
            raise PlatformError(f"cannot deploy build {build_id} of model {model_id!r}: it is {build.state.value}")
        current = self.store.deployment_row(model_id, variation)
        if (
            current
            and current["build_id"] == build_id
            and current["state"] in ("SERVING", "DEPLOYING")
            and current["pid"]
            and process_alive(current["pid"])
        ):
            return self.get_deployment(model_id, variation)  # type: ignore[return-value]  # idempotent
        old_pid = current["pid"] if current and current["pid"] and process_alive(current["pid"]) else None
        port = _free_port()
        self.analytics.ensure_table(model_id)
        deploy_dir = self.state_dir / "deployments" / f"{model_id}-{variation}"
        deploy_dir.mkdir(parents=True, exist_ok=True)
        args = [str(self.state_dir), model_id, variation, build_id, str(port), str(old_pid or "")]
        process = _spawn("server", args, deploy_dir / "server.log")
        self.store.put_deployment(
            model_id,
            variation,
            build_id,
            DeploymentState.DEPLOYING,
            port=port,
            pid=process.pid,
            spec=dict(deployment_spec),
        )
        return self.get_deployment(model_id, variation)  # type: ignore[return-value]

    def get_deployment(self, model_id: str, variation: str) -> Deployment | None:
        row = self.store.deployment_row(model_id, variation)
        if row is None:
            return None
        if row["state"] in ("SERVING", "DEPLOYING") and row["pid"] and not process_alive(row["pid"]):
            log = self.state_dir / "deployments" / f"{model_id}-{variation}" / "server.log"
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-10:]) if log.exists() else ""
            state = DeploymentState.FAILED if row["state"] == "DEPLOYING" else DeploymentState.STOPPED
            self.store.put_deployment(
                model_id,
                variation,
                row["build_id"],
                state,
                port=row["port"],
                error=row["error"] or f"the model server exited: {tail}",
            )
            row = self.store.deployment_row(model_id, variation)
        return deployment_from_row(row)  # type: ignore[arg-type]

    def stop_deployment(self, model_id: str, variation: str) -> Deployment | None:
        row = self.store.deployment_row(model_id, variation)
        if row is None:
            return None
        _terminate(row["pid"])
        self.store.put_deployment(model_id, variation, row["build_id"], DeploymentState.STOPPED, port=row["port"])
        return self.get_deployment(model_id, variation)

    def shutdown(self) -> None:
        """Stop every model server and running build of this state folder."""
        if not self.store.path.exists():
            return
        for row in self.store.deployments():
            if row["state"] in ("SERVING", "DEPLOYING"):
                self.stop_deployment(row["model_id"], row["variation"])
        for row in self.store.builds():
            if not BuildState(row["state"]).terminal:
                self.cancel_build(row["build_id"])

    def record_decision(self, kind: str, model_id: str, subject: str, detail: dict[str, Any]) -> None:
        """``kind`` "gate" (subject: the build) or "trigger" (subject: the DAG)."""
        self.store.record_decision(kind, model_id, subject, detail)

    # -- analytics -------------------------------------------------------------------------
    def query(self, sql: str) -> QueryResult:
        return self.analytics.query(sql)


def _spawn(module: str, args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start ``python -m frogml_airflow_provider.platform.local.<module>`` detached (its own
    session: it outlives the task that started it), writing to ``log``."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", f"frogml_airflow_provider.platform.local.{module}", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=log.parent,
            env=env,
            start_new_session=True,
        )


def process_alive(pid: int) -> bool:
    """True while ``pid`` runs; a finished child of ours is reaped, a zombie counts as gone."""
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        if reaped == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def _terminate(pid: int | None, grace: float = 5.0) -> None:
    """Stop a detached process and everything it started (its own process group)."""
    if not pid:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not process_alive(pid):
                return
            time.sleep(0.05)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
