"""Every exception the provider raises on purpose, in one place: a user who meets one finds it here.

Every message says what is wrong, where (file, automation, field, RPC) and how to fix it. Values
of secret fields (webhook URLs, header values, tokens) are never echoed: they show as ``HIDDEN``.

Pure: no Airflow, no SDK. The one class that must also be an Airflow exception cannot live here:

- ``operators._crossing.FrogMLCrossingTaken`` (``FrogMLProviderError`` + Airflow's
  ``AirflowSkipException``): a DAG run started by a metric crossing that another run already took
  (the event delivered twice) skips, and Airflow skips a task only for its own skip exception.

Every other failure of a task is one of the classes below: Airflow fails (and retries) a task on
any exception, and shows its message. ``FrogMLProviderError.exit_code`` is what ``frogml-airflow``
returns when one ends a command.

Defined beside the local platform, on the same base (``PlatformError``):
``platform.local.paths.UnsafePathError`` (an identifier would place files outside the state
folder), ``platform.local.batch_files.BatchFileError`` (a batch input unreadable, an output unwritable).

Never reach a user as exceptions (control flow inside one component, turned into its output):
``platform.local.build_runner.BuildError`` (ends a local build: its log and error carry the
message), ``platform.local.server.BadRequest`` (an HTTP error answer of the model server),
``notifications._transport.OutOfTime`` (a delivery's deadline, reported as its outcome),
``platform.local.batch_runner.JobFailed`` and ``platform.local.batch_runner.Cancelled`` (end a
local batch job: its state and error carry the message), ``dags.budget.FileTimeout`` (stops an
automation file past its time budget: reported as that file's ``AutomationLoadError``),
``console.known.ConsoleBusy`` (a console view that waited too long for its turn: said as the page),
``migration.steps.Stopped`` (SIGTERM unwinding a hand-over like Ctrl-C, a ``BaseException``:
the hand-over undoes itself and raises ``HandoverInterrupted``), ``demo.run.Stop`` (the demo's
launcher told to stop: it stops every process it started).

    FrogMLProviderError
    ├── AutomationSpecError (also ValueError)  an automation definition that is not valid
    ├── AutomationLoadError                    a file of the automations folder that cannot load
    │   └── DuplicateAutomationError
    ├── ExportError                            automations that cannot be exported together
    ├── WireError                              a field of a native automation that cannot be read
    ├── PullError                              a native automation that cannot become a file
    ├── UpgradeError (also ValueError)         a Qwak-era file upgrade cannot rewrite safely
    ├── OperatorArgumentError (also ValueError) an operator built with arguments that contradict
    ├── ApprovalSettingError (also ValueError)  [frogml] approval_required/_timeout that cannot be read
    ├── ManagementError                        a ``frogml-airflow`` command on JFrog ML failed
    ├── LedgerError (exit code 2)              the hand-over ledger cannot be read
    ├── HandoverError                          a hand-over that cannot be done (nothing changed)
    │   └── HandoverInterrupted (exit 128+sig)   Ctrl-C or SIGTERM stopped it (after undoing it)
    ├── AirflowApiError (exit code 2)          Airflow's REST API unreachable or refusing
    └── PlatformError                          a platform call failed (local or JFrog ML)
        ├── SetupError (exit code 2)           cannot start: the frogml SDK, credentials, address
        ├── StateMissingError                  the local platform's state folder is not there
        ├── RegistryUnreadableError            the local platform's platform.db cannot be read
        ├── QueryShapeError                    an analytics query did not return one number
        ├── QueryTimeout                       an analytics query ran past its time limit (``limit``)
        ├── QueryFailed                        JFrog ML analytics failed, was cancelled, timed out
        │   └── QueryTimedOut (also QueryTimeout)
        ├── AutomationLookupError              no automation, or several, of a name on JFrog ML
        ├── FrogMLBuildFailed                  a build ended FAILED, CANCELLED or TIMED_OUT
        ├── FrogMLDeployFailed                 a deployment did not come to serve
        ├── FrogMLBatchFailed                  a batch job ended FAILED, CANCELLED or TIMED_OUT
        └── JFrogMLCallError                   a JFrog ML RPC failed (``rpc``, ``code``)
            ├── JFrogMLAuthError               UNAUTHENTICATED, PERMISSION_DENIED
            ├── JFrogMLNotFoundError           NOT_FOUND
            └── JFrogMLUnavailableError        UNAVAILABLE, DEADLINE_EXCEEDED
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

HIDDEN = "<hidden>"


class FrogMLProviderError(Exception):
    """Base class of every error this provider raises on purpose."""

    exit_code = 1  # what ``frogml-airflow`` returns when this error ends a command


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


class ExportError(FrogMLProviderError):
    """Automations that cannot be exported together (e.g. two would write the same file)."""


class WireError(FrogMLProviderError):
    """One field of a native automation that cannot be read: ``path`` says where."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class PullError(FrogMLProviderError):
    """A native automation that cannot be written as an automation file that registers the same spec."""

    def __init__(self, automation: str, message: str) -> None:
        self.automation = automation
        super().__init__(f"cannot pull automation {automation}: {message}")


