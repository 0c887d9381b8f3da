"""Delivery against real HTTP servers on 127.0.0.1: methods, retries, Retry-After, timeouts."""

from __future__ import annotations

import logging

import pytest

from frogml_airflow_provider.notifications._delivery import DeliveryPolicy, send

FAST = DeliveryPolicy(timeout=2.0, attempts=3, backoff=0.01)


class Waits(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "HEAD"])
def test_every_method_but_get_sends_a_json_body(receiver, method: str) -> None:
    outcome = send(
        method,
        f"{receiver.url}/hook",
        body={"a": "1", "status": "SUCCESSFUL"},
        headers={"X-Token": "t0k3n-value"},
        policy=FAST,
    )
    assert outcome.delivered and outcome.attempts == 1 and outcome.status == 200
    (request,) = receiver.requests
    assert request["method"] == method and request["path"] == "/hook" and request["query"] == {}
    assert request["json"] == {"a": "1", "status": "SUCCESSFUL"}
    assert request["headers"]["x-token"] == "t0k3n-value"
    assert request["headers"]["content-type"] == "application/json"


def test_get_sends_the_fields_in_the_query_string(receiver) -> None:
    assert send("GET", f"{receiver.url}/hook?fixed=1", params={"model_id": "m", "a b": "c&d"}, policy=FAST).delivered
    (request,) = receiver.requests
    assert request["query"] == {"fixed": "1", "model_id": "m", "a b": "c&d"}
    assert request["json"] is None and "content-type" not in request["headers"]


def test_500_then_200_is_retried(receiver) -> None:
    receiver.script = [(500, {}, 0.0)]
    waits = Waits()
    outcome = send("POST", receiver.url, body={}, policy=FAST, sleep=waits)
    assert outcome.delivered and outcome.attempts == 2 and len(receiver.requests) == 2
    assert waits == [0.01]


def test_429_honours_retry_after(receiver) -> None:
    receiver.script = [(429, {"Retry-After": "2"}, 0.0), (429, {}, 0.0)]
    waits = Waits()
    outcome = send("POST", receiver.url, body={}, policy=FAST, sleep=waits)
    assert outcome.delivered and outcome.attempts == 3
    assert waits == [2.0, 0.02]  # the server's word, then the backoff (doubled)


def test_a_client_error_is_not_retried(receiver) -> None:
    receiver.script = [(404, {}, 0.0)]
    outcome = send("POST", receiver.url, body={}, policy=FAST, sleep=Waits())
    assert not outcome.delivered and outcome.attempts == 1 and outcome.reason == "HTTP 404"


def test_server_down_is_retried_then_reported_without_the_url(closed_port: int, caplog) -> None:
    url = f"http://127.0.0.1:{closed_port}/services/SECRET-PATH?token=SECRET-QUERY"
    waits = Waits()
    with caplog.at_level(logging.INFO):
        outcome = send("POST", url, body={}, policy=FAST, sleep=waits, what="Slack notification for 'x'")
    assert not outcome.delivered and outcome.attempts == 3 and outcome.status is None
    assert waits == [0.01, 0.02]
    assert "NOT delivered after 3 attempt(s)" in caplog.text
    assert "SECRET" not in caplog.text


def test_a_slow_server_times_out(receiver) -> None:
    receiver.script = [(200, {}, 1.5), (200, {}, 1.5)]
    policy = DeliveryPolicy(timeout=0.3, attempts=2, backoff=0.01)
    outcome = send("POST", receiver.url, body={}, policy=policy, sleep=Waits())
    assert not outcome.delivered and outcome.attempts == 2
    assert "Timeout" in outcome.reason or "timed out" in outcome.reason.lower()
