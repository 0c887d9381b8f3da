"""The request messages, from the automation's specs as plain data (``tasks.to_plain``).

A build is requested as ``frogml models build <git uri>`` requests it: the SDK's own
``BuildConfigV1`` is filled from the ``BuildSpecifications`` and turned into a ``RemoteBuildSpec``
by the SDK's own mapping, so the platform receives the same fields (and the same ``build_config``
document) as from the CLI. A deployment is requested as ``frogml models deploy realtime`` does:
one ``EnvironmentDeploymentMessage`` per environment, each with a ``KubeDeployment``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from frogml_airflow_provider.errors import PlatformError
from frogml_airflow_provider.platform.jfrog._mapping import key_values, memory

AGGREGATIONS = {
    "min": "MIN",
    "max": "MAX",
    "avg": "AVERAGE",
    "average": "AVERAGE",
    "sum": "SUM",
    "p50": "P50",
    "p90": "P90",
    "p95": "P95",
    "p99": "P99",
}


def remote_build_spec(
    sdk: Any, *, model_id: str, build_id: str, spec: Mapping[str, Any], tags: Sequence[str], base_image: str
) -> Any:
    """``qwak.builds.orchestrator.RemoteBuildSpec`` for building ``spec["git_uri"]`` remotely."""
    try:
        conf = sdk.build_config.BuildConfigV1()
        properties = conf.build_properties
        properties.model_id = model_id
        properties.build_id = build_id
        properties.tags = list(tags)
        properties.gpu_compatible = bool(spec.get("gpu_compatible"))
        source = properties.model_uri
        source.uri = str(spec["git_uri"])  # with any "#sub/dir": the platform splits it, as for automations
        source.git_branch = spec.get("git_branch") or "main"
        source.main_dir = spec.get("main_dir") or "main"
        source.git_credentials_secret = spec.get("git_access_token_secret") or None  # a JFrog ML secret's name
        source.git_secret_ssh = spec.get("git_ssh_token_secret") or None
        docker = conf.build_env.docker
        docker.base_image = base_image
        docker.env_vars = [f"{k}={v}" for k, v in key_values(spec.get("env_vars")).items()]
        docker.params = [f"{k}={v}" for k, v in key_values(spec.get("parameters")).items()]
        docker.assumed_iam_role_arn = spec.get("assumed_iam_role") or None
        docker.service_account_key_secret_name = spec.get("service_account_key_secret_name") or None
        docker.push = bool(spec.get("push_image", True))
        conf.build_env.python_env.dependency_file_path = spec.get("dependency_file_path") or None
        _build_resources(conf.build_env.remote.resources, spec.get("resources"))
        conf.purchase_option = str(spec.get("purchase_option") or "spot").strip().lower()
        conf.provision_instance_timeout = int(spec.get("provision_instance_timeout") or 120)
        return sdk.build_request._get_build_model_spec(conf)
    except PlatformError:
        raise
    except Exception as error:  # noqa: BLE001 - the SDK's validation (memory, purchase option, GPU type)
        message = getattr(error, "message", None) or str(error)
        raise PlatformError(f"cannot request a build of model {model_id!r}: invalid build_spec: {message}") from None


def uses_gpu(spec: Mapping[str, Any]) -> bool:
    """Whether the build wants the platform's GPU base image (as the CLI decides it)."""
    resources = spec.get("resources") or {}
    gpu = resources.get("gpu_resources") if resources.get("kind") == "ClientResources" else resources
    return bool(spec.get("gpu_compatible")) or bool((gpu or {}).get("gpu_type") and (gpu or {}).get("gpu_amount"))


def _build_resources(target: Any, resources: Mapping[str, Any] | None) -> None:
    resources = resources or {"kind": "CpuResources"}
    kind = resources.get("kind")
    if kind == "ClientResources":
        if resources.get("instance"):
            target.instance = str(resources["instance"])
            return
        resources = resources.get("gpu_resources") or resources.get("cpu_resources") or {"kind": "CpuResources"}
        kind = resources.get("kind") or ("GpuResources" if "gpu_type" in resources else "CpuResources")
    if kind == "GpuResources":
        target.gpu_type = resources.get("gpu_type")
        target.gpu_amount = int(resources.get("gpu_amount") or 0)
        return
    target.cpus = float(resources.get("cpu_fraction") or 2)
    target.memory = str(resources.get("memory") or "2Gi")
    memory(target.memory, what="build_spec.resources.memory")


