"""The demo's launcher as a terminal meets it: Airflow up on loopback, a task running (its command
in a session of its own, a grandchild detached further), one SIGINT to the launcher's process
group (what Ctrl-C sends), and then: no process it started remains, no traceback was printed.

Every process of the demo inherits a unique environment variable, so what is left is found
whatever group, session or parent it ended up with.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.airflow import free_port
from tests.support.processes import kill_tagged, new_tag, tagged

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")]

DAG = """
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

with DAG("hold", schedule=None, is_paused_upon_creation=False):
    # "sleep 611": orphaned at once in a session of its own, as the local platform's servers are
    BashOperator(task_id="hold", bash_command="(setsid sleep 611 >/dev/null 2>&1 &); sleep 610")
"""


def four_free_ports() -> int:
    """A port P with P..P+3 free on loopback (the launcher derives its ports from P)."""
    for _ in range(50):
        port = free_port()
        if port + 3 > 65535:
            continue
        try:
            for offset in range(4):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port + offset))
            return port
        except OSError:
            continue
    raise RuntimeError("no four consecutive free ports on 127.0.0.1")


def wait_for(what: str, check, timeout: float, launcher: subprocess.Popen, output: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        assert launcher.poll() is None, f"the launcher exited while waiting for {what}:\n{output.read_text()}"
        time.sleep(1)
    raise AssertionError(f"{what} did not happen within {timeout:g} s:\n{output.read_text()}")


def listening(port: int) -> set[str]:
    """Local addresses listening on ``port`` (from /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, port_hex = local.split(":")
        if state == "0A" and int(port_hex, 16) == port:
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def test_one_sigint_stops_every_process_without_a_traceback(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "hold.py").write_text(DAG)
    home, logs, output = tmp_path / "home", tmp_path / "logs", tmp_path / "terminal.txt"
    port, tag = four_free_ports(), new_tag("FROGML_DEMO_TEST")
    env = {
        **os.environ,
        tag: "1",
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "2",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "PYTHONWARNINGS": "ignore",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    argv = [sys.executable, "-m", "frogml_airflow_provider.demo.run", "--port", str(port), "--logs", str(logs)]
    with open(output, "wb") as terminal:
        launcher = subprocess.Popen(argv, env=env, stdout=terminal, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for("Airflow is up", lambda: "Airflow is up" in output.read_text(), 300, launcher, output)
        # Loopback only, on the ports derived from --port (Airflow, receiver, two log servers).
        for offset in range(4):
            assert listening(port + offset) == {"127.0.0.1"}, (port + offset, listening(port + offset))
        token = post(port, "/auth/token", {"username": "admin", "password": password(home)})["access_token"]

        def run_started() -> bool:
            try:
                post(port, "/api/v2/dags/hold/dagRuns", {"logical_date": None}, token)
                return True
            except OSError:
                return False  # the DAG is not parsed yet

        wait_for("the DAG to accept a run", run_started, 180, launcher, output)
        wait_for("the task's command to run", lambda: sleeping(tag), 240, launcher, output)
        os.killpg(launcher.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
        launcher.wait(timeout=60)
        text = output.read_text()
        assert launcher.returncode == 0, text
        assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
        assert "stopped everything the demo started" in text
        assert tagged(tag) == [], f"left running: {tagged(tag)}"
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
        kill_tagged(tag)


def sleeping(tag: str) -> bool:
    """Both the task's command and its detached grandchild run."""
    names = set()
    for pid in tagged(tag):
        try:
            names.add(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip())
        except OSError:
            continue
    return {"sleep 610", "sleep 611"} <= names


def password(home: Path) -> str:
    generated = home / "simple_auth_manager_passwords.json.generated"
    return str(next(iter(json.loads(generated.read_text()).values())))


def post(port: int, path: str, body: object, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())
