"""Triggers: when an automation runs (SDK: ``frogml.core.automations.automations``)."""

from __future__ import annotations

from abc import ABC
from dataclasses import dataclass, field
from typing import Any

from frogml_airflow_provider.automations._checks import SQL_LIMIT, Checker
from frogml_airflow_provider.automations._names import NAME
from frogml_airflow_provider.automations.common import SpecModel, ThresholdDirection, check_direction

INTERVALS = ("Daily", "Weekly", "Hourly")


class Trigger(SpecModel, ABC):
    """When an automation fires."""


class Metric(SpecModel, ABC):
    """A production metric a ``MetricBasedTrigger`` watches."""


@dataclass(repr=False)
class ScheduledTrigger(Trigger):
    """Fires on a cron expression or a named interval, in UTC."""

    cron: str = field(default="")
    interval: str = field(default="")

    def _check(self, checker: Checker) -> None:
        has_cron = isinstance(self.cron, str) and bool(self.cron.strip())
        has_interval = isinstance(self.interval, str) and bool(self.interval.strip())
        if has_cron and has_interval:
            # The SDK silently drops the cron when both are set; make the author choose.
            checker.add(
                "interval",
                self.interval,
                f"is set together with cron={self.cron!r}",
                "keep one of them (JFrog ML would silently ignore the cron)",
            )
        elif has_interval or self.interval not in ("", None):
            checker.choice("interval", self.interval, INTERVALS)
        elif has_cron or self.cron not in ("", None):
            checker.cron("cron", self.cron)
        else:
            checker.add(
                "cron",
                self.cron,
                "is empty and no interval is set",
                "give cron='0 0 * * 0' or interval='Daily', 'Weekly' or 'Hourly'",
            )


@dataclass(repr=False)
class SqlMetric(Metric):
    """A SQL query over model analytics returning one numeric value."""

    sql_query: str = field(default="")

    def _check(self, checker: Checker) -> None:
        checker.text("sql_query", self.sql_query, limit=SQL_LIMIT)


@dataclass(repr=False)
class MetricBasedTrigger(Trigger):
    """Fires when a production metric crosses a threshold."""

    name: str = field(default="")
    metric: Metric = field(default="")  # type: ignore[assignment]  # the SDK's default
    direction: ThresholdDirection = field(default=ThresholdDirection.ABOVE)
    threshold: str = field(default="")
    override_cron: str = field(default="")

    def _check(self, checker: Checker) -> None:
        checker.identifier("name", self.name, NAME)
        checker.child("metric", self.metric, (SqlMetric,))
        check_direction(checker, "direction", self.direction)
        checker.threshold("threshold", self.threshold)
        if self.override_cron not in ("", None):
            checker.cron("override_cron", self.override_cron)


@dataclass(repr=False)
class NoneTrigger(Trigger):
    """No schedule: the automation runs only when started by hand."""

    def _check(self, checker: Checker) -> None:
        return None


@dataclass(repr=False)
class OnBoardingTrigger(Trigger):
    """Undocumented on the platform; treated like ``NoneTrigger`` (runs when started)."""

    def _check(self, checker: Checker) -> None:
        return None


def trigger_kinds() -> tuple[type[Any], ...]:
    return (ScheduledTrigger, MetricBasedTrigger, NoneTrigger, OnBoardingTrigger)
