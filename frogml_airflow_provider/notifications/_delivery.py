"""HTTP delivery of notifications, with ``requests`` and urllib3's ``Retry``.

- Bounded: each attempt as a whole (connect, send, the complete answer) gets ``timeout`` seconds,
  however slowly the receiver trickles; the delivery in all (attempts and waits) ``deadline``.
- Retried: connection errors, 5xx and 429, with backoff and the receiver's ``Retry-After``.
- Redirects: followed only to the same origin (scheme, host, port), and a request with a body only
  on 307/308, which keep the method and body. Anything else is reported as what it is ("the
  receiver redirected ... not followed"), never as delivered: the user's headers (an
  ``Authorization``) never go to another host, and a POST never silently turns into a GET.
- Logged honestly (timed out after N s, connection refused, DNS, TLS, HTTP status), and never with
  the URL or a header value in a log line, ours or urllib3's.
"""

from __future__ import annotations

import http.client
import json
import logging
import math
import ssl
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
import urllib3.exceptions
from requests.utils import get_environ_proxies

from frogml_airflow_provider.notifications._transport import (
    RETRY_STATUSES,
    DeliveryRetry,
    OutOfTime,
    Watch,
    delivering,
    new_session,
)

log = logging.getLogger(__name__)

REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 3


@dataclass(frozen=True)
class DeliveryPolicy:
    timeout: float = 10.0  # one attempt as a whole: [frogml] notification_timeout
    attempts: int = 4  # [frogml] notification_attempts
    backoff: float = 1.0  # seconds before the second attempt; doubles each time
    max_wait: float = 30.0  # the longest wait between attempts, Retry-After included
    deadline: float = 60.0  # the delivery in all, attempts and waits: [frogml] notification_deadline

    @classmethod
    def from_config(cls) -> DeliveryPolicy:
        from airflow.configuration import conf

        policy = cls(
            timeout=conf.getfloat("frogml", "notification_timeout", fallback=cls.timeout),
            attempts=conf.getint("frogml", "notification_attempts", fallback=cls.attempts),
            deadline=conf.getfloat("frogml", "notification_deadline", fallback=cls.deadline),
        )
        for name in ("timeout", "deadline"):
            value = getattr(policy, name)
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"[frogml] notification_{name} = {value!r} must be a positive number of seconds")
        if policy.attempts < 1:
            raise ValueError(f"[frogml] notification_attempts = {policy.attempts} must be at least 1")
        return policy


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    attempts: int
    status: int | None
    reason: str


@dataclass
class _Run:
    """One delivery's clock, attempt count and the waits between attempts."""

    policy: DeliveryPolicy
    what: str
    sleep: Callable[[float], None]
    watch: Watch
    started: float = field(default_factory=time.monotonic)
    attempts: int = 1

    def left(self) -> float:
        return self.policy.deadline - (time.monotonic() - self.started)

    def arm(self) -> float:
        """Start an attempt: its bound is ``timeout``, or what is left of the deadline."""
        bound = max(min(self.policy.timeout, self.left()), 0.001)
        self.watch.arm(bound)
        return bound

    def between(self, retry: DeliveryRetry, response: Any) -> None:
        """Called by urllib3 between attempts: log, wait (bounded), re-arm the watch."""
        last = retry.history[-1] if retry.history else None
        reason = f"HTTP {response.status}" if response is not None else describe(last and last.error, self)
        wait = retry.get_backoff_time()
        if response is not None and retry.respect_retry_after_header:
            wait = retry.get_retry_after(response) or wait
        wait = min(wait, self.policy.max_wait)
        if wait >= self.left():
            raise OutOfTime(reason, wait)
        self.attempts += 1
        log.warning(
            "%s not delivered (%s); attempt %d of %d in %.1f s", self.what, reason, self.attempts,
            self.policy.attempts, wait,
        )  # fmt: skip
        if wait > 0:
            self.sleep(wait)
        self.arm()


