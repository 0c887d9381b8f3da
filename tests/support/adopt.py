"""Run a command and report every process it leaves behind, whatever it became.

    python -m tests.support.adopt PIDFILE REPORT -- COMMAND...

This process becomes a child subreaper (Linux), starts COMMAND in a session of its own (its pid
goes to PIDFILE, so a test can signal its group as a terminal would), and waits for it. A process
orphaned below it - by COMMAND's exit or earlier - is re-parented here, not to PID 1, so once
COMMAND has exited its remaining descendants are exactly what it left running, however they
detached or renamed themselves (``setproctitle`` rewrites the command line *and* the environment
block, so neither identifies an Airflow process reliably). REPORT gets JSON: the exit code and the
leftovers' pids and command lines; the leftovers are then killed.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def descendants(root: int) -> dict[int, str]:
    """pid -> command line of every live process below ``root``."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit():
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if fields[0] != "Z":
                    parents[int(entry.name)] = int(fields[1])
        except OSError:
            continue
    found, todo = set(), [root]
    while todo:
        parent = todo.pop()
        for pid, its_parent in parents.items():
            if its_parent == parent and pid not in found:
                found.add(pid)
                todo.append(pid)
    lines = {}
    for pid in found:
        try:
            lines[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
    return lines


def main(pidfile: str, report: str, command: list[str]) -> int:
    if ctypes.CDLL(None).prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
        raise SystemExit("cannot become a child subreaper")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the signals are for COMMAND
    process = subprocess.Popen(command, start_new_session=True)
    Path(pidfile).write_text(str(process.pid))
    code = process.wait()
    time.sleep(0.5)  # orphans of its last moments reach us
    left = descendants(os.getpid())
    Path(report).write_text(json.dumps({"returncode": code, "left": left}))
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    split = sys.argv.index("--")
    raise SystemExit(main(sys.argv[1], sys.argv[2], sys.argv[split + 1 :]))
