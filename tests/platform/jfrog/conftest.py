"""A JFrog ML control plane on 127.0.0.1 for the backend's tests, and platforms pointed at it.

The services are ``frogml_services_mock``'s own servicers (models, builds API, deployments,
ecosystem, service discovery, logs, analytics) where they serve what the backend calls. Where
the mock does not behave as the platform does, a thin subclass fixes just that:
``BuildModel`` / ``CancelBuildModel`` (the mock's do nothing: no build appears) and ``GetBuild``
on an unknown id (the mock raises KeyError -> UNKNOWN instead of NOT_FOUND). An interceptor
records every call's metadata and injects failures (``faults.fail("GetBuild", "UNAVAILABLE")``).

The SDK writes ``~/.frogml`` when imported, so it is imported once per session with HOME at a
temporary folder, and no test module imports it at collection.
"""

from __future__ import annotations

import json
import os
import secrets
import warnings
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import pytest

TOKEN = "tok-" + secrets.token_hex(24)  # what the connection's password holds; must never leak
MODEL = "churn_model"  # the mock stores ids lower-cased with "-" -> "_"
ENV_ID, ENV_NAME = "env-prod-id", "production"
STAGING_ID, STAGING_NAME = "env-staging-id", "staging"
MODEL_API = "https://models.prod.example.com"