def send(
    method: str,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    policy: DeliveryPolicy = DeliveryPolicy(),
    what: str = "notification",
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Send one request, retrying what is worth retrying. Never raises for a failed delivery."""
    target = url
    if params:
        target += ("&" if urllib.parse.urlsplit(url).query else "?") + urllib.parse.urlencode(params)
    data = None
    all_headers = {"User-Agent": "airflow-provider-frogml"}
    if body is not None:
        data = json.dumps(body).encode()
        all_headers["Content-Type"] = "application/json"
    all_headers.update(headers or {})
    retry = DeliveryRetry(
        total=policy.attempts - 1,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None,  # every method: a webhook is called to be received
        backoff_factor=policy.backoff,
        backoff_max=policy.max_wait,
        respect_retry_after_header=True,
        raise_on_status=False,
        redirect=False,  # redirects are decided below
    )
    with delivering() as watch:
        run = _Run(policy, what, sleep, watch)
        retry.between = run.between
        with new_session(retry) as session:
            return _deliver(run, session, method.upper(), target, data, all_headers)


def _deliver(
    run: _Run, session: requests.Session, method: str, target: str, data: bytes | None, headers: dict[str, str]
) -> Outcome:
    followed: list[int] = []
    while True:
        bound = run.arm()
        try:
            response = session.request(
                method,
                target,
                data=data,
                headers=headers,
                timeout=bound,
                allow_redirects=False,
                proxies=get_environ_proxies(target),
                stream=True,  # the answer's body is never read: a huge one costs nothing
            )
        except OutOfTime as stop:
            return _failed(
                run,
                f"{stop.reason}; the next attempt (in {stop.wait:.1f} s) would end past the delivery's "
                f"{run.policy.deadline:g} s deadline ([frogml] notification_deadline)",
                None,
            )
        except requests.RequestException as error:
            return _failed(run, describe(error, run), None)
        status = response.status_code
        response.close()
        if 200 <= status < 300:
            after = f", after {_redirects(followed)}" if followed else ""
            log.info("%s delivered (HTTP %s, attempt %d%s)", run.what, status, run.attempts, after)
            return Outcome(True, run.attempts, status, "")
        if status in REDIRECTS and response.headers.get("Location"):
            location = urllib.parse.urljoin(target, response.headers["Location"])
            refusal = _refuse_redirect(method, status, target, location, len(followed))
            if refusal:
                return _failed(run, refusal, status)
            followed.append(status)
            target = location
            continue
        retried = f" (retried up to {run.policy.attempts} attempts)" if status in RETRY_STATUSES else ""
        return _failed(run, f"HTTP {status}{retried}", status)


def _refuse_redirect(method: str, status: int, source: str, location: str, hops: int) -> str:
    """Why a redirect is not followed, or "" to follow it."""
    said = f"the receiver redirected (HTTP {status})"
    fix = "point the webhook at the final URL"
    if _origin(location) != _origin(source):
        return (
            f"{said} to another origin; not followed: the webhook's headers and data are never sent to "
            f"another host; {fix}"
        )
    if status not in (307, 308) and method not in ("GET", "HEAD"):
        return (
            f"{said}; not followed: an HTTP {status} would turn the {method} into a GET without its body, "
            f"only 307 and 308 are re-sent as they were; {fix}"
        )
    if hops >= MAX_REDIRECTS:
        return f"{said} more than {MAX_REDIRECTS} times; {fix}"
    return ""


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(scheme)


def _redirects(statuses: list[int]) -> str:
    return "a same-origin redirect (HTTP " + ", ".join(map(str, statuses)) + ")"


def _failed(run: _Run, reason: str, status: int | None) -> Outcome:
    log.error("%s NOT delivered after %d attempt(s): %s", run.what, run.attempts, reason)
    return Outcome(False, run.attempts, status, reason)


def describe(error: BaseException | None, run: _Run) -> str:
    """What went wrong, in words, from an exception chain; never its text (it holds the URL)."""
    if run.watch.expired:
        return (
            f"timed out after {run.watch.armed_for:g} s (the whole request; "
            "[frogml] notification_timeout bounds each attempt)"
        )
    chain = list(_chain(error))

    def has(*kinds: type[BaseException]) -> bool:
        return any(isinstance(item, kinds) for item in chain)

    if has(urllib3.exceptions.NameResolutionError) or any(
        isinstance(item, OSError) and item.__class__.__name__ == "gaierror" for item in chain
    ):
        return "the host name could not be resolved (DNS)"
    if has(ConnectionRefusedError):
        return "connection refused (nothing listens there)"
    if has(ssl.SSLCertVerificationError):
        return "TLS certificate verification failed"
    if has(ssl.SSLError, urllib3.exceptions.SSLError, requests.exceptions.SSLError):
        return "TLS handshake failed"
    if has(urllib3.exceptions.ConnectTimeoutError, requests.exceptions.ConnectTimeout):
        return f"could not connect within {run.watch.armed_for:g} s"
    if has(urllib3.exceptions.ReadTimeoutError, requests.exceptions.ReadTimeout, TimeoutError):
        return f"no answer within {run.watch.armed_for:g} s"
    if has(http.client.RemoteDisconnected, ConnectionResetError, urllib3.exceptions.ProtocolError):
        return "the receiver closed the connection without a complete answer"
    for item in chain:
        if isinstance(item, OSError) and item.strerror:
            return f"connection failed: {item.strerror}"
    return f"connection failed ({type(error).__name__})" if error is not None else "connection failed"


def _chain(error: BaseException | None) -> Iterator[BaseException]:
    seen: list[BaseException] = []
    todo = [error]
    while todo and len(seen) < 16:
        item = todo.pop(0)
        if item is None or any(item is known for known in seen):
            continue
        seen.append(item)
        yield item
        reason = getattr(item, "reason", None)
        todo += [reason if isinstance(reason, BaseException) else None, item.__cause__, item.__context__]
        todo += [arg for arg in item.args if isinstance(arg, BaseException)]
