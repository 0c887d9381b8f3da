"""The ``Automation`` itself (SDK: ``frogml.core.automations.automations``)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from frogml_airflow_provider.automations._checks import SQL_LIMIT, Checker
from frogml_airflow_provider.automations._names import MODEL_ID, NAME
from frogml_airflow_provider.automations.batch import BatchExecution
from frogml_airflow_provider.automations.build_deploy import FrogmlBuildDeploy
from frogml_airflow_provider.automations.common import Action, SpecModel
from frogml_airflow_provider.automations.notifications import CustomWebhook, Notification, SlackNotification
from frogml_airflow_provider.automations.triggers import Trigger, trigger_kinds
from frogml_airflow_provider.errors import AutomationSpecError

_PACKAGE_DIR = str(Path(__file__).resolve().parent)


@dataclass(repr=False)
class AutomationAudit(SpecModel):
    # The SDK evaluates ``datetime.now()`` once at import; here each audit gets its own time.
    date: datetime = field(default_factory=datetime.now)
    user_id: str = field(default="")

    def _check(self, checker: Checker) -> None:
        if not isinstance(self.date, datetime):
            checker.add("date", self.date, "is not a datetime", "give a datetime.datetime")
        checker.text("user_id", self.user_id, required=False)


@dataclass(repr=False)
class Automation(SpecModel):
    """One automation: when (``trigger``), what (``action``), and who to tell (``on_*``)."""

    id: str = field(default="")
    name: str = field(default="")
    model_id: str = field(default="")
    execute_immediately: bool = field(default=False)
    trigger: Trigger = field(default=None)  # type: ignore[assignment]  # the SDK's default raises
    action: Action = field(default=None)  # type: ignore[assignment]
    description: str = field(default="")
    environment: str = field(default="")
    is_enabled: bool = field(default=True)
    is_deleted: bool = field(default=False)
    is_sdk_v1: bool = field(default=False)
    create_audit: AutomationAudit = field(default_factory=AutomationAudit)
    on_error: Notification = field(default=None)  # type: ignore[assignment]
    on_success: Notification = field(default=None)  # type: ignore[assignment]
    jfrog_token_id: str = field(default="")
    platform_url: str = field(default="")

    def __post_init__(self) -> None:
        self._defined_at = _building_site()
        super().__post_init__()

    def _check(self, checker: Checker) -> None:
        checker.identifier("name", self.name, NAME)
        checker.identifier("model_id", self.model_id, MODEL_ID)
        checker.flag("execute_immediately", self.execute_immediately)
        checker.child("trigger", self.trigger, trigger_kinds())
        checker.child("action", self.action, (FrogmlBuildDeploy, BatchExecution))
        for name in ("id", "environment", "jfrog_token_id", "platform_url"):
            checker.text(name, getattr(self, name), required=False)
        checker.text("description", self.description, required=False, limit=SQL_LIMIT)
        for name in ("is_enabled", "is_deleted", "is_sdk_v1"):
            checker.flag(name, getattr(self, name))
        checker.child("create_audit", self.create_audit, (AutomationAudit,))
        for name in ("on_error", "on_success"):
            checker.child(name, getattr(self, name), (SlackNotification, CustomWebhook), required=False)

    def validate(self) -> None:
        try:
            super().validate()
        except AutomationSpecError as error:
            named = isinstance(self.name, str) and self.name.strip() and len(self.name) <= NAME.limit
            if named and NAME.problem(self.name) is None:
                raise error.placed(automation=self.name) from None
            raise

    @property
    def defined_at(self) -> tuple[str, int] | None:
        """(file, line) of the module-level code that built this automation: the loader files
        it there, and reports its problems at that line."""
        return getattr(self, "_defined_at", None)


def _building_site() -> tuple[str, int] | None:
    """The innermost ``<module>`` frame outside this package: the file that built the automation,
    directly or through a helper function defined elsewhere."""
    frame = sys._getframe(2)
    while frame is not None:
        code = frame.f_code
        if code.co_name == "<module>" and not code.co_filename.startswith((_PACKAGE_DIR, "<")):
            return code.co_filename, frame.f_lineno
        frame = frame.f_back  # type: ignore[assignment]
    return None
