"""The local platform's detached processes (builds, model servers): start, recognise, stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PACKAGE = "frogml_airflow_provider.platform.local"


def spawn(module: str, args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start ``python -m frogml_airflow_provider.platform.local.<module>`` detached (its own
    session: it outlives the task that started it), writing to ``log``."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", f"{PACKAGE}.{module}", *args],
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


def runs(pid: int | None, module: str, *args: str) -> bool:
    """True while ``pid`` is alive *and* runs our ``module`` (with ``args``, if given).

    A pid is reused once its process is gone: checking the command line keeps a long-dead
    build from looking alive again, and keeps ``terminate`` from signalling someone else's
    process. Where ``/proc`` is missing, liveness alone decides.
    """
    if not pid or not process_alive(pid):
        return False
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True
    words = [word.decode(errors="replace") for word in argv]
    return f"{PACKAGE}.{module}" in words and all(arg in words for arg in args)


def signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def terminate(pid: int | None, module: str, *args: str, grace: float = 5.0) -> None:
    """Stop one of our detached processes and everything it started (its own process group)."""
    if not runs(pid, module, *args):
        return
    assert pid is not None
    for sig in (signal.SIGTERM, signal.SIGKILL):
        signal_group(pid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not process_alive(pid):
                return
            time.sleep(0.05)
