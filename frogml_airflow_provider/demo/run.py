"""The demo's launcher: Airflow's components, the receiver and the walkthrough, one Ctrl-C stops all.

    python -m frogml_airflow_provider.demo.run --port 8080 --logs .demo/logs [--walkthrough SCRIPT]

It runs what ``airflow standalone`` runs (api-server, scheduler, dag-processor, triggerer, with
the LocalExecutor and the simple auth manager), but as its own children, because standalone
cannot be made to do three things the demo needs:

- **bind to 127.0.0.1 only**: standalone's log servers listen on every interface on fixed ports
  (``host=""`` in ``airflow.utils.serve_logs``); here the scheduler and triggerer skip theirs and
  the launcher serves the same log app on loopback, on ports derived from ``--port``;
- **keep the terminal for the walkthrough**: each component writes to ``LOGS/<component>.log``;
- **stop on one Ctrl-C**: every child runs in a session of its own, so the terminal's SIGINT reaches
  the launcher only; it then stops every process it started, however detached (demo/tree.py), the
  local platform's model servers too, within ``--grace`` seconds plus a SIGKILL round, and prints
  no traceback.

Ports: Airflow ``PORT``, the notification receiver ``PORT+1``, the task and trigger log servers
``PORT+2`` and ``PORT+3``. Model servers take their own (stable) ports from the local platform.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

from frogml_airflow_provider.demo.tree import become_subreaper, reap, stop_tree

# The DAGs the walkthrough unpauses; each run starts with them paused again (demo/reset.py).
WALKTHROUGH_UNPAUSES = ("retrain_iris_on_errors",)
LOG_APP = "airflow.utils.serve_logs.log_server:get_app"


def loopback() -> str:
    """``[core] hostname_callable`` for the demo: Airflow records where a task ran and fetches its
    live log from there; the demo's log servers listen on loopback only."""
    return "127.0.0.1"


