"""Finding a test's processes wherever they ended up: each carries a unique environment variable
(a tag) that every descendant inherits, whatever group, session or parent it has by then; except
a process that calls ``setproctitle`` (Airflow's api-server, workers, log servers), which rewrites
its environment block: to find those, run the command under tests/support/adopt.py."""

from __future__ import annotations

import os
import signal
import socket
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


def listening(pids: list[int]) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket that one of ``pids`` listens on (IPv4 and IPv6)."""
    inodes = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue  # gone, or not ours to read
    found = set()
    for table, size in (("tcp", 4), ("tcp6", 16)):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            address, port = fields[1].split(":")
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                raw = bytes.fromhex(address)
                # /proc prints each 32-bit word in host (little-endian) order
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, size, 4))
                family = socket.AF_INET if size == 4 else socket.AF_INET6
                found.add((socket.inet_ntop(family, words), int(port, 16)))
    return found
