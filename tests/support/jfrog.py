"""JFrog ML test doubles shared by tests/platform/jfrog and tests/management: the frogml SDK
imported under a throw-away HOME, gRPC servers on 127.0.0.1, the SDK's own service mocks
(``frogml_services_mock``) fixed where they do not behave as the platform does, and the automation
files and connections the tests use.

Nothing here imports the SDK at module level: a module without the SDK installed can still use the
automation file templates (``build``, ``batch``).

- ``import_sdk``: the SDK (``platform.jfrog.session.load_sdk``) and its mock package, imported once
  with HOME at a temporary folder (the SDK writes ``$HOME/.frogml`` at import).
- ``loopback_server``: a gRPC server on 127.0.0.1, on a free port, not started yet.
- The control plane the JFrog ML backend calls (``start_control_plane``): the mock's servicers for
  models, builds, deployments, ecosystem, service discovery, logs and analytics, where they serve
  what the backend calls. Thin subclasses fix ``BuildModel`` / ``CancelBuildModel`` (the mock's
  do nothing: no build appears) and ``GetBuild`` of an unknown id (the mock raises KeyError ->
  UNKNOWN instead of NOT_FOUND). ``Faults``, an interceptor, records every call's metadata and
  injects failures (``faults.fail("GetBuild", "UNAVAILABLE")``).
- ``Analytics``: an AnalyticsQueryService that answers with data (``result_data``), for what the
  mock's cannot show (it answers four canned queries and never returns data).
- The automation service the commands call (``automations_mock_class``): the wheel's
  ``AutomationManagementServiceMock`` with its crashing RPCs fixed (``fixed=True``, the default):
  ToggleAutomationActivity assigns a bool to the ``automation_spec`` message (INTERNAL on every
  call); executions are kept as the SDK's dataclasses, UpdateAutomationExecution merges proto
  fields into them and ListAutomationExecutions answers with them instead of protos (it fails as
  soon as there is one execution). ``fixed=False`` keeps the wheel's behaviour. Injected failures:
  ``fail("CreateAutomation", 2)`` fails the 2nd create from now, before it is stored;
  ``after_write=True`` after it is (the reply lost: the write landed anyway). It records every
  call's metadata, and RunAutomation requests (the mock keeps none).
"""

from __future__ import annotations

import json
import os
import secrets
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TOKEN = "tok-" + secrets.token_hex(24)  # what every connection's password holds; must never be shown
MODEL = "churn_model"  # the mock stores ids lower-cased with "-" -> "_"
ENV_ID, ENV_NAME = "env-prod-id", "production"
STAGING_ID, STAGING_NAME = "env-staging-id", "staging"
MODEL_API = "https://models.prod.example.com"


# -- the SDK, and servers on 127.0.0.1 ------------------------------------------------------------------
@contextmanager
def home(path: Path) -> Iterator[None]:
    """HOME at ``path`` for the block (the SDK writes ``$HOME/.frogml`` when imported)."""
    previous = os.environ.get("HOME")
    os.environ["HOME"] = str(path)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("HOME", None)
        else:
            os.environ["HOME"] = previous


def import_sdk(under: Path) -> Any:
    """The provider's SDK namespace (``load_sdk()``), with the SDK and its mock package imported
    with HOME at ``under``."""
    from frogml_airflow_provider.platform.jfrog.session import load_sdk

    with home(under):
        loaded = load_sdk()
        with warnings.catch_warnings():  # the mock signs a short test JWT at import
            warnings.simplefilter("ignore")
            import frogml_services_mock.services_mock  # noqa: F401 - imports the SDK's clients too
    return loaded


# The SDK's channels ping every 30 s, idle or not (frogml/core/inner/tool/grpc/grpc_tools.py); a grpc
# server's defaults allow one ping per 5 minutes without data and answer a third early one with GOAWAY
# "too_many_pings", closing the channel under a command that runs for minutes. JFrog ML's own front end
# takes the SDK's pings: so does the mock's server.
SDK_KEEPALIVE = [
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_ping_strikes", 0),
]


