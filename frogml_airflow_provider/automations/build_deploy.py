"""Build-and-deploy action and its parts (SDK: ``frogml.core.automations.build_and_deploy_action``)."""

from __future__ import annotations

from abc import ABC
from dataclasses import dataclass, field
from enum import Enum

from frogml_airflow_provider.automations._checks import MAX_CPUS, Checker
from frogml_airflow_provider.automations._names import VARIATION
from frogml_airflow_provider.automations.common import Action, SpecModel, ThresholdDirection, check_direction

# Build GPUs and the legacy deployment size use automation.v1.GpuType; client-pod resources
# use user_application.common.v0.GpuType, which knows more cards.
BUILD_GPU_TYPES = ("NVIDIA_K80", "NVIDIA_V100", "NVIDIA_A100", "NVIDIA_T4", "NVIDIA_A10G", "NVIDIA_L4")
COMMON_GPU_TYPES = (
    *BUILD_GPU_TYPES,
    "NVIDIA_T4_1_4_15",
    "NVIDIA_T4_1_8_30",
    "NVIDIA_T4_1_16_60",
    "NVIDIA_A100_80GB_8_96_1360",
    "NVIDIA_V100_1_8_52",
    "NVIDIA_V100_4_32_208",
    "NVIDIA_H100_NVL",
    "NVIDIA_A10",
    "NVIDIA_H100_SXM",
    "NVIDIA_H100_40GB",
    "NVIDIA_H100_80GB",
    "NVIDIA_M60",
    "NVIDIA_V100_2_16_104",
    "NVIDIA_V100_4_64_240",
    "NVIDIA_T4_4_16_104",
    "NVIDIA_T4_4_32_208",
    "NVIDIA_L4_4_48_192",
    "NVIDIA_A100_40GB_1_12_85",
    "NVIDIA_A100_40GB_2_24_170",
    "NVIDIA_A100_40GB_4_48_340",
)
PURCHASE_OPTIONS = ("spot", "ondemand")


class MetricType(Enum):
    """Autoscaling metric; values are the wire numbers, as in the SDK."""

    cpu = 1
    memory = 2
    latency = 3
    gpu = 4
    error_rate = 5
    throughput = 6


class AggregationType(Enum):
    """Autoscaling aggregation; values are the wire numbers, as in the SDK."""

    min = 1
    max = 2
    avg = 3
    sum = 4
    p50 = 5
    p90 = 6
    p95 = 7
    p99 = 8


class DeploymentCondition(SpecModel, ABC):
    """Decides whether a fresh build is deployed."""


class Resources(SpecModel, ABC):
    """Compute for a build."""


class AutoScaleTrigger(SpecModel, ABC):
    """One autoscaling rule."""


@dataclass(repr=False)
class DeployedBuildMetric(DeploymentCondition):
    """Deploy when the new build's metric beats the build deployed in ``variation``."""

    metric_name: str = field(default="")
    direction: ThresholdDirection = field(default=ThresholdDirection.ABOVE)
    variation: str = field(default="default")

    def _check(self, checker: Checker) -> None:
        checker.text("metric_name", self.metric_name)
        check_direction(checker, "direction", self.direction)
        checker.identifier("variation", self.variation, VARIATION)


@dataclass(repr=False)
class BuildMetric(DeploymentCondition):
    """Deploy when the new build's metric passes ``threshold`` (a number, or a SQL query)."""

    metric_name: str = field(default="")
    direction: ThresholdDirection = field(default=ThresholdDirection.ABOVE)
    threshold: str = field(default="")

    def _check(self, checker: Checker) -> None:
        checker.text("metric_name", self.metric_name)
        check_direction(checker, "direction", self.direction)
        checker.threshold("threshold", self.threshold)


@dataclass(repr=False)
class CpuResources(Resources):
    cpu_fraction: float = field(default=2)
    memory: str = field(default="2Gi")

    def _check(self, checker: Checker) -> None:
        checker.number("cpu_fraction", self.cpu_fraction, above=True, maximum=MAX_CPUS)
        checker.memory("memory", self.memory)


@dataclass(repr=False)
class GpuResources(Resources):
    gpu_type: str = field(default=None)  # type: ignore[assignment]  # the SDK's default
    gpu_amount: int = field(default=None)  # type: ignore[assignment]

    def _check(self, checker: Checker) -> None:
        self.check_as(checker, COMMON_GPU_TYPES)

    def check_as(self, checker: Checker, gpu_types: tuple[str, ...]) -> None:
        checker.choice("gpu_type", self.gpu_type, gpu_types, exact_case=True)
        checker.number("gpu_amount", self.gpu_amount, minimum=1, whole=True)


