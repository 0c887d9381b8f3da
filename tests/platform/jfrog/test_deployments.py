"""Deployments on JFrog ML: the DeployModel request, environments, idempotence, states, endpoint."""

from __future__ import annotations

from typing import Any

import pytest

from frogml_airflow_provider.errors import JFrogMLNotFoundError
from frogml_airflow_provider.platform.base import DeploymentState, PlatformError
from tests.support.jfrog import ENV_ID, MODEL, MODEL_API, STAGING_ID, STAGING_NAME

pytestmark = pytest.mark.sdk

ENDPOINT = f"{MODEL_API}/v1/{MODEL}/predict"


def deployment_spec(**overrides: Any) -> dict[str, Any]:
    """A DeploymentSpecifications as the plan hands it over, with the SDK's defaults."""
    base: dict[str, Any] = {
        "kind": "DeploymentSpecifications",
        "number_of_http_server_workers": 4,
        "http_request_timeout_ms": 3000,
        "max_batch_size": 8,
        "daemon_mode": True,
        "variation_name": "default",
        "custom_iam_role_arn": "",
        "number_of_pods": 3,
        "cpu_fraction": 1.5,
        "memory": "1024Mi",
        "gpu_resources": None,
        "auto_scale_config": {
            "kind": "AutoScalingConfig",
            "min_replica_count": None,
            "max_replica_count": None,
            "polling_interval": None,
            "cool_down_period": None,
            "triggers": [],
        },
        "environments": [],
        "env_vars": ["MODE=fast"],
        "deployment_timeout": 600,
        "instance": "",
        "service_account_key_secret_name": "",
    }
    return {**base, **overrides}


@pytest.fixture
def built(control_plane) -> str:
    control_plane.given_build("build-ok", "SUCCESSFUL")
    return "build-ok"


def test_deploy_requests_a_realtime_deployment_in_the_default_environment(platform, control_plane, built, sdk) -> None:
    deployment = platform.deploy(MODEL, built, deployment_spec())
    assert (deployment.build_id, deployment.state, deployment.variation) == (
        built,
        DeploymentState.DEPLOYING,
        "default",
    )
    (request,) = control_plane.deployments.requests
    assert (request.model_id, request.build_id) == (MODEL, built)
    assert list(request.environment_to_deployment) == [ENV_ID]
    message = request.environment_to_deployment[ENV_ID]
    assert message.model_uuid == control_plane.models.models[MODEL].uuid
    kube = message.hosting_service.kube_deployment
    size = kube.deployment_size
    assert (size.number_of_pods, size.cpu, size.memory_amount) == (3, 1.5, 1024)
    assert sdk.deployment.MemoryUnit.Name(size.memory_units) == "MIB"
    assert size.client_pod_compute_resources.cpu_resources.memory_amount == 1024
    options = kube.advanced_deployment_options
    assert (options.number_of_http_server_workers, options.http_request_timeout_ms, options.max_batch_size) == (
        4,
        3000,
        8,
    )
    assert options.daemon_mode.value is True and options.deployment_process_timeout_limit == 600
    assert sdk.deployment.KubeDeploymentType.Name(kube.kube_deployment_type) == "ONLINE"
    assert kube.serving_strategy.realtime_config.traffic_config.selected_variation_name == "default"
    assert not kube.serving_strategy.realtime_config.HasField("auto_scaling_config")
    assert dict(kube.environment_variables) == {"MODE": "fast"}


def test_environments_are_named_and_variations_kept(platform, control_plane, built) -> None:
    platform.deploy(MODEL, built, deployment_spec(environments=[STAGING_NAME], variation_name="challenger"))
    (request,) = control_plane.deployments.requests
    assert list(request.environment_to_deployment) == [STAGING_ID]
    traffic = request.environment_to_deployment[STAGING_ID].hosting_service.kube_deployment.serving_strategy
    assert traffic.realtime_config.traffic_config.selected_variation_name == "challenger"


def test_an_unknown_environment_lists_the_known_ones(platform, control_plane, built) -> None:
    with pytest.raises(PlatformError, match=r"no environment named 'prod' .*it has: production, staging"):
        platform.deploy(MODEL, built, deployment_spec(environments=["prod"]))
    assert control_plane.deployments.requests == []