def loopback_server(sdk: Any, *, interceptors: Sequence[Any] = (), workers: int = 4) -> tuple[Any, int]:
    """A gRPC server bound to 127.0.0.1 on a free port: (server, port). Add servicers, then start it."""
    server = sdk.grpc.server(
        futures.ThreadPoolExecutor(max_workers=workers), interceptors=list(interceptors), options=SDK_KEEPALIVE
    )
    port = server.add_insecure_port("127.0.0.1:0")
    return server, port


def connection(port: int, **extra: Any) -> str:
    """A ``frogml`` connection (JSON, as AIRFLOW_CONN_* reads it) at a plaintext loopback control plane."""
    body: dict[str, Any] = {"conn_type": "frogml", "host": "grpc://127.0.0.1", "port": port, "password": TOKEN}
    if extra:
        body["extra"] = extra
    return json.dumps(body)


# -- the control plane of the JFrog ML backend ----------------------------------------------------------
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
    server, port = loopback_server(sdk, interceptors=[faults], workers=8)
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


GIT = "https://github.com/acme/models.git#churn/model"


def build_spec(**overrides: Any) -> dict[str, Any]:
    """A BuildSpecifications as the plan hands it over (``to_plain``), with the SDK's defaults."""
    base: dict[str, Any] = {
        "kind": "BuildSpecifications",
        "parameters": {"epochs": "3"},
        "git_uri": GIT,
        "tags": ["prod"],
        "git_access_token_secret": "github-token",
        "git_branch": "release",
        "main_dir": "src",
        "base_image": "",
        "assumed_iam_role": "",
        "resources": {"kind": "CpuResources", "cpu_fraction": 3, "memory": "6Gi"},
        "dependency_file_path": None,
        "env_vars": ["STAGE=prod", "SEED=7"],
        "git_ssh_token_secret": None,
        "gpu_compatible": False,
        "push_image": True,
        "purchase_option": "ondemand",
        "provision_instance_timeout": 90,
        "service_account_key_secret_name": "",
    }
    return {**base, **overrides}


# -- analytics that answer: the mock's AnalyticsQueryService answers four canned queries, never data --
class Analytics:
    """An AnalyticsQueryService that runs one query: PENDING ``pending`` times, then pages of data."""

    def __init__(self, *, pages: list[Any], pending: int = 0, download_url: str = "") -> None:
        self.pages, self.pending, self.download_url = pages, pending, download_url
        self.queries: list[str] = []
        self.page_requests: list[tuple[str, int]] = []

    def servicer(self) -> Any:
        from frogml._proto.qwak.analytics.analytics_pb2 import QueryStatus
        from frogml._proto.qwak.analytics.analytics_service_pb2 import (
            GetQueryResultDownloadURLResponse,
            GetQueryResultsPageResponse,
            QueryResponse,
        )
        from frogml._proto.qwak.analytics.analytics_service_pb2_grpc import AnalyticsQueryServiceServicer

        owner = self

        class Servicer(AnalyticsQueryServiceServicer):
            def Query(self, request: Any, context: Any) -> Any:
                owner.queries.append(request.query)
                return QueryResponse(query_id="q-1")

            def GetQueryResultsPage(self, request: Any, context: Any) -> Any:
                owner.page_requests.append((request.page_id, request.max_results))
                if owner.pending:
                    owner.pending -= 1
                    return GetQueryResultsPageResponse(status=QueryStatus.PENDING)
                index = int(request.page_id or 0)
                next_page = str(index + 1) if index + 1 < len(owner.pages) else ""
                data = owner.pages[index] if owner.pages else None
                return GetQueryResultsPageResponse(status=QueryStatus.SUCCESS, data=data, next_page_id=next_page)

            def GetQueryResultDownloadURL(self, request: Any, context: Any) -> Any:
                return GetQueryResultDownloadURLResponse(download_url=owner.download_url)

        return Servicer()


