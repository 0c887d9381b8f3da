"""HTTP delivery of notifications: a timeout, retries with backoff on connection errors, 5xx and
429 (honouring Retry-After), and log lines that never contain the URL or header values."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryPolicy:
    timeout: float = 10.0
    attempts: int = 4
    backoff: float = 1.0  # seconds before the second attempt; doubles each time
    max_wait: float = 30.0


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    attempts: int
    status: int | None
    reason: str


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
    status: int | None = None
    reason = ""
    for attempt in range(1, policy.attempts + 1):
        wait = policy.backoff * 2 ** (attempt - 1)
        request = urllib.request.Request(target, data=data, headers=all_headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=policy.timeout) as response:
                log.info("%s delivered (HTTP %s, attempt %d)", what, response.status, attempt)
                return Outcome(True, attempt, response.status, "")
        except urllib.error.HTTPError as error:
            status, reason = error.code, f"HTTP {error.code}"
            if error.code != 429 and error.code < 500:
                break
            wait = _retry_after(error.headers.get("Retry-After"), wait)
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
            status, reason = None, _reason(error)
        if attempt < policy.attempts:
            log.warning("%s not delivered (%s); retrying in %.1fs", what, reason, min(wait, policy.max_wait))
            sleep(min(wait, policy.max_wait))
    log.error("%s NOT delivered after %d attempt(s): %s", what, attempt, reason)
    return Outcome(False, attempt, status, reason)


def _retry_after(value: str | None, default: float) -> float:
    if value and value.strip().isdigit():
        return float(value.strip())
    return default


def _reason(error: BaseException) -> str:
    inner = getattr(error, "reason", error)
    # Only the exception's class and errno-ish text: the URL itself may carry a token.
    if isinstance(inner, BaseException):
        return f"{type(inner).__name__}: {getattr(inner, 'strerror', None) or 'connection failed'}"
    return "connection failed" if "://" in str(inner) else str(inner)
