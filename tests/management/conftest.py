"""The SDK's own automation service mock (``frogml_services_mock``), in process, on a loopback port.

``AutomationsMock`` is the wheel's ``AutomationManagementServiceMock`` plus:

- its crashing RPCs fixed (``fixed=True``, the default): ToggleAutomationActivity assigns a bool
  to the ``automation_spec`` message (INTERNAL on every call); executions are kept as the SDK's
  dataclasses, UpdateAutomationExecution merges proto fields into them and
  ListAutomationExecutions answers with them instead of protos (it fails as soon as there is
  one execution). ``fixed=False`` keeps the wheel's behaviour;
- injected failures: ``fail("CreateAutomation", 2)`` fails the 2nd create from now, before it is
  stored; ``after_write=True`` after it is (the reply lost: the write landed anyway);
- a record of every call's metadata, and of RunAutomation requests (the mock keeps none).

The ``mock`` fixture points the management commands at it through ``set_endpoint_factory``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent import futures
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

if importlib.util.find_spec("frogml") is None or importlib.util.find_spec("frogml_services_mock") is None:
    # Only the test of the command without the SDK can run (pip install .[test] installs it).
    collect_ignore = ["test_register.py", "test_rollback.py", "test_commands.py", "test_credentials.py"]

TOKEN = "test-token-0123456789abcdef-never-printed"
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


@contextmanager
def _home(home: Path) -> Iterator[None]:
    """The SDK writes ``$HOME/.frogml`` when imported: import it under a throw-away HOME."""
    previous = os.environ.get("HOME")
    os.environ["HOME"] = str(home)
    try:
        yield
    finally:
        if previous is None:
            del os.environ["HOME"]
        else:
            os.environ["HOME"] = previous


@pytest.fixture(scope="session")
def sdk(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    with _home(tmp_path_factory.mktemp("home")):
        import grpc
        from frogml._proto.qwak.automation.v1 import automation_execution_pb2 as execution
        from frogml._proto.qwak.automation.v1 import automation_management_service_pb2_grpc as service_grpc
        from frogml._proto.qwak.automation.v1 import automation_pb2 as automation
        from frogml_services_mock.mocks.automation_management_service import AutomationManagementServiceMock

        from frogml_airflow_provider.management.remote import load_sdk

        load_sdk()
    return SimpleNamespace(
        grpc=grpc,
        execution=execution,
        service_grpc=service_grpc,
        automation=automation,
        mock_class=_mock_class(AutomationManagementServiceMock, grpc, execution),
    )


def _mock_class(base: type, grpc: Any, execution: Any) -> type:
    class AutomationsMock(base):  # type: ignore[misc, valid-type]
        def __init__(self, *, fixed: bool = True) -> None:
            super().__init__()
            self.fixed = fixed
            self.calls: Counter[str] = Counter()
            self.failures: dict[tuple[str, int], tuple[bool, str, str]] = {}
            self.runs: list[str] = []
            self.metadata: list[dict[str, str]] = []
            self.address = ""

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


@pytest.fixture
def mock_server(sdk: SimpleNamespace) -> Iterator[Any]:
    """A fresh ``AutomationsMock`` served on a loopback port (``.address``); no endpoint wired."""
    server = sdk.grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    service = sdk.mock_class()
    sdk.service_grpc.add_AutomationManagementServiceServicer_to_server(service, server)
    port = server.add_insecure_port("localhost:0")
    server.start()
    service.address = f"localhost:{port}"
    yield service
    server.stop(0)


@pytest.fixture
def mock(sdk: SimpleNamespace, mock_server: Any) -> Iterator[Any]:
    """``mock_server``, with every management command of this process pointed at it."""
    from frogml_airflow_provider.management.remote import Endpoint, set_endpoint_factory

    channels: list[Any] = []

    def endpoint(conn_id: str) -> Endpoint:
        channel = sdk.grpc.insecure_channel(mock_server.address)
        channels.append(channel)
        metadata = (("authorization", f"Bearer {TOKEN}"),)
        return Endpoint(channel, f"grpc://{mock_server.address}", metadata, TOKEN, "the test")

    previous = set_endpoint_factory(endpoint)
    yield mock_server
    set_endpoint_factory(previous)


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