def airflow_env(port: int, base: dict[str, str]) -> dict[str, str]:
    """What standalone would set, plus loopback everywhere and every port derived from ``port``."""
    return {
        **base,
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        # The demo's own admin and password file, whatever the environment says (the launcher reads it there).
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(
            Path(base["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated"
        ),
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": "frogml_airflow_provider.demo.run.loopback",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(port + 2),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(port + 3),
        "FROGML_DEMO_WEBHOOK_URL": f"http://127.0.0.1:{port + 1}/notify",
    }


def components(port: int) -> dict[str, list[str]]:
    python = sys.executable
    airflow = str(Path(python).with_name("airflow"))

    def log_server(on: int) -> list[str]:
        code = (
            f"import uvicorn; uvicorn.run({LOG_APP!r}, factory=True, host='127.0.0.1', port={on}, "
            "log_config=None, access_log=False)"
        )
        return [python, "-c", code]

    return {
        "api-server": [airflow, "api-server"],
        "scheduler": [airflow, "scheduler", "--skip-serve-logs"],
        "dag-processor": [airflow, "dag-processor"],
        "triggerer": [airflow, "triggerer", "--skip-serve-logs"],
        "task-log-server": log_server(port + 2),
        "trigger-log-server": log_server(port + 3),
    }


class Stop(Exception):
    """Ctrl-C (or SIGTERM, SIGHUP) while the launcher was starting something."""


@dataclass
class Launcher:
    port: int
    logs: Path
    env: dict[str, str]
    grace: float = 5.0
    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)
    signals: int = 0
    logged: set[str] = field(default_factory=set)  # the children whose output goes to LOGS/<name>.log

    # -- signals -----------------------------------------------------------------------------
    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.signals += 1
        self.stopping.set()
        if self.signals == 2:
            say("stopping already; what is left is killed now")

    def check(self) -> None:
        if self.stopping.is_set():
            raise Stop

    # -- children ----------------------------------------------------------------------------
    def start(self, name: str, argv: list[str], *, to_log: bool = True) -> subprocess.Popen[bytes]:
        """Start ``argv`` in a session of its own: the terminal's Ctrl-C reaches the launcher only."""
        out: IO[bytes] | None = open(self.logs / f"{name}.log", "ab") if to_log else None  # noqa: SIM115
        if to_log:
            self.logged.add(name)
        try:
            process = subprocess.Popen(
                argv, env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True
            )
        finally:
            if out is not None:
                out.close()  # the child has its own copy
        self.children[name] = process
        return process

    def step(self, name: str, argv: list[str], *, to_log: bool = True, timeout: float = 600) -> int:
        """Run one preparation step to its end (or to a Ctrl-C): its exit code."""
        process = self.start(name, argv, to_log=to_log)
        deadline = time.monotonic() + timeout
        while process.poll() is None:
            self.check()
            if time.monotonic() > deadline:
                raise SystemExit(self.fail(f"{name} did not finish within {timeout:g} s; see {self.log(name)}"))
            time.sleep(0.1)
        del self.children[name]
        return int(process.returncode)

    def log(self, name: str) -> str:
        """Where ``name``'s output went."""
        return str(self.logs / f"{name}.log") if name in self.logged else "its output above"

    def fail(self, message: str) -> int:
        say(message)
        return 1

    def exited(self) -> str | None:
        """The first long-running child that ended on its own, if any (the walkthrough ends)."""
        ended = [name for name, process in self.children.items() if process.poll() is not None]
        return next((name for name in ended if name != "walkthrough"), None)

    def wait_until_up(self, timeout: float) -> str | None:
        """Poll the API server until it answers and the admin password exists: the password."""
        password_file = Path(self.env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check()
            reap(keep=[p.pid for p in self.children.values()])
            if (gone := self.exited()) is not None:
                raise SystemExit(self.fail(f"the demo's {gone} exited at start-up; see {self.log(gone)}"))
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v2/version", timeout=2):
                    pass
                return str(next(iter(json.loads(password_file.read_text()).values())))
            except (OSError, ValueError, StopIteration):
                time.sleep(1)
        return None

    # -- stopping ------------------------------------------------------------------------------
    def stop_everything(self) -> int:
        started = time.monotonic()
        say("stopping Airflow, the receiver and the model servers ...")
        left = stop_tree(self.grace, between=self.stop_model_servers, hurry=lambda: self.signals >= 2)
        if left:
            say(f"could not stop process(es) {sorted(left)}; stop them with: kill -9 {' '.join(map(str, left))}")
            return 1
        say(f"stopped everything the demo started ({time.monotonic() - started:.1f} s)")
        return 0

    def stop_model_servers(self) -> None:
        """The local platform's servers and builds run detached on purpose (they outlive a task);
        stopping them through the platform also records their deployments as stopped."""
        state = Path(self.env["AIRFLOW_HOME"]) / "frogml-local"
        try:
            from frogml_airflow_provider.platform.local.platform import LocalPlatform

            LocalPlatform(state).shutdown()
        except Exception as error:  # noqa: BLE001 - the process sweep that follows stops them anyway
            say(f"the local platform's own shutdown failed ({error}); its processes are killed instead")


def say(text: str) -> None:
    try:
        print(f"\n==> {text}", flush=True)
    except OSError:
        pass  # the terminal is gone (SIGHUP): stopping goes on without it


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8080, help="Airflow's port; the others follow it (default 8080)")
    parser.add_argument("--logs", type=Path, required=True, help="folder for Airflow's logs, one file per component")
    parser.add_argument("--automations", type=Path, help="validated first, when given")
    parser.add_argument("--walkthrough", type=Path, help="script run once Airflow answers: URL PASSWORD STATE_DIR")
    parser.add_argument("--grace", type=float, default=5.0, help="seconds the processes get after SIGTERM")
    parser.add_argument("--startup-timeout", type=float, default=300.0)
    args = parser.parse_args(argv)
    if "AIRFLOW_HOME" not in os.environ:
        parser.error("set AIRFLOW_HOME (scripts/demo.sh does)")
    args.logs.mkdir(parents=True, exist_ok=True)
    launcher = Launcher(args.port, args.logs, airflow_env(args.port, dict(os.environ)), grace=args.grace)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, launcher.on_signal)
    if not become_subreaper():
        say("note: this kernel cannot adopt orphans (no PR_SET_CHILD_SUBREAPER); a process that detaches may survive")
    try:
        return run(launcher, args)
    except Stop:
        return launcher.stop_everything()
    except SystemExit as done:
        launcher.stop_everything()
        return int(done.code or 0)
    except Exception:  # noqa: BLE001 - a fault of the launcher itself: stop what it started, say where to look
        (args.logs / "launcher.log").write_text(traceback.format_exc())
        say(f"the demo's launcher failed; the details are in {args.logs / 'launcher.log'}")
        launcher.stop_everything()
        return 1


