"""A native automation's protobuf-JSON -> this spec's ``Automation``: the inverse of ``native``.

Input: ``MessageToDict`` of a ``qwak.automation.v1.AutomationSpec`` (what ``export`` writes), or of
the ``Automation`` envelope that JFrog ML's ListAutomations returns (``automationId``,
``automationSpec``, ``qwakEnvironmentId``, ``createAudit``, ...). Every field is read, and a field
this provider does not know (or that the SDK's classes cannot express) is an error naming the
automation and the field, never dropped.

The wire form lost some information; the value chosen is always one that exports back to the
same wire form (a final check proves it for every automation read):

- proto3 leaves zeros out: an absent ``isEnabled`` is ``False`` (the spec's default is ``True``),
  an absent ``provisionInstanceTimeout`` is ``0`` (default 120), an absent ``purchaseOption`` is
  ``"ondemand"`` (the wire's zero; ``SPOT`` is ``"spot"``, the default);
- ``float`` fields are 32-bit: ``0.33333334`` is kept as printed, which the export prints again
  the same way (the user's ``1 / 3`` cannot be recovered, nor does it need to be);
- memory comes back as ``"<amount>Gi"``/``"<amount>Mi"`` (the user's ``"16 gib"`` or ``"2048MiB"``
  spelling is gone), or as the field's default text when it means the same amount;
- a scheduled trigger with an ``interval`` had any cron dropped by the SDK: only the interval is
  left; enum names come back in the spec's spelling (``"put"`` -> ``"PUT"``, ``"MAX"`` -> ``"max"``);
- ``automationDescription`` is never sent by the SDK; when JFrog ML has one (set elsewhere) it is
  kept as ``description`` and reported in ``notes``: registering the file through the SDK would
  not send it;
- ``isSdkV1`` is kept as read: JFrog ML's SDK client forces it true on every write, so a
  registered automation pulls as ``is_sdk_v1=True``;
- the deployment and batch sizes are written twice by the SDK (the legacy size and
  ``clientPodComputeResources``); the second is read for its template (``instance``), the rest
  must agree with the first, as the final check proves.

Pure: no Airflow, network or frogml SDK import.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from frogml_airflow_provider.automations import (
    Automation,
    AutoScaleQuerySpec,
    AutoScalingConfig,
    AutoScalingPrometheusTrigger,
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
    ThresholdDirection,
)
from frogml_airflow_provider.automations.common import validation_after_loading
from frogml_airflow_provider.errors import AutomationSpecError, PullError
from frogml_airflow_provider.export.native import automation_spec, memory
from frogml_airflow_provider.export.wire import REQUIRED, Fields, WireError

_DIRECTIONS = {d.name: d for d in ThresholdDirection}
_MEMORY_TEXT = {"GIB": "Gi", "MIB": "Mi"}
_METRIC_TYPES = {
    f"METRIC_TYPE_{name.upper()}": name for name in ("cpu", "memory", "latency", "gpu", "error_rate", "throughput")
}
_AGGREGATIONS = {f"AGGREGATION_TYPE_{n.upper()}": n for n in ("min", "max", "sum", "p50", "p90", "p95", "p99")}
_AGGREGATIONS["AGGREGATION_TYPE_AVERAGE"] = "avg"
_HTTP_METHODS = {f"HTTP_METHOD_TYPE_{m}": m for m in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")}
_GPU_ZERO = ("INVALID", "INVALID_GPU_TYPE")
_SECRET_SLOTS = ("onError", "onSuccess")
# The envelope of a listed automation: platform state, not part of what a file registers.
_ENVELOPE = (
    "automationId",
    "automationSpec",
    "qwakEnvironmentId",
    "createAudit",
    "isDeleted",
    "jfrogTokenId",
    "platformUrl",
)
_DESCRIPTION = "automationDescription"


@dataclass(frozen=True)
class NativeAutomation:
    """One automation read back: the spec object, its JFrog ML id, and what a reader should know."""

    automation: Automation
    automation_id: str = ""
    notes: tuple[str, ...] = field(default=())


def automation_from_native(native: dict[str, Any], *, label: str = "") -> NativeAutomation:
    """Read one native automation (a spec, or a listed envelope). ``label`` names it in errors
    when it has no name (e.g. its position in a list)."""
    if not isinstance(native, dict):
        raise PullError(label or "?", f"is {type(native).__name__}, not a JSON object")
    envelope = "automationSpec" in native
    spec = native.get("automationSpec") if envelope else native
    name = spec.get("automationName") if isinstance(spec, dict) else None
    automation_id = native.get("automationId") if envelope else None
    who = repr(name) if isinstance(name, str) and name else (f"id {automation_id!r}" if automation_id else label or "?")
    try:
        outer = Fields(native, "") if envelope else None
        if outer is not None:
            for key in _ENVELOPE:
                outer.raw(key)
            outer.done()
        fields = Fields(spec, "automationSpec" if envelope else "")
        automation = _automation(fields)
        if outer is not None:  # as the SDK's ``from_proto`` keeps them; ``pull`` does not write them
            automation.id = outer.text("automationId")
            automation.environment = outer.text("qwakEnvironmentId")
            automation.is_deleted = outer.flag("isDeleted")
            automation.jfrog_token_id = outer.text("jfrogTokenId")
            automation.platform_url = outer.text("platformUrl")
    except WireError as error:
        raise PullError(who, str(error)) from None
    try:
        automation.validate()
    except AutomationSpecError as error:
        raise PullError(who, f"{error} (JFrog ML holds a definition that this provider's spec refuses)") from None
    _same_when_exported(automation, fields.data, who, fields.path)
    notes = []
    if automation.description:
        notes.append(
            "its description is kept in the file, but the frogml SDK never sends a description: "
            "registering the file with `frogml automations register` would leave it out"
        )
    if automation.is_deleted:
        notes.append("it is marked deleted on JFrog ML: registering the file would create it again")
    return NativeAutomation(automation, automation.id, tuple(notes))


def _same_when_exported(automation: Automation, wire: dict[str, Any], who: str, path: str) -> None:
    """The automation read must export to exactly the wire form it came from (the description
    aside, which the SDK never sends); otherwise the file would silently register something else."""
    try:
        ours = automation_spec(automation)
    except (TypeError, ValueError) as error:
        raise PullError(who, f"its spec cannot be exported again ({error})") from None
    theirs = {key: value for key, value in wire.items() if key != _DESCRIPTION}
    differences = list(_differences(theirs, ours, path))
    if differences:
        shown = "; ".join(differences[:5]) + (f"; and {len(differences) - 5} more" if len(differences) > 5 else "")
        raise PullError(
            who,
            f"no automation file registers the spec JFrog ML holds: {shown}. Change these fields on JFrog ML "
            "(for example by registering a file), then pull again",
        )


def _differences(theirs: Any, ours: Any, path: str) -> Any:
    if isinstance(theirs, dict) and isinstance(ours, dict):
        for key in sorted(set(theirs) | set(ours), key=lambda k: (k not in theirs, str(k))):
            yield from _differences(theirs.get(key), ours.get(key), f"{path}.{key}" if path else key)
    elif isinstance(theirs, list) and isinstance(ours, list) and len(theirs) == len(ours):
        for i, (mine, other) in enumerate(zip(theirs, ours, strict=True)):
            yield from _differences(mine, other, f"{path}[{i}]")
    elif not _equal(theirs, ours):
        secret = bool(set(path.split(".")[:2]) & set(_SECRET_SLOTS))  # never echo a notification's values
        jfrog = "set" if secret and theirs is not None else _shown(theirs)
        file = "something else" if secret and ours is not None else _shown(ours)
        yield f"{path} is {jfrog} on JFrog ML, the file would register {file}"


def _equal(theirs: Any, ours: Any) -> bool:
    if isinstance(theirs, bool) or isinstance(ours, bool):
        return theirs is ours
    if isinstance(theirs, int | float) and isinstance(ours, int | float):
        both_nan = isinstance(theirs, float) and isinstance(ours, float) and math.isnan(theirs) and math.isnan(ours)
        return both_nan or theirs == ours
    return type(theirs) is type(ours) and theirs == ours


def _shown(value: Any) -> str:
    return "absent" if value is None else repr(value)


# -- the automation -----------------------------------------------------------------------------------
def _automation(spec: Fields) -> Automation:
    with validation_after_loading():  # validated once, whole, with full field paths, by the caller
        automation = Automation(
            name=spec.text("automationName"),
            model_id=spec.text("modelId"),
            execute_immediately=spec.flag("executeImmediately"),
            trigger=_trigger(spec.message("trigger")),
            action=_action(_required(spec, "action")),
            description=spec.text(_DESCRIPTION),
            is_enabled=spec.flag("isEnabled"),  # absent is false on the wire
            is_sdk_v1=spec.flag("isSdkV1"),
            on_error=_notification(spec.message("onError")),
            on_success=_notification(spec.message("onSuccess")),
        )
        spec.done()
    return automation


def _required(message: Fields, name: str) -> Fields:
    found = message.message(name)
    if found is None:
        raise WireError(message.at(name), "is not set, and an automation file cannot leave it out")
    return found


def _trigger(message: Fields | None) -> Any:
    if message is None:
        return None  # the spec's validation says that a trigger is required
    kind, member = message.oneof(
        ("scheduledTrigger", "metricBasedTrigger", "noneTrigger", "onBoardingTrigger"), "trigger"
    )
    if kind == "scheduledTrigger":
        # ``schedule`` is a oneof: with an interval, the SDK had already dropped any cron.
        trigger: Any = ScheduledTrigger(cron=member.text("cron"), interval=member.text("interval"))
    elif kind == "metricBasedTrigger":
        metric = member.message("metric")
        trigger = MetricBasedTrigger(
            name=member.text("name"),
            metric=_metric(metric) if metric is not None else "",  # type: ignore[arg-type]  # validation says
            direction=member.enum("thresholdDirection", _DIRECTIONS),
            threshold=member.text("threshold"),
            override_cron=member.text("overrideCron"),
        )
    else:
        trigger = NoneTrigger() if kind == "noneTrigger" else OnBoardingTrigger()
    member.done()
    return trigger


def _metric(message: Fields) -> SqlMetric:
    _, member = message.oneof(("sqlMetric",), "metric")
    metric = SqlMetric(sql_query=member.text("sqlQuery"))
    member.done()
    return metric


def _notification(message: Fields | None) -> Any:
    if message is None:
        return None
    kind, member = message.oneof(("postSlackNotification", "customWebhook"), "notification")
    if kind == "postSlackNotification":
        notification: Any = SlackNotification(webhook=member.text("webhook"))
    else:
        notification = CustomWebhook(
            url=member.text("url"),
            http_method=member.enum("httpMethod", _HTTP_METHODS),
            headers=member.mapping("headers"),
            data=member.mapping("data"),
        )
    member.done()
    return notification


# -- actions ------------------------------------------------------------------------------------------
def _action(message: Fields) -> Any:
    kind, member = message.oneof(("buildDeploy", "batchExecution"), "action")
    if kind == "buildDeploy":
        action: Any = FrogmlBuildDeploy(
            build_spec=_build_spec(_required(member, "buildSpec")),
            deployment_condition=_condition(_required(member, "deploymentCondition")),
            deployment_spec=_deployment_spec(_required(member, "deploymentSpec")),
        )
    else:
        action = _batch(_required(member, "executeBatchJob"))
    member.done()
    return action


def _memory(message: Fields, default: str) -> str:
    """``memoryAmount`` + ``memoryUnits`` as memory text; the field's default text when equal."""
    amount = message.integer("memoryAmount")
    unit = message.enum("memoryUnits", {name: name for name in _MEMORY_TEXT})
    return default if memory(default) == (amount, unit) else f"{amount}{_MEMORY_TEXT[unit]}"


