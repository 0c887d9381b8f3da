"""``native``: the SDK's ``to_proto`` quirks, one table row each, without the SDK (the SDK itself
is compared over a whole corpus in ``test_sdk_equality``)."""

from __future__ import annotations

import math
from typing import Any

import pytest

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
    DeploymentSpecifications,
    FrogmlBuildDeploy,
    GpuResources,
    NoneTrigger,
    ScheduledTrigger,
    SlackNotification,
    ThresholdDirection,
)
from frogml_airflow_provider.automations.common import validation_after_loading
from frogml_airflow_provider.export.native import SecretField, _float, automation_spec, memory, secret_fields

GIT = "https://github.com/org/repo.git"


def build_deploy(
    build: dict[str, Any] | None = None, deploy: dict[str, Any] | None = None, **kwargs: Any
) -> Automation:
    return Automation(
        name="a",
        model_id="m",
        trigger=kwargs.pop("trigger", NoneTrigger()),
        action=FrogmlBuildDeploy(
            BuildSpecifications(git_uri=GIT, **(build or {})),
            kwargs.pop("condition", BuildMetric("f1", ThresholdDirection.ABOVE, "0.5")),
            DeploymentSpecifications(**(deploy or {})),
        ),
        **kwargs,
    )


def build_spec(**build: Any) -> dict[str, Any]:
    return automation_spec(build_deploy(build))["action"]["buildDeploy"]["buildSpec"]


def deployment(**deploy: Any) -> dict[str, Any]:
    return automation_spec(build_deploy(deploy=deploy))["action"]["buildDeploy"]["deploymentSpec"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2Gi", (2, "GIB")),
        ("2GiB", (2, "GIB")),
        (" 16 gib ", (16, "GIB")),
        ("512Mi", (512, "MIB")),
        ("512mib", (512, "MIB")),
        ("512", (512, "MIB")),  # a bare number is MiB
        ("0Mib", (0, "MIB")),
    ],
)
def test_memory_grammar(text: str, expected: tuple[int, str]) -> None:
    assert memory(text) == expected


@pytest.mark.parametrize("text", ["2GB", "2G", "2.5Gi", "", "Gi", "-1Gi"])
def test_memory_the_sdk_refuses_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="invalid memory"):
        memory(text)


@pytest.mark.parametrize(
    ("value", "printed"),
    [
        (2, 2.0),
        (0.5, 0.5),
        (0.1, 0.1),  # not 0.100000001: the shortest text of the 32-bit value
        (1 / 3, 0.33333334),
        (123456789, 123456790.0),
        (1e-7, 1e-7),
        (1e39, "Infinity"),
        (math.nan, "NaN"),
    ],
)
def test_floats_print_as_protobufs_json_printer_prints_32_bit_floats(value: float, printed: Any) -> None:
    assert _float(value) == printed


def test_negative_zero_is_written_as_protobuf_writes_it() -> None:
    """-0.0 has a bit set, so proto3 writes it; 0.0 is the zero value and is left out."""
    sizes = [
        automation_spec(batch(BatchJobExecutionSpecifications(cpu=cpu)))["action"]["batchExecution"]["executeBatchJob"][
            "executionDetails"
        ]["batchJobDeploymentSize"]
        for cpu in (-0.0, 0.0)
    ]
    assert [size.get("cpu", "left out") for size in sizes] == [-0.0, "left out"]
    assert math.copysign(1, sizes[0]["cpu"]) == -1


