"""The ledger: which automations run on JFrog ML instead of Airflow, and since when.

A small JSON file beside the automation files (``frogml-ledger.json``), written by
``frogml-airflow migrate`` and meant to be committed: a hand-over is then reviewable like any other
change, and the loader reads it at parse time without any network call. An automation that is not
in the ledger runs on Airflow. The loader keeps the DAG of a handed-over automation visible (its
history stays) but unscheduled and paused, and its docs say where it runs now.

Several ``migrate`` commands may run at once: every change is a read-modify-write of one entry
under an OS lock (``update_ledger``), in ``.frogml-locks/`` beside the ledger (git-ignored by a
``.gitignore`` of its own), so none works on a stale copy and an undo removes only its own entry.
The same folder holds one lock per automation name (``automation_lock``): one hand-over of a name
at a time on this machine. A rewrite keeps the file's mode (a dag-processor running as another
user must still read it); a new ledger is 0644.

Pure: no Airflow, network or SDK import.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from frogml_airflow_provider.errors import HandoverError, LedgerError

LEDGER_NAME = "frogml-ledger.json"
LOCKS_NAME = ".frogml-locks"
NEW_FILE_MODE = 0o644
LEDGER_LOCK_WAIT = 30.0  # seconds; the lock is held for one read-modify-write (milliseconds)
JFROG = "jfrog"
AIRFLOW = "airflow"
_VERSION = 1


@dataclass(frozen=True)
class Handover:
    """One automation that runs on JFrog ML: since when, and who moved it."""

    name: str
    since: str  # ISO 8601, UTC, to the second
    by: str = ""

    def to_json(self) -> dict[str, str]:
        return {"runs_on": JFROG, "since": self.since, **({"by": self.by} if self.by else {})}


@dataclass(frozen=True)
class Ledger:
    path: Path
    handovers: dict[str, Handover]

    def runs_on(self, name: str) -> str:
        return JFROG if name in self.handovers else AIRFLOW

    def with_handover(self, name: str, *, by: str = "", now: datetime | None = None) -> Ledger:
        since = (now or datetime.now(UTC)).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        return Ledger(self.path, {**self.handovers, name: Handover(name, since, by)})

    def without(self, name: str) -> Ledger:
        return Ledger(self.path, {k: v for k, v in self.handovers.items() if k != name})

    def with_entry(self, handover: Handover) -> Ledger:
        """The ledger with ``handover`` put back as it was (an undo of ``without``)."""
        return Ledger(self.path, {**self.handovers, handover.name: handover})

    def text(self) -> str:
        body = {
            "version": _VERSION,
            "comment": "Automations that run on JFrog ML instead of Airflow; written by frogml-airflow migrate.",
            "automations": {name: self.handovers[name].to_json() for name in sorted(self.handovers)},
        }
        return json.dumps(body, indent=2) + "\n"


def ledger_path(folder: str | os.PathLike[str]) -> Path:
    return Path(folder) / LEDGER_NAME


def read_ledger(folder: str | os.PathLike[str]) -> Ledger:
    """The ledger of an automations folder; an empty one when the file does not exist.

    Anything unreadable (not UTF-8, not JSON, nested past the parser's depth, the wrong shape) is one
    ``LedgerError`` naming the file and the fix, never another exception: the loader turns it into
    one import error and keeps every DAG, unscheduled."""
    path = ledger_path(folder)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Ledger(path, {})
    except OSError as error:
        raise LedgerError(str(path), f"cannot read the ledger ({error.strerror or error})") from None
    return Ledger(path, _parse(path, _decode(path, data)))


_FIX = "fix the file by hand (it is JSON; see git history) or delete it to hand every automation back to Airflow"


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")  # an editor's BOM is harmless
    except UnicodeDecodeError as error:
        utf16 = data[:2] in (b"\xff\xfe", b"\xfe\xff")
        hint = " (it is UTF-16, as PowerShell's `>` writes)" if utf16 else ""
        raise LedgerError(
            str(path), f"is not UTF-8 text{hint}: byte {error.start} cannot be decoded; save it as UTF-8, or {_FIX}"
        ) from None


def _parse(path: Path, text: str) -> dict[str, Handover]:
    fix = _FIX
    try:
        data: Any = json.loads(text)
    except ValueError as error:
        raise LedgerError(str(path), f"is not valid JSON ({error}); {fix}") from None
    except RecursionError:
        raise LedgerError(
            str(path), f"is nested too deep to be a ledger (a ledger is two levels deep); {fix}"
        ) from None
    entries = data.get("automations") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise LedgerError(str(path), f"has no 'automations' object; {fix}")
    handovers = {}
    for name, entry in entries.items():
        if not isinstance(entry, dict) or entry.get("runs_on") != JFROG or not isinstance(entry.get("since"), str):
            raise LedgerError(str(path), f'entry {name!r} must be {{"runs_on": "jfrog", "since": "<ISO time>"}}; {fix}')
        handovers[name] = Handover(name, entry["since"], str(entry.get("by") or ""))
    return handovers


def write_ledger(ledger: Ledger) -> None:
    """Replace the ledger file atomically (a reader sees the old or the new one, never half), keeping
    its mode (a new file: 0644). A symlinked ledger is written where the link points. Unlocked: a
    change several commands may make at once goes through ``update_ledger``."""
    ledger.path.parent.mkdir(parents=True, exist_ok=True)
    if not ledger.handovers and not ledger.path.exists():
        return
    target = ledger.path.resolve() if ledger.path.is_symlink() else ledger.path
    try:
        found = target.stat()
        mode, group = found.st_mode & 0o7777, found.st_gid
    except FileNotFoundError:
        mode, group = NEW_FILE_MODE, -1
    fd, tmp = tempfile.mkstemp(prefix=f".{LEDGER_NAME}.", dir=target.parent)
    try:
        if group != -1:
            try:  # the group a dag-processor may read it through (allowed when we are in that group)
                os.fchown(fd, -1, group)
            except OSError:
                pass
        os.fchmod(fd, mode)  # mkstemp makes 0600: a dag-processor of another user could not read it
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(ledger.text())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def update_ledger(
    folder: str | os.PathLike[str], change: Callable[[Ledger], Ledger], *, wait: float = LEDGER_LOCK_WAIT
) -> tuple[Ledger, Ledger]:
    """Apply ``change`` to the ledger as it is now, under the folder's ledger lock: (before, after).

    Each change reads the file inside the lock, so two commands never write stale copies over each
    other's entries; ``change`` should touch only its own automation's entry."""
    path = ledger_path(folder)
    with _file_lock(Path(folder), "ledger.lock", wait=wait) as holder:
        if holder is not None:
            raise LedgerError(
                str(path),
                f"is locked by another frogml-airflow command ({holder}) for more than {wait:g} s; "
                "try again when it ends",
            )
        before = read_ledger(folder)
        after = change(before)
        if after.handovers != before.handovers:
            write_ledger(after)
        return before, after


@contextmanager
def automation_lock(folder: str | os.PathLike[str], name: str) -> Iterator[None]:
    """Hold the hand-over lock of automation ``name`` of ``folder`` on this machine; HandoverError at
    once when another command holds it."""
    file = "automation-" + hashlib.blake2b(name.encode(), digest_size=10).hexdigest() + ".lock"
    with _file_lock(Path(folder), file, wait=0.0) as holder:
        if holder is not None:
            raise HandoverError(
                f"{name}: another frogml-airflow migrate of it is running on this machine ({holder}); "
                "let it finish (or stop it: it undoes itself), then check with frogml-airflow status"
            )
        yield


@contextmanager
def _file_lock(folder: Path, file: str, *, wait: float) -> Iterator[str | None]:
    """An exclusive ``flock`` on ``<folder>/.frogml-locks/<file>``, waiting up to ``wait`` seconds.

    Yields None when held; otherwise who holds it ("pid N"), and the caller refuses. The lock goes
    with the process: a command killed with SIGKILL leaves no stale lock, only an empty file."""
    locks = folder / LOCKS_NAME
    try:
        locks.mkdir(exist_ok=True)
        ignore = locks / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n")  # lock files are this machine's, never a change to commit
        fd = os.open(locks / file, os.O_RDWR | os.O_CREAT, NEW_FILE_MODE)
    except OSError as error:
        raise LedgerError(
            str(locks / file),
            f"cannot create the lock beside the ledger ({error.strerror or error}); "
            "the automations folder must be writable for frogml-airflow migrate",
        ) from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield _holder(fd)
                    return
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}\n".encode(), 0)
        yield None
    finally:
        os.close(fd)  # releases the lock


def _holder(fd: int) -> str:
    try:
        return os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "a process"
    except OSError:
        return "a process"
