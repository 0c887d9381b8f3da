"""One exception hierarchy for the provider.

Every message says what is wrong, where (file, automation, field) and how to fix it. Values of
secret fields (webhook URLs, header values) are never echoed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

HIDDEN = "<hidden>"


class FrogMLProviderError(Exception):
    """Base class of every error this provider raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field of an automation."""

    path: str
    value: Any
    problem: str
    fix: str
    secret: bool = False

    def describe(self) -> str:
        shown = HIDDEN if self.secret else _short_repr(self.value)
        return f"{self.path} = {shown}: {self.problem}; {self.fix}"

    def under(self, prefix: str) -> Problem:
        if not prefix:
            return self
        sep = "" if self.path.startswith("[") else "."
        return replace(self, path=f"{prefix}{sep}{self.path}" if self.path else prefix)


class AutomationSpecError(FrogMLProviderError, ValueError):
    """An automation definition that is not valid.

    ``problems`` holds every problem found in the object that raised; the loader adds the
    automation name, the file and the line once it knows them.
    """

    def __init__(
        self,
        owner: str,
        problems: list[Problem],
        *,
        automation: str | None = None,
        location: str | None = None,
    ) -> None:
        self.owner = owner
        self.problems = list(problems)
        self.automation = automation
        self.location = location
        super().__init__(self._render())

    def _render(self) -> str:
        where = f"{self.location}: " if self.location else ""
        who = f"automation {self.automation!r}" if self.automation else self.owner
        if len(self.problems) == 1:
            return f"{where}invalid {who}: {self.problems[0].describe()}"
        lines = "".join(f"\n  - {p.describe()}" for p in self.problems)
        return f"{where}invalid {who} ({len(self.problems)} problems):{lines}"

    def placed(
        self, *, prefix: str = "", automation: str | None = None, location: str | None = None
    ) -> AutomationSpecError:
        """The same error seen from further out: paths prefixed, automation and place named."""
        return AutomationSpecError(
            self.owner,
            [p.under(prefix) for p in self.problems],
            automation=automation or self.automation,
            location=location or self.location,
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_spec_error, (self.owner, self.problems, self.automation, self.location))


def _rebuild_spec_error(
    owner: str, problems: list[Problem], automation: str | None, location: str | None
) -> AutomationSpecError:
    return AutomationSpecError(owner, problems, automation=automation, location=location)


class AutomationLoadError(FrogMLProviderError):
    """A file of the automations folder that could not be loaded (or a clash between files)."""

    def __init__(self, file: str, message: str, *, line: int | None = None) -> None:
        self.file = file
        self.line = line
        self.message = message
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {message}")


class DuplicateAutomationError(AutomationLoadError):
    """Two automations share a name: the platform would let one silently overwrite the other."""


def _short_repr(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class LedgerError(FrogMLProviderError):
    """The hand-over ledger beside the automation files cannot be read."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class HandoverError(FrogMLProviderError):
    """A hand-over between Airflow and JFrog ML that cannot be done (both sides left as they were)."""

    exit_code = 1


class AirflowApiError(FrogMLProviderError):
    """Airflow's REST API could not be reached or refused a call."""

    exit_code = 2
