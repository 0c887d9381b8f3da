"""An automation -> its native wire form: the protobuf-JSON of ``qwak.automation.v1.AutomationSpec``.

The result equals ``MessageToDict(automation.to_proto().automation_spec)`` of frogml 2.1.152 for
the same definition, built here by hand so that no frogml, protobuf or Airflow import is needed.
It mirrors what ``to_proto()`` does, quirks included:

- proto3 zero values are left out (``""``, ``0``, ``False``, empty lists and maps, enum zero
  such as ``ON_DEMAND``); a sub-message that ``to_proto()`` sets is kept even when empty
  (``noneTrigger: {}``, ``autoScalingConfig: {triggers: {}}``, ``gpuResources: {}`` of a batch);
- ``ScheduledTrigger``: a truthy ``interval`` wins and the cron is dropped;
- threshold directions go by *name* (the SDK's ``ABOVE`` is 1, the wire's is 2);
- ``BuildSpecifications``: ``pushImage`` is a ``BoolValue``, so it is always written, ``false``
  too; ``"spot"`` is written as ``SPOT``, ``"ondemand"`` (the wire's zero) is left out;
- ``DeploymentSpecifications``: both the legacy size (``cpu``, ``memoryAmount``, ...) and
  ``clientPodComputeResources`` are filled; ``deployment_timeout`` becomes
  ``deploymentProcessTimeoutLimit``; the SDK's ``description`` is never sent;
- ``float`` fields (32-bit on the wire) are printed the way protobuf's JSON printer does.

Pure: no Airflow, network or frogml SDK import.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from frogml_airflow_provider.automations import (
    Automation,
    BatchExecution,
    BatchJobDataSpecifications,
    BatchJobExecutionSpecifications,
    BuildMetric,
    BuildSpecifications,
    ClientResources,
    CpuResources,
    CustomWebhook,
    DeployedBuildMetric,
    DeploymentSpecifications,
    FrogmlBuildDeploy,
    GpuResources,
    MetricBasedTrigger,
    NoneTrigger,
    OnBoardingTrigger,
    ScheduledTrigger,
    SlackNotification,
    SqlMetric,
)
from frogml_airflow_provider.automations.notifications import is_secret_header

Message = dict[str, Any]

_DIRECTIONS = ("BELOW", "ABOVE", "EQUALS", "BELOW_OR_EQUALS", "ABOVE_OR_EQUALS")
_METRIC_TYPES = {
    name: f"METRIC_TYPE_{name.upper()}" for name in ("cpu", "memory", "latency", "gpu", "error_rate", "throughput")
}
_AGGREGATIONS = {name: f"AGGREGATION_TYPE_{name.upper()}" for name in ("min", "max", "sum", "p50", "p90", "p95", "p99")}
_AGGREGATIONS["avg"] = "AGGREGATION_TYPE_AVERAGE"  # the one name that is not the wire's
_FILE_TYPES = ("csv", "feather", "parquet")
_HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
_GPU_TYPE_ZERO = ("INVALID", "INVALID_GPU_TYPE")
_MEMORY = re.compile(r"^(?P<amount>\d+)\s*(?P<unit>[a-zA-Z]*)$")
_MEMORY_UNITS = {"gi": "GIB", "gib": "GIB", "mi": "MIB", "mib": "MIB"}


@dataclass(frozen=True)
class SecretField:
    """A credential inside a notification: ``on_error.webhook``, ``on_success.headers['X']``."""

    slot: str  # "on_error" | "on_success"
    field: str  # "webhook" | "url" | "headers"
    key: str | None = None  # the header name, for "headers"

    @property
    def path(self) -> str:
        key = f"[{self.key!r}]" if self.key is not None else ""
        return f"{self.slot}.{self.field}{key}"


SecretRef = Callable[[SecretField, str], str]
"""Gives the text to write in place of a secret; ``None`` writes every secret as it is."""


def secret_fields(automation: Automation) -> Iterator[tuple[SecretField, str]]:
    """Every credential of an automation's notifications, with its value: webhook URLs and every
    header value but those of ``PUBLIC_HEADERS`` (``Content-Type``, ``Accept``, ``User-Agent``)."""
    for slot in ("on_error", "on_success"):
        notification = getattr(automation, slot)
        if isinstance(notification, SlackNotification):
            yield SecretField(slot, "webhook"), notification.webhook
        elif isinstance(notification, CustomWebhook):
            yield SecretField(slot, "url"), notification.url
            for key, value in notification.headers.items():
                if is_secret_header(key):
                    yield SecretField(slot, "headers", key), value


def automation_spec(automation: Automation, *, secret: SecretRef | None = None) -> Message:
    """``MessageToDict(automation.to_proto().automation_spec)``, without the SDK."""
    keep: SecretRef = secret or (lambda _field, value: value)
    return _message(
        modelId=automation.model_id,
        automationName=automation.name,
        trigger=_trigger(automation.trigger),
        action=_action(automation.action),
        # automation_description (6) is never filled by the SDK: the description is dropped.
        isEnabled=automation.is_enabled,
        onError=_notification(automation.on_error, "on_error", keep),
        onSuccess=_notification(automation.on_success, "on_success", keep),
        executeImmediately=automation.execute_immediately,
        isSdkV1=automation.is_sdk_v1,
    )


# -- proto3 JSON rules --------------------------------------------------------------------------
@dataclass(frozen=True)
class _Present:
    """A value written even when it is a zero: a wrapper such as ``BoolValue`` has presence."""

    value: Any


def _message(**fields: Any) -> Message:
    """A message from its fields (JSON names, in field-number order): zero scalars left out, set
    sub-messages (dicts) kept even when empty. Maps go through ``_map`` (empty -> None)."""
    return {
        name: value.value if isinstance(value, _Present) else value
        for name, value in fields.items()
        if isinstance(value, _Present) or not _is_zero(value)
    }


def _is_zero(value: Any) -> bool:
    if value is None or isinstance(value, dict):
        return value is None
    if isinstance(value, float):
        return value == 0 and math.copysign(1.0, value) > 0  # -0.0 has bits set: protobuf writes it
    return not value


def _map(value: Mapping[str, str] | None) -> Message | None:
    return dict(value) if value else None


def _float(value: float | None) -> float | str | None:
    """A 32-bit ``float`` field as protobuf's JSON printer writes it (``ToShortestFloat``)."""
    if value is None:
        return None
    try:
        stored = _to_float32(float(value))
    except OverflowError:
        stored = math.copysign(math.inf, value)
    if math.isnan(stored):
        return "NaN"
    if math.isinf(stored):
        return "Infinity" if stored > 0 else "-Infinity"
    precision = 6
    shortest = float(f"{stored:.{precision}g}")
    while _to_float32(shortest) != stored:
        precision += 1
        shortest = float(f"{stored:.{precision}g}")
    return shortest


