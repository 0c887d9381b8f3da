# Retrain when production traffic says so: the docs' metric-based trigger, evaluated hourly.
# Paused on creation: its model (churn-model) is not deployed by the demo, so its query would fail.
from frogml.core.automations import (
    Automation,
    BuildSpecifications,
    DeploymentSpecifications,
    FrogmlBuildDeploy,
    MetricBasedTrigger,
    SqlMetric,
    ThresholdDirection,
)
from frogml.core.automations.build_and_deploy_action import DeployedBuildMetric

drift_automation = Automation(
    name="retrain_on_error_rate",
    model_id="churn-model",
    is_enabled=False,
    trigger=MetricBasedTrigger(
        name="error_rate",
        metric=SqlMetric(sql_query="SELECT AVG(CASE WHEN error IS NULL THEN 0 ELSE 1 END) FROM churn_model"),
        direction=ThresholdDirection.ABOVE,
        threshold="0.05",
        override_cron="0 * * * *",
    ),
    action=FrogmlBuildDeploy(
        build_spec=BuildSpecifications(git_uri="https://github.com/org_id/churn.git#models/churn"),
        # Deploy only when the new build beats the one serving now.
        deployment_condition=DeployedBuildMetric(metric_name="accuracy", direction=ThresholdDirection.ABOVE),
        deployment_spec=DeploymentSpecifications(number_of_pods=1),
    ),
)
