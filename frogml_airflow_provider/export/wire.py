"""Reading the protobuf-JSON of a native automation one message at a time, strictly.

``Fields`` wraps one message (a JSON object) with its path; each field is taken by its reader,
and ``done()`` refuses whatever was not taken: a field this provider does not know is an error,
never dropped. Messages name the path only, never a value (a value may be a credential).
Pure: no Airflow, network or frogml SDK import.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, TypeVar

from frogml_airflow_provider.errors import WireError

T = TypeVar("T")
REQUIRED: Any = object()
"""A default meaning "the field must be set": the spec has no value for its absence."""
_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def kind_of(value: Any) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list", dict: "an object"}
    return names.get(type(value), "null" if value is None else type(value).__name__)


class Fields:
    """One message of the wire form, read field by field."""

    def __init__(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise WireError(path or "the automation", f"is {kind_of(value)}, not a message (a JSON object)")
        self.data: dict[str, Any] = value
        self.path = path
        self._taken: set[str] = set()

    def at(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def raw(self, name: str) -> Any:
        self._taken.add(name)
        return self.data.get(name)

    def _typed(self, name: str, default: Any, types: tuple[type, ...], wanted: str) -> Any:
        value = self.raw(name)
        if value is None:
            if default is REQUIRED:
                raise WireError(self.at(name), "is not set, and an automation file cannot leave it out")
            return default
        if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
            raise WireError(self.at(name), f"is {kind_of(value)}, not {wanted}")
        return value

    def text(self, name: str, default: Any = "") -> Any:
        return self._typed(name, default, (str,), "a string")

    def flag(self, name: str, default: bool = False) -> bool:
        return bool(self._typed(name, default, (bool,), "a boolean"))

    def integer(self, name: str, default: Any = 0) -> Any:
        return self._typed(name, default, (int,), "a whole number")

    def number(self, name: str, default: Any = 0) -> Any:
        """A ``float`` field: a JSON number, or ``"NaN"``/``"Infinity"``/``"-Infinity"`` as protobuf
        prints those. A whole number comes back as ``int`` so that it equals the spec's defaults
        (``cpu_fraction=2``); the export writes either as the same float."""
        value = self._typed(name, default, (int, float, str), "a number")
        if isinstance(value, str):
            if value not in _NON_FINITE:
                raise WireError(self.at(name), "is a string that is not a number")
            return _NON_FINITE[value]
        if isinstance(value, float) and value.is_integer() and math.copysign(1.0, value) > 0:
            return int(value)
        return value

    def enum(self, name: str, names: Mapping[str, T], default: Any = REQUIRED) -> T:
        if self.data.get(name) is None:
            return self._typed(name, default, (str,), "an enum name")  # type: ignore[no-any-return]
        value = self._typed(name, default, (str,), "an enum name")
        if value not in names:
            raise WireError(self.at(name), f"is {value!r}, not one of {', '.join(names)}")
        return names[value]

    def strings(self, name: str) -> list[str]:
        values = self._typed(name, [], (list,), "a list")
        for i, value in enumerate(values):
            if not isinstance(value, str):
                raise WireError(f"{self.at(name)}[{i}]", f"is {kind_of(value)}, not a string")
        return list(values)

    def mapping(self, name: str) -> dict[str, str]:
        values = self._typed(name, {}, (dict,), "a map (a JSON object)")
        for key, value in values.items():
            if not isinstance(value, str):
                raise WireError(f"{self.at(name)}[{key!r}]", f"is {kind_of(value)}, not a string")
        return dict(values)

    def message(self, name: str) -> Fields | None:
        value = self.raw(name)
        return None if value is None else Fields(value, self.at(name))

    def messages(self, name: str) -> list[Fields]:
        values = self._typed(name, [], (list,), "a list")
        return [Fields(value, f"{self.at(name)}[{i}]") for i, value in enumerate(values)]

    def oneof(self, kinds: tuple[str, ...], what: str, unsupported: tuple[str, ...] = ()) -> tuple[str, Fields]:
        """The one member of a ``oneof`` that is set; any other field of the message is refused."""
        present = [kind for kind in kinds if self.data.get(kind) is not None]
        if len(present) > 1:
            raise WireError(self.path, f"sets {' and '.join(present)}: a {what} is exactly one of them")
        if not present:
            others = sorted(set(self.data) - set(kinds) - set(unsupported))
            if others:
                raise WireError(
                    self.at(others[0]),
                    f"is not a {what} kind this provider knows (known: {', '.join(kinds)}); "
                    "upgrade the provider, or change the automation on JFrog ML",
                )
            self.done(unsupported)
            raise WireError(self.path, f"names no {what} kind (one of {', '.join(kinds)} is needed)")
        member = self.message(present[0])
        assert member is not None
        self.done(unsupported)
        return present[0], member

    def done(self, unsupported: tuple[str, ...] = ()) -> None:
        """Refuse every field that no reader took. ``unsupported``: fields of the proto that the
        SDK's classes have no keyword for, so that no automation file can register them."""
        for name in sorted(set(self.data) - self._taken):
            if name in unsupported:
                raise WireError(
                    self.at(name),
                    "is set on JFrog ML, but the frogml SDK's automation classes have no keyword for it, so "
                    "no automation file can register it; clear it on JFrog ML, or keep this automation there",
                )
            raise WireError(
                self.at(name),
                "is not a field of the AutomationSpec this provider knows (frogml 2.1.152)"
                + _camel_hint(name)
                + "; upgrade the provider, or remove the field",
            )


def _camel_hint(name: str) -> str:
    if "_" not in name:
        return ""
    head, *rest = name.split("_")
    return f" (protobuf-JSON names are camelCase: {head + ''.join(part.title() for part in rest)!r}?)"