def environment_deployments(
    sdk: Any,
    *,
    model_id: str,
    model_uuid: str,
    build_id: str,
    spec: Mapping[str, Any],
    environment_ids: Sequence[str],
) -> dict[str, Any]:
    """``{environment id: EnvironmentDeploymentMessage}`` for a real-time deployment."""
    try:
        hosting = _hosting_service(sdk, spec)
    except (ValueError, TypeError) as error:
        raise PlatformError(f"cannot deploy model {model_id!r}: invalid deployment_spec: {error}") from None
    d = sdk.deployment
    return {
        environment_id: d.EnvironmentDeploymentMessage(
            model_id=model_id, model_uuid=model_uuid, build_id=build_id, hosting_service=hosting
        )
        for environment_id in environment_ids
    }


def _hosting_service(sdk: Any, spec: Mapping[str, Any]) -> Any:
    d, r = sdk.deployment, sdk.resources
    cpu = float(spec.get("cpu_fraction") or 2)
    amount, unit = memory(spec.get("memory") or "2Gi", what="deployment_spec.memory")
    size = d.DeploymentSize(
        number_of_pods=int(spec.get("number_of_pods") or 2),
        cpu=cpu,
        memory_amount=amount,
        memory_units=d.MemoryUnit.Value(unit),
    )
    gpu = spec.get("gpu_resources") or {}
    if spec.get("instance"):
        size.client_pod_compute_resources.template_spec.template_id = str(spec["instance"])
    elif gpu.get("gpu_type") and int(gpu.get("gpu_amount") or 0) > 0:
        resources = r.GpuResources(gpu_type=str(gpu["gpu_type"]), gpu_amount=int(gpu["gpu_amount"]))
        size.gpu_resources.CopyFrom(resources)
        size.client_pod_compute_resources.gpu_resources.CopyFrom(resources)
    else:
        size.client_pod_compute_resources.cpu_resources.CopyFrom(
            r.CpuResources(cpu=cpu, memory_amount=amount, memory_units=r.MemoryUnit.Value(unit))
        )
    advanced = d.AdvancedDeploymentOptions(
        number_of_http_server_workers=int(spec.get("number_of_http_server_workers") or 2),
        http_request_timeout_ms=int(spec.get("http_request_timeout_ms") or 5000),
        daemon_mode=sdk.wrappers.BoolValue(value=bool(spec.get("daemon_mode"))),
        custom_iam_role_arn=str(spec.get("custom_iam_role_arn") or ""),
        max_batch_size=int(spec.get("max_batch_size") or 1),
        deployment_process_timeout_limit=int(spec.get("deployment_timeout") or 0),
        service_account_key_secret_name=str(spec.get("service_account_key_secret_name") or ""),
    )
    realtime = d.RealTimeConfig(
        traffic_config=d.TrafficConfig(selected_variation_name=str(spec.get("variation_name") or "default"))
    )
    scaling = _auto_scaling(sdk, spec.get("auto_scale_config") or {})
    if scaling is not None:
        realtime.auto_scaling_config.CopyFrom(scaling)
    return d.HostingService(
        kube_deployment=d.KubeDeployment(
            deployment_size=size,
            advanced_deployment_options=advanced,
            kube_deployment_type=d.KubeDeploymentType.Value("ONLINE"),
            serving_strategy=d.ServingStrategy(realtime_config=realtime),
            environment_variables=key_values(spec.get("env_vars")),
        )
    )


def _auto_scaling(sdk: Any, config: Mapping[str, Any]) -> Any | None:
    """``AutoScalingConfig``, or None when the spec leaves autoscaling to the platform."""
    numbers = ("min_replica_count", "max_replica_count", "polling_interval", "cool_down_period")
    triggers = list(config.get("triggers") or [])
    if not triggers and not any(config.get(name) for name in numbers):
        return None
    a = sdk.auto_scaling
    messages = []
    for trigger in triggers:
        query = trigger.get("query_spec") or {}
        metric = str(query.get("metric_type") or "").strip().upper()
        aggregation = AGGREGATIONS.get(str(query.get("aggregation_type") or "").strip().lower())
        if not metric or aggregation is None:
            raise ValueError(
                f"auto_scale_config trigger {dict(query)!r}: metric_type and aggregation_type are required"
            )
        messages.append(
            a.Trigger(
                prometheus_trigger=a.PrometheusTrigger(
                    query_spec=a.QuerySpec(
                        metric_type=a.MetricType.Value(f"METRIC_TYPE_{metric}"),
                        aggregation_type=a.AggregationType.Value(f"AGGREGATION_TYPE_{aggregation}"),
                        time_period=int(query.get("time_period") or 0),
                    ),
                    threshold=int(trigger.get("threshold") or 0),
                )
            )
        )
    return a.AutoScalingConfig(
        **{name: int(config.get(name) or 0) for name in numbers},
        triggers=a.Triggers(triggers=messages),
    )