def _to_float32(value: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


def _direction(direction: Any) -> str | None:
    # By name: the SDK's enum values are not the wire's (ABOVE=1 here, ABOVE=2 there).
    name = direction.name if isinstance(direction, Enum) else None
    return name if name in _DIRECTIONS else None


def memory(value: str) -> tuple[int, str]:
    """The SDK's memory grammar: ``"2Gi"`` -> ``(2, "GIB")``, a bare number is MiB."""
    match = _MEMORY.match(value.strip()) if isinstance(value, str) and value.strip() else None
    unit = _MEMORY_UNITS.get((match.group("unit") or "mi").lower()) if match else None
    if match is None or unit is None:
        raise ValueError(f"invalid memory {value!r}: write '<integer>[Gi|GiB|Mi|MiB]', e.g. '2Gi'")
    return int(match.group("amount")), unit


# -- triggers and notifications ------------------------------------------------------------------
def _trigger(trigger: Any) -> Message | None:
    if trigger is None:
        return None
    if isinstance(trigger, ScheduledTrigger):
        # ``schedule`` is a oneof: the chosen member is written even when empty.
        if trigger.interval:
            return {"scheduledTrigger": {"interval": trigger.interval}}
        return {"scheduledTrigger": {} if trigger.cron is None else {"cron": trigger.cron}}
    if isinstance(trigger, MetricBasedTrigger):
        if not isinstance(trigger.metric, SqlMetric):
            raise TypeError(f"cannot export metric {type(trigger.metric).__name__}")
        metric = _message(
            name=trigger.name,
            metric={"sqlMetric": _message(sqlQuery=trigger.metric.sql_query)},
            thresholdDirection=_direction(trigger.direction),
            threshold=trigger.threshold,
            overrideCron=trigger.override_cron,
        )
        return {"metricBasedTrigger": metric}
    if isinstance(trigger, NoneTrigger):
        return {"noneTrigger": {}}
    if isinstance(trigger, OnBoardingTrigger):
        return {"onBoardingTrigger": {}}
    raise TypeError(f"cannot export trigger {type(trigger).__name__}")


def _notification(notification: Any, slot: str, secret: SecretRef) -> Message | None:
    if notification is None:
        return None
    if isinstance(notification, SlackNotification):
        return {"postSlackNotification": _message(webhook=secret(SecretField(slot, "webhook"), notification.webhook))}
    if isinstance(notification, CustomWebhook):
        method = str(notification.http_method).upper()
        headers = {
            key: secret(SecretField(slot, "headers", key), value) if is_secret_header(key) else value
            for key, value in notification.headers.items()
        }
        return {
            "customWebhook": _message(
                url=secret(SecretField(slot, "url"), notification.url),
                httpMethod=f"HTTP_METHOD_TYPE_{method}" if method in _HTTP_METHODS else None,
                headers=_map(headers),
                data=_map(notification.data),
            )
        }
    raise TypeError(f"cannot export notification {type(notification).__name__}")


# -- actions ---------------------------------------------------------------------------------------
def _action(action: Any) -> Message:
    if isinstance(action, FrogmlBuildDeploy):
        return {
            "buildDeploy": {
                "buildSpec": _build_spec(action.build_spec),
                "deploymentCondition": _condition(action.deployment_condition),
                "deploymentSpec": _deployment_spec(action.deployment_spec),
            }
        }
    if isinstance(action, BatchExecution):
        request = {
            "modelDetails": _message(buildId=action.build_id),
            "dataDetails": _data_details(action.data_specifications),
            "executionDetails": _execution_details(action.execution_specifications),
        }
        return {"batchExecution": {"executeBatchJob": request}}
    raise TypeError(f"cannot export action {type(action).__name__}")


def _build_spec(spec: BuildSpecifications) -> Message:
    purchase = spec.purchase_option.lower()
    if purchase not in ("spot", "ondemand"):
        raise ValueError(f"invalid purchase option {spec.purchase_option!r}: use 'spot' or 'ondemand'")
    return _message(
        gitModelSource=_message(
            gitUri=spec.git_uri,
            gitCredentialsSecretName=spec.git_access_token_secret,
            gitBranch=spec.git_branch,
            gitSshSecretName=spec.git_ssh_token_secret,
        ),
        parameters=_map(spec.parameters),
        tags=list(spec.tags),
        baseImage=spec.base_image,
        assumedIamRole=spec.assumed_iam_role,
        resource=_build_resources(spec.resources),
        mainDir=spec.main_dir,
        dependencyFilePath=spec.dependency_file_path,
        envVars=list(spec.env_vars),  # a dict would give its keys, as in the SDK
        gpuCompatible=spec.gpu_compatible,
        pushImage=_Present(bool(spec.push_image)),  # a BoolValue: written even when false
        purchaseOption="SPOT" if purchase == "spot" else None,  # ON_DEMAND is the wire's zero
        serviceAccountKeySecretName=spec.service_account_key_secret_name,
        provisionInstanceTimeout=spec.provision_instance_timeout,
    )


def _cpu(cpu: float, memory_text: str) -> Message:
    amount, unit = memory(memory_text)
    return _message(cpu=_float(cpu), memoryAmount=amount, memoryUnits=unit)


def _gpu(gpu_type: str | None, gpu_amount: int | None) -> Message:
    return _message(gpuType=None if gpu_type in _GPU_TYPE_ZERO else gpu_type, gpuAmount=gpu_amount)


def _pod(instance: str, gpu: Message | None, cpu: Message | None) -> Message:
    """``ClientPodComputeResources``: an instance template first, then a GPU, then a CPU."""
    if instance:
        return {"templateSpec": _message(templateId=instance)}
    if gpu is not None:
        return {"gpuResources": gpu}
    return {} if cpu is None else {"cpuResources": cpu}


def _build_resources(resources: Any) -> Message:
    if isinstance(resources, CpuResources):
        return {"cpuResources": _cpu(resources.cpu_fraction, resources.memory)}
    if isinstance(resources, GpuResources):
        return {"gpuResources": _gpu(resources.gpu_type, resources.gpu_amount)}
    if isinstance(resources, ClientResources):
        gpu, cpu = resources.gpu_resources, resources.cpu_resources
        return {
            "clientPodComputeResources": _pod(
                resources.instance,
                None if gpu is None else _gpu(gpu.gpu_type, gpu.gpu_amount),
                None if cpu is None else _cpu(cpu.cpu_fraction, cpu.memory),
            )
        }
    raise TypeError(f"cannot export resources {type(resources).__name__}")


def _condition(condition: Any) -> Message:
    if isinstance(condition, BuildMetric):
        metric = _message(
            metricName=condition.metric_name,
            thresholdDirection=_direction(condition.direction),
            threshold=condition.threshold,
        )
        return {"buildMetric": metric}
    if isinstance(condition, DeployedBuildMetric):
        metric = _message(
            metricName=condition.metric_name,
            thresholdDirection=_direction(condition.direction),
            variation=condition.variation,
        )
        return {"deployedBuildMetric": metric}
    raise TypeError(f"cannot export deployment condition {type(condition).__name__}")


def _deployment_spec(spec: DeploymentSpecifications) -> Message:
    amount, unit = memory(spec.memory)
    gpu = spec.gpu_resources
    gpu_message = None if gpu is None else _gpu(gpu.gpu_type, gpu.gpu_amount)
    size = _message(
        numberOfPods=spec.number_of_pods,
        cpu=_float(spec.cpu_fraction),
        memoryAmount=amount,
        memoryUnits=unit,
        gpuResources=gpu_message,  # the legacy size is filled too
        clientPodComputeResources=_pod(
            spec.instance,
            gpu_message if gpu is not None and gpu.gpu_amount > 0 else None,
            _cpu(spec.cpu_fraction, spec.memory),
        ),
    )
    scaling = spec.auto_scale_config
    advanced = _message(
        numberOfHttpServerWorkers=spec.number_of_http_server_workers,
        httpRequestTimeoutMs=spec.http_request_timeout_ms,
        daemonMode=spec.daemon_mode,
        customIamRoleArn=spec.custom_iam_role_arn,
        autoScalingConfig=_message(  # always set, so always written: {"triggers": {}} at least
            minReplicaCount=scaling.min_replica_count,
            maxReplicaCount=scaling.max_replica_count,
            pollingInterval=scaling.polling_interval,
            coolDownPeriod=scaling.cool_down_period,
            triggers=_message(triggers=[_scale_trigger(t) for t in scaling.triggers]),
        ),
        maxBatchSize=spec.max_batch_size,
        deploymentProcessTimeoutLimit=spec.deployment_timeout,
        serviceAccountKeySecretName=spec.service_account_key_secret_name,
    )
    return _message(
        deploymentSize=size,
        advancedOptions=advanced,
        selectedVariationName=spec.variation_name,
        environments=list(spec.environments),
        envVars=list(spec.env_vars),
    )


def _scale_trigger(trigger: Any) -> Message:
    query = trigger.query_spec
    query_spec = _message(
        metricType=_METRIC_TYPES[query.metric_type.lower()],
        aggregationType=_AGGREGATIONS[query.aggregation_type.lower()],
        timePeriod=query.time_period,
    )
    return {"prometheusTrigger": _message(querySpec=query_spec, threshold=trigger.threshold)}


def _file_type(value: str, direction: str) -> str | None:
    kind = value.lower()
    return f"{kind.upper()}_{direction}_FILE_TYPE" if kind in _FILE_TYPES else None


def _data_details(data: BatchJobDataSpecifications) -> Message:
    return _message(
        sourcePath=_message(
            sourceBucket=data.source_bucket,
            sourceFolder=data.source_folder,
            inputFileType=_file_type(data.input_file_type, "INPUT"),
        ),
        destinationPath=_message(
            destinationBucket=data.destination_bucket,
            destinationFolder=data.destination_folder,
            outputFileType=_file_type(data.output_file_type, "OUTPUT"),
        ),
        sessionToken=data.session_token_secret_name,
        tokenSecret=data.access_token_secret_name,
        secretSecret=data.access_secret_secret_name,
    )


def _execution_details(spec: BatchJobExecutionSpecifications) -> Message:
    amount, unit = memory(spec.memory)
    gpu = _gpu(spec.gpu_type, int(spec.gpu_amount))  # set even without a GPU, as in the SDK
    size = _message(
        numberOfPods=spec.executors,
        cpu=_float(spec.cpu),
        memoryAmount=amount,
        memoryUnits=unit,
        gpuResources=gpu,
        clientPodComputeResources=_pod(
            spec.instance, gpu if spec.gpu_amount > 0 else None, _cpu(spec.cpu, spec.memory)
        ),
    )
    return _message(
        jobTimeout=spec.job_timeout,
        taskTimeout=spec.task_timeout,
        batchJobDeploymentSize=size,
        advancedDeploymentOptions=_message(customIamRoleArn=spec.custom_iam_role_arn),
        parameters=[_message(key=k, value=v) for k, v in spec.params.items()],
    )
