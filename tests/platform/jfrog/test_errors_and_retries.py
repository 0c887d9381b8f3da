"""Failed calls: transient ones retried with a bounded backoff, the others reported clearly (and
never with the token in the message)."""

from __future__ import annotations

import pickle

import pytest

from frogml_airflow_provider.errors import (
    JFrogMLAuthError,
    JFrogMLCallError,
    JFrogMLNotFoundError,
    JFrogMLUnavailableError,
)
from frogml_airflow_provider.platform.base import BuildRequest, BuildState, PlatformError
from tests.support.jfrog import MODEL, TOKEN
from tests.support.jfrog import build_spec as spec

pytestmark = pytest.mark.sdk


def test_unavailable_is_retried_with_doubling_waits_then_succeeds(platform, control_plane, sleeps) -> None:
    control_plane.given_build("b-1", "SUCCESSFUL")
    control_plane.faults.fail("GetBuild", "UNAVAILABLE", times=2)
    assert platform.get_build("b-1", log_tail=False).state is BuildState.SUCCESSFUL
    assert sleeps == [0.5, 1.0]
    assert control_plane.faults.methods().count("GetBuild") == 3


def test_deadline_exceeded_is_retried_on_reads(platform, control_plane, sleeps) -> None:
    control_plane.faults.fail("ListBuilds", "DEADLINE_EXCEEDED")
    assert platform.find_build(MODEL, "k") is None
    assert sleeps == [0.5]


def test_retries_are_bounded(platform, control_plane, sleeps) -> None:
    control_plane.given_build("b-1", "SUCCESSFUL")
    control_plane.faults.fail("GetBuild", "UNAVAILABLE", "connection reset", times=10)
    with pytest.raises(JFrogMLUnavailableError, match=r"GetBuild for build 'b-1' failed \(UNAVAILABLE\)") as failure:
        platform.get_build("b-1")
    assert "after 4 tries" in str(failure.value) and "127.0.0.1:" in str(failure.value)
    assert sleeps == [0.5, 1.0, 2.0]


def test_a_server_that_is_down_is_unavailable(platform, control_plane, sleeps) -> None:
    control_plane.server.stop(0)
    with pytest.raises(JFrogMLUnavailableError, match="is reachable from this worker"):
        platform.get_build("b-1")
    assert len(sleeps) == 3


def test_starting_a_build_is_not_repeated_after_a_deadline(platform, control_plane, sleeps) -> None:
    """DEADLINE_EXCEEDED on BuildModel may mean it started: no second build; the task's retry re-attaches."""
    control_plane.faults.fail("BuildModel", "DEADLINE_EXCEEDED")
    with pytest.raises(JFrogMLUnavailableError, match="not retried: it may have been started"):
        platform.submit_build(BuildRequest(MODEL, spec(), "k"))
    assert control_plane.faults.methods().count("BuildModel") == 1 and sleeps == []


def test_starting_a_build_is_retried_when_unavailable(platform, control_plane, sleeps) -> None:
    control_plane.faults.fail("BuildModel", "UNAVAILABLE")
    build = platform.submit_build(BuildRequest(MODEL, spec(), "k"))
    assert build.state is BuildState.RUNNING and len(control_plane.orchestrator.requests) == 1
    assert sleeps == [0.5]


def test_a_bad_token_names_the_connection_and_never_the_token(platform, control_plane, sleeps) -> None:
    control_plane.faults.fail("GetModel", "UNAUTHENTICATED", f"invalid bearer token {TOKEN}")
    with pytest.raises(JFrogMLAuthError) as failure:
        platform.find_build(MODEL, "k")
    message = str(failure.value)
    assert message.startswith(
        f"JFrog ML GetModel for model '{MODEL}' failed (UNAUTHENTICATED): invalid bearer token <hidden>"
    )
    assert "the password of Airflow connection 'frogml_test'" in message and "expired" in message
    assert TOKEN not in message and sleeps == []
    assert failure.value.rpc == "GetModel" and failure.value.code == "UNAUTHENTICATED"