def _cpu(message: Fields) -> CpuResources:
    resources = CpuResources(cpu_fraction=message.number("cpu"), memory=_memory(message, "2Gi"))
    message.done()
    return resources


def _gpu(message: Fields) -> GpuResources:
    gpu_type = message.text("gpuType", None)
    resources = GpuResources(
        gpu_type=None if gpu_type in _GPU_ZERO else gpu_type,  # type: ignore[arg-type]  # the SDK's default
        gpu_amount=message.integer("gpuAmount"),
    )
    message.done()
    return resources


def _pod(message: Fields) -> ClientResources:
    """``ClientPodComputeResources``; ``nodeOptimizationType`` has no keyword in the SDK."""
    kind, member = message.oneof(
        ("templateSpec", "gpuResources", "cpuResources"), "resource", ("nodeOptimizationType",)
    )
    if kind == "templateSpec":
        resources = ClientResources(instance=member.text("templateId"))
        member.done()
        return resources
    if kind == "gpuResources":
        return ClientResources(gpu_resources=_gpu(member))
    return ClientResources(cpu_resources=_cpu(member))


def _build_spec(message: Fields) -> BuildSpecifications:
    git = _required(message, "gitModelSource")
    resources = _required(message, "resource")
    kind, member = resources.oneof(("cpuResources", "gpuResources", "clientPodComputeResources"), "resource")
    built: Any = {"cpuResources": _cpu, "gpuResources": _gpu, "clientPodComputeResources": _pod}[kind](member)
    purchase = message.enum("purchaseOption", {"SPOT": "spot", "ON_DEMAND": "ondemand"}, "ondemand")
    spec = BuildSpecifications(
        parameters=message.mapping("parameters"),
        git_uri=git.text("gitUri", None),
        tags=message.strings("tags"),
        git_access_token_secret=git.text("gitCredentialsSecretName", None),
        git_branch=git.text("gitBranch"),
        main_dir=message.text("mainDir"),
        base_image=message.text("baseImage"),
        assumed_iam_role=message.text("assumedIamRole"),
        resources=built,
        dependency_file_path=message.text("dependencyFilePath", None),
        env_vars=message.strings("envVars"),
        git_ssh_token_secret=git.text("gitSshSecretName", None),
        gpu_compatible=message.flag("gpuCompatible"),
        push_image=message.flag("pushImage", REQUIRED),  # a BoolValue: the SDK always sends it
        purchase_option=purchase,  # absent is the wire's zero, ON_DEMAND
        provision_instance_timeout=message.integer("provisionInstanceTimeout"),
        service_account_key_secret_name=message.text("serviceAccountKeySecretName"),
    )
    git.done()
    message.done()
    return spec


