"""Provider metadata for Airflow's ``apache_airflow_provider`` entry point.

A bad dict here makes every ``airflow`` command fail, so a test validates it against Airflow's
schema. Kept free of imports: Airflow reads it on every start.
"""

from __future__ import annotations

from typing import Any

PACKAGE_NAME = "airflow-provider-frogml"
CONN_TYPE = "frogml"
DEFAULT_CONN_ID = "frogml_default"  # the connection the hook, the operators and the CLI use unless told


def get_provider_info() -> dict[str, Any]:
    from frogml_airflow_provider import __version__

    return {
        "package-name": PACKAGE_NAME,
        "name": "JFrog ML",
        "description": "Run JFrog ML (formerly Qwak) automations as Airflow DAGs: build, gate on a "
        "metric, deploy, notify; locally on an embedded platform or on JFrog ML.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "JFrog ML",
                "external-doc-url": "https://jfrog.com/help/r/jfrog-ml-documentation/define-automations",
                "tags": ["software"],
            }
        ],
        "operators": [
            {
                "integration-name": "JFrog ML",
                "python-modules": [
                    "frogml_airflow_provider.operators.build",
                    "frogml_airflow_provider.operators.gate",
                    "frogml_airflow_provider.operators.deploy",
                    "frogml_airflow_provider.operators.batch",
                ],
            }
        ],
        "triggers": [
            {
                "integration-name": "JFrog ML",
                "python-modules": [
                    "frogml_airflow_provider.triggers.build",
                    "frogml_airflow_provider.triggers.deployment",
                    "frogml_airflow_provider.triggers.batch",
                    "frogml_airflow_provider.triggers.metric",
                ],
            }
        ],
        # frogml://models/<model_id>/<variation> and frogml://builds/<model_id> (assets.py)
        "asset-uris": [{"schemes": ["frogml"], "handler": "frogml_airflow_provider.assets.normalize_uri"}],
        "hooks": [{"integration-name": "JFrog ML", "python-modules": ["frogml_airflow_provider.hooks.frogml"]}],
        "connection-types": [
            {
                "connection-type": CONN_TYPE,
                "hook-class-name": "frogml_airflow_provider.hooks.frogml.FrogMLHook",
                "hook-name": "JFrog ML",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port", "login"],
                    "relabeling": {"host": "JFrog URL", "password": "Access token"},
                    "placeholders": {
                        "host": "https://mycompany.jfrog.io (leave empty for the local embedded platform)",
                        "password": "JFrog access token",
                    },
                },
            }
        ],
        "extra-links": [
            "frogml_airflow_provider.operators.links.FrogMLBuildLink",
            "frogml_airflow_provider.operators.links.FrogMLModelLink",
            "frogml_airflow_provider.operators.links.FrogMLBatchJobLink",
        ],
        "notifications": [
            "frogml_airflow_provider.notifications.slack.FrogMLSlackNotifier",
            "frogml_airflow_provider.notifications.webhook.FrogMLWebhookNotifier",
        ],
        "config": {
            "frogml": {
                "description": "Settings of the JFrog ML provider.",
                "options": {
                    "metric_trigger_default_cron": {
                        "description": "When a MetricBasedTrigger has no override_cron, how often (cron, UTC) "
                        "the triggerer evaluates its metric.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "0 * * * *",
                        "default": "*/15 * * * *",
                    },
                    "automation_file_timeout": {
                        "description": "Seconds one automation file may take to import. A file that takes "
                        "longer is stopped and reported as an import error under its own path; the other "
                        "files still load. All files share the loader DAG file's [core] "
                        "dagbag_import_timeout, so keep this well below it. 0 disables the per-file limit.",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "10",
                        "default": "5",
                    },
                    "metric_trigger_cooldown": {
                        "description": "Seconds after a metric-based retrain during which the metric staying "
                        "past its threshold starts no new retrain (it must recover first, or wait this long).",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "3600",
                        "default": "86400",
                    },
                    "metric_trigger_resend_after": {
                        "description": "Seconds after which a metric crossing that no DAG run has taken yet "
                        "(its event was lost, or the DAG was paused) is sent again, with the same id; never "
                        "past the cool-down.",
                        "version_added": "0.2.0",
                        "type": "float",
                        "example": "300",
                        "default": "600",
                    },
                    "metric_history_size": {
                        "description": "Evaluations of each metric trigger kept in its history (the console, "
                        "frogml-airflow evaluations), in chunks of 50: the oldest chunk goes as a new one starts.",
                        "version_added": "0.2.0",
                        "type": "integer",
                        "example": "5000",
                        "default": "1000",
                    },
                    "metric_trigger_share_queries": {
                        "description": "Evaluate identical metric queries of several automations (same "
                        "connection, cron and query) once per tick in the triggerer.",
                        "version_added": "0.2.0",
                        "type": "boolean",
                        "example": "False",
                        "default": "True",
                    },
                    "metric_trigger_query_threads": {
                        "description": "Threads a triggerer runs metric queries on (off its event loop); a "
                        "slow query holds one of them, never the triggerer.",
                        "version_added": "0.2.0",
                        "type": "integer",
                        "example": "16",
                        "default": "8",
                    },
                    "upstream_assets": {
                        "description": "Assets after which an automation's DAG also runs, besides its own "
                        "schedule (cron, metric crossing or manual): a JSON object from automation name to "
                        "asset URIs. The automation files stay as they are (export is unchanged).",
                        "version_added": "0.2.0",
                        "type": "string",
                        "example": '{"retrain_on_drift": ["frogml://models/feature-builder/default"]}',
                        "default": "",
                    },
                    "approval_required": {
                        "description": "Automations whose DAGs wait for a human's approval (Airflow's Required "
                        "Actions) between the metric gate and the deploy: entries separated by commas, each "
                        "automation:NAME, model:MODEL_ID or variation:MODEL_ID/VARIATION. Reject, or no answer "
                        "within approval_timeout, skips the deploy. The automation files stay as they are.",
                        "version_added": "0.2.0",
                        "type": "string",
                        "example": "model:churn-model, variation:fraud-detector/prod, automation:retrain_ranker",
                        "default": "",
                    },
                    "approval_timeout": {
                        "description": "Seconds an approval request waits for an answer; past it the answer is "
                        "Reject and the deploy is skipped (and notified).",
                        "version_added": "0.2.0",
                        "type": "float",
                        "example": "3600",
                        "default": "86400",
                    },
                    "poll_interval": {
                        "description": "Seconds between status checks of a deferred build or deployment, "
                        "unless the operator sets poll_interval.",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "10",
                        "default": "5",
                    },
                    "trigger_initial_delay": {
                        "description": "Seconds a deferred build or deployment waits before its first status "
                        "check (the operator checked just before deferring).",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "10",
                        "default": "10",
                    },
                    "query_timeout": {
                        "description": "Seconds a SqlMetric query or SQL threshold may run before it is "
                        "stopped and its task fails (naming the automation, the query and this limit); "
                        "locally and on JFrog ML.",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "300",
                        "default": "60",
                    },
                    "notification_timeout": {
                        "description": "Seconds one attempt to deliver a Slack or webhook notification may "
                        "take as a whole (connect, send, the complete answer), however slowly the receiver "
                        "answers.",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "5",
                        "default": "10",
                    },
                    "notification_attempts": {
                        "description": "Attempts to deliver a notification: connection errors, timeouts, 5xx "
                        "and 429 are retried with backoff (and the receiver's Retry-After).",
                        "version_added": "0.1.0",
                        "type": "integer",
                        "example": "2",
                        "default": "4",
                    },
                    "notification_deadline": {
                        "description": "Seconds a notification's delivery may take in all, attempts and the "
                        "waits between them; no retry starts that would end past it.",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "30",
                        "default": "60",
                    },
                    "batch_timeout": {
                        "description": "Seconds a batch job may run when its execution specification sets no "
                        "job_timeout (0); then it is cancelled and the task fails.",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "3600",
                        "default": "21600",
                    },
                    "console_cache_seconds": {
                        "description": "Seconds the console's status page reuses one read of the metadata "
                        "database and the loader's record for every view (0: read on every view).",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "5",
                        "default": "5",
                    },
                    "console_jfrog_cache_seconds": {
                        "description": "Seconds the console's status page reuses one read of JFrog ML's "
                        "automations (a list, and a call per automation for its last execution) for every view.",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "60",
                        "default": "60",
                    },
                    "local_state_dir": {
                        "description": "Where the local embedded platform keeps builds, deployments and "
                        "analytics when the frogml connection does not say (extra.state_dir). "
                        "Empty means $AIRFLOW_HOME/frogml-local.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "/var/lib/airflow/frogml-local",
                        "default": "",
                    },
                    "local_server_max_body_bytes": {
                        "description": "Largest request body a local model endpoint accepts; larger ones get 413.",
                        "version_added": "0.1.0",
                        "type": "integer",
                        "example": "52428800",
                        "default": "10485760",
                    },
                    "local_server_timeout": {
                        "description": "Seconds a local model endpoint waits on an idle or slow client before "
                        "closing its connection (408 when a body stops arriving).",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "30",
                        "default": "60",
                    },
                    "local_server_record_max_chars": {
                        "description": "Characters of each request and response a local endpoint keeps in its "
                        "analytics row (longer ones are cut, saying their length).",
                        "version_added": "0.1.0",
                        "type": "integer",
                        "example": "1024",
                        "default": "65536",
                    },
                },
            }
        },
    }
