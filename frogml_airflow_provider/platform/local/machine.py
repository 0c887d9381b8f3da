"""Which machine a local platform's state folder belongs to, so that a wrong setup fails at once.

The local platform runs builds and model servers as processes of the machine that starts them,
and keeps its registry in SQLite (WAL, which needs one machine's shared memory). Several workers
on one machine share it safely; workers on several machines cannot, whether or not the folder is
shared between them: a build started on one machine is invisible to (or unreachable from) the
others. So the first process to use a state folder writes ``machine.json`` into it (its host name
and ``/etc/machine-id``), and every later process compares. A mismatch (a folder shared over the
network, or one copied) fails with an error that says to use the JFrog ML backend. Workers with
separate folders are told the same when they meet a build or trigger from another machine: the
platform's locator, which triggers carry, names the machine it was created on.

Containers count as separate machines (their host names differ): a model server started in one is
not reachable from another.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from frogml_airflow_provider.platform.base import PlatformError

MARKER = "machine.json"
FIX = (
    "The local platform runs builds and model servers as processes of one machine, so the workers, "
    "the triggerer and the scheduler must all run there. With workers on several machines, use the "
    "JFrog ML backend: set the frogml connection's host to your JFrog URL and its password to an access token."
)


def this_machine() -> str:
    """``host/machine-id``: equal for every process of one machine (or container), else different."""
    try:
        machine_id = Path("/etc/machine-id").read_text().strip()
    except OSError:
        machine_id = ""
    return f"{socket.gethostname()}/{machine_id or '-'}"


def owner(state_dir: Path) -> str:
    """The machine the folder belongs to (this one when unclaimed): reads only, creates nothing;
    raises when it is another's."""
    marker = state_dir / MARKER
    mine = this_machine()
    if not marker.exists():
        return mine
    return _compare(state_dir, marker, mine)


def claim(state_dir: Path) -> str:
    """The machine the folder belongs to, claiming it for this one when unclaimed (before the first
    write: a build, a deployment, a batch job); raises on another's."""
    marker = state_dir / MARKER
    mine = this_machine()
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        with open(marker, "x") as file:  # exclusive: of two processes claiming at once, one wins
            json.dump({"machine": mine, "pid": os.getpid()}, file)
        return mine
    except FileExistsError:
        pass
    return _compare(state_dir, marker, mine)


def _compare(state_dir: Path, marker: Path, mine: str) -> str:
    try:
        owner = str(json.loads(marker.read_text())["machine"])
    except (OSError, ValueError, KeyError, TypeError):
        return mine  # being written by the winner of a race, or damaged: nothing to compare with
    if owner != mine:
        raise PlatformError(
            f"the local platform's state folder {state_dir} belongs to machine {owner!r} (see {marker}), "
            f"but this process runs on {mine!r}. {FIX}"
        )
    return owner


def check_locator(machine: str | None, state_dir: Path) -> None:
    """A trigger or task carrying a locator from another machine: fail, saying why."""
    if machine and machine != this_machine():
        raise PlatformError(
            f"this build or deployment was started by the local platform on machine {machine!r} "
            f"(state folder {state_dir}), and this process runs on {this_machine()!r}. {FIX}"
        )
