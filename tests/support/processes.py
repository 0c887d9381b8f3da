"""Finding a test's processes wherever they ended up: each carries a unique environment variable
(a tag) that every descendant inherits, whatever group, session or parent it has by then."""

from __future__ import annotations

import os
import signal
import uuid
from pathlib import Path


def new_tag(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def tagged(tag: str) -> list[int]:
    """Live (not zombie) processes whose environment carries ``tag``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if not entry.name.isdigit() or tag.encode() not in (entry / "environ").read_bytes():
                continue
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":  # a zombie is gone
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def kill_tagged(tag: str) -> None:
    """SIGKILL what is left of a test's processes (its cleanup, pass or fail)."""
    for pid in tagged(tag):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
