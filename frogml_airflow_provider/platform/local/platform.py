"""``LocalPlatform``: JFrog ML's build, deploy and analytics calls, on this machine.

State lives under one folder: ``platform.db`` (builds and deployments), ``builds/<id>/``
(clone, log, trained model) and ``analytics.db`` (every prediction). Builds and model servers
run as detached processes, so a worker can defer (or die) while they go on.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from frogml_airflow_provider.platform.base import (
    Build,
    BuildRequest,
    BuildState,
    Decision,
    Deployment,
    DeploymentState,
    PlatformError,
    QueryResult,
)
from frogml_airflow_provider.platform.local.analytics import AnalyticsStore
from frogml_airflow_provider.platform.local.batch import LocalBatchJobs
from frogml_airflow_provider.platform.local.build_runner import TOKEN_ENV
from frogml_airflow_provider.platform.local.machine import FIX, check_locator, claim, owner
from frogml_airflow_provider.platform.local.paths import StateDir
from frogml_airflow_provider.platform.local.processes import process_alive, runs, spawn, terminate
from frogml_airflow_provider.platform.local.server import ServerLimits
from frogml_airflow_provider.platform.local.store import Store, build_from_row, deployment_from_row

__all__ = ["LocalPlatform", "process_alive"]

LOG_TAIL_LINES = 40
DIED = "the build process exited without a result"
_UP = (DeploymentState.DEPLOYING, DeploymentState.SERVING)


class LocalPlatform(LocalBatchJobs):  # batch jobs: platform/local/batch.py
    """Reads (``get_*``, ``builds``, ``deployments``, ``decisions``) change nothing: a build or
    server that died is reported as such, and recorded only by a call that acts (cancel, deploy)."""

    name = "local"

    def __init__(
        self,
        state_dir: str | os.PathLike[str],
        *,
        server_limits: ServerLimits | None = None,
        machine: str | None = None,
    ) -> None:
        """``machine``: where the locator was made (a trigger's); another machine's fails fast."""
        self.paths = StateDir(state_dir)
        self.state_dir = self.paths.root
        check_locator(machine, self.state_dir)
        self.machine = owner(self.state_dir)  # one machine per state folder (local/machine.py); claimed on write
        self.store = Store(self.paths)
        self.analytics = AnalyticsStore(self.paths.analytics_db)
        self.server_limits = server_limits

    def locator(self) -> dict[str, Any]:
        return {"kind": self.name, "state_dir": str(self.state_dir), "machine": self.machine}

    # -- builds ----------------------------------------------------------------------------
    def submit_build(self, request: BuildRequest) -> Build:
        if not request.build_spec.get("git_uri"):
            raise PlatformError(f"cannot build model {request.model_id!r}: the build spec has no git_uri")
        self.paths.inside("model_id", request.model_id)  # refused before anything is recorded
        self.machine = claim(self.state_dir)
        build_id = self.store.new_build(request.model_id, request.run_key, dict(request.build_spec))
        build_dir = self.paths.build_dir(build_id)
        build_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        if request.git_token:
            env[TOKEN_ENV] = request.git_token
        timeout = "" if request.timeout is None else repr(float(request.timeout))
        process = spawn("build_runner", [str(self.state_dir), build_id, timeout], build_dir / "build.log", env=env)
        self.store.set_build(build_id, pid=process.pid)
        return self.get_build(build_id)

    def find_build(self, model_id: str, run_key: str) -> Build | None:
        row = self.store.latest_build_for(model_id, run_key)
        return self._build(row, log_tail=True) if row else None

    def get_build(self, build_id: str, *, log_tail: bool = True) -> Build:
        row = self.store.build_row(build_id)
        if row is None:
            where = "" if self.store.exists() else f" ({self.store.path} does not exist: never used, or deleted)"
            raise PlatformError(
                f"no local build {build_id!r} in state folder {self.state_dir}{where} on this machine; a local "
                f"build lives on the machine that started it. {FIX}"
            )
        return self._build(row, log_tail=log_tail)

    def _build(self, row: Any, *, log_tail: bool) -> Build:
        build_id = row["build_id"]
        if not BuildState(row["state"]).terminal and row["pid"] and not runs(row["pid"], "build_runner"):
            row = self.store.build_row(build_id) or row  # it may have recorded its result as it exited
            if not BuildState(row["state"]).terminal:
                tail = self.log_tail(build_id) if log_tail else ""
                return replace(build_from_row(row, tail), state=BuildState.FAILED, error=DIED)
        return build_from_row(row, self.log_tail(build_id) if log_tail else "")

    def builds(self, model_id: str | None = None) -> list[Build]:
        """Every build (of ``model_id``), oldest first, without log tails."""
        return [self._build(row, log_tail=False) for row in self.store.builds(model_id)]

    def cancel_build(self, build_id: str, *, timed_out: bool = False) -> Build:
        row = self.store.build_row(build_id)
        if row is None:
            raise PlatformError(f"no local build {build_id!r} to cancel in the state folder {self.state_dir}")
        build = self._build(row, log_tail=False)
        if not build.state.terminal:
            terminate(row["pid"], "build_runner")
            state = BuildState.TIMED_OUT if timed_out else BuildState.CANCELLED
            self.store.finish_build_if_running(build_id, state, "timed out; cancelled" if timed_out else "cancelled")
        elif not BuildState(row["state"]).terminal:  # died: record what reads already report
            self.store.finish_build_if_running(build_id, build.state, build.error)
        return self.get_build(build_id)

    def log_tail(self, build_id: str, lines: int = LOG_TAIL_LINES) -> str:
        path = self.paths.build_dir(build_id) / "build.log"
        if not path.exists():
            return ""
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - 64_000))
            text = handle.read().decode(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    # -- deployments -----------------------------------------------------------------------
    def deploy(self, model_id: str, build_id: str, deployment_spec: Mapping[str, Any]) -> Deployment:
        variation = str(deployment_spec.get("variation_name") or "default")
        deploy_dir = self.paths.deployment_dir(model_id, variation)  # refuses unsafe names first
        self.machine = claim(self.state_dir)
        build = self.get_build(build_id, log_tail=False)
        if build.state is not BuildState.SUCCESSFUL:
            raise PlatformError(f"cannot deploy build {build_id} of model {model_id!r}: it is {build.state.value}")
        limits = self.server_limits or ServerLimits.from_config()
        # Serialized across processes: the registry names exactly one newest server per model and
        # variation, and that server, once up, stops every other one it finds registered.
        with self.paths.lock("deploy"):
            current = self.get_deployment(model_id, variation)
            if current and current.build_id == build_id and current.state in _UP:
                return current  # idempotent: this build already serves or is starting
            port = self._endpoint_port(model_id, variation)
            self.analytics.ensure_table(model_id)
            deploy_dir.mkdir(parents=True, exist_ok=True)
            env = {**os.environ, **limits.to_env()}
            args = [str(self.state_dir), model_id, variation, build_id, str(port)]
            process = spawn("server", args, deploy_dir / "server.log", env=env)
            self.store.add_server(process.pid, model_id, variation, port)
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

    def _endpoint_port(self, model_id: str, variation: str) -> int:
        """The port of the model variation's endpoint: the one it had (its servers hand it on, so a
        redeploy keeps the URL), a new one on the first deploy or when another process took it."""
        row = self.store.deployment_row(model_id, variation)
        port = int(row["port"]) if row is not None and row["port"] else None
        if port is None:
            return _free_port()
        held = any(s["port"] == port and runs(s["pid"], "server") for s in self.store.servers(model_id, variation))
        return port if held or _bindable(port) else _free_port()

    def get_deployment(self, model_id: str, variation: str) -> Deployment | None:
        row = self.store.deployment_row(model_id, variation)
        if row is None:
            return None
        if row["state"] in ("SERVING", "DEPLOYING") and row["pid"] and not runs(row["pid"], "server"):
            row = self.store.deployment_row(model_id, variation) or row  # it may have recorded why
            if row["state"] in ("SERVING", "DEPLOYING"):
                state = DeploymentState.FAILED if row["state"] == "DEPLOYING" else DeploymentState.STOPPED
                return replace(deployment_from_row(row), state=state, error=row["error"] or self._server_exit(row))
        return deployment_from_row(row)

    def _server_exit(self, row: Any) -> str:
        try:
            log = self.paths.deployment_dir(row["model_id"], row["variation"]) / "server.log"
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-10:]) if log.exists() else ""
        except PlatformError:
            tail = ""
        return f"the model server exited: {tail}"

    def deployments(self, model_id: str | None = None) -> list[Deployment]:
        found = (self.get_deployment(row["model_id"], row["variation"]) for row in self.store.deployments())
        return [d for d in found if d is not None and (model_id is None or d.model_id == model_id)]

    def decisions(self, kind: str, model_id: str) -> list[Decision]:
        return self.store.decisions(kind, model_id)

    def stop_deployment(self, model_id: str, variation: str) -> Deployment | None:
        row = self.store.deployment_row(model_id, variation)
        if row is None:
            return None
        with self.paths.lock("deploy"):
            for server in self.store.servers(model_id, variation):
                self._stop_server(server["pid"])
            terminate(row["pid"], "server")
            self.store.put_deployment(model_id, variation, row["build_id"], DeploymentState.STOPPED, port=row["port"])
        return self.get_deployment(model_id, variation)

    def _stop_server(self, pid: int) -> None:
        terminate(pid, "server")
        self.store.remove_server(pid)

    def shutdown(self) -> None:
        """Stop every model server and running build of this state folder."""
        if not self.store.exists():
            return
        for row in self.store.deployments():
            if row["state"] in ("SERVING", "DEPLOYING"):
                self.stop_deployment(row["model_id"], row["variation"])
        for server in self.store.servers():  # also those a failed or replaced deployment left behind
            self._stop_server(server["pid"])
        for row in self.store.builds():
            if not BuildState(row["state"]).terminal:
                self.cancel_build(row["build_id"])
        for job in self.batch_jobs():
            if not job.state.terminal:
                self.cancel_batch_job(job.job_id)

    def record_decision(self, kind: str, model_id: str, subject: str, detail: dict[str, Any]) -> None:
        """``kind`` "gate" (subject: the build) or "trigger" (subject: the DAG)."""
        self.store.record_decision(kind, model_id, subject, detail)

    # -- analytics -------------------------------------------------------------------------
    def query(self, sql: str, *, timeout: float | None = None) -> QueryResult:
        return self.analytics.query(sql, timeout=timeout)


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds it
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