@dataclass(repr=False)
class ClientResources(Resources):
    instance: str = field(default="")
    gpu_resources: GpuResources = field(default=None)  # type: ignore[assignment]
    cpu_resources: CpuResources = field(default=None)  # type: ignore[assignment]

    def _check(self, checker: Checker) -> None:
        checker.text("instance", self.instance, required=False)
        checker.child("gpu_resources", self.gpu_resources, (GpuResources,), required=False)
        checker.child("cpu_resources", self.cpu_resources, (CpuResources,), required=False)
        if not (self.instance or self.gpu_resources or self.cpu_resources):
            checker.add(
                "instance",
                self.instance,
                "is empty and no gpu_resources or cpu_resources is set",
                "give instance='small' (a template name), gpu_resources=... or cpu_resources=...",
            )


@dataclass(repr=False)
class BuildSpecifications(SpecModel):
    """Where and how to build the model: the git source plus build settings."""

    parameters: dict[str, str] = field(default_factory=dict)
    git_uri: str = field(default=None)  # type: ignore[assignment]
    tags: list[str] = field(default_factory=list)
    git_access_token_secret: str = field(default=None)  # type: ignore[assignment]
    git_branch: str = field(default="main")
    main_dir: str = field(default="main")
    base_image: str = field(default="")
    assumed_iam_role: str = field(default="")
    resources: Resources = field(default_factory=CpuResources)
    dependency_file_path: str = field(default=None)  # type: ignore[assignment]
    env_vars: list[str] = field(default_factory=list)
    git_ssh_token_secret: str = field(default=None)  # type: ignore[assignment]
    gpu_compatible: bool = field(default=False)
    push_image: bool = field(default=True)
    purchase_option: str = field(default="spot")
    provision_instance_timeout: int = field(default=120)
    service_account_key_secret_name: str = field(default="")

    def _check(self, checker: Checker) -> None:
        checker.str_dict("parameters", self.parameters)
        checker.git_uri("git_uri", self.git_uri)
        checker.str_list("tags", self.tags)
        for name in ("git_access_token_secret", "git_ssh_token_secret"):
            checker.text(name, getattr(self, name), required=False)
        checker.repo_path("dependency_file_path", self.dependency_file_path, required=False)
        checker.text("git_branch", self.git_branch)
        checker.repo_path("main_dir", self.main_dir)
        for name in ("base_image", "assumed_iam_role", "service_account_key_secret_name"):
            checker.text(name, getattr(self, name), required=False)
        if isinstance(self.resources, GpuResources):
            self.resources.check_as(checker.sub("resources"), BUILD_GPU_TYPES)
        else:
            checker.child("resources", self.resources, (CpuResources, GpuResources, ClientResources))
        checker.str_list("env_vars", self.env_vars, env_vars=True)
        checker.flag("gpu_compatible", self.gpu_compatible)
        checker.flag("push_image", self.push_image)
        checker.choice("purchase_option", self.purchase_option, PURCHASE_OPTIONS)
        checker.number("provision_instance_timeout", self.provision_instance_timeout, whole=True)


@dataclass(repr=False)
class AutoScaleQuerySpec(SpecModel):
    metric_type: str = field(default=None)  # type: ignore[assignment]
    aggregation_type: str = field(default=None)  # type: ignore[assignment]
    time_period: int = field(default=None)  # type: ignore[assignment]

    def _check(self, checker: Checker) -> None:
        checker.choice("metric_type", self.metric_type, tuple(MetricType.__members__))
        checker.choice("aggregation_type", self.aggregation_type, tuple(AggregationType.__members__))
        checker.number("time_period", self.time_period, minimum=1, whole=True)


@dataclass(repr=False)
class AutoScalingPrometheusTrigger(AutoScaleTrigger):
    # The SDK's default is a protobuf class (a bug); here the query spec is simply required.
    query_spec: AutoScaleQuerySpec = field(default=None)  # type: ignore[assignment]
    threshold: int = field(default=None)  # type: ignore[assignment]

    def _check(self, checker: Checker) -> None:
        checker.child("query_spec", self.query_spec, (AutoScaleQuerySpec,))
        checker.number("threshold", self.threshold, whole=True)


