# Retrain the sample iris model (dags_examples/sample_model) every morning and deploy it when its
# f1 score passes 0.8. It builds from a git repository that the demo and the tests create from
# dags_examples/sample_model; FROGML_SAMPLE_MODEL_REPO points elsewhere.
import os

from frogml.core.automations import (
    Automation,
    CustomWebhook,
    BuildMetric,
    BuildSpecifications,
    DeploymentSpecifications,
    FrogmlBuildDeploy,
    ScheduledTrigger,
    ThresholdDirection,
)

AIRFLOW_HOME = os.environ.get("AIRFLOW_HOME") or os.path.expanduser("~/airflow")
SAMPLE_REPO = os.environ.get("FROGML_SAMPLE_MODEL_REPO") or os.path.join(AIRFLOW_HOME, "sample-model.git")
DEMO_WEBHOOK = os.environ.get("FROGML_DEMO_WEBHOOK_URL")  # the demo's local receiver, when it runs

iris_automation = Automation(
    name="retrain_iris_classifier",
    model_id="iris-classifier",
    description="Train the iris classifier from git, deploy it locally when f1_score > 0.8.",
    trigger=ScheduledTrigger(cron="0 6 * * *"),
    action=FrogmlBuildDeploy(
        build_spec=BuildSpecifications(git_uri=SAMPLE_REPO, git_branch="main", env_vars=["IRIS_C=1.0"]),
        deployment_condition=BuildMetric(metric_name="f1_score", direction=ThresholdDirection.ABOVE, threshold="0.8"),
        deployment_spec=DeploymentSpecifications(number_of_pods=1, variation_name="default"),
    ),
    on_success=CustomWebhook(url=DEMO_WEBHOOK, http_method="POST", data={"from": "airflow"}) if DEMO_WEBHOOK else None,
    on_error=CustomWebhook(url=DEMO_WEBHOOK, http_method="POST", data={"from": "airflow"}) if DEMO_WEBHOOK else None,
)