@pytest.fixture(scope="session")
def sdk(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The frogml SDK (and its mock package), imported with HOME at a temporary folder."""
    pytest.importorskip("grpc")
    home = tmp_path_factory.mktemp("sdk-home")
    previous = os.environ.get("HOME")
    os.environ["HOME"] = str(home)
    try:
        from frogml_airflow_provider.platform.jfrog import _sdk

        loaded = _sdk.load()
        with warnings.catch_warnings():  # the mock signs a short test JWT at import
            warnings.simplefilter("ignore")
            import frogml_services_mock.services_mock  # noqa: F401 - imports the SDK's clients too
    finally:
        if previous is None:
            os.environ.pop("HOME", None)
        else:
            os.environ["HOME"] = previous
    return loaded


class Faults:
    """A server interceptor: records each call (method, metadata) and fails the ones planned."""

    def __init__(self, grpc: Any) -> None:
        self.grpc = grpc
        self.plan: dict[str, list[tuple[Any, str]]] = {}
        self.calls: list[tuple[str, dict[str, str]]] = []

    def fail(self, method: str, code: str, details: str = "injected", times: int = 1) -> None:
        self.plan.setdefault(method, []).extend([(getattr(self.grpc.StatusCode, code), details)] * times)

    def methods(self) -> list[str]:
        return [method for method, _ in self.calls]

    def intercept_service(self, continuation: Any, handler_call_details: Any) -> Any:
        method = handler_call_details.method.rsplit("/", 1)[-1]
        self.calls.append((method, dict(handler_call_details.invocation_metadata)))
        planned = self.plan.get(method)
        if planned:
            code, details = planned.pop(0)

            def abort(request: Any, context: Any) -> Any:
                context.abort(code, details)

            return self.grpc.unary_unary_rpc_method_handler(abort)
        return continuation(handler_call_details)


@dataclass
class ControlPlane:
    """The running server, its servicers, and what they recorded."""

    port: int
    server: Any
    faults: Faults
    models: Any
    builds: Any
    orchestrator: Any
    deployments: Any
    ecosystem: Any
    discovery: Any
    logs: Any
    analytics: Any
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def create_model(self, model_id: str = MODEL) -> str:
        from frogml._proto.qwak.models.models_pb2 import CreateModelRequest, ModelSpec

        self.models.CreateModel(CreateModelRequest(model_spec=ModelSpec(model_named_id=model_id)), None)
        return str(self.models.models[model_id].uuid)

    def given_build(self, build_id: str, status: str, *, model_id: str = MODEL, **fields: Any) -> Any:
        from frogml._proto.qwak.build.v1.build_pb2 import Audit, Build, BuildStatus
        from google.protobuf.timestamp_pb2 import Timestamp

        created = Timestamp()
        created.GetCurrentTime()
        fields.setdefault("audit", Audit(created_at=created))
        build = Build(
            buildId=build_id,
            model_uuid=str(self.models.models[model_id].uuid),
            build_status=BuildStatus.Value(status),
            **fields,
        )
        self.builds.given_build(build)
        return build

    def set_status(self, build_id: str, status: str, metrics: dict[str, float] | None = None) -> None:
        from frogml._proto.qwak.build.v1.build_pb2 import BuildStatus

        build = self.builds.builds[build_id]
        build.build_status = BuildStatus.Value(status)
        build.metrics.update(metrics or {})


def _servicers(sdk: Any) -> dict[str, type]:
    """Subclasses of the mock's servicers that behave as the platform where the mock does not."""
    grpc = sdk.grpc
    from frogml._proto.qwak.build.v1.build_pb2 import Audit, Build, BuildStatus
    from frogml._proto.qwak.builds.builds_orchestrator_service_pb2 import (
        BuildModelResponse,
        CancelBuildModelResponse,
    )
    from frogml_services_mock.mocks.build_orchestrator_build_api import BuildOrchestratorBuildApiMock
    from frogml_services_mock.mocks.build_orchestrator_service_api import BuildOrchestratorServiceApiMock
    from frogml_services_mock.mocks.deployment_management_service import DeploymentManagementServiceMock
    from google.protobuf.timestamp_pb2 import Timestamp

    class BuildApi(BuildOrchestratorBuildApiMock):
        """GetBuild of an unknown id is NOT_FOUND; ``on_get`` lets a test move builds along."""

        on_get: Any = None

        def GetBuild(self, request: Any, context: Any) -> Any:
            if request.build_id not in self.builds:
                context.abort(grpc.StatusCode.NOT_FOUND, f"build {request.build_id} not found")
            if self.on_get is not None:
                self.on_get(self.builds[request.build_id])
            return super().GetBuild(request, context)

    class Orchestrator(BuildOrchestratorServiceApiMock):
        """BuildModel registers the build (IN_PROGRESS, tagged, as the platform does); records requests."""

        def __init__(self, builds: Any, models: Any) -> None:
            super().__init__()
            self.builds, self.models = builds, models
            self.requests: list[Any] = []
            self.cancelled: list[str] = []
            self.base_image_requests: list[int] = []
            self.register = True  # False: the build appears only later (GetBuild: NOT_FOUND at first)

        def BuildModel(self, request: Any, context: Any) -> Any:
            self.requests.append(request)
            if not self.register:
                return BuildModelResponse()
            properties = request.build_spec.build_properties
            created = Timestamp()
            created.GetCurrentTime()
            model = self.models.models.get(properties.model_id)
            self.builds.given_build(
                Build(
                    buildId=properties.build_id,
                    model_uuid=model.uuid if model else "",
                    build_status=BuildStatus.IN_PROGRESS,
                    tags=list(properties.tags),
                    audit=Audit(created_at=created),
                    environment_id=ENV_ID,
                )
            )
            return BuildModelResponse()

        def CancelBuildModel(self, request: Any, context: Any) -> Any:
            self.cancelled.append(request.build_id)
            self.builds.builds[request.build_id].build_status = BuildStatus.REMOTE_BUILD_CANCELLED
            return CancelBuildModelResponse()

        def GetBaseDockerImageName(self, request: Any, context: Any) -> Any:
            self.base_image_requests.append(request.base_docker_image_type)
            return super().GetBaseDockerImageName(request, context)

    class Deployments(DeploymentManagementServiceMock):
        """Records DeployModel requests; ``auto_serve`` makes a deployment serve when polled."""

        def __init__(self) -> None:
            super().__init__()
            self.requests: list[Any] = []
            self.auto_serve = False

        def DeployModel(self, request: Any, context: Any) -> Any:
            self.requests.append(request)
            return super().DeployModel(request, context)

        def GetDeploymentStatus(self, request: Any, context: Any) -> Any:
            if self.auto_serve:
                for (model_id, variation, env), deployment in list(self.active_deployments.items()):
                    if deployment["deployment_id"] == request.deployment_named_id:
                        self.mark_deployment_successful(model_id, env, variation)
            return super().GetDeploymentStatus(request, context)

    return {"BuildApi": BuildApi, "Orchestrator": Orchestrator, "Deployments": Deployments}


def start_control_plane(sdk: Any, *, analytics: Any = None) -> ControlPlane:
    grpc = sdk.grpc
    from frogml._proto.qwak.analytics.analytics_service_pb2_grpc import add_AnalyticsQueryServiceServicer_to_server
    from frogml._proto.qwak.build.v1.build_api_pb2_grpc import add_BuildAPIServicer_to_server
    from frogml._proto.qwak.builds.builds_orchestrator_service_pb2_grpc import (
        add_BuildsOrchestratorServiceServicer_to_server,
    )
    from frogml._proto.qwak.deployment.deployment_service_pb2_grpc import (
        add_DeploymentManagementServiceServicer_to_server,
    )
    from frogml._proto.qwak.ecosystem.v0.ecosystem_runtime_service_pb2_grpc import (
        add_QwakEcosystemRuntimeServicer_to_server,
    )
    from frogml._proto.qwak.logging.log_reader_service_pb2_grpc import add_LogReaderServiceServicer_to_server
    from frogml._proto.qwak.models.models_pb2_grpc import add_ModelsManagementServiceServicer_to_server
    from frogml._proto.qwak.service_discovery.service_discovery_location_pb2 import ServiceLocationDescriptor
    from frogml._proto.qwak.service_discovery.service_discovery_location_service_pb2_grpc import (
        add_LocationDiscoveryServiceServicer_to_server,
    )
    from frogml_services_mock.mocks.analytics_api import AnalyticsApiMock
    from frogml_services_mock.mocks.ecosystem_service_api import EcoSystemServiceMock
    from frogml_services_mock.mocks.location_discovery_service_api import LocationDiscoveryServiceApiMock
    from frogml_services_mock.mocks.logging_service import LoggingServiceApiMock
    from frogml_services_mock.mocks.model_management_service import ModelsManagementServiceMock

    classes = _servicers(sdk)
    faults = Faults(grpc)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), interceptors=[faults])
    port = server.add_insecure_port("127.0.0.1:0")
    models = ModelsManagementServiceMock()
    builds = classes["BuildApi"]()
    orchestrator = classes["Orchestrator"](builds, models)
    deployments = classes["Deployments"]()
    ecosystem, discovery = EcoSystemServiceMock(), LocationDiscoveryServiceApiMock()
    logs, analytics = LoggingServiceApiMock(), analytics or AnalyticsApiMock()
    ecosystem.given_authenticated_user_context(_user_context(port))
    discovery.set_get_analytics_engine_url_response(ServiceLocationDescriptor(service_url=f"127.0.0.1:{port}"))
    add_ModelsManagementServiceServicer_to_server(models, server)
    add_BuildAPIServicer_to_server(builds, server)
    add_BuildsOrchestratorServiceServicer_to_server(orchestrator, server)
    add_DeploymentManagementServiceServicer_to_server(deployments, server)
    add_QwakEcosystemRuntimeServicer_to_server(ecosystem, server)
    add_LocationDiscoveryServiceServicer_to_server(discovery, server)
    add_LogReaderServiceServicer_to_server(logs, server)
    add_AnalyticsQueryServiceServicer_to_server(analytics, server)
    server.start()
    return ControlPlane(
        port, server, faults, models, builds, orchestrator, deployments, ecosystem, discovery, logs, analytics
    )


