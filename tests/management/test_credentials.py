"""Where the commands find JFrog ML and the token: the ``frogml`` connection (``AIRFLOW_CONN_*``
here), else ``JF_URL`` / ``JF_ACCESS_TOKEN``. No endpoint factory: the real path, down to the
metadata the mock receives. The token is never printed (the ``cli`` fixture checks every run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support.jfrog import TOKEN, build

Cli = Callable[..., SimpleNamespace]
ACCOUNT_STATUS = "/ml/core/api/v0/administration/accounts/get-account-status"


@pytest.fixture(autouse=True)
def no_ambient_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JF_URL", "JF_ACCESS_TOKEN", "CONTROL_PLANE_GRPC_ADDRESS", "AIRFLOW_CONN_FROGML_DEFAULT"):
        monkeypatch.delenv(name, raising=False)


def connection(monkeypatch: pytest.MonkeyPatch, conn_id: str, **fields: Any) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "frogml", **fields}))


@pytest.fixture
def jfrog(sdk: SimpleNamespace) -> Iterator[str]:
    """A JFrog platform's REST side: the account status that holds the tenant id (token checked)."""
    from frogml._proto.qwak.administration.account.v1.jfrog_tenant_details_pb2 import JfrogTenantDetails
    from frogml._proto.qwak.self_service.account.v0.account_status_pb2 import AccountReady, AccountStatus
    from frogml._proto.qwak.self_service.account.v0.managing_account_service_pb2 import GetAccountStatusResponse
    from google.protobuf.json_format import MessageToJson

    ready = AccountReady(jfrog_tenant_details=JfrogTenantDetails(tenant_id="tenant-42"))
    body = MessageToJson(GetAccountStatusResponse(status=AccountStatus(account_ready=ready))).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ok = self.path == ACCOUNT_STATUS and self.headers.get("Authorization") == f"Bearer {TOKEN}"
            self.send_response(200 if ok else 401)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body if ok else b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_default_connection_host_and_password(mock_server: Any, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    connection(
        monkeypatch, "frogml_default", host=f"grpc://{mock_server.address}", password=TOKEN, extra={"tenant_id": "t-1"}
    )
    done = cli("list")
    assert done.code == 0, done.err
    assert f"no automations on JFrog ML at {mock_server.address}" in done.out
    (metadata,) = mock_server.metadata
    assert metadata["authorization"] == f"Bearer {TOKEN}"
    assert metadata["x-jfrog-tenant-id"] == "t-1"


def test_conn_id_names_another_connection(mock_server: Any, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    connection(monkeypatch, "frogml_prod", host=f"grpc://{mock_server.address}", password=TOKEN)
    assert cli("list").code == 2  # frogml_default does not exist, and there is no JF_* either
    done = cli("list", "--conn-id", "frogml_prod")
    assert done.code == 0, done.err
    assert mock_server.metadata[-1]["authorization"] == f"Bearer {TOKEN}"


def test_jf_url_and_token_from_the_environment_with_the_tenant_looked_up(
    mock_server: Any, jfrog: str, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the SDK's channel does: the tenant id read from the platform's account status."""
    monkeypatch.setenv("JF_URL", jfrog)
    monkeypatch.setenv("JF_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("CONTROL_PLANE_GRPC_ADDRESS", f"grpc://{mock_server.address}")
    done = cli("list")
    assert done.code == 0, done.err
    assert f"no automations on JFrog ML at {jfrog}" in done.out
    assert mock_server.metadata[-1] == {**mock_server.metadata[-1], "x-jfrog-tenant-id": "tenant-42"}
    assert mock_server.metadata[-1]["authorization"] == f"Bearer {TOKEN}"


def test_a_rejected_token_says_what_to_check(
    mock_server: Any, jfrog: str, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JF_URL", jfrog)
    monkeypatch.setenv("JF_ACCESS_TOKEN", TOKEN + "-revoked")
    monkeypatch.setenv("CONTROL_PLANE_GRPC_ADDRESS", f"grpc://{mock_server.address}")
    done = cli("list")
    assert done.code == 1
    assert f"cannot read the JFrog tenant id from {jfrog}" in done.err
    assert "check the URL and the access token (JF_ACCESS_TOKEN)" in done.err
    assert TOKEN not in done.err and mock_server.metadata == []


def test_an_unauthenticated_call_is_explained_and_its_echoed_token_scrubbed(
    mock_server: Any, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection(monkeypatch, "frogml_default", host=f"grpc://{mock_server.address}", password=TOKEN)
    mock_server.fail("ListAutomations", 1, code="UNAUTHENTICATED", details=f"token {TOKEN} is expired")
    done = cli("list")
    assert done.code == 1
    assert "failed (UNAUTHENTICATED): token <hidden> is expired" in done.err
    assert "Check the JFrog access token (the password of Airflow connection 'frogml_default')" in done.err


def test_without_any_credentials_it_cannot_start(mock_server: Any, cli: Cli, folder: Callable[..., Path]) -> None:
    path = folder(churn=build("churn_retrain"))
    for args in (["list"], ["pause", "x"], ["register", str(path), "--dry-run"]):
        done = cli(*args)
        assert done.code == 2, done.err
        assert "no JFrog access token" in done.err and "JF_ACCESS_TOKEN" in done.err
    assert mock_server.metadata == []


def test_a_connection_to_the_local_platform_is_refused(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    connection(monkeypatch, "frogml_default", host="local", password=TOKEN)
    done = cli("list")
    assert done.code == 2
    assert "names the local embedded platform" in done.err


def test_the_installed_console_script_registers_and_lists(
    mock_server: Any, folder: Callable[..., Path], tmp_path: Path
) -> None:
    """As a user runs it: ``frogml-airflow``, a fresh process, the connection from the environment."""
    exe = Path(sys.executable).with_name("frogml-airflow")
    conn = json.dumps({"conn_type": "frogml", "host": f"grpc://{mock_server.address}", "password": TOKEN})
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("JF_", "AIRFLOW_CONN_"))},
        "AIRFLOW_CONN_FROGML_DEFAULT": conn,
        "HOME": str(tmp_path),
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=120, env=env)
        assert TOKEN not in done.stdout + done.stderr
        return done

    registered = run("register", str(folder(churn=build("churn_retrain"))), "--yes")
    assert registered.returncode == 0, registered.stderr
    assert "registered: 1 created, 0 updated, 0 unchanged" in registered.stdout
    listed = run("list")
    assert listed.returncode == 0, listed.stderr
    row = listed.stdout.splitlines()[1].split()
    assert row[:5] == ["churn_retrain", "churn", "scheduled", "build-deploy", "active"]
    assert {m["authorization"] for m in mock_server.metadata} == {f"Bearer {TOKEN}"}
