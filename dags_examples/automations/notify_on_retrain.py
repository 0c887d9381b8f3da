# The docs' notification example: Slack on error, a custom webhook on success, retrained daily.
from frogml.core.automations import (
    Automation,
    BuildMetric,
    BuildSpecifications,
    CustomWebhook,
    DeploymentSpecifications,
    FrogmlBuildDeploy,
    ScheduledTrigger,
    SlackNotification,
    ThresholdDirection,
)

notify_automation = Automation(
    name="notify_on_retrain",
    model_id="churn-model",
    description="Retrain the churn model daily; tell Slack when it fails and the release API when it works.",
    trigger=ScheduledTrigger(interval="Daily"),
    action=FrogmlBuildDeploy(
        build_spec=BuildSpecifications(
            git_uri="https://github.com/org_id/churn.git#models/churn",
            git_access_token_secret="github_token",
            purchase_option="ondemand",
        ),
        deployment_condition=BuildMetric(
            metric_name="accuracy", direction=ThresholdDirection.ABOVE_OR_EQUALS, threshold="0.8"
        ),
        deployment_spec=DeploymentSpecifications(number_of_pods=1, memory="1Gi"),
    ),
    on_error=SlackNotification(
        webhook="https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    ),
    on_success=CustomWebhook(
        url="https://releases.example.com/api/v1/models?key=EXAMPLE-NOT-A-REAL-KEY",
        http_method="POST",
        data={"team": "growth"},
        headers={"Authorization": "Bearer EXAMPLE-NOT-A-REAL-TOKEN"},
    ),
)