def result_data(headers: list[tuple[str, str]], rows: list[list[str]]) -> Any:
    from frogml._proto.qwak.analytics.analytics_pb2 import HeaderDesc, ResultData, ResultRow

    return ResultData(
        headers=[name for name, _ in headers],
        headersDesc=[HeaderDesc(name=name, type=kind) for name, kind in headers],
        rows=[ResultRow(values=row) for row in rows],
    )


# -- the automation service of the management commands ---------------------------------------------------
WEBHOOK = "https://hooks.slack.com/services/T000/B000/SLACK-SECRET-XYZ"
HOOK_URL = "https://hooks.example.com/CUSTOM-SECRET-URL"
HEADER = "Bearer HEADER-SECRET-VALUE"
SECRETS = (TOKEN, WEBHOOK, HOOK_URL, HEADER)

HEADER_LINE = "from frogml.core.automations import *\n"
BUILD = """
{name} = Automation(
    name="{name}",
    model_id="{model}",
    trigger=ScheduledTrigger(cron="{cron}"),
    action=FrogmlBuildDeploy(
        BuildSpecifications(git_uri="https://github.com/acme/models.git#churn", tags=["prod"]),
        BuildMetric("f1_score", ThresholdDirection.ABOVE, "0.7"),
        DeploymentSpecifications(number_of_pods=1, memory="2Gi"),
    ),
    on_error=SlackNotification(webhook="{webhook}"),
)
"""
BATCH = """
{name} = Automation(
    name="{name}",
    model_id="{model}",
    is_enabled=False,
    trigger=NoneTrigger(),
    action=BatchExecution(
        data_specifications=BatchJobDataSpecifications(
            source_bucket="in", source_folder="d", input_file_type="parquet",
            destination_bucket="out", destination_folder="d", output_file_type="csv",
        ),
    ),
    on_success=CustomWebhook(url="{url}", http_method="POST", headers={{"Authorization": "{header}"}}),
)
"""


def build(name: str, model: str = "churn", cron: str = "0 2 * * *") -> str:
    return BUILD.format(name=name, model=model, cron=cron, webhook=WEBHOOK)


def batch(name: str, model: str = "scoring") -> str:
    return BATCH.format(name=name, model=model, url=HOOK_URL, header=HEADER)


