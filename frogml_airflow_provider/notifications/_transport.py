"""The plumbing under a notification's delivery: a ``requests`` session whose connections a
watchdog can cut, urllib3's ``Retry`` bent to the delivery's clock, and urllib3 kept quiet.

Why a watchdog: a socket timeout bounds each read, not the request. A receiver that sends one
byte every few seconds never trips it and holds the task for as long as it likes. The watchdog
shuts the delivery's sockets down when the attempt's time is up, which wakes the blocked read.

Why urllib3 is silenced: it logs the request's URL (``Retrying (...) after connection broken by
...: /services/T0/B0/<token>``) at WARNING, and more at DEBUG; a webhook URL is a credential.
Only records from a thread that is delivering are dropped; the delivery logs its own lines.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3 import ProxyManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.retry import Retry

RETRY_STATUSES = frozenset({429, *range(500, 600)})
URLLIB3_LOGGERS = (
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.util.retry",
    "urllib3.response",
    "urllib3.poolmanager",
)

_local = threading.local()


class OutOfTime(Exception):
    """No time left in the delivery for the next attempt."""

    def __init__(self, reason: str, wait: float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


class Watch:
    """Cuts the registered sockets when the armed time runs out (one daemon thread per delivery)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._sockets: list[socket.socket] = []
        self._until = math.inf
        self._stopped = False
        self.expired = False
        self.armed_for = 0.0
        self._thread = threading.Thread(target=self._run, name="frogml-notification-watch", daemon=True)
        self._thread.start()

    def arm(self, seconds: float) -> None:
        with self._cond:
            self._until = time.monotonic() + seconds
            self.armed_for = seconds
            self.expired = False
            self._cond.notify_all()

    def register(self, sock: socket.socket) -> None:
        with self._cond:
            self._sockets.append(sock)
            if self.expired:
                _cut(sock)

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        self._thread.join()

    def _run(self) -> None:
        with self._cond:
            while not self._stopped:
                left = self._until - time.monotonic()
                if left <= 0 and not self.expired:
                    self.expired = True
                    for sock in self._sockets:
                        _cut(sock)
                    self._sockets.clear()
                self._cond.wait(None if self.expired or math.isinf(left) else max(left, 0.001))


def _cut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed: nothing to wake


def _watched(sock: socket.socket) -> socket.socket:
    watch: Watch | None = getattr(_local, "watch", None)
    if watch is not None:
        watch.register(sock)
    return sock


class _HTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _watched(super()._new_conn())


class _HTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _watched(super()._new_conn())

    def connect(self) -> None:
        super().connect()
        if self.sock is not None:
            _watched(self.sock)  # the TLS socket wraps (and detaches) the plain one


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class WatchedAdapter(HTTPAdapter):
    """An adapter whose connections register their sockets with the delivery's watch."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if type(manager) is ProxyManager:  # SOCKS managers keep their own pool classes
            manager.pool_classes_by_scheme = _POOLS
        return manager


class DeliveryRetry(Retry):
    """urllib3's ``Retry`` (status list, ``Retry-After``, counting), with the delivery deciding the
    waits: ``backoff`` before the second attempt, doubling; ``Retry-After`` on any retried status;
    each wait capped, and none that would end past the delivery's deadline."""

    RETRY_AFTER_STATUS_CODES = RETRY_STATUSES
    between: Callable[[DeliveryRetry, Any], None] | None = None

    def new(self, **kw: Any) -> DeliveryRetry:
        fresh = super().new(**kw)
        fresh.between = self.between
        return fresh

    def get_backoff_time(self) -> float:
        errors = 0
        for entry in reversed(self.history):
            if entry.redirect_location is not None:
                break
            errors += 1
        if errors == 0:
            return 0.0
        return float(min(self.backoff_max, self.backoff_factor * 2 ** (errors - 1)))

    def sleep(self, response: Any = None) -> None:
        if self.between is not None:
            self.between(self, response)


def new_session(retry: DeliveryRetry) -> requests.Session:
    session = requests.Session()
    # trust_env would also send ~/.netrc credentials to the receiver: off. Proxies are read from
    # the environment per request (see _delivery); a CA bundle named there is honoured here.
    session.trust_env = False
    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    adapter = WatchedAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@contextmanager
def delivering() -> Iterator[Watch]:
    """While inside: this thread's sockets are watched and urllib3's log records dropped."""
    _install_log_filter()
    watch = Watch()
    _local.watch, _local.delivering = watch, True
    try:
        yield watch
    finally:
        _local.watch, _local.delivering = None, False
        watch.stop()


class _DropWhileDelivering(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(_local, "delivering", False)


_FILTER = _DropWhileDelivering()


def _install_log_filter() -> None:
    for name in URLLIB3_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
