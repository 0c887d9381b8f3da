# Retrain the iris classifier when too many of its recent predictions fail: a metric-based trigger
# over the local analytics store, evaluated every minute. Paused on creation: deploy the model
# first (DAG retrain_iris_classifier), unpause this DAG, then send failing traffic:
#   python -m frogml_airflow_provider.demo.traffic iris-classifier --requests 40 --bad 0.5
import os

from frogml.core.automations import (
    Automation,
    CustomWebhook,
    BuildMetric,
    BuildSpecifications,
    DeploymentSpecifications,
    FrogmlBuildDeploy,
    MetricBasedTrigger,
    SqlMetric,
    ThresholdDirection,
)

AIRFLOW_HOME = os.environ.get("AIRFLOW_HOME") or os.path.expanduser("~/airflow")
SAMPLE_REPO = os.environ.get("FROGML_SAMPLE_MODEL_REPO") or os.path.join(AIRFLOW_HOME, "sample-model.git")
DEMO_WEBHOOK = os.environ.get("FROGML_DEMO_WEBHOOK_URL")  # the demo's local receiver, when it runs

# Share of failed predictions among the last 20 (0 when there are none yet).
ERROR_RATE = """
SELECT COALESCE(AVG(CASE WHEN error IS NULL THEN 0.0 ELSE 1.0 END), 0)
FROM (SELECT error FROM iris_classifier ORDER BY ts DESC LIMIT 20)
"""

iris_on_errors = Automation(
    name="retrain_iris_on_errors",
    model_id="iris-classifier",
    is_enabled=False,
    trigger=MetricBasedTrigger(
        name="error_rate",
        metric=SqlMetric(sql_query=ERROR_RATE),
        direction=ThresholdDirection.ABOVE,
        threshold="0.25",
        override_cron="* * * * *",
    ),
    action=FrogmlBuildDeploy(
        build_spec=BuildSpecifications(git_uri=SAMPLE_REPO, git_branch="main"),
        deployment_condition=BuildMetric(metric_name="f1_score", direction=ThresholdDirection.ABOVE, threshold="0.8"),
        deployment_spec=DeploymentSpecifications(number_of_pods=1),
    ),
    on_success=CustomWebhook(url=DEMO_WEBHOOK, http_method="POST", data={"from": "airflow"}) if DEMO_WEBHOOK else None,
    on_error=CustomWebhook(url=DEMO_WEBHOOK, http_method="POST", data={"from": "airflow"}) if DEMO_WEBHOOK else None,
)
