"""The frogml-compatible automation spec: the names, keywords and defaults of
``frogml.core.automations`` (frogml 2.1.152), validated when each object is built.

Pure: no Airflow, network or frogml SDK import. Automation files that say
``from frogml.core.automations import ...`` are served these classes at DAG parse time.
"""

from frogml_airflow_provider.automations.automation import Automation, AutomationAudit
from frogml_airflow_provider.automations.batch import (
    BatchExecution,
    BatchJobDataSpecifications,
    BatchJobExecutionSpecifications,
)
from frogml_airflow_provider.automations.build_deploy import (
    AggregationType,
    AutoScaleQuerySpec,
    AutoScaleTrigger,
    AutoScalingConfig,
    AutoScalingPrometheusTrigger,
    BuildMetric,
    BuildSpecifications,
    ClientResources,
    CpuResources,
    DeployedBuildMetric,
    DeploymentCondition,
    DeploymentSpecifications,
    FrogmlBuildDeploy,
    GpuResources,
    MetricType,
    Resources,
)
from frogml_airflow_provider.automations.common import Action, ThresholdDirection
from frogml_airflow_provider.automations.notifications import CustomWebhook, Notification, SlackNotification
from frogml_airflow_provider.automations.triggers import (
    Metric,
    MetricBasedTrigger,
    NoneTrigger,
    OnBoardingTrigger,
    ScheduledTrigger,
    SqlMetric,
    Trigger,
)

# Exactly the SDK's ``__all__`` (so ``import *`` behaves the same); ClientResources,
# DeployedBuildMetric and OnBoardingTrigger are importable by name, as in the SDK.
__all__ = [
    "Action",
    "AggregationType",
    "AutoScaleQuerySpec",
    "AutoScaleTrigger",
    "AutoScalingConfig",
    "AutoScalingPrometheusTrigger",
    "Automation",
    "AutomationAudit",
    "BatchExecution",
    "BatchJobDataSpecifications",
    "BatchJobExecutionSpecifications",
    "BuildMetric",
    "BuildSpecifications",
    "CpuResources",
    "CustomWebhook",
    "DeploymentCondition",
    "DeploymentSpecifications",
    "FrogmlBuildDeploy",
    "GpuResources",
    "Metric",
    "MetricBasedTrigger",
    "MetricType",
    "NoneTrigger",
    "Notification",
    "Resources",
    "ScheduledTrigger",
    "SlackNotification",
    "SqlMetric",
    "ThresholdDirection",
    "Trigger",
]

EXTRA_NAMES = ("ClientResources", "DeployedBuildMetric", "OnBoardingTrigger")
