"""Fixtures for the tests of the JFrog ML commands (tests/management, tests/migration): the SDK's
own automation service mock (``tests.support.jfrog.automations_mock_class``) served on 127.0.0.1,
a ``frogml_default`` connection pointing at it, automation folders, and the CLI run in process with
a check that no secret is ever printed. A conftest makes them its own by importing them:

    from tests.support.jfrog_fixtures import cli, folder, mock, mock_server, sdk  # noqa: F401
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support.jfrog import (
    HEADER_LINE,
    SECRETS,
    TOKEN,
    automations_mock_class,
    connection,
    import_sdk,
    start_automations_mock,
)

__all__ = ["cli", "folder", "mock", "mock_server", "sdk"]


@pytest.fixture
def folder(tmp_path: Path) -> Callable[..., Path]:
    """``folder(a=source, b=source)``: an automations folder with a.py, b.py (the header added)."""

    def write(**files: str) -> Path:
        base = tmp_path / "automations"
        base.mkdir(exist_ok=True)
        for old in base.glob("*.py"):
            old.unlink()
        for stem, source in files.items():
            (base / f"{stem}.py").write_text(HEADER_LINE + source)
        return base

    return write


@pytest.fixture(scope="session")
def sdk(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """The provider's SDK namespace (``sdk.grpc``, ``sdk.automation``...) and ``mock_class``.

    Airflow is imported here too, once, before any test captures output: the commands read the
    connection through it, and its logging configuration binds a handler to ``sys.stderr`` as it
    is then. Imported inside a test, that is the test's capture, and the mock server's own
    tracebacks (a crashing servicer) would land in the command's captured stderr."""
    import airflow.sdk  # noqa: F401 - see above

    loaded = import_sdk(tmp_path_factory.mktemp("home"))
    from frogml_services_mock.mocks.automation_management_service import AutomationManagementServiceMock

    mock_class = automations_mock_class(AutomationManagementServiceMock, loaded.grpc, loaded.automation_execution)
    return SimpleNamespace(**vars(loaded), mock_class=mock_class)


@pytest.fixture
def mock_server(sdk: SimpleNamespace) -> Iterator[Any]:
    """A fresh automations mock served on 127.0.0.1 (``.address``); no connection points at it."""
    server, service = start_automations_mock(sdk, sdk.mock_class)
    yield service
    server.stop(0)


@pytest.fixture
def mock(mock_server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``mock_server``, with every command of this process pointed at it: the ``frogml_default``
    connection (the commands' default), and for any connection that does not exist the
    environment the commands fall back to (``JF_ACCESS_TOKEN``, ``CONTROL_PLANE_GRPC_ADDRESS``).
    ``extra.url`` is what messages call the platform (a JFrog URL would be); the tenant id is
    given, so nothing is looked up over REST."""
    port = int(mock_server.address.rsplit(":", 1)[1])
    extra = {"url": f"grpc://{mock_server.address}", "tenant_id": "tenant-test"}
    monkeypatch.setenv("AIRFLOW_CONN_FROGML_DEFAULT", connection(port, **extra))
    monkeypatch.setenv("JF_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("CONTROL_PLANE_GRPC_ADDRESS", f"grpc://{mock_server.address}")
    monkeypatch.delenv("JF_URL", raising=False)
    return mock_server


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., SimpleNamespace]:
    """``cli("register", path, stdin="y\\n", tty=True)``: runs ``frogml-airflow`` in process."""
    import io

    from frogml_airflow_provider.cli import main

    class Stdin(io.StringIO):
        tty = False

        def isatty(self) -> bool:
            return self.tty

    def run(*args: str, stdin: str = "", tty: bool = False) -> SimpleNamespace:
        fake = Stdin(stdin)
        fake.tty = tty
        monkeypatch.setattr(sys, "stdin", fake)
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        assert not [secret for secret in SECRETS if secret in captured.out + captured.err], "a secret was printed"
        return SimpleNamespace(code=code, out=captured.out, err=captured.err)

    return run