def taken_ports(port: int) -> list[str]:
    """Which of the demo's ports another program holds on 127.0.0.1, named by their use."""
    uses = ("Airflow", "the notification receiver", "Airflow's task log server", "Airflow's trigger log server")
    taken = []
    for offset, use in enumerate(uses):
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
            try:
                probe.bind(("127.0.0.1", port + offset))
            except OSError:
                taken.append(f"{port + offset} ({use})")
    return taken


def run(launcher: Launcher, args: argparse.Namespace) -> int:
    python, env = sys.executable, launcher.env
    if taken := taken_ports(args.port):
        raise SystemExit(
            launcher.fail(
                f"port(s) {', '.join(taken)} are in use on 127.0.0.1 (another demo?); stop what uses them "
                f"or choose other ports: bash scripts/demo.sh --port N uses N..N+3"
            )
        )
    home, url = Path(env["AIRFLOW_HOME"]), f"http://127.0.0.1:{args.port}"
    if args.automations is not None:
        validate = [str(Path(python).with_name("frogml-airflow")), "validate", str(args.automations)]
        if launcher.step("validate", validate, to_log=False) != 0:
            raise SystemExit(launcher.fail("the automations above have problems; fix them and run the demo again"))
    say(f"Airflow's logs: {args.logs}/ (one file per component); this terminal shows the walkthrough")
    airflow = str(Path(python).with_name("airflow"))
    if launcher.step("db-migrate", [airflow, "db", "migrate"]) != 0:
        raise SystemExit(launcher.fail(f"airflow db migrate failed; see {launcher.log('db-migrate')}"))
    if launcher.step("reset", [python, "-m", "frogml_airflow_provider.demo.reset", *WALKTHROUGH_UNPAUSES]) != 0:
        raise SystemExit(launcher.fail(f"could not reset the demo's trigger state; see {launcher.log('reset')}"))
    say(
        f"reset the metric triggers' state and paused {', '.join(WALKTHROUGH_UNPAUSES)} again: this run "
        "retrains as the first did\n    (earlier runs and builds stay; to start from scratch, stop the demo "
        f"and delete {home.parent})"
    )
    receiver = [python, "-m", "frogml_airflow_provider.demo.receiver", "--port", str(args.port + 1)]
    launcher.start("receiver", receiver, to_log=False)  # its lines (notifications) are part of the story
    for name, command in components(args.port).items():
        launcher.start(name, command)
    say(f"starting Airflow on {url} (about a minute) ...")
    password = launcher.wait_until_up(args.startup_timeout)
    if password is None:
        raise SystemExit(launcher.fail(f"Airflow did not answer within {args.startup_timeout:g} s; see {args.logs}/"))
    say(f"Airflow is up: {url}  (login: admin / {password})   Ctrl-C stops everything")
    if args.walkthrough is not None:
        walkthrough = [python, str(args.walkthrough), url, password, str(home / "frogml-local")]
        launcher.start("walkthrough", walkthrough, to_log=False)
    while True:
        launcher.check()
        reap(keep=[p.pid for p in launcher.children.values()])
        if (gone := launcher.exited()) is not None:
            code = launcher.children[gone].returncode
            raise SystemExit(launcher.fail(f"the demo's {gone} exited (code {code}); see {launcher.log(gone)}"))
        launcher.stopping.wait(1.0)


if __name__ == "__main__":
    raise SystemExit(main())
