"""Every process a launcher started, however it detached, and stopping all of them in bounded time.

Airflow's components do not stay in one process group: a task's supervisor moves the task into a
group of its own (``setpgid``), a ``BashOperator`` starts its command in a new session, and the
local platform's builds and model servers start detached on purpose. Signalling one group misses
them, and a component that dies first leaves its children to PID 1. So the launcher makes itself
a *child subreaper* (Linux ``prctl``): orphans of its subtree are re-parented to it, never to
PID 1, and walking ``/proc`` from the launcher finds every process it started, directly or not.
"""

from __future__ import annotations

import ctypes
import os
import signal
import time
from collections.abc import Callable, Iterable
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Adopt the orphans of this process's subtree (Linux); False where the kernel cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _parents() -> dict[int, int]:
    """pid -> parent pid of every live (not zombie) process, from ``/proc``."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])
    return parents


def descendants(root: int | None = None, parents: dict[int, int] | None = None) -> set[int]:
    """The live processes below ``root`` (this process), found through their parents."""
    root = os.getpid() if root is None else root
    children: dict[int, list[int]] = {}
    for pid, parent in (_parents() if parents is None else parents).items():
        children.setdefault(parent, []).append(pid)
    found: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def reap(keep: Iterable[int] = ()) -> None:
    """Collect exited children (adopted orphans), so that they do not stay zombies of the
    launcher; not those in ``keep``, whose exit status their ``Popen`` still has to read."""
    me, kept = os.getpid(), set(keep)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in kept:
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] == "Z" and int(fields[1]) == me:
            try:
                os.waitpid(int(entry.name), os.WNOHANG)
            except ChildProcessError:
                pass


def _signal_all(pids: Iterable[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def stop_tree(
    grace: float,
    *,
    between: Callable[[], None] | None = None,
    hurry: Callable[[], bool] = lambda: False,
    poll: float = 0.1,
) -> set[int]:
    """Stop every descendant: SIGTERM to the direct children first (each component then stops
    its own children, in its order: signalled all at once, Airflow's triggerer waits for a trigger
    runner that is already gone), after ``grace / 2`` seconds SIGTERM to every process left, after
    ``grace`` SIGKILL. Returns the pids still alive after that (none, unless one is stuck in the
    kernel).

    ``between`` runs once the first SIGTERM wave is out (the launcher stops model servers there);
    ``hurry`` cuts the waits short (a second Ctrl-C). Processes started meanwhile (a component
    restarting a child) get the same treatment.
    """
    started = time.monotonic()
    me = os.getpid()
    signalled: set[int] = set()
    while True:
        reap()
        parents = _parents()
        alive = descendants(me, parents)
        if not alive or time.monotonic() > started + grace or hurry():
            break
        everyone = time.monotonic() > started + grace / 2
        fresh = {pid for pid in alive - signalled if everyone or parents.get(pid) == me}
        _signal_all(fresh, signal.SIGTERM)
        signalled |= fresh
        if between is not None:
            between()
            between = None
        time.sleep(poll)
    for _ in range(50):  # SIGKILL cannot be ignored; a few rounds catch children forked meanwhile
        reap()
        alive = descendants()
        if not alive:
            return set()
        _signal_all(alive, signal.SIGKILL)
        time.sleep(poll)
    reap()
    return descendants()