def test_a_default_build_deploy_fills_what_the_sdk_fills() -> None:
    spec = automation_spec(build_deploy())
    assert spec == {
        "modelId": "m",
        "automationName": "a",
        "trigger": {"noneTrigger": {}},
        "action": {
            "buildDeploy": {
                "buildSpec": {
                    "gitModelSource": {"gitUri": GIT, "gitBranch": "main"},
                    "resource": {"cpuResources": {"cpu": 2.0, "memoryAmount": 2, "memoryUnits": "GIB"}},
                    "mainDir": "main",
                    "pushImage": True,
                    "purchaseOption": "SPOT",  # the SDK's default, written although the wire's default is ON_DEMAND
                    "provisionInstanceTimeout": 120,
                },
                "deploymentCondition": {
                    "buildMetric": {"metricName": "f1", "thresholdDirection": "ABOVE", "threshold": "0.5"}
                },
                "deploymentSpec": {
                    "deploymentSize": {
                        "numberOfPods": 2,
                        "cpu": 2.0,
                        "memoryAmount": 2,
                        "memoryUnits": "GIB",
                        "clientPodComputeResources": {
                            "cpuResources": {"cpu": 2.0, "memoryAmount": 2, "memoryUnits": "GIB"}
                        },
                    },
                    "advancedOptions": {
                        "numberOfHttpServerWorkers": 2,
                        "httpRequestTimeoutMs": 5000,
                        "autoScalingConfig": {"triggers": {}},  # always set, even empty
                        "maxBatchSize": 1,
                    },
                    "selectedVariationName": "default",
                },
            }
        },
        "isEnabled": True,
    }
    assert list(spec) == ["modelId", "automationName", "trigger", "action", "isEnabled"]  # field-number order


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        ({"purchase_option": "ondemand"}, {"purchaseOption": None}),  # the wire's zero: left out
        ({"purchase_option": "SPOT"}, {"purchaseOption": "SPOT"}),
        ({"push_image": False}, {"pushImage": False}),  # a BoolValue: written even when false
        ({"gpu_compatible": False, "base_image": ""}, {"gpuCompatible": None, "baseImage": None}),
        (
            {"resources": GpuResources(gpu_type="NVIDIA_T4", gpu_amount=1)},
            {"resource": {"gpuResources": {"gpuType": "NVIDIA_T4", "gpuAmount": 1}}},
        ),
        (
            {"resources": ClientResources(instance="small", gpu_resources=GpuResources("NVIDIA_L4", 1))},
            {"resource": {"clientPodComputeResources": {"templateSpec": {"templateId": "small"}}}},
        ),
        (
            {"resources": ClientResources(gpu_resources=GpuResources("NVIDIA_L4", 1), cpu_resources=CpuResources())},
            {"resource": {"clientPodComputeResources": {"gpuResources": {"gpuType": "NVIDIA_L4", "gpuAmount": 1}}}},
        ),
        ({"parameters": {}, "tags": [], "env_vars": []}, {"parameters": None, "tags": None, "envVars": None}),
    ],
)
def test_build_spec_quirks(build: dict[str, Any], expected: dict[str, Any]) -> None:
    spec = build_spec(**build)
    assert {key: spec.get(key) for key in expected} == expected


@pytest.mark.parametrize(
    ("deploy", "size"),
    [
        (
            {"instance": "medium"},
            {
                "numberOfPods": 2,
                "cpu": 2.0,
                "memoryAmount": 2,
                "memoryUnits": "GIB",  # the legacy fields are filled beside the instance
                "clientPodComputeResources": {"templateSpec": {"templateId": "medium"}},
            },
        ),
        (
            {"gpu_resources": GpuResources("NVIDIA_A100", 4), "number_of_pods": 1, "memory": "512"},
            {
                "numberOfPods": 1,
                "cpu": 2.0,
                "memoryAmount": 512,
                "memoryUnits": "MIB",
                "gpuResources": {"gpuType": "NVIDIA_A100", "gpuAmount": 4},
                "clientPodComputeResources": {"gpuResources": {"gpuType": "NVIDIA_A100", "gpuAmount": 4}},
            },
        ),
    ],
)
def test_deployment_fills_both_the_legacy_size_and_the_client_pod_resources(
    deploy: dict[str, Any], size: dict[str, Any]
) -> None:
    assert deployment(**deploy)["deploymentSize"] == size


def test_deployment_options_and_autoscaling() -> None:
    trigger = AutoScalingPrometheusTrigger(AutoScaleQuerySpec("throughput", "AVG", 30), threshold=100)
    spec = deployment(
        deployment_timeout=600,
        auto_scale_config=AutoScalingConfig(min_replica_count=1, max_replica_count=3, triggers=[trigger]),
    )
    assert spec["advancedOptions"]["deploymentProcessTimeoutLimit"] == 600
    assert spec["advancedOptions"]["autoScalingConfig"] == {
        "minReplicaCount": 1,
        "maxReplicaCount": 3,
        "triggers": {
            "triggers": [
                {
                    "prometheusTrigger": {
                        "querySpec": {
                            "metricType": "METRIC_TYPE_THROUGHPUT",
                            "aggregationType": "AGGREGATION_TYPE_AVERAGE",
                            "timePeriod": 30,
                        },
                        "threshold": 100,
                    }
                }
            ]
        },
    }


@pytest.mark.parametrize("direction", list(ThresholdDirection))
def test_directions_map_by_name_not_by_value(direction: ThresholdDirection) -> None:
    spec = automation_spec(build_deploy(condition=BuildMetric("f1", direction, "1")))
    assert spec["action"]["buildDeploy"]["deploymentCondition"]["buildMetric"]["thresholdDirection"] == direction.name


