"""Builds on JFrog ML: the BuildModel request, re-attaching by run tag, states, metrics, logs, cancel."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from frogml_airflow_provider.errors import JFrogMLNotFoundError
from frogml_airflow_provider.platform.base import BuildRequest, BuildState, PlatformError
from frogml_airflow_provider.platform.jfrog._mapping import run_tag
from tests.support.jfrog import ENV_ID, GIT, MODEL
from tests.support.jfrog import build_spec as spec

pytestmark = pytest.mark.sdk


def submit(platform: Any, run_key: str = "dag__run-1", **overrides: Any) -> Any:
    return platform.submit_build(BuildRequest(MODEL, spec(**overrides), run_key, git_token="never-sent"))


def test_submit_requests_a_remote_git_build_with_the_spec(platform, control_plane, sdk) -> None:
    build = submit(platform)
    assert build.state is BuildState.RUNNING and build.model_id == MODEL and build.run_key == "dag__run-1"
    assert build.started_at > 0
    (request,) = control_plane.orchestrator.requests
    remote = request.build_spec
    properties = remote.build_properties
    assert properties.build_id == build.build_id and properties.model_id == MODEL
    assert list(properties.tags) == ["prod", run_tag("dag__run-1")]
    source = properties.model_uri
    assert (source.uri, source.git_branch, source.main_dir) == (GIT, "release", "src")
    assert source.git_credentials_secret == "github-token" and not source.git_credentials
    assert list(remote.build_env.docker_env.env_vars) == ["STAGE=prod", "SEED=7"]
    assert remote.build_env.docker_env.base_image == "mocked_cpu_image"  # the platform's default, as the CLI asks
    cpu = remote.client_pod_compute_resources.cpu_resources
    assert (cpu.cpu, cpu.memory_amount) == (3.0, 6)
    purchase = remote.DESCRIPTOR.fields_by_name["purchase_option"].enum_type.values_by_number
    assert purchase[remote.purchase_option].name == "ONDEMAND_PURCHASE_OPTION"
    assert remote.provision_instance_timeout == 90
    config = json.loads(remote.build_config)  # what the remote builder reads: the CLI's build config
    assert config["build_env"]["docker"]["params"] == ["epochs=3"]
    assert config["build_properties"]["model_uri"]["git_credentials_secret"] == "github-token"
    assert "never-sent" not in str(request)  # the resolved git token stays in Airflow


def test_a_build_registered_later_is_queued(platform, control_plane) -> None:
    control_plane.orchestrator.register = False
    before = time.time()
    build = submit(platform)
    assert build.state is BuildState.QUEUED and build.run_key == "dag__run-1"
    assert before <= build.started_at <= time.time()  # the deadline counts from the request


@pytest.mark.parametrize(
    ("resources", "expect"),
    [
        ({"kind": "ClientResources", "instance": "medium", "gpu_resources": None, "cpu_resources": None}, "medium"),
        ({"kind": "GpuResources", "gpu_type": "NVIDIA_T4", "gpu_amount": 1}, ("NVIDIA_T4", 1)),
        (
            {"kind": "ClientResources", "instance": "", "gpu_resources": None, "cpu_resources": {"cpu_fraction": 1}},
            (1.0, 2),
        ),
    ],
)
def test_build_resources(platform, control_plane, sdk, resources: dict[str, Any], expect: Any) -> None:
    submit(platform, resources=resources)
    compute = control_plane.orchestrator.requests[0].build_spec.client_pod_compute_resources
    kind = compute.WhichOneof("resources")
    if kind == "template_spec":
        assert compute.template_spec.template_id == expect
    elif kind == "gpu_resources":
        gpu_type = sdk.resources.GpuType.Name(compute.gpu_resources.gpu_type)
        assert (gpu_type, compute.gpu_resources.gpu_amount) == expect
        assert control_plane.orchestrator.base_image_requests == [2]  # the GPU base image
    else:
        assert (compute.cpu_resources.cpu, compute.cpu_resources.memory_amount) == expect


def test_a_given_base_image_is_used_as_is(platform, control_plane) -> None:
    submit(platform, base_image="acme/base:1")
    assert control_plane.orchestrator.requests[0].build_spec.build_env.docker_env.base_image == "acme/base:1"
    assert control_plane.orchestrator.base_image_requests == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("purchase_option", "on-demand", "Purchase option must be either 'ondemand' or 'spot'"),
        ("resources", {"kind": "CpuResources", "cpu_fraction": 2, "memory": "2GB"}, "build_spec.resources.memory"),
        ("git_uri", None, "the build spec has no git_uri"),
    ],
)
def test_an_invalid_build_spec_is_refused_before_any_build(platform, control_plane, field, value, message) -> None:
    with pytest.raises(PlatformError, match=message):
        submit(platform, **{field: value})
    assert control_plane.orchestrator.requests == []


def test_an_unknown_model_is_named(platform, control_plane) -> None:
    with pytest.raises(JFrogMLNotFoundError, match=r"GetModel for model 'no_such_model' failed \(NOT_FOUND\)"):
        platform.submit_build(BuildRequest("no_such_model", spec(), "k"))


def test_find_build_re_attaches_by_the_run_tag(platform, control_plane) -> None:
    assert platform.find_build(MODEL, "dag__run-1") is None
    first = submit(platform, run_key="dag__run-1")
    other = submit(platform, run_key="dag__run-2")
    found = platform.find_build(MODEL, "dag__run-1")
    assert found is not None and found.build_id == first.build_id and found.run_key == "dag__run-1"
    assert platform.find_build(MODEL, "dag__run-2").build_id == other.build_id  # type: ignore[union-attr]
    assert platform.find_build(MODEL, "dag__run-3") is None


def test_find_build_picks_the_newest_of_a_run(platform, control_plane) -> None:
    from frogml._proto.qwak.build.v1.build_pb2 import Audit
    from google.protobuf.timestamp_pb2 import Timestamp

    tag = run_tag("dag__run-9")
    control_plane.given_build("old", "FAILED", tags=[tag], audit=Audit(created_at=Timestamp(seconds=1_000)))
    control_plane.given_build("new", "IN_PROGRESS", tags=[tag], audit=Audit(created_at=Timestamp(seconds=2_000)))
    control_plane.given_build("untagged", "IN_PROGRESS", audit=Audit(created_at=Timestamp(seconds=3_000)))
    found = platform.find_build(MODEL, "dag__run-9")
    assert found is not None and (found.build_id, found.state) == ("new", BuildState.RUNNING)


@pytest.mark.parametrize(
    ("status", "state", "error"),
    [
        ("BUILD_PENDING", BuildState.QUEUED, ""),
        ("IN_PROGRESS", BuildState.RUNNING, ""),
        ("SUCCESSFUL", BuildState.SUCCESSFUL, ""),
        ("FAILED", BuildState.FAILED, "JFrog ML reports the build FAILED"),
        ("REMOTE_BUILD_CANCELLED", BuildState.CANCELLED, "JFrog ML reports the build REMOTE_BUILD_CANCELLED"),
        ("REMOTE_BUILD_TIMED_OUT", BuildState.TIMED_OUT, "JFrog ML reports the build REMOTE_BUILD_TIMED_OUT"),
    ],
)
def test_get_build_maps_the_status(platform, control_plane, status, state, error) -> None:
    control_plane.given_build("b-1", status)
    build = platform.get_build("b-1", log_tail=False)
    assert (build.build_id, build.model_id, build.state, build.error) == ("b-1", MODEL, state, error)


def test_get_build_reports_metrics_and_failure_reason(platform, control_plane) -> None:
    control_plane.given_build("b-2", "FAILED", failure_reason_code="BUILD_TESTS_FAILED")
    control_plane.set_status("b-2", "FAILED", {"f1_score": 0.9, "loss": 0.125})
    build = platform.get_build("b-2", log_tail=False)
    assert build.metrics == {"f1_score": 0.9, "loss": 0.125}
    assert build.error == "BUILD_TESTS_FAILED"


def test_the_log_tail_comes_from_the_environments_log_service(platform, control_plane) -> None:
    from frogml._proto.qwak.logging.log_line_pb2 import LogLine
    from frogml_services_mock.mocks.logging_service import MockLogLine, Source

    control_plane.given_build("b-3", "FAILED", environment_id=ENV_ID)
    lines = [MockLogLine(LogLine(text=f"line {n}\n"), {"build_id": "b-3", "offset": f"{n:04d}"}) for n in range(1, 61)]
    lines.append(MockLogLine(LogLine(text="another build"), {"build_id": "b-other", "offset": "9999"}))
    control_plane.logs._logs[Source.REMOTE_BUILD].extend(lines)
    tail = platform.get_build("b-3").log_tail.splitlines()
    assert tail == [f"line {n}" for n in range(21, 61)]  # the last 40, oldest first
    assert platform.get_build("b-3", log_tail=False).log_tail == ""


def test_a_log_service_failure_leaves_the_tail_empty(platform, control_plane) -> None:
    control_plane.given_build("b-4", "FAILED", environment_id=ENV_ID)
    control_plane.faults.fail("ReadLogs", "INTERNAL", "log store down")
    build = platform.get_build("b-4")
    assert build.state is BuildState.FAILED and build.log_tail == ""


def test_an_unknown_build_is_named(platform, control_plane) -> None:
    with pytest.raises(JFrogMLNotFoundError, match=r"GetBuild for build 'nope' failed \(NOT_FOUND\)"):
        platform.get_build("nope")


@pytest.mark.parametrize(("timed_out", "state"), [(False, BuildState.CANCELLED), (True, BuildState.TIMED_OUT)])
def test_cancel_build(platform, control_plane, timed_out: bool, state: BuildState) -> None:
    build = submit(platform)
    cancelled = platform.cancel_build(build.build_id, timed_out=timed_out)
    assert control_plane.orchestrator.cancelled == [build.build_id]
    assert cancelled.state is state and cancelled.build_id == build.build_id
    assert cancelled.error == ("timed out; cancelled" if timed_out else "cancelled")


def test_a_finished_build_is_not_cancelled(platform, control_plane) -> None:
    control_plane.given_build("done", "SUCCESSFUL")
    assert platform.cancel_build("done", timed_out=True).state is BuildState.SUCCESSFUL
    assert control_plane.orchestrator.cancelled == []
