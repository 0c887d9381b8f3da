"""Shared pieces of the spec: the base class that validates on construction, and the enums."""

from __future__ import annotations

import dataclasses
from abc import ABC
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import Enum
from typing import Any, ClassVar

from frogml_airflow_provider.automations._checks import Checker
from frogml_airflow_provider.errors import AutomationSpecError

_AFTER_LOADING: ContextVar[bool] = ContextVar("frogml_validation_after_loading", default=False)


@contextmanager
def validation_after_loading() -> Iterator[None]:
    """Inside, nothing validates when built: the loader validates each automation it collects,
    once and whole, after its file ran. One error then lists every problem of an automation with
    its full field path, and parts changed after ``Automation(...)`` are checked too."""
    token = _AFTER_LOADING.set(True)
    try:
        yield
    finally:
        _AFTER_LOADING.reset(token)


class SpecModel:
    """Validates on construction, unlike the SDK which validates only when registering.

    Subclasses are dataclasses and implement ``_check(checker)``; one pass collects every problem.
    """

    _secret_fields: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        if not _AFTER_LOADING.get():
            self.validate()

    def _check(self, checker: Checker) -> None:  # pragma: no cover - every concrete model overrides
        raise NotImplementedError

    def validate(self) -> None:
        """Check the object and everything under it (again: dataclasses stay mutable, as in the SDK)."""
        checker = Checker()
        self._check(checker)
        if checker.problems:
            raise AutomationSpecError(type(self).__name__, checker.problems)

    def __repr__(self) -> str:
        shown = []
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value: Any = getattr(self, f.name)
            if f.name in self._secret_fields and value:
                value = _Hidden(value)
            shown.append(f"{f.name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"


class _Hidden:
    """Stands in for a secret in reprs: keeps dict keys visible, hides every value."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        if isinstance(self.value, dict):
            return "{" + ", ".join(f"{k!r}: '***'" for k in self.value) + "}"
        return "'***'"


class Action(SpecModel, ABC):
    """What an automation does when it fires."""


class ThresholdDirection(Enum):
    """How a value is compared with its threshold. The values are the SDK's, not the wire's."""

    ABOVE = 1
    BELOW = 2
    EQUALS = 3
    BELOW_OR_EQUALS = 4
    ABOVE_OR_EQUALS = 5

    def holds(self, value: float, threshold: float) -> bool:
        """True when ``value`` passes the threshold in this direction."""
        return {
            ThresholdDirection.ABOVE: value > threshold,
            ThresholdDirection.BELOW: value < threshold,
            ThresholdDirection.EQUALS: value == threshold,
            ThresholdDirection.BELOW_OR_EQUALS: value <= threshold,
            ThresholdDirection.ABOVE_OR_EQUALS: value >= threshold,
        }[self]


def check_direction(checker: Checker, name: str, value: Any) -> None:
    if not isinstance(value, ThresholdDirection):
        members = ", ".join(f"ThresholdDirection.{d.name}" for d in ThresholdDirection)
        named = isinstance(value, str) and value.upper() in ThresholdDirection.__members__
        hint = f" (write ThresholdDirection.{value.upper()})" if named else ""
        checker.add(name, value, f"is not a ThresholdDirection{hint}", f"use one of {members}")