def _condition(message: Fields) -> Any:
    kind, member = message.oneof(("buildMetric", "deployedBuildMetric"), "deployment condition")
    name = member.text("metricName")
    direction = member.enum("thresholdDirection", _DIRECTIONS)
    if kind == "buildMetric":
        condition: Any = BuildMetric(metric_name=name, direction=direction, threshold=member.text("threshold"))
    else:
        condition = DeployedBuildMetric(metric_name=name, direction=direction, variation=member.text("variation"))
    member.done()
    return condition


def _instance(size: Fields) -> str:
    """The template of a size's ``clientPodComputeResources``: all else there repeats the size."""
    pod = size.message("clientPodComputeResources")
    return "" if pod is None else _pod(pod).instance


def _deployment_spec(message: Fields) -> DeploymentSpecifications:
    size = _required(message, "deploymentSize")
    advanced = _required(message, "advancedOptions")
    gpu = size.message("gpuResources")
    spec = DeploymentSpecifications(
        number_of_http_server_workers=advanced.integer("numberOfHttpServerWorkers"),
        http_request_timeout_ms=advanced.integer("httpRequestTimeoutMs"),
        max_batch_size=advanced.integer("maxBatchSize"),
        daemon_mode=advanced.flag("daemonMode"),
        variation_name=message.text("selectedVariationName"),
        custom_iam_role_arn=advanced.text("customIamRoleArn"),
        number_of_pods=size.integer("numberOfPods"),
        cpu_fraction=size.number("cpu"),
        memory=_memory(size, "2Gi"),
        gpu_resources=None if gpu is None else _gpu(gpu),  # type: ignore[arg-type]
        auto_scale_config=_scaling(_required(advanced, "autoScalingConfig")),
        environments=message.strings("environments"),
        env_vars=message.strings("envVars"),
        deployment_timeout=advanced.integer("deploymentProcessTimeoutLimit"),
        instance=_instance(size),
        service_account_key_secret_name=advanced.text("serviceAccountKeySecretName"),
    )
    for part in (size, advanced, message):
        part.done()
    return spec