class UpgradeError(FrogMLProviderError, ValueError):
    """A file that upgrade cannot rewrite safely (a bug of upgrade: worth reporting)."""


class OperatorArgumentError(FrogMLProviderError, ValueError):
    """An operator was given arguments that cannot go together; raised when the DAG is built."""


class ApprovalSettingError(FrogMLProviderError, ValueError):
    """``[frogml] approval_required`` or ``approval_timeout`` cannot be read: every bad entry is named."""


class ManagementError(FrogMLProviderError):
    """A ``frogml-airflow`` command on JFrog ML failed (a registration stopped, a name unknown)."""


# -- hand-over between Airflow and JFrog ML (status, migrate) ----------------------------------
class LedgerError(FrogMLProviderError):
    """The hand-over ledger beside the automation files cannot be read."""

    exit_code = 2  # cannot start (``status`` keeps 1 for "scheduled on both sides")

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class HandoverError(FrogMLProviderError):
    """A hand-over between Airflow and JFrog ML that cannot be done (both sides left as they were)."""

    exit_code = 1


class HandoverInterrupted(HandoverError):
    """Ctrl-C or SIGTERM stopped a hand-over; it undid itself first. Exit code 128 + the signal."""

    def __init__(self, message: str, *, signum: int) -> None:
        super().__init__(message)
        self.signum = signum
        self.exit_code = 128 + signum


class AirflowApiError(FrogMLProviderError):
    """Airflow's REST API could not be reached or refused a call."""

    exit_code = 2


# -- platforms ---------------------------------------------------------------------------------
class PlatformError(FrogMLProviderError):
    """A platform call failed: the message says which call, which model or build, what to check."""


class SetupError(PlatformError):
    """The platform cannot be reached for want of setup: the frogml SDK is not installed, the
    connection has no token or address, or names the wrong platform."""

    exit_code = 2


class StateMissingError(PlatformError):
    """The local platform's state folder (or its platform.db) is not there: never used, or deleted."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"the local platform's registry {path} does not exist: its state folder was never used or was "
            "deleted, so the builds and deployments recorded there are gone. Rerun the DAG to build and deploy "
            "again, or point the frogml connection's extra.state_dir (or [frogml] local_state_dir) at the "
            "folder that holds them"
        )
        self.path = path


class RegistryUnreadableError(PlatformError):
    """The local platform's platform.db is not a SQLite database (or a damaged one)."""


class QueryShapeError(PlatformError):
    """An analytics query did not return one numeric value."""


class QueryTimeout(PlatformError):
    """An analytics query ran past its time limit (``limit`` seconds) and was stopped."""

    def __init__(self, message: str, *, limit: float) -> None:
        super().__init__(message)
        self.limit = limit


class QueryFailed(PlatformError):
    """The analytics engine ran the query and reported it failed, was cancelled, or took too long."""


class QueryTimedOut(QueryFailed, QueryTimeout):
    """A JFrog ML analytics query had no result within its time limit."""


class AutomationLookupError(PlatformError):
    """No automation of that name on JFrog ML, or more than one (names are not unique there)."""


class FrogMLBuildFailed(PlatformError):
    """The build ended FAILED, CANCELLED or TIMED_OUT; the message carries the log's tail."""


class FrogMLDeployFailed(PlatformError):
    """The deployment did not come to serve."""


class FrogMLBatchFailed(PlatformError):
    """The batch job ended FAILED, CANCELLED or TIMED_OUT; the message names the file at fault."""


class JFrogMLCallError(PlatformError):
    """A JFrog ML RPC failed. ``rpc`` and ``code`` (a gRPC status name) say which and how."""

    def __init__(self, message: str, *, rpc: str = "", code: str = "") -> None:
        super().__init__(message)
        self.rpc = rpc
        self.code = code

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_call_error, (type(self), str(self), self.rpc, self.code))


class JFrogMLAuthError(JFrogMLCallError):
    """UNAUTHENTICATED or PERMISSION_DENIED: the token is wrong, expired or lacks a permission."""


class JFrogMLNotFoundError(JFrogMLCallError):
    """NOT_FOUND: the model, build, deployment or automation does not exist (in this account)."""


class JFrogMLUnavailableError(JFrogMLCallError):
    """UNAVAILABLE or DEADLINE_EXCEEDED: the control plane could not be reached (in time)."""


def _rebuild_call_error(cls: type[JFrogMLCallError], message: str, rpc: str, code: str) -> JFrogMLCallError:
    return cls(message, rpc=rpc, code=code)


def _short_repr(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
