"""Task ids and XCom keys: the contract between the planner, the renderer, the operators and the
notifiers. A generated DAG's tasks carry these ids; an operator finds its upstream's results under
these keys. Pure: constants only."""

from __future__ import annotations

# Task ids of a generated DAG.
EVALUATE_TRIGGER_METRIC = "evaluate_trigger_metric"
BUILD = "build"
CHECK_BUILD_METRIC = "check_build_metric"
DEPLOY = "deploy"
SKIP_DEPLOY = "skip_deploy"
RUN_BATCH = "run_batch"

# XCom keys.
BUILD_ID = "build_id"  # pushed by the build task: the platform's build id
METRICS = "metrics"  # pushed by the build task: {metric name: value} the build logged
GATE = "gate"  # pushed by the metric branch: the comparison it made and its outcome
EVALUATION = "evaluation"  # pushed by evaluate_trigger_metric: value, threshold, crossed, retrain
ENDPOINT = "endpoint"  # pushed by the deploy task: where the model serves
BATCH_JOB_ID = "batch_job_id"  # pushed by run_batch: the platform's batch job id