def automations_mock_class(base: type, grpc: Any, execution: Any) -> type:
    class AutomationsMock(base):  # type: ignore[misc, valid-type]
        def __init__(self, *, fixed: bool = True) -> None:
            super().__init__()
            self.fixed = fixed
            self.calls: Counter[str] = Counter()
            self.failures: dict[tuple[str, int], tuple[bool, str, str]] = {}
            self.runs: list[str] = []
            self.metadata: list[dict[str, str]] = []
            self.address = ""
            self.list_gate: Any = None  # a threading.Event: ListAutomations waits for it (60 s at most)

        def fail(self, rpc: str, nth: int, *, after_write: bool = False, code: str = "", details: str = "") -> None:
            """Fail the ``nth`` call of ``rpc`` (counted from now): INTERNAL before it acts, or with
            ``after_write`` DEADLINE_EXCEEDED after it acted (unless ``code`` says otherwise)."""
            nth += self.calls[rpc]
            code = code or ("DEADLINE_EXCEEDED" if after_write else "INTERNAL")
            self.failures[(rpc, nth)] = (after_write, code, details or f"injected failure of {rpc} #{nth}")

        def state(self) -> dict[str, bytes]:
            """The stored automations, byte for byte."""
            return {key: value.SerializeToString(deterministic=True) for key, value in self.automations.items()}

        def _guarded(self, rpc: str, request: Any, context: Any, call: Callable[[], Any]) -> Any:
            self.calls[rpc] += 1
            self.metadata.append(dict(context.invocation_metadata()))
            failure = self.failures.get((rpc, self.calls[rpc]))
            if failure and not failure[0]:
                context.abort(getattr(grpc.StatusCode, failure[1]), failure[2])
            reply = call()
            if failure:
                context.abort(getattr(grpc.StatusCode, failure[1]), failure[2])
            return reply

        def CreateAutomation(self, request: Any, context: Any) -> Any:
            return self._guarded(
                "CreateAutomation", request, context, lambda: base.CreateAutomation(self, request, context)
            )

        def UpdateAutomation(self, request: Any, context: Any) -> Any:
            return self._guarded(
                "UpdateAutomation", request, context, lambda: base.UpdateAutomation(self, request, context)
            )

        def DeleteAutomation(self, request: Any, context: Any) -> Any:
            return self._guarded(
                "DeleteAutomation", request, context, lambda: base.DeleteAutomation(self, request, context)
            )

        def ListAutomations(self, request: Any, context: Any) -> Any:
            if self.list_gate is not None:  # several commands held at their look-up: a race made certain
                self.calls["ListAutomations (held)"] += 1
                self.list_gate.wait(60)
            return self._guarded(
                "ListAutomations", request, context, lambda: base.ListAutomations(self, request, context)
            )

        def RunAutomation(self, request: Any, context: Any) -> Any:
            def run() -> Any:
                reply = base.RunAutomation(self, request, context)
                self.runs.append(request.automation_id)
                return reply

            return self._guarded("RunAutomation", request, context, run)

        def ToggleAutomationActivity(self, request: Any, context: Any) -> Any:
            def toggle() -> Any:
                if not self.fixed:
                    return base.ToggleAutomationActivity(self, request, context)
                self.automations[request.automation_id].automation_spec.is_enabled = request.is_enabled
                return self._responses.ToggleAutomationActivityResponse()

            return self._guarded("ToggleAutomationActivity", request, context, toggle)

        # Fixed: executions are kept as protos. The wheel keeps the SDK's dataclasses, merges the
        # update's proto fields into them (a Timestamp where a datetime belongs) and answers the
        # list with the dataclasses: the list fails as soon as there is one execution.
        def RegisterAutomationExecution(self, request: Any, context: Any) -> Any:
            if not self.fixed:
                return base.RegisterAutomationExecution(self, request, context)
            details = execution.ExecutionRunDetailsMessage(status=execution.RUNNING)
            details.start_time.GetCurrentTime()
            stored = execution.AutomationExecutionMessage(execution_id=request.execution_id, run_details=details)
            self.automation_executions[request.automation_id].append(stored)
            return self._responses.RegisterAutomationExecutionResponse()

        def UpdateAutomationExecution(self, request: Any, context: Any) -> Any:
            if not self.fixed:
                return base.UpdateAutomationExecution(self, request, context)
            for items in self.automation_executions.values():
                for item in items:
                    if item.execution_id == request.execution_id:
                        item.run_details.MergeFrom(request.run_details)  # set fields win, as the mock means
            return self._responses.UpdateAutomationExecutionResponse()

        def ListAutomationExecutions(self, request: Any, context: Any) -> Any:
            def listing() -> Any:
                if not self.fixed:
                    return base.ListAutomationExecutions(self, request, context)
                found = self.automation_executions[request.automation_id]
                return self._responses.ListAutomationExecutionsResponse(automation_executions=found)

            return self._guarded("ListAutomationExecutions", request, context, listing)

    from frogml._proto.qwak.automation.v1 import automation_management_service_pb2

    AutomationsMock._responses = automation_management_service_pb2
    return AutomationsMock


def start_automations_mock(sdk: Any, mock_class: type) -> tuple[Any, Any]:
    """A fresh automations mock served on 127.0.0.1 (its ``.address``): (server, mock)."""
    server, port = loopback_server(sdk)
    service = mock_class()
    sdk.automation_grpc.add_AutomationManagementServiceServicer_to_server(service, server)
    server.start()
    service.address = f"127.0.0.1:{port}"
    return server, service