def _user_context(port: int) -> Any:
    """An account with two environments; production (the default) has a log service and a model API."""
    from frogml._proto.qwak.administration.v0.environments.configuration_pb2 import QwakEnvironmentConfiguration
    from frogml._proto.qwak.ecosystem.v0.ecosystem_pb2 import (
        AuthenticatedUnifiedUserContext,
        AuthenticatedUserContext,
        EnvironmentDetails,
        UserContextAccountDetails,
    )
    from frogml._proto.qwak.ecosystem.v0.ecosystem_runtime_service_pb2 import GetAuthenticatedUserContextResponse

    environments = {
        ENV_ID: EnvironmentDetails(
            id=ENV_ID,
            name=ENV_NAME,
            configuration=QwakEnvironmentConfiguration(edge_services_url=f"127.0.0.1:{port}", model_api_url=MODEL_API),
        ),
        STAGING_ID: EnvironmentDetails(id=STAGING_ID, name=STAGING_NAME),
    }
    account = UserContextAccountDetails(default_environment_id=ENV_ID, environment_by_id=environments)
    return GetAuthenticatedUserContextResponse(
        authenticated_user_context=AuthenticatedUserContext(
            user=AuthenticatedUnifiedUserContext(account_details=account)
        )
    )


def connection(port: int, **extra: Any) -> str:
    """A ``frogml`` connection (JSON, as AIRFLOW_CONN_* reads it) at the plaintext loopback control plane."""
    body: dict[str, Any] = {"conn_type": "frogml", "host": "grpc://127.0.0.1", "port": port, "password": TOKEN}
    if extra:
        body["extra"] = extra
    return json.dumps(body)


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
