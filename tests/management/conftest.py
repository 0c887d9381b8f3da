"""Fixtures of the management commands' tests: the SDK's own automation service mock
(``frogml_services_mock``, fixed where it crashes: ``tests.support.jfrog.automations_mock_class``)
served on 127.0.0.1, a ``frogml_default`` connection pointing at it, automation folders, and the
CLI run in process with a check that no secret is ever printed.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support.jfrog import (
    HEADER_LINE,
    SECRETS,
    automations_mock_class,
    connection,
    import_sdk,
    start_automations_mock,
)

if importlib.util.find_spec("frogml") is None or importlib.util.find_spec("frogml_services_mock") is None:
    # Only the test of the command without the SDK can run (pip install .[test] installs it).
    collect_ignore = ["test_register.py", "test_rollback.py", "test_commands.py", "test_credentials.py"]


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
    """The provider's SDK namespace (``sdk.grpc``, ``sdk.automation``...) and ``mock_class``."""
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
    """``mock_server``, with the ``frogml_default`` connection (the commands' default) pointing at
    it. ``extra.url`` is what messages call the platform (a JFrog URL would be); the tenant id is
    given, so nothing is looked up over REST."""
    port = int(mock_server.address.rsplit(":", 1)[1])
    extra = {"url": f"grpc://{mock_server.address}", "tenant_id": "tenant-test"}
    monkeypatch.setenv("AIRFLOW_CONN_FROGML_DEFAULT", connection(port, **extra))
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
