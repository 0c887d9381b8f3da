# A batch execution on the deployed build, by hand only (NoneTrigger), paused until enabled.
from frogml.core.automations import (
    Automation,
    BatchExecution,
    BatchJobDataSpecifications,
    BatchJobExecutionSpecifications,
    NoneTrigger,
)

batch_automation = Automation(
    name="score_customers_batch",
    model_id="churn-model",
    is_enabled=False,
    trigger=NoneTrigger(),
    action=BatchExecution(
        data_specifications=BatchJobDataSpecifications(
            source_bucket="customers",
            source_folder="daily/%Y-%m-%d",
            input_file_type="parquet",
            destination_bucket="scores",
            destination_folder="daily/%Y-%m-%d",
            output_file_type="csv",
        ),
        execution_specifications=BatchJobExecutionSpecifications(executors=2, cpu=1.0, memory="2Gi"),
    ),
)
