"""Which fields of an automation differ between its file and JFrog ML. Pure.

Both sides are the AutomationSpec's protobuf-JSON: the file's from ``export.native`` (equal to the
SDK's ``MessageToDict``), the registered one from ``MessageToDict`` of what JFrog ML returns. Fields
are named as users know them (``name``, ``trigger``, ``on_error``), never with their values, so a
secret field that differs is named and not shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# State, not definition: the activity switch, and a flag the SDK's client sets on every write.
_STATE = frozenset({"isEnabled", "isSdkV1"})
_USER_NAMES = {"automationName": "name", "automationDescription": "description"}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def drifted_fields(in_file: Mapping[str, Any], registered: Mapping[str, Any]) -> list[str]:
    """The fields whose values differ, in the spec's field order (the file's keys first)."""
    keys = [*in_file, *(key for key in registered if key not in in_file)]
    return [
        _CAMEL.sub("_", _USER_NAMES.get(key, key)).lower()
        for key in keys
        if key not in _STATE and in_file.get(key) != registered.get(key)
    ]
