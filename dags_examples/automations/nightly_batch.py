# Score flowers every night with the iris classifier (retrain_iris_classifier builds and deploys
# it): every CSV file of dags_examples/batch_input/iris becomes a CSV of predictions, one row per
# flower, under the local platform's bucket "iris-scores" (<state folder>/buckets/iris-scores),
# in a folder named after the run's date. FROGML_SAMPLE_BATCH_INPUT points elsewhere.
import os

from frogml.core.automations import (
    Automation,
    BatchExecution,
    BatchJobDataSpecifications,
    BatchJobExecutionSpecifications,
    CustomWebhook,
    ScheduledTrigger,
)

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE_INPUT = os.environ.get("FROGML_SAMPLE_BATCH_INPUT") or "file://" + os.path.normpath(f"{HERE}/../batch_input")
DEMO_WEBHOOK = os.environ.get("FROGML_DEMO_WEBHOOK_URL")  # the demo's local receiver, when it runs

batch_automation = Automation(
    name="nightly_batch",
    model_id="iris-classifier",
    description="Score the day's flowers with the deployed iris classifier.",
    trigger=ScheduledTrigger(cron="0 2 * * *"),
    action=BatchExecution(
        data_specifications=BatchJobDataSpecifications(
            source_bucket=SAMPLE_INPUT,
            source_folder="iris",
            input_file_type="csv",
            destination_bucket="iris-scores",
            destination_folder="nightly/{%Y-%m-%d}",  # JFrog ML's template: the run's date
            output_file_type="csv",
        ),
        execution_specifications=BatchJobExecutionSpecifications(
            executors=2, job_timeout=600, task_timeout=300, params={"SCORED_BY": "nightly_batch"}
        ),
    ),
    on_success=CustomWebhook(url=DEMO_WEBHOOK, http_method="POST", data={"from": "airflow"}) if DEMO_WEBHOOK else None,
    on_error=CustomWebhook(url=DEMO_WEBHOOK, http_method="POST", data={"from": "airflow"}) if DEMO_WEBHOOK else None,
)
