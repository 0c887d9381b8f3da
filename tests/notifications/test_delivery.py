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


# -- redirects --------------------------------------------------------------------------------------
SECRET_HEADERS = {"Authorization": "Bearer AUTH-SECRET", "X-Api-Key": "KEY-SECRET"}


def test_a_redirect_to_another_origin_is_not_followed_and_not_called_delivered(receiver, elsewhere, caplog) -> None:
    receiver.script = [(302, {"Location": f"{elsewhere.url}/collect"}, 0.0)]
    with caplog.at_level(logging.DEBUG):
        outcome = send("POST", f"{receiver.url}/hook", body={"a": "1"}, headers=SECRET_HEADERS, policy=FAST)
    assert elsewhere.requests == []  # the user's Authorization never reached the other host
    assert not outcome.delivered and outcome.status == 302 and len(receiver.requests) == 1
    assert "redirected (HTTP 302) to another origin; not followed" in outcome.reason
    assert "delivered (HTTP" not in caplog.text and "NOT delivered after 1 attempt(s)" in caplog.text
    assert "SECRET" not in caplog.text and elsewhere.url not in caplog.text


@pytest.mark.parametrize("status", [307, 308])
def test_a_same_origin_307_or_308_is_followed_with_method_body_and_headers(receiver, caplog, status: int) -> None:
    receiver.script = [(status, {"Location": "/moved?x=1"}, 0.0)]
    with caplog.at_level(logging.INFO):
        outcome = send("POST", f"{receiver.url}/hook", body={"a": "1"}, headers=SECRET_HEADERS, policy=FAST)
    assert outcome.delivered and outcome.status == 200
    _, moved = receiver.requests
    assert (moved["method"], moved["path"], moved["query"], moved["json"]) == ("POST", "/moved", {"x": "1"}, {"a": "1"})
    assert moved["headers"]["authorization"] == "Bearer AUTH-SECRET"
    assert f"after a same-origin redirect (HTTP {status})" in caplog.text


@pytest.mark.parametrize("status", [301, 302, 303])
def test_a_post_redirected_with_a_get_status_is_reported_not_turned_into_a_get(receiver, status: int) -> None:
    receiver.script = [(status, {"Location": "/moved"}, 0.0)]
    outcome = send("POST", f"{receiver.url}/hook", body={"a": "1"}, policy=FAST)
    assert not outcome.delivered and outcome.status == status and len(receiver.requests) == 1
    assert "would turn the POST into a GET without its body" in outcome.reason


def test_a_get_follows_a_same_origin_redirect(receiver) -> None:
    receiver.script = [(302, {"Location": "/moved"}, 0.0)]
    assert send("GET", f"{receiver.url}/hook", params={"a": "1"}, policy=FAST).delivered
    assert [request["path"] for request in receiver.requests] == ["/hook", "/moved"]


def test_a_redirect_loop_stops(receiver) -> None:
    receiver.script = [(307, {"Location": "/again"}, 0.0)] * 10
    outcome = send("POST", receiver.url, body={}, policy=FAST)
    assert not outcome.delivered and "redirected (HTTP 307) more than 3 times" in outcome.reason
    assert len(receiver.requests) == 4


# -- bounds and reasons -----------------------------------------------------------------------------
def test_a_trickling_receiver_is_cut_off_at_the_attempts_time_limit(trickler, caplog) -> None:
    policy = DeliveryPolicy(timeout=1.0, attempts=2, backoff=0.01)
    with caplog.at_level(logging.INFO):
        outcome = send("POST", f"{trickler.url}/SECRET-PATH", body={}, policy=policy, sleep=Waits())
    assert not outcome.delivered and outcome.attempts == 2 and trickler.connections == 2
    assert outcome.reason.startswith("timed out after 1 s (the whole request")
    assert "[frogml] notification_timeout" in caplog.text and "connection failed" not in caplog.text
    assert "SECRET" not in caplog.text


def test_no_wait_runs_past_the_delivery_deadline(receiver) -> None:
    receiver.script = [(429, {"Retry-After": "3600"}, 0.0)]
    waits = Waits()
    outcome = send("POST", receiver.url, body={}, policy=DeliveryPolicy(deadline=5.0, max_wait=30.0), sleep=waits)
    assert not outcome.delivered and waits == [] and len(receiver.requests) == 1
    assert "HTTP 429; the next attempt (in 30.0 s) would end past the delivery's 5 s deadline" in outcome.reason


def test_a_slow_answer_says_it_timed_out(receiver, caplog) -> None:
    receiver.script = [(200, {}, 1.5)]
    with caplog.at_level(logging.INFO):
        outcome = send("POST", receiver.url, body={}, policy=DeliveryPolicy(timeout=0.3, attempts=1))
    assert outcome.reason.startswith("timed out after 0.3 s")
    assert "connection failed" not in caplog.text


def test_refused_and_http_status_are_named(receiver, closed_port: int) -> None:
    refused = send("POST", f"http://127.0.0.1:{closed_port}/", body={}, policy=FAST, sleep=Waits())
    assert refused.reason == "connection refused (nothing listens there)"
    receiver.script = [(503, {}, 0.0)] * 3
    unavailable = send("POST", receiver.url, body={}, policy=FAST, sleep=Waits())
    assert unavailable.reason == "HTTP 503 (retried up to 3 attempts)" and unavailable.attempts == 3


def test_urllib3_never_logs_the_url_while_retrying(receiver, closed_port: int, caplog) -> None:
    receiver.script = [(500, {}, 0.0)]
    with caplog.at_level(logging.DEBUG):
        send("POST", f"{receiver.url}/services/SECRET-PATH?token=SECRET-QUERY", body={}, policy=FAST, sleep=Waits())
        send("POST", f"http://127.0.0.1:{closed_port}/SECRET-PATH", body={}, policy=FAST, sleep=Waits())
    assert "SECRET" not in caplog.text
    assert not [record for record in caplog.records if record.name.startswith("urllib3")]
    assert caplog.text.count("not delivered (") == 3  # our own retry lines: HTTP 500, refused twice


def test_the_policy_comes_from_the_frogml_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__FROGML__NOTIFICATION_TIMEOUT", "3")
    monkeypatch.setenv("AIRFLOW__FROGML__NOTIFICATION_ATTEMPTS", "2")
    monkeypatch.setenv("AIRFLOW__FROGML__NOTIFICATION_DEADLINE", "20")
    policy = DeliveryPolicy.from_config()
    assert (policy.timeout, policy.attempts, policy.deadline) == (3.0, 2, 20.0)
    monkeypatch.setenv("AIRFLOW__FROGML__NOTIFICATION_TIMEOUT", "0")
    with pytest.raises(ValueError, match=r"\[frogml\] notification_timeout = 0.0 must be a positive number"):
        DeliveryPolicy.from_config()
