"""Automations covering every trigger, action, condition, notification and resource type, written
once as an automation file: the same source builds with the real SDK and with our spec.

Every secret value holds ``SECRET`` so that a test can prove none leaked.
"""

from __future__ import annotations

GIT = "https://github.com/org/models.git#churn"

CORPUS = f'''
from frogml.core.automations import *
from frogml.core.automations import ClientResources
from frogml.core.automations.automations import OnBoardingTrigger
from frogml.core.automations.build_and_deploy_action import DeployedBuildMetric

GIT = "{GIT}"

# Scheduled cron; BuildMetric with a number; default CPU build; Slack; GET webhook (the default).
cron_default_cpu = Automation(
    name="cron_default_cpu",
    model_id="churn",
    trigger=ScheduledTrigger(cron="0 0 * * 0"),
    action=FrogmlBuildDeploy(
        BuildSpecifications(git_uri=GIT),
        BuildMetric(metric_name="f1", direction=ThresholdDirection.ABOVE, threshold="0.65"),
        DeploymentSpecifications(),
    ),
    on_error=SlackNotification(webhook="https://hooks.slack.com/services/T0/B0/SECRET-slack-1"),
    on_success=CustomWebhook(url="https://hooks.example.com/get?token=SECRET-url-get"),
)

# Interval; BuildMetric with a SQL threshold; build GPU; deployment GPU (legacy + client pod); POST.
interval_gpu = Automation(
    name="interval_gpu",
    model_id="churn",
    description="the SDK drops this",
    trigger=ScheduledTrigger(interval="Daily"),
    action=FrogmlBuildDeploy(
        build_spec=BuildSpecifications(git_uri=GIT, resources=GpuResources(gpu_type="NVIDIA_T4", gpu_amount=1)),
        deployment_condition=BuildMetric(
            metric_name="auc", direction=ThresholdDirection.BELOW, threshold="SELECT avg(auc) FROM builds"
        ),
        deployment_spec=DeploymentSpecifications(
            number_of_pods=3, gpu_resources=GpuResources(gpu_type="NVIDIA_A10G", gpu_amount=2)
        ),
    ),
    on_error=CustomWebhook(
        url="https://hooks.example.com/post",
        http_method="POST",
        headers={{"Authorization": "Bearer SECRET-post"}},
        data={{"team": "growth"}},
    ),
)

# Metric-based with override_cron; client-pod instance build; DeployedBuildMetric; deployment instance; PUT.
metric_instance = Automation(
    name="metric_instance",
    model_id="fraud",
    trigger=MetricBasedTrigger(
        name="drift",
        metric=SqlMetric(sql_query="SELECT avg(drift) FROM predictions"),
        direction=ThresholdDirection.ABOVE_OR_EQUALS,
        threshold="0.3",
        override_cron="*/30 * * * *",
    ),
    action=FrogmlBuildDeploy(
        BuildSpecifications(git_uri=GIT, resources=ClientResources(instance="medium")),
        DeployedBuildMetric(metric_name="precision", direction=ThresholdDirection.EQUALS, variation="shadow"),
        DeploymentSpecifications(instance="gpu.a10.8xl", variation_name="shadow"),
    ),
    on_error=CustomWebhook(
        url="https://hooks.example.com/put",
        http_method="put",
        headers={{"X-Api-Key": "SECRET-put", "X-Other": "SECRET-put-2"}},
        data={{"a": "1", "b": "2"}},
    ),
    on_success=SlackNotification(webhook="https://hooks.slack.com/services/T0/B0/SECRET-slack-2"),
)

# Metric-based without override_cron; BELOW direction.
metric_plain = Automation(
    name="metric_plain",
    model_id="fraud",
    trigger=MetricBasedTrigger(name="errors", metric=SqlMetric("SELECT 1"), direction=ThresholdDirection.BELOW,
                               threshold="5"),
    action=FrogmlBuildDeploy(
        BuildSpecifications(git_uri=GIT),
        DeployedBuildMetric(metric_name="recall"),
        DeploymentSpecifications(),
    ),
)

# None trigger; client-pod GPU build (a newer card); on-demand; no image push; autoscaling; PATCH.
none_client_gpu = Automation(
    name="none_client_gpu",
    model_id="llm",
    execute_immediately=True,
    is_enabled=False,
    trigger=NoneTrigger(),
    action=FrogmlBuildDeploy(
        build_spec=BuildSpecifications(
            git_uri=GIT,
            resources=ClientResources(gpu_resources=GpuResources(gpu_type="NVIDIA_H100_80GB", gpu_amount=2)),
            purchase_option="ondemand",
            push_image=False,
        ),
        deployment_condition=BuildMetric(metric_name="loss", direction=ThresholdDirection.BELOW_OR_EQUALS,
                                         threshold="-0.5"),
        deployment_spec=DeploymentSpecifications(
            number_of_pods=1,
            cpu_fraction=0.5,
            memory="512Mi",
            daemon_mode=True,
            custom_iam_role_arn="arn:aws:iam::1:role/x",
            environments=["prod", "staging"],
            env_vars=["A=1", "B=two"],
            deployment_timeout=900,
            service_account_key_secret_name="sa-key",
            number_of_http_server_workers=4,
            http_request_timeout_ms=10000,
            max_batch_size=8,
            auto_scale_config=AutoScalingConfig(
                min_replica_count=1,
                max_replica_count=5,
                polling_interval=30,
                cool_down_period=300,
                triggers=[
                    AutoScalingPrometheusTrigger(
                        query_spec=AutoScaleQuerySpec(metric_type="cpu", aggregation_type="avg", time_period=60),
                        threshold=70,
                    ),
                    AutoScalingPrometheusTrigger(
                        query_spec=AutoScaleQuerySpec(metric_type="latency", aggregation_type="p99", time_period=5),
                        threshold=250,
                    ),
                    AutoScalingPrometheusTrigger(
                        query_spec=AutoScaleQuerySpec(metric_type="error_rate", aggregation_type="MAX",
                                                      time_period=1),
                        threshold=2,
                    ),
                ],
            ),
        ),
    ),
    on_error=CustomWebhook(url="https://hooks.example.com/patch", http_method="PATCH"),
)

# Onboarding trigger; client-pod CPU build with a bare MiB number and an odd float; DELETE + HEAD.
onboarding_client_cpu = Automation(
    name="onboarding_client_cpu",
    model_id="llm",
    is_sdk_v1=True,
    trigger=OnBoardingTrigger(),
    action=FrogmlBuildDeploy(
        BuildSpecifications(git_uri=GIT, resources=ClientResources(cpu_resources=CpuResources(cpu_fraction=1 / 3,
                                                                                             memory="1536"))),
        BuildMetric("f1", ThresholdDirection.ABOVE, "0.9"),
        DeploymentSpecifications(cpu_fraction=0.1, memory="4GiB"),
    ),
    on_error=CustomWebhook(url="https://hooks.example.com/delete", http_method="DELETE",
                           headers={{"Authorization": "SECRET-delete"}}),
    on_success=CustomWebhook(url="https://hooks.example.com/head", http_method="head", data={{"x": "y"}}),
)

# Every build field set.
every_build_field = Automation(
    name="every build field",
    model_id="churn",
    trigger=ScheduledTrigger(cron="15 3 * * 1-5"),
    action=FrogmlBuildDeploy(
        build_spec=BuildSpecifications(
            parameters={{"epochs": "10", "lr": "0.01"}},
            git_uri="git@github.com:org/models.git#dir_1/dir_2",
            tags=["prod", "nightly"],
            git_access_token_secret="gh-token",
            git_branch="release",
            main_dir="src",
            base_image="python:3.11",
            assumed_iam_role="arn:aws:iam::1:role/build",
            resources=CpuResources(cpu_fraction=4, memory="16 gib"),
            dependency_file_path="requirements.txt",
            env_vars=["X=1", "EMPTY="],
            git_ssh_token_secret="gh-ssh",
            gpu_compatible=True,
            purchase_option="SPOT",
            provision_instance_timeout=300,
            service_account_key_secret_name="build-sa",
        ),
        deployment_condition=BuildMetric("f1", ThresholdDirection.ABOVE, "0.5"),
        deployment_spec=DeploymentSpecifications(memory="2048MiB", cpu_fraction=3),
    ),
)

# Batch with the default execution specs.
batch_default = Automation(
    name="batch_default",
    model_id="scorer",
    trigger=ScheduledTrigger(interval="Hourly"),
    action=BatchExecution(
        data_specifications=BatchJobDataSpecifications(
            source_bucket="in", input_file_type="csv", destination_bucket="out", output_file_type="PARQUET"
        )
    ),
)

# Batch with everything: build id, secret names, an instance, params.
batch_instance = Automation(
    name="batch_instance",
    model_id="scorer",
    trigger=NoneTrigger(),
    action=BatchExecution(
        build_id="build-123",
        data_specifications=BatchJobDataSpecifications(
            access_token_secret_name="aws-key",
            access_secret_secret_name="aws-secret",
            session_token_secret_name="aws-session",
            source_bucket="in",
            source_folder="daily/%Y-%m-%d",
            input_file_type="feather",
            destination_bucket="out",
            destination_folder="scores/%Y",
            output_file_type="csv",
        ),
        execution_specifications=BatchJobExecutionSpecifications(
            job_timeout=3600,
            task_timeout=600,
            executors=4,
            cpu=2.5,
            memory="8Gi",
            custom_iam_role_arn="arn:aws:iam::1:role/batch",
            params={{"date": "today", "mode": "full"}},
            instance="large",
        ),
    ),
    on_success=SlackNotification(webhook="https://hooks.slack.com/services/T0/B0/SECRET-slack-3"),
)

# Batch on a GPU.
batch_gpu = Automation(
    name="batch_gpu",
    model_id="scorer",
    trigger=ScheduledTrigger(cron="@daily"),
    action=BatchExecution(
        data_specifications=BatchJobDataSpecifications(
            source_bucket="in", input_file_type="parquet", destination_bucket="out", output_file_type="feather"
        ),
        execution_specifications=BatchJobExecutionSpecifications(
            executors=1, gpu_type="NVIDIA_A10", gpu_amount=1, cpu=4, memory="1024"
        ),
    ),
)

# Batch with a GPU type but no GPU: the type still goes into the legacy size.
batch_gpu_type_only = Automation(
    name="batch_gpu_type_only",
    model_id="scorer",
    trigger=NoneTrigger(),
    action=BatchExecution(
        data_specifications=BatchJobDataSpecifications(
            source_bucket="in", input_file_type="csv", destination_bucket="out", output_file_type="csv"
        ),
        execution_specifications=BatchJobExecutionSpecifications(gpu_type="NVIDIA_T4", cpu=1, memory="1Gi"),
    ),
)
'''

SECRETS = (
    "SECRET-slack-1",
    "SECRET-slack-2",
    "SECRET-slack-3",
    "SECRET-url-get",
    "SECRET-post",
    "SECRET-put",
    "SECRET-put-2",
    "SECRET-delete",
    "hooks.example.com",
    "hooks.slack.com",
)
NAMES = (
    "cron_default_cpu",
    "interval_gpu",
    "metric_instance",
    "metric_plain",
    "none_client_gpu",
    "onboarding_client_cpu",
    "every build field",
    "batch_default",
    "batch_instance",
    "batch_gpu",
    "batch_gpu_type_only",
)
