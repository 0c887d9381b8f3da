"""gRPC calls to JFrog ML: bounded retries of transient failures, and errors that say what to do.

A failed call becomes a ``JFrogMLCallError`` naming the RPC, what it was about (a model, a build,
an automation), the gRPC status and what to check: the operators show that message as the task's
failure, the CLI prints it. The platform's own text is kept (it often names the bad field), with
every secret the session knows scrubbed from it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable
from typing import Any

from frogml_airflow_provider.errors import (
    HIDDEN,
    JFrogMLAuthError,
    JFrogMLCallError,
    JFrogMLNotFoundError,
    JFrogMLUnavailableError,
)

log = logging.getLogger(__name__)

TRIES = 4
FIRST_DELAY = 0.5  # seconds, doubled after each failed try: 0.5, 1, 2
TRANSIENT = ("UNAVAILABLE", "DEADLINE_EXCEEDED")


class Caller:
    """Calls unary RPCs with the token's metadata, a deadline, and retries of transient failures.

    ``idempotent=False`` (starting a build, a deployment) retries only UNAVAILABLE, which gRPC
    raises before the server handled the request; a DEADLINE_EXCEEDED there may have started it,
    so it is reported, and the task's retry re-attaches instead (``find_build``, idempotent
    ``deploy``).
    """

    def __init__(
        self,
        *,
        grpc: Any,
        metadata: list[tuple[str, str]],
        secrets: Collection[str],
        token_source: str,
        where: str,
        timeout: float,
        sleep: Callable[[float], None],
        tries: int = TRIES,
        first_delay: float = FIRST_DELAY,
        origin: str = "this worker",
    ) -> None:
        self._grpc = grpc
        self._metadata = metadata
        self._secrets = secrets  # the session's: values added later are scrubbed too
        self._token_source = token_source or "the connection's password"
        self._where = where
        self._origin = origin
        self._timeout = timeout
        self._sleep = sleep
        self._tries = max(1, tries)
        self._first_delay = first_delay

    def __call__(
        self,
        method: Any,
        request: Any,
        *,
        rpc: str,
        about: str,
        idempotent: bool = True,
        timeout: float | None = None,
    ) -> Any:
        """``method(request)``; ``rpc`` names the call and ``about`` its subject ("model 'churn'")."""
        retry_on = TRANSIENT if idempotent else ("UNAVAILABLE",)
        delay = self._first_delay
        for attempt in range(1, self._tries + 1):
            try:
                return method(request, metadata=self._metadata, timeout=timeout or self._timeout)
            except self._grpc.RpcError as error:
                code = status_name(error)
                if code not in retry_on or attempt == self._tries:
                    unretried = code in TRANSIENT and code not in retry_on
                    raise self.error(
                        rpc, about, code, status_details(error), attempts=attempt, unretried=unretried
                    ) from None
                log.warning(
                    "JFrog ML %s for %s: %s (try %d of %d); retrying in %.1f s",
                    rpc,
                    about,
                    code,
                    attempt,
                    self._tries,
                    delay,
                )
                self._sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def error(
        self, rpc: str, about: str, code: str, details: str, *, attempts: int = 1, unretried: bool = False
    ) -> JFrogMLCallError:
        """The error for a failed call: what failed, the platform's words, and what to check."""
        details = self.scrub(details).strip() or "no details"
        head = f"JFrog ML {rpc} for {about} failed ({code}): {details}"
        if code == "UNAUTHENTICATED":
            return JFrogMLAuthError(
                f"{head}. Check the JFrog access token ({self._token_source}): it may be wrong, expired or "
                f"revoked, or issued by another JFrog platform than {self._where}",
                rpc=rpc,
                code=code,
            )
        if code == "PERMISSION_DENIED":
            return JFrogMLAuthError(
                f"{head}. The token ({self._token_source}) is valid but may not do this: ask your JFrog "
                "administrator for JFrog ML permissions on the model's project",
                rpc=rpc,
                code=code,
            )
        if code == "NOT_FOUND":
            return JFrogMLNotFoundError(
                f"{head}. Check that {about} exists in the JFrog ML account at {self._where} (ids are "
                "case-sensitive; a model must be created before it is built)",
                rpc=rpc,
                code=code,
            )
        if code in TRANSIENT:
            tried = f" after {attempts} tries" if attempts > 1 else ""
            if unretried:
                tried = " (not retried: it may have been started)"
            return JFrogMLUnavailableError(
                f"{head}{tried}. Check that {self._where} is reachable from {self._origin} (network, proxy, "
                "the connection's host or extra.grpc_address)",
                rpc=rpc,
                code=code,
            )
        if code in ("INVALID_ARGUMENT", "FAILED_PRECONDITION", "ALREADY_EXISTS", "OUT_OF_RANGE"):
            return JFrogMLCallError(
                f"{head}. The platform rejected the request: check the automation's specification",
                rpc=rpc,
                code=code,
            )
        return JFrogMLCallError(f"{head}. This is an error of the JFrog ML platform", rpc=rpc, code=code)

    def scrub(self, text: str) -> str:
        """``text`` without the token or any other secret of the session in it."""
        return scrub(text, self._secrets)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value in it replaced by ``HIDDEN`` (platforms echo a request's
    headers and URLs). Longest first, so a secret inside another goes with it; values under 4
    characters are left: replacing them would garble the text and hide nothing real."""
    for secret in sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
    return text


def status_name(error: Any) -> str:
    try:
        return str(error.code().name)
    except Exception:  # noqa: BLE001 - not a call error (e.g. raised by an interceptor): say so
        return "UNKNOWN"


def status_details(error: Any) -> str:
    try:
        return str(error.details() or "")
    except Exception:  # noqa: BLE001
        return str(error)