@dataclass(repr=False)
class AutoScalingConfig(SpecModel):
    min_replica_count: int = field(default=None)  # type: ignore[assignment]
    max_replica_count: int = field(default=None)  # type: ignore[assignment]
    polling_interval: int = field(default=None)  # type: ignore[assignment]
    cool_down_period: int = field(default=None)  # type: ignore[assignment]
    triggers: list[AutoScaleTrigger] = field(default_factory=list)

    def _check(self, checker: Checker) -> None:
        for name in ("min_replica_count", "max_replica_count", "polling_interval", "cool_down_period"):
            checker.number(name, getattr(self, name), whole=True, required=False)
        low, high = self.min_replica_count, self.max_replica_count
        if isinstance(low, int) and isinstance(high, int) and low > high:
            checker.add("max_replica_count", high, f"is below min_replica_count={low}", "raise it or lower the minimum")
        if not isinstance(self.triggers, (list, tuple)):
            checker.add("triggers", self.triggers, "is not a list", "write a list of AutoScalingPrometheusTrigger(...)")
            return
        for i, trigger in enumerate(self.triggers):
            checker.child(f"triggers[{i}]", trigger, (AutoScalingPrometheusTrigger,))


@dataclass(repr=False)
class DeploymentSpecifications(SpecModel):
    """How a passing build is served."""

    number_of_http_server_workers: int = field(default=2)
    http_request_timeout_ms: int = field(default=5000)
    max_batch_size: int = field(default=1)
    daemon_mode: bool = field(default=False)
    variation_name: str = field(default="default")
    custom_iam_role_arn: str = field(default="")
    number_of_pods: int = field(default=2)
    cpu_fraction: float = field(default=2)
    memory: str = field(default="2Gi")
    gpu_resources: GpuResources = field(default=None)  # type: ignore[assignment]
    auto_scale_config: AutoScalingConfig = field(default_factory=AutoScalingConfig)
    environments: list[str] = field(default_factory=list)
    env_vars: list[str] = field(default_factory=list)
    deployment_timeout: int = field(default=0)
    instance: str = field(default="")
    service_account_key_secret_name: str = field(default="")

    def _check(self, checker: Checker) -> None:
        checker.number("number_of_http_server_workers", self.number_of_http_server_workers, minimum=1, whole=True)
        checker.number("http_request_timeout_ms", self.http_request_timeout_ms, minimum=1, whole=True)
        checker.number("max_batch_size", self.max_batch_size, minimum=1, whole=True)
        checker.flag("daemon_mode", self.daemon_mode)
        checker.identifier("variation_name", self.variation_name, VARIATION)
        checker.text("custom_iam_role_arn", self.custom_iam_role_arn, required=False)
        checker.number("number_of_pods", self.number_of_pods, minimum=1, whole=True)
        checker.number("cpu_fraction", self.cpu_fraction, above=True, maximum=MAX_CPUS)
        checker.memory("memory", self.memory)
        if self.gpu_resources is not None:
            if isinstance(self.gpu_resources, GpuResources):
                # The SDK fills the legacy deployment size too, which knows only the older cards.
                self.gpu_resources.check_as(checker.sub("gpu_resources"), BUILD_GPU_TYPES)
            else:
                checker.child("gpu_resources", self.gpu_resources, (GpuResources,))
        checker.child("auto_scale_config", self.auto_scale_config, (AutoScalingConfig,))
        checker.str_list("environments", self.environments)
        checker.str_list("env_vars", self.env_vars, env_vars=True)
        checker.number("deployment_timeout", self.deployment_timeout, whole=True)
        checker.text("instance", self.instance, required=False)
        checker.text("service_account_key_secret_name", self.service_account_key_secret_name, required=False)


@dataclass(repr=False)
class FrogmlBuildDeploy(Action):
    """Build from git, then deploy when ``deployment_condition`` holds."""

    build_spec: BuildSpecifications
    deployment_condition: DeploymentCondition
    deployment_spec: DeploymentSpecifications

    def _check(self, checker: Checker) -> None:
        checker.child("build_spec", self.build_spec, (BuildSpecifications,))
        checker.child("deployment_condition", self.deployment_condition, (BuildMetric, DeployedBuildMetric))
        checker.child("deployment_spec", self.deployment_spec, (DeploymentSpecifications,))
