"""The demo's launcher as a terminal meets it: Airflow up on loopback, a task running (its command
in a session of its own, a grandchild detached further), one SIGINT to the launcher's process
group (what Ctrl-C sends), and then: no process it started remains, no traceback was printed.

The launcher runs under tests/support/adopt.py, a subreaper: whatever the launcher leaves behind,
however detached or renamed, is re-parented there and reported.
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

from tests.support import ROOT
from tests.support.adopt import descendants
from tests.support.airflow import free_port
from tests.support.processes import kill_tagged, listening, new_tag

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
    pidfile, report = tmp_path / "launcher.pid", tmp_path / "report.json"
    argv = [sys.executable, "-m", "frogml_airflow_provider.demo.run", "--port", str(port), "--logs", str(logs)]
    adopt = [sys.executable, "-m", "tests.support.adopt", str(pidfile), str(report), "--", *argv]
    with open(output, "wb") as terminal:
        wrapper = subprocess.Popen(adopt, env=env, cwd=ROOT, stdout=terminal, stderr=subprocess.STDOUT)
    try:
        wait_for("Airflow is up", lambda: "Airflow is up" in output.read_text(), 300, wrapper, output)
        # Loopback only, on the ports derived from --port (Airflow, receiver, two log servers).
        ports = {port + offset for offset in range(4)}

        def sockets() -> set[tuple[str, int]]:
            found = listening(list(descendants(wrapper.pid)))
            return found if ports <= {number for _, number in found} else set()

        sockets = wait_for("the four servers to listen", sockets, 60, wrapper, output)
        assert {address for address, _ in sockets} == {"127.0.0.1"}, sockets
        token = post(port, "/auth/token", {"username": "admin", "password": password(home)})["access_token"]

        def run_started() -> bool:
            try:
                post(port, "/api/v2/dags/hold/dagRuns", {"logical_date": None}, token)
                return True
            except OSError:
                return False  # the DAG is not parsed yet

        wait_for("the DAG to accept a run", run_started, 180, wrapper, output)
        wait_for("the task's command to run", lambda: sleeping(wrapper.pid), 240, wrapper, output)
        os.killpg(int(pidfile.read_text()), signal.SIGINT)  # what the terminal does on Ctrl-C
        wrapper.wait(timeout=90)
        text, result = output.read_text(), json.loads(report.read_text())
        assert result["returncode"] == 0, text
        assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
        assert "stopped everything the demo started" in text
        assert result["left"] == {}, f"left running: {result['left']}"
    finally:
        if wrapper.poll() is None and pidfile.exists():
            os.killpg(int(pidfile.read_text()), signal.SIGKILL)
            wrapper.wait(timeout=30)
        kill_tagged(tag)


def sleeping(root: int) -> bool:
    """Both the task's command and its detached grandchild run."""
    return {"sleep 610", "sleep 611"} <= set(descendants(root).values())


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


def test_ports_in_use_are_named_before_anything_starts(tmp_path: Path) -> None:
    port = four_free_ports()
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path / "home"), "PYTHONWARNINGS": "ignore"}
    argv = [sys.executable, "-m", "frogml_airflow_provider.demo.run", "--port", str(port), "--logs", str(tmp_path)]
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port + 1))
        holder.listen(1)
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert f"port(s) {port + 1} (the notification receiver) are in use" in done.stdout
    assert "--port N uses N..N+3" in done.stdout and "Traceback" not in done.stdout + done.stderr
    assert not (tmp_path / "home").exists()  # nothing was started or written
