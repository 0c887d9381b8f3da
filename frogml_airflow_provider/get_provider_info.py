"""Provider metadata for Airflow's ``apache_airflow_provider`` entry point.

A bad dict here makes every ``airflow`` command fail, so a test validates it against Airflow's
schema. Kept free of imports: Airflow reads it on every start.
"""

from __future__ import annotations

from typing import Any

PACKAGE_NAME = "airflow-provider-frogml"
CONN_TYPE = "frogml"


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
                    "frogml_airflow_provider.operators.trigger_metric",
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
                ],
            }
        ],
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
                        "its metric is evaluated.",
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
                    "local_state_dir": {
                        "description": "Where the local embedded platform keeps builds, deployments and "
                        "analytics when the frogml connection does not say (extra.state_dir). "
                        "Empty means $AIRFLOW_HOME/frogml-local.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "/var/lib/airflow/frogml-local",
                        "default": "",
                    },
                },
            }
        },
    }
