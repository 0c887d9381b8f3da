"""One endpoint per model and variation across deploys: the listening socket passes between servers.

JFrog ML keeps a variation's URL when a new build is deployed; so does the local platform. The
deployment's port is chosen once (platform.py) and every later server of the same model and
variation serves on it. Binding it anew would need the old server gone first (connections in
between are refused), and two sockets sharing it with ``SO_REUSEPORT`` lose the connections queued
on the closing one. So the old server *hands its listening socket over*: the new one asks for it
over a Unix socket (``SCM_RIGHTS``), both accept from the one kernel queue for a moment, the old
one stops accepting, finishes what it accepted and exits. No connection is refused or dropped.

Each serving server offers its socket at an abstract Unix address named after its pid (Linux; no
file to clean up), to processes of the same user only (``SO_PEERCRED``).
"""

from __future__ import annotations

import hashlib
import os
import socket
import struct
import threading
from pathlib import Path

TIMEOUT = 5.0  # a handover is one message between two processes on one machine


def address(state_root: Path, pid: int) -> str:
    """The abstract Unix address where server ``pid`` of this state folder offers its socket."""
    folder = hashlib.sha256(str(state_root).encode()).hexdigest()[:16]
    return f"\0frogml-local-server-{folder}-{pid}"


def offer(listener: socket.socket, state_root: Path, stopping: threading.Event) -> socket.socket | None:
    """Serve ``listener`` to later servers of this user, in a daemon thread; the Unix socket, or
    None where abstract addresses do not exist (no handover: the next deploy binds anew)."""
    try:
        office = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        office.bind(address(state_root, os.getpid()))
        office.listen(4)
    except OSError:
        return None

    def serve() -> None:
        while not stopping.is_set():
            try:
                peer, _ = office.accept()
            except OSError:
                return  # closed: this server stops
            with peer:
                try:
                    creds = peer.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
                    _, uid, _ = struct.unpack("3i", creds)
                    if uid == os.getuid():
                        socket.send_fds(peer, [b"listener"], [listener.fileno()])
                except OSError:
                    continue

    threading.Thread(target=serve, name="handoff", daemon=True).start()
    return office


def take(state_root: Path, pid: int, port: int) -> socket.socket | None:
    """The listening socket of server ``pid``, if it serves on ``port`` and hands it over."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(TIMEOUT)
            client.connect(address(state_root, pid))
            _, fds, _, _ = socket.recv_fds(client, 64, 1)
    except OSError:
        return None
    if not fds:
        return None
    listener = socket.socket(fileno=fds[0])
    for extra in fds[1:]:
        os.close(extra)
    try:
        on_port = listener.getsockname()[1] == port
    except OSError:
        on_port = False
    if not on_port:
        listener.close()
        return None
    return listener
