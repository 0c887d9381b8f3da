"""The local model server against raw sockets: every malformed request gets a 4xx, bodies and
connections are bounded, analytics keep a bounded copy."""

from __future__ import annotations

import json
import socket
import time

import pytest

from frogml_airflow_provider.platform.base import BuildRequest, DeploymentState, PlatformError
from frogml_airflow_provider.platform.local.platform import LocalPlatform
from frogml_airflow_provider.platform.local.server import ServerLimits
from tests.support import spec, wait_build, wait_serving

LIMITS = ServerLimits(max_body_bytes=4096, timeout=1.0, record_max_chars=100)
PATH = "/v1/tiny-model/predict"


@pytest.fixture
def port(local_platform: LocalPlatform, make_repo) -> int:
    platform = LocalPlatform(local_platform.state_dir, server_limits=LIMITS)  # the fixture's shutdown stops it
    done = wait_build(platform, platform.submit_build(BuildRequest("tiny-model", spec(make_repo()), "run-1")))
    platform.deploy("tiny-model", done.build_id, {})
    serving = wait_serving(platform, "tiny-model")
    assert serving.state is DeploymentState.SERVING
    return int(serving.endpoint.split(":")[2].split("/")[0])


def exchange(port: int, raw: bytes, *, close_write: bool = True) -> tuple[int, dict, float]:
    """Send ``raw``, read until the server closes: (status or 0 if no answer, JSON body, seconds)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(raw)
        if close_write:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    elapsed = time.monotonic() - started
    if not answer:
        return 0, {}, elapsed
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(body or b"{}"), elapsed


def post(headers: str, body: bytes = b"") -> bytes:
    return f"POST {PATH} HTTP/1.0\r\nHost: 127.0.0.1\r\n{headers}\r\n".encode() + body


def test_malformed_requests_get_a_4xx_answer(port: int) -> None:
    cases = {
        "non-UTF-8 body": (post("Content-Length: 4\r\n", b"\xff\xfe\xfd\xfc"), 400, "not UTF-8"),
        "no Content-Length": (post("", b"[]"), 411, "Content-Length header is required"),
        "Content-Length not a number": (post("Content-Length: abc\r\n", b"[]"), 400, "'abc' is not a number"),
        "negative Content-Length": (post("Content-Length: -5\r\n"), 400, "is not a number"),
        "chunked": (post("Transfer-Encoding: chunked\r\n", b"2\r\n[]\r\n0\r\n\r\n"), 411, "Content-Length"),
        "body shorter than declared": (post("Content-Length: 100\r\n", b'[{"x": 1}]'), 400, "ended after 10 of 100"),
        "not JSON": (post("Content-Length: 3\r\n", b"{{{"), 400, ""),
    }
    for name, (raw, status, message) in cases.items():
        got, body, _ = exchange(port, raw)
        assert got == status, name
        assert message in body.get("error", ""), (name, body)
    assert exchange(port, post("Content-Length: 10\r\n", b'[{"x": 1}]'))[:2] == (200, [{"y": 2.0}])  # still serving


def test_a_body_over_the_limit_gets_413(port: int) -> None:
    assert ServerLimits().max_body_bytes < 30 * 1024 * 1024  # the 30 MB body of the report is refused by default
    status, body, _ = exchange(port, post(f"Content-Length: {30 * 1024 * 1024}\r\n"), close_write=False)
    assert status == 413 and "at most 4096" in body["error"] and "local_server_max_body_bytes" in body["error"]
    big = json.dumps([{"x": 1}] * 1000).encode()  # sent whole: the answer still arrives
    assert exchange(port, post(f"Content-Length: {len(big)}\r\n", big))[0] == 413


def test_idle_and_slow_clients_are_let_go(port: int) -> None:
    status, _, elapsed = exchange(port, b"", close_write=False)  # connects, says nothing
    assert status == 0 and elapsed < 5  # closed after the 1 s timeout, not held forever
    status, body, elapsed = exchange(port, post("Content-Length: 100\r\n", b"[{"), close_write=False)
    assert status == 408 and "did not arrive within 1 s" in body["error"] and elapsed < 5


def test_analytics_keep_a_bounded_copy(port: int, local_platform: LocalPlatform) -> None:
    rows = json.dumps([{"x": i} for i in range(300)]).encode()
    assert len(rows) < LIMITS.max_body_bytes
    status, answer, _ = exchange(port, post(f"Content-Length: {len(rows)}\r\n", rows))
    assert status == 200 and len(answer) == 300
    request, response = local_platform.query("SELECT request, response FROM tiny_model").rows[-1]
    for text in (request, response):
        assert text.endswith("characters in all]") and len(text) < 140
    assert request.startswith('[{"x": 0}')


def test_the_limits_come_from_the_frogml_options(monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW__FROGML__LOCAL_SERVER_MAX_BODY_BYTES", "2048")
    monkeypatch.setenv("AIRFLOW__FROGML__LOCAL_SERVER_TIMEOUT", "7.5")
    limits = ServerLimits.from_config()
    assert (limits.max_body_bytes, limits.timeout, limits.record_max_chars) == (2048, 7.5, 65536)
    assert ServerLimits.from_env(limits.to_env()) == limits  # how the platform hands them to the server
    monkeypatch.setenv("AIRFLOW__FROGML__LOCAL_SERVER_TIMEOUT", "0")
    with pytest.raises(PlatformError, match=r"\[frogml\] local_server_timeout must be a positive number"):
        ServerLimits.from_config()


def test_a_body_that_is_not_rows_gets_a_400_naming_the_accepted_forms(port: int) -> None:
    cases = {
        "one row as an object": ({"x": 1}, "this is one row as an object: send it in a list, [{...}]"),
        "a string": ("x=1", ", not a string"),
        "a number": (3, ", not a number"),
        "null": (None, ", not null"),
        "rows that are not objects": ([1, 2], "row 0 is a number, not an object"),
        "rows of lists": ([[1]], "row 0 is a list, not an object"),
    }
    for name, (payload, detail) in cases.items():
        body = json.dumps(payload).encode()
        status, answer, _ = exchange(port, post(f"Content-Length: {len(body)}\r\n", body))
        assert status == 400, name
        assert answer["error"].startswith('the body must be a JSON list of rows, [{"column": value, ...}, ...]'), name
        assert detail in answer["error"], (name, answer)
        assert "DataFrame" not in answer["error"] and "index" not in answer["error"], name
    body = json.dumps({"x": [1, 2]}).encode()  # an object of columns is fine
    assert exchange(port, post(f"Content-Length: {len(body)}\r\n", body))[:2] == (200, [{"y": 2.0}, {"y": 4.0}])