def _scaling(message: Fields) -> AutoScalingConfig:
    triggers = _required(message, "triggers")
    config = AutoScalingConfig(
        # None, the spec's default, exports as the wire's absent zero, as 0 would.
        min_replica_count=message.integer("minReplicaCount", None),
        max_replica_count=message.integer("maxReplicaCount", None),
        polling_interval=message.integer("pollingInterval", None),
        cool_down_period=message.integer("coolDownPeriod", None),
        triggers=[_scale_trigger(item) for item in triggers.messages("triggers")],
    )
    triggers.done()
    message.done()
    return config


def _scale_trigger(message: Fields) -> AutoScalingPrometheusTrigger:
    _, member = message.oneof(("prometheusTrigger",), "autoscaling trigger")
    query = _required(member, "querySpec")
    trigger = AutoScalingPrometheusTrigger(
        query_spec=AutoScaleQuerySpec(
            metric_type=query.enum("metricType", _METRIC_TYPES),
            aggregation_type=query.enum("aggregationType", _AGGREGATIONS),
            time_period=query.integer("timePeriod"),
        ),
        threshold=member.integer("threshold"),
    )
    query.done()
    member.done()
    return trigger


# -- batch ----------------------------------------------------------------------------------------------
def _file_type(message: Fields, name: str, direction: str) -> str:
    names = {f"{kind.upper()}_{direction}_FILE_TYPE": kind for kind in ("csv", "feather", "parquet")}
    return message.enum(name, names)