def test_instance_gpu_and_autoscaling(platform, control_plane, built, sdk) -> None:
    scaling = {
        "kind": "AutoScalingConfig",
        "min_replica_count": 1,
        "max_replica_count": 4,
        "polling_interval": 30,
        "cool_down_period": 300,
        "triggers": [
            {
                "kind": "AutoScalingPrometheusTrigger",
                "query_spec": {"metric_type": "cpu", "aggregation_type": "avg", "time_period": 60},
                "threshold": 70,
            }
        ],
    }
    platform.deploy(MODEL, built, deployment_spec(instance="gpu.a10.xl", auto_scale_config=scaling))
    kube = control_plane.deployments.requests[0].environment_to_deployment[ENV_ID].hosting_service.kube_deployment
    assert kube.deployment_size.client_pod_compute_resources.template_spec.template_id == "gpu.a10.xl"
    config = kube.serving_strategy.realtime_config.auto_scaling_config
    assert (config.min_replica_count, config.max_replica_count, config.cool_down_period) == (1, 4, 300)
    (trigger,) = config.triggers.triggers
    query = trigger.prometheus_trigger.query_spec
    assert sdk.auto_scaling.MetricType.Name(query.metric_type) == "METRIC_TYPE_CPU"
    assert sdk.auto_scaling.AggregationType.Name(query.aggregation_type) == "AGGREGATION_TYPE_AVERAGE"
    assert trigger.prometheus_trigger.threshold == 70


def test_gpu_resources(platform, control_plane, built, sdk) -> None:
    platform.deploy(MODEL, built, deployment_spec(gpu_resources={"gpu_type": "NVIDIA_T4", "gpu_amount": 1}))
    size = control_plane.deployments.requests[0].environment_to_deployment[ENV_ID].hosting_service
    gpu = size.kube_deployment.deployment_size.client_pod_compute_resources.gpu_resources
    assert (sdk.resources.GpuType.Name(gpu.gpu_type), gpu.gpu_amount) == ("NVIDIA_T4", 1)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("memory", "2GB", r"invalid deployment_spec: deployment_spec\.memory = '2GB'"),
        (
            "auto_scale_config",
            {"triggers": [{"query_spec": {"metric_type": "cpu", "aggregation_type": "median"}}]},
            "metric_type and aggregation_type are required",
        ),
    ],
)
def test_an_invalid_deployment_spec_is_refused(platform, control_plane, built, field, value, message) -> None:
    with pytest.raises(PlatformError, match=message):
        platform.deploy(MODEL, built, deployment_spec(**{field: value}))
    assert control_plane.deployments.requests == []


def test_it_serves_with_an_endpoint_once_the_platform_says_so(platform, control_plane, built) -> None:
    assert platform.get_deployment(MODEL, "default") is None
    platform.deploy(MODEL, built, deployment_spec())
    assert platform.get_deployment(MODEL, "default").state is DeploymentState.DEPLOYING  # type: ignore[union-attr]
    control_plane.deployments.mark_deployment_successful(MODEL, ENV_ID, "default")
    serving = platform.get_deployment(MODEL, "default")
    assert serving is not None
    assert (serving.state, serving.build_id, serving.endpoint) == (DeploymentState.SERVING, built, ENDPOINT)
    assert platform.get_deployment(MODEL, "other-variation") is None


def test_deploy_is_idempotent(platform, control_plane, built) -> None:
    platform.deploy(MODEL, built, deployment_spec())
    again = platform.deploy(MODEL, built, deployment_spec())  # a retry of the deploy task, still deploying
    assert again.state is DeploymentState.DEPLOYING
    control_plane.deployments.mark_deployment_successful(MODEL, ENV_ID, "default")
    assert platform.deploy(MODEL, built, deployment_spec()).state is DeploymentState.SERVING
    assert len(control_plane.deployments.requests) == 1


def test_a_deployment_the_platform_refuses_is_failed_with_its_reason(platform, control_plane, built) -> None:
    control_plane.deployments.set_deployment_to_fail_on_init(MODEL, built)
    deployment = platform.deploy(MODEL, built, deployment_spec())
    assert deployment.state is DeploymentState.FAILED
    assert deployment.error == "environment production: Failed initiating deployment"


def test_a_new_build_replaces_the_serving_one(platform, control_plane, built) -> None:
    platform.deploy(MODEL, built, deployment_spec())
    control_plane.deployments.mark_deployment_successful(MODEL, ENV_ID, "default")
    control_plane.given_build("build-2", "SUCCESSFUL")
    second = platform.deploy(MODEL, "build-2", deployment_spec())
    assert (second.build_id, second.state) == ("build-2", DeploymentState.DEPLOYING)
    assert len(control_plane.deployments.requests) == 2


@pytest.mark.parametrize("status", ["IN_PROGRESS", "FAILED"])
def test_only_a_successful_build_is_deployed(platform, control_plane, status: str) -> None:
    control_plane.given_build("not-ready", status)
    with pytest.raises(PlatformError, match=f"cannot deploy build not-ready of model '{MODEL}': it is"):
        platform.deploy(MODEL, "not-ready", deployment_spec())
    assert control_plane.deployments.requests == []


def test_deployments_of_an_unknown_model_name_it(platform, control_plane) -> None:
    with pytest.raises(JFrogMLNotFoundError, match="model 'ghost'"):
        platform.get_deployment("ghost", "default")
