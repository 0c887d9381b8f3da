"""Fixtures of the JFrog ML backend's tests: the frogml SDK (imported once per session with HOME
at a temporary folder, so no test module imports it at collection), a control plane on 127.0.0.1
built from the SDK's own service mocks (``tests.support.jfrog``), and platforms pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.jfrog import (
    MODEL,
    ControlPlane,
    automations_mock_class,
    connection,
    import_sdk,
    start_automations_mock,
    start_control_plane,
)


@pytest.fixture(scope="session")
def sdk(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The provider's SDK namespace, with the SDK and its mock package imported."""
    pytest.importorskip("grpc")
    return import_sdk(tmp_path_factory.mktemp("sdk-home"))


@pytest.fixture
def control_plane(sdk: Any) -> Iterator[ControlPlane]:
    plane = start_control_plane(sdk)
    plane.create_model(MODEL)
    yield plane
    plane.server.stop(0)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def platform(control_plane: ControlPlane, sleeps: list[float], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A JFrogMLPlatform on connection ``frogml_test`` (-> the control plane); retries don't sleep."""
    from frogml_airflow_provider.platform.jfrog import JFrogMLPlatform

    monkeypatch.setenv("AIRFLOW_CONN_FROGML_TEST", connection(control_plane.port))
    platform = JFrogMLPlatform(conn_id="frogml_test", sleep=sleeps.append, rpc_timeout=10)
    yield platform
    platform.close()


@pytest.fixture
def automations_mock(sdk: Any) -> Iterator[Any]:
    """The SDK's automation service mock (fixed, as the management tests use it) on 127.0.0.1."""
    from frogml_services_mock.mocks.automation_management_service import AutomationManagementServiceMock

    mock_class = automations_mock_class(AutomationManagementServiceMock, sdk.grpc, sdk.automation_execution)
    server, service = start_automations_mock(sdk, mock_class)
    yield service
    server.stop(0)
