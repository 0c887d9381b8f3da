"""A receiver on 127.0.0.1 that answers one byte at a time: a valid response, very slowly."""

from __future__ import annotations

import socket
import threading

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


class Trickler:
    """Every connection gets ``RESPONSE`` one byte per ``interval`` seconds, after reading the
    request's first bytes; it stops when the client goes away."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.connections = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._answer, args=(client,), daemon=True).start()

    def _answer(self, client: socket.socket) -> None:
        with client:
            client.recv(65536)
            for byte in RESPONSE:
                if self._closed.wait(self.interval):
                    return
                try:
                    client.sendall(bytes([byte]))
                except OSError:
                    return  # the client gave up

    def close(self) -> None:
        self._closed.set()
        self._server.close()
