"""Drift between a file and JFrog ML: fields named as users know them, state never counted."""

from __future__ import annotations

from frogml_airflow_provider.migration.drift import drifted_fields

FILE = {
    "automationName": "churn",
    "modelId": "churn",
    "trigger": {"scheduledTrigger": {"cron": "0 2 * * *"}},
    "isEnabled": True,
    "onError": {"postSlackNotification": {"webhook": "https://hooks.slack.com/services/SECRET"}},
}


def test_equal_specs_do_not_drift_whatever_their_state() -> None:
    registered = {**FILE, "isEnabled": False, "isSdkV1": True}
    assert drifted_fields(FILE, registered) == []


def test_fields_are_named_in_spec_order_never_shown() -> None:
    registered = {
        **FILE,
        "automationName": "churn2",
        "trigger": {"scheduledTrigger": {"cron": "0 3 * * *"}},
        "onError": {"postSlackNotification": {"webhook": "https://hooks.slack.com/services/OTHER"}},
        "automationDescription": "added on the platform",
    }
    assert drifted_fields(FILE, registered) == ["name", "trigger", "on_error", "description"]


def test_a_field_only_one_side_has_is_drift() -> None:
    assert drifted_fields({**FILE, "onSuccess": {"customWebhook": {}}}, FILE) == ["on_success"]