def test_interval_wins_over_cron_as_in_the_sdk() -> None:
    with validation_after_loading():  # our spec refuses both; the mapping still mirrors the SDK
        automation = build_deploy(trigger=ScheduledTrigger(cron="0 0 * * *", interval="Daily"))
    assert automation_spec(automation)["trigger"] == {"scheduledTrigger": {"interval": "Daily"}}
    assert automation_spec(build_deploy(trigger=ScheduledTrigger(cron="@daily")))["trigger"] == {
        "scheduledTrigger": {"cron": "@daily"}
    }


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"description": "dropped by the SDK"}, {}),
        ({"is_enabled": False}, {"isEnabled": None}),
        ({"is_sdk_v1": True, "execute_immediately": True}, {"isSdkV1": True, "executeImmediately": True}),
        ({"environment": "prod", "id": "x", "jfrog_token_id": "t"}, {}),  # the envelope's, not the spec's
    ],
)
def test_automation_fields(fields: dict[str, Any], expected: dict[str, Any]) -> None:
    base = automation_spec(build_deploy())
    changed = automation_spec(build_deploy(**fields))
    assert {k: v for k, v in changed.items() if base.get(k) != v} == {
        k: v for k, v in expected.items() if v is not None
    }
    assert set(base) - set(changed) == {k for k, v in expected.items() if v is None}


def batch(execution: BatchJobExecutionSpecifications | None = None) -> Automation:
    data = BatchJobDataSpecifications(
        source_bucket="in", input_file_type="CSV", destination_bucket="out", output_file_type="parquet"
    )
    action = BatchExecution(data_specifications=data)
    if execution is not None:
        action.execution_specifications = execution
    return Automation(name="b", model_id="m", trigger=NoneTrigger(), action=action)


def test_batch_execution() -> None:
    automation = batch()
    assert automation_spec(automation)["action"] == {
        "batchExecution": {
            "executeBatchJob": {
                "modelDetails": {},
                "dataDetails": {
                    "sourcePath": {"sourceBucket": "in", "inputFileType": "CSV_INPUT_FILE_TYPE"},
                    "destinationPath": {"destinationBucket": "out", "outputFileType": "PARQUET_OUTPUT_FILE_TYPE"},
                },
                "executionDetails": {
                    "batchJobDeploymentSize": {
                        "memoryUnits": "MIB",  # the default "0Mib"
                        "gpuResources": {},  # always set, even without a GPU
                        "clientPodComputeResources": {"cpuResources": {"memoryUnits": "MIB"}},
                    },
                    "advancedDeploymentOptions": {},
                },
            }
        }
    }


@pytest.mark.parametrize("method", ["GET", "post", "Put", "PATCH", "delete", "HEAD"])
def test_webhook_methods_are_enum_names(method: str) -> None:
    spec = automation_spec(build_deploy(on_error=CustomWebhook(url="https://h/x", http_method=method)))
    assert spec["onError"] == {
        "customWebhook": {"url": "https://h/x", "httpMethod": f"HTTP_METHOD_TYPE_{method.upper()}"}
    }


def test_secrets_go_through_the_callback_and_nothing_else_does() -> None:
    automation = build_deploy(
        on_error=SlackNotification(webhook="https://hooks.slack.com/S1"),
        on_success=CustomWebhook(
            url="https://h/S2", http_method="POST", headers={"Authorization": "S3"}, data={"team": "plain"}
        ),
    )
    seen = []

    def hide(field: SecretField, value: str) -> str:
        seen.append((field.path, value))
        return f"<{field.path}>"

    spec = automation_spec(automation, secret=hide)
    assert sorted(seen) == sorted(
        [
            ("on_error.webhook", "https://hooks.slack.com/S1"),
            ("on_success.url", "https://h/S2"),
            ("on_success.headers['Authorization']", "S3"),
        ]
    )
    assert spec["onError"] == {"postSlackNotification": {"webhook": "<on_error.webhook>"}}
    assert spec["onSuccess"]["customWebhook"] == {
        "url": "<on_success.url>",
        "httpMethod": "HTTP_METHOD_TYPE_POST",
        "headers": {"Authorization": "<on_success.headers['Authorization']>"},
        "data": {"team": "plain"},
    }
    assert [(f.path, v) for f, v in secret_fields(automation)] == [
        ("on_error.webhook", "https://hooks.slack.com/S1"),
        ("on_success.url", "https://h/S2"),
        ("on_success.headers['Authorization']", "S3"),
    ]


def test_common_headers_are_not_secrets_and_every_other_header_is() -> None:
    headers = {"Content-Type": "application/json", "accept": "*/*", "User-Agent": "me", "X-Trace": "T-SECRET"}
    automation = build_deploy(on_success=CustomWebhook(url="https://h/S", http_method="POST", headers=headers))
    spec = automation_spec(automation, secret=lambda field, _value: f"<{field.path}>")
    assert spec["onSuccess"]["customWebhook"]["headers"] == {
        "Content-Type": "application/json",
        "accept": "*/*",
        "User-Agent": "me",
        "X-Trace": "<on_success.headers['X-Trace']>",
    }
    assert [f.path for f, _ in secret_fields(automation)] == ["on_success.url", "on_success.headers['X-Trace']"]
