"""Analytics queries on JFrog ML: polled to an end (bounded), results typed, CSV results read.

The mock's AnalyticsQueryService answers four canned queries and never returns data, so the
failure paths run against it and the result paths against a small servicer of our own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from frogml_airflow_provider.errors import QueryFailed, QueryShapeError, QueryTimeout
from tests.support.jfrog import TOKEN, Analytics, connection, result_data, start_control_plane

pytestmark = pytest.mark.sdk


class Clock:
    """A monotonic clock that only moves when the platform sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_platform(port: int, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Any:
    from frogml_airflow_provider.platform.jfrog import JFrogMLPlatform

    monkeypatch.setenv("AIRFLOW_CONN_FROGML_TEST", connection(port))
    return JFrogMLPlatform(
        conn_id="frogml_test", sleep=clock.sleep, clock=clock, query_timeout=10, query_poll_interval=2
    )


@pytest.fixture
def mock_platform(control_plane, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    platform = make_platform(control_plane.port, clock, monkeypatch)
    yield platform
    platform.close()


def test_a_failed_query_says_why(mock_platform) -> None:
    from frogml_services_mock.mocks.analytics_api import FAILED_QUERY, FAILURE_REASON

    with pytest.raises(QueryFailed, match=f"failed in JFrog ML Model Analytics: {FAILURE_REASON}"):
        mock_platform.query(FAILED_QUERY)


def test_a_cancelled_query(mock_platform) -> None:
    from frogml_services_mock.mocks.analytics_api import CANCELLED_QUERY

    with pytest.raises(QueryFailed, match="was cancelled"):
        mock_platform.query(CANCELLED_QUERY)


def test_a_query_that_never_ends_times_out(mock_platform, clock: Clock) -> None:
    from frogml_services_mock.mocks.analytics_api import TIMEOUT_QUERY

    with pytest.raises(QueryFailed, match=r"did not finish within 10 s \(query id timeout, last status PENDING\)"):
        mock_platform.query(TIMEOUT_QUERY)
    assert clock.sleeps == [2.0] * 5


def test_the_callers_limit_bounds_the_query_and_no_wait_runs_past_it(mock_platform, clock: Clock) -> None:
    from frogml_services_mock.mocks.analytics_api import TIMEOUT_QUERY

    with pytest.raises(QueryTimeout, match=r"did not finish within 5 s") as stopped:
        mock_platform.query(TIMEOUT_QUERY, timeout=5)  # the operators pass [frogml] query_timeout
    assert stopped.value.limit == 5 and isinstance(stopped.value, QueryFailed)
    assert clock.sleeps == [2.0, 2.0, 1.0] and clock.now == 5.0


def test_the_query_goes_to_the_discovered_analytics_engine(mock_platform, control_plane) -> None:
    from frogml_services_mock.mocks.analytics_api import FAILED_QUERY

    with pytest.raises(QueryFailed):
        mock_platform.query(FAILED_QUERY)
    calls = control_plane.faults.calls
    assert [method for method, _ in calls][:3] == ["GetAnalyticsEngineUrl", "Query", "GetQueryResultsPage"]
    assert all(metadata["authorization"] == f"Bearer {TOKEN}" for _, metadata in calls)


@pytest.fixture
def own_plane(sdk) -> Iterator[Any]:
    planes: list[Any] = []

    def start(analytics: Analytics) -> Any:
        plane = start_control_plane(sdk, analytics=analytics.servicer())
        planes.append(plane)
        return plane

    yield start
    for plane in planes:
        plane.server.stop(0)


def test_a_metric_query_returns_its_number(own_plane, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    analytics = Analytics(pages=[result_data([("error_rate", "DOUBLE")], [["0.125"]])], pending=2)
    platform = make_platform(own_plane(analytics).port, clock, monkeypatch)
    result = platform.query("SELECT AVG(error) AS error_rate FROM churn")
    assert result.columns == ("error_rate",) and result.rows == ((0.125,),)
    assert result.single_number("the metric") == 0.125
    assert analytics.queries == ["SELECT AVG(error) AS error_rate FROM churn"]
    assert clock.sleeps == [2.0, 2.0]


def test_pages_are_followed_and_typed(own_plane, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    columns = [("model", "STRING"), ("n", "BIGINT"), ("rate", "DOUBLE"), ("ok", "BOOLEAN")]
    pages = [
        result_data(columns, [["a", "1", "0.5", "true"], ["b", "2", "", "false"]]),
        result_data(columns, [["c", "3", "1e-3", "true"]]),
    ]
    analytics = Analytics(pages=pages)
    platform = make_platform(own_plane(analytics).port, clock, monkeypatch)
    result = platform.query("SELECT * FROM t")
    assert result.columns == ("model", "n", "rate", "ok")
    assert result.rows == (("a", 1, 0.5, True), ("b", 2, None, False), ("c", 3, 0.001, True))
    assert [page for page, _ in analytics.page_requests] == ["", "1"]


def test_a_text_value_is_not_a_metric(own_plane, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    analytics = Analytics(pages=[result_data([("label", "STRING")], [["high"]])])
    platform = make_platform(own_plane(analytics).port, clock, monkeypatch)
    with pytest.raises(QueryShapeError, match="must return a number; it returned 'high'"):
        platform.query("SELECT label FROM t").single_number("the metric")


@pytest.fixture
def csv_server() -> Iterator[dict[str, Any]]:
    state: dict[str, Any] = {"body": b"", "headers": []}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state["headers"].append(dict(self.headers))
            self.send_response(200)
            self.send_header("Content-Length", str(len(state["body"])))
            self.end_headers()
            self.wfile.write(state["body"])

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}/results/q-1.csv?X-Amz-Signature=s3cr3t"
    yield state
    server.shutdown()
    server.server_close()


def test_results_without_inline_data_are_read_from_the_csv(
    own_plane, csv_server, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    csv_server["body"] = b"\xef\xbb\xbfcount,avg_latency,model\n42,0.37,churn\n"
    analytics = Analytics(pages=[], download_url=csv_server["url"])
    platform = make_platform(own_plane(analytics).port, clock, monkeypatch)
    result = platform.query("SELECT COUNT(*) AS count, AVG(latency) AS avg_latency, 'churn' AS model FROM p")
    assert result.columns == ("count", "avg_latency", "model")
    assert result.rows == ((42, 0.37, "churn"),)
    (headers,) = csv_server["headers"]
    assert "Authorization" not in headers  # a pre-signed URL: our token is not sent there


def test_an_unreachable_csv_is_an_error_without_the_signature(
    own_plane, closed_port: int, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{closed_port}/q.csv?X-Amz-Signature=s3cr3t"
    platform = make_platform(own_plane(Analytics(pages=[], download_url=url)).port, clock, monkeypatch)
    expected = rf"could not be downloaded from http://127\.0\.0\.1:{closed_port}/q\.csv: "
    with pytest.raises(QueryFailed, match=expected) as failure:
        platform.query("SELECT 1")
    assert "s3cr3t" not in str(failure.value)