def _batch(request: Fields) -> BatchExecution:
    model = request.message("modelDetails")
    data = _required(request, "dataDetails")
    source, destination = _required(data, "sourcePath"), _required(data, "destinationPath")
    action = BatchExecution(
        build_id="" if model is None else model.text("buildId"),
        data_specifications=BatchJobDataSpecifications(
            access_token_secret_name=data.text("tokenSecret", None),
            access_secret_secret_name=data.text("secretSecret", None),
            session_token_secret_name=data.text("sessionToken", None),
            source_bucket=source.text("sourceBucket"),
            source_folder=source.text("sourceFolder", None),
            input_file_type=_file_type(source, "inputFileType", "INPUT"),
            destination_bucket=destination.text("destinationBucket"),
            destination_folder=destination.text("destinationFolder", None),
            output_file_type=_file_type(destination, "outputFileType", "OUTPUT"),
        ),
        execution_specifications=_execution(_required(request, "executionDetails")),
    )
    if model is not None:
        model.done(unsupported=("modelId",))
    for part in (source, destination):
        part.done()
    data.done(unsupported=("serviceAccountJsonKeySecret",))
    request.done()
    return action


def _execution(message: Fields) -> BatchJobExecutionSpecifications:
    size = _required(message, "batchJobDeploymentSize")
    gpu = _required(size, "gpuResources")  # set by the SDK even without a GPU
    advanced = message.message("advancedDeploymentOptions")
    params: dict[str, str] = {}
    for item in message.messages("parameters"):
        key = item.text("key")
        if key in params:
            raise WireError(item.at("key"), f"repeats the parameter {key!r}: an automation file holds each once")
        params[key] = item.text("value")
        item.done()
    gpu_type = gpu.text("gpuType", None)
    spec = BatchJobExecutionSpecifications(
        job_timeout=message.integer("jobTimeout"),
        task_timeout=message.integer("taskTimeout"),
        executors=size.integer("numberOfPods"),
        cpu=size.number("cpu"),
        memory=_memory(size, "0Mib"),
        gpu_type=None if gpu_type in _GPU_ZERO else gpu_type,  # type: ignore[arg-type]
        gpu_amount=gpu.integer("gpuAmount"),
        custom_iam_role_arn="" if advanced is None else advanced.text("customIamRoleArn"),
        params=params,
        instance=_instance(size),
    )
    gpu.done()
    if advanced is not None:
        advanced.done(unsupported=("purchaseOption", "serviceAccountKeySecretName"))
    size.done()
    message.done()
    return spec