def test_a_missing_permission(platform, control_plane) -> None:
    control_plane.given_build("b-1", "SUCCESSFUL")
    control_plane.faults.fail("CancelBuildModel", "PERMISSION_DENIED", "no ML permission")
    control_plane.given_build("running", "IN_PROGRESS")
    with pytest.raises(JFrogMLAuthError, match=r"CancelBuildModel for build 'running' .*ask your JFrog administrator"):
        platform.cancel_build("running")


def test_a_rejected_request_points_at_the_spec(platform, control_plane) -> None:
    control_plane.faults.fail("BuildModel", "INVALID_ARGUMENT", "git_uri: unsupported scheme")
    with pytest.raises(JFrogMLCallError, match=r"unsupported scheme\. The platform rejected the request: check the"):
        platform.submit_build(BuildRequest(MODEL, spec(), "k"))


def test_not_found_is_its_own_error(platform, control_plane) -> None:
    with pytest.raises(JFrogMLNotFoundError, match=r"Check that model 'absent' exists in the JFrog ML account"):
        platform.find_build("absent", "k")


def test_the_token_and_tenant_travel_in_the_metadata(platform, control_plane, monkeypatch) -> None:
    from tests.support.jfrog import connection

    monkeypatch.setenv("AIRFLOW_CONN_FROGML_TEST", connection(control_plane.port, tenant_id="tenant-42"))
    platform.find_build(MODEL, "k")
    (_, metadata) = control_plane.faults.calls[0]
    assert metadata["authorization"] == f"Bearer {TOKEN}" and metadata["x-jfrog-tenant-id"] == "tenant-42"


@pytest.mark.parametrize("error", [JFrogMLAuthError("m", rpc="GetBuild", code="UNAUTHENTICATED")])
def test_errors_survive_pickling(error: JFrogMLCallError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and (str(copy), copy.rpc, copy.code) == ("m", "GetBuild", "UNAUTHENTICATED")
    assert isinstance(copy, PlatformError)


def test_a_tenant_lookup_failure_is_clear_and_hides_the_token(sdk, monkeypatch, closed_port: int) -> None:
    """A TLS control plane needs the tenant id, read over REST from the JFrog URL as the SDK does."""
    import json

    from frogml_airflow_provider.platform.jfrog import JFrogMLPlatform

    body = {"conn_type": "frogml", "host": f"http://127.0.0.1:{closed_port}", "password": TOKEN}
    monkeypatch.setenv("AIRFLOW_CONN_FROGML_TLS", json.dumps(body))
    with pytest.raises(PlatformError, match=r"cannot read the JFrog tenant id from http://127\.0\.0\.1") as failure:
        JFrogMLPlatform(conn_id="frogml_tls").get_build("b")
    assert TOKEN not in str(failure.value) and "extra.tenant_id" in str(failure.value)


def test_the_tenant_id_is_read_from_the_jfrog_url_as_the_sdk_does(
    platform, control_plane, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[tuple[str, str]] = []

    class AccountStatus(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append((self.path, self.headers.get("Authorization", "")))
            body = json.dumps({"status": {"accountReady": {"jfrogTenantDetails": {"tenantId": "tenant-7"}}}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), AccountStatus)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        body = {
            "conn_type": "frogml",
            "host": f"http://127.0.0.1:{server.server_address[1]}",
            "password": TOKEN,
            "extra": {"grpc_address": f"grpc://{control_plane.address}"},
        }
        monkeypatch.setenv("AIRFLOW_CONN_FROGML_TEST", json.dumps(body))
        assert platform.find_build(MODEL, "k") is None
    finally:
        server.shutdown()
        server.server_close()
    assert seen == [("/ml/core/api/v0/administration/accounts/get-account-status", f"Bearer {TOKEN}")]
    assert all(metadata["x-jfrog-tenant-id"] == "tenant-7" for _, metadata in control_plane.faults.calls)
