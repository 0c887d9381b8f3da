"""``AutomationSpec`` protos: built from an automation, compared, summarised, shown without secrets.

A spec is built from ``native.automation_spec`` (the protobuf-JSON the SDK's ``to_proto`` gives)
parsed into the SDK's own message, so what is sent is exactly what ``frogml automations register``
would send, ``is_sdk_v1=True`` included (the SDK's client forces it on every create and update).
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from frogml_airflow_provider.automations import Automation
from frogml_airflow_provider.automations._checks import masked_uri
from frogml_airflow_provider.errors import HIDDEN
from frogml_airflow_provider.export.native import automation_spec

# Not the automation's: the SDK's client sets it on every write, and automations made by older
# SDKs or in the UI have it false. Equal specs apart from it are "unchanged".
IGNORED_FIELDS = frozenset({"is_sdk_v1"})
# Proto field -> the name users know (the SDK's ``Automation`` keyword).
_USER_NAMES = {"automation_name": "name", "automation_description": "description"}
TRIGGER_KINDS = {
    "scheduled_trigger": "scheduled",
    "metric_based_trigger": "metric",
    "none_trigger": "manual",
    "on_boarding_trigger": "on-boarding",
}
ACTION_KINDS = {"build_deploy": "build-deploy", "batch_execution": "batch"}
_SLOTS = ("onError", "onSuccess")  # the notification fields, as protobuf-JSON names them


def wire_spec(sdk: Any, automation: Automation) -> Any:
    """The ``qwak.automation.v1.AutomationSpec`` that registering ``automation`` sends."""
    spec = sdk.json_format.ParseDict(automation_spec(automation), sdk.automation.AutomationSpec())
    spec.is_sdk_v1 = True
    return spec


def changed_fields(old: Any, new: Any) -> list[str]:
    """The spec fields (by their SDK names) whose values differ, presence of sub-messages included."""
    changed = []
    for descriptor in new.DESCRIPTOR.fields:
        name = descriptor.name
        if name not in IGNORED_FIELDS and _value(old, descriptor) != _value(new, descriptor):
            changed.append(_USER_NAMES.get(name, name))
    return changed


def _value(message: Any, descriptor: Any) -> Any:
    value = getattr(message, descriptor.name)
    singular_message = descriptor.message_type is not None and not _is_repeated(descriptor)
    return (message.HasField(descriptor.name), value) if singular_message else value


def _is_repeated(descriptor: Any) -> bool:
    repeated = getattr(descriptor, "is_repeated", None)  # protobuf >= 5.28; ``label`` is deprecated there
    return bool(repeated) if repeated is not None else descriptor.label == descriptor.LABEL_REPEATED


def redacted(sdk: Any, spec: Any) -> dict[str, Any]:
    """The spec's protobuf-JSON with every secret replaced by ``<hidden>`` (header names kept), and
    a token inside the git URI masked as ``pull`` and ``validate`` mask it (``masked_uri``)."""
    data: dict[str, Any] = sdk.json_format.MessageToDict(spec)
    git = data.get("action", {}).get("buildDeploy", {}).get("buildSpec", {}).get("gitModelSource")
    if isinstance(git, dict) and isinstance(git.get("gitUri"), str):
        git["gitUri"] = masked_uri(git["gitUri"])
    for slot in _SLOTS:
        notification = data.get(slot) or {}
        slack = notification.get("postSlackNotification")
        if isinstance(slack, dict) and "webhook" in slack:
            slack["webhook"] = HIDDEN
        webhook = notification.get("customWebhook")
        if isinstance(webhook, dict):
            if "url" in webhook:
                webhook["url"] = HIDDEN
            if isinstance(webhook.get("headers"), dict):
                webhook["headers"] = dict.fromkeys(webhook["headers"], HIDDEN)
    return data


def trigger_kind(spec: Any) -> str:
    kind = spec.trigger.WhichOneof("trigger") if spec.HasField("trigger") else None
    return TRIGGER_KINDS.get(kind or "", kind or "-")


def action_kind(spec: Any) -> str:
    kind = spec.action.WhichOneof("action") if spec.HasField("action") else None
    return ACTION_KINDS.get(kind or "", kind or "-")


def timestamp(message: Any, field: str) -> str:
    """A ``Timestamp`` field as ISO 8601 UTC to the second; "" when unset."""
    if not message.HasField(field):
        return ""
    value = getattr(message, field)
    if not value.seconds and not value.nanos:
        return ""
    return str(value.ToDatetime(tzinfo=UTC).replace(microsecond=0).isoformat()).replace("+00:00", "Z")
