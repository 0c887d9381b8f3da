"""JFrog ML's ``AutomationManagementService`` on a session: ``session.automations``.

One method per RPC, protos in and out (``qwak.automation.v1``), through the SDK's generated stub
rather than its ``AutomationsManagementClient``: that client has no ToggleAutomationActivity,
turns every gRPC status into one exception type, and after an update runs
``Automation.from_proto`` on the request, which can fail after the server accepted the write.

Automation names are what users know, but the platform does not keep them unique: ``named``
looks a name up in one ``ListAutomations`` and refuses to guess between two. Every automation
listed, created or updated here has its secrets (Slack webhooks, webhook URLs, header values)
added to the session's scrubbing, so no error or platform text shows them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from frogml_airflow_provider.errors import AutomationLookupError

if TYPE_CHECKING:
    from frogml_airflow_provider.platform.jfrog.session import Session

_LISTED_NAMES = 20  # an unknown name's error lists the names there are, up to this many


class AutomationsService:
    """The automations of one JFrog ML account (environment) of a ``Session``."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.sdk = session.sdk
        channel = session.channel(session.credentials.grpc_address, session.credentials.tls)
        self._stub = self.sdk.automation_grpc.AutomationManagementServiceStub(channel)

    @property
    def where(self) -> str:
        return self.session.where

    # -- reads -----------------------------------------------------------------------------------
    def all(self) -> list[Any]:
        """Every automation (``qwak.automation.v1.Automation``) of the account."""
        reply = self._call("ListAutomations", self.sdk.automation_service.ListAutomationsRequest(), "the automations")
        automations = list(reply.automations)
        for automation in automations:
            self.session.secrets.update(secret_values(automation.automation_spec))
        return automations

    def named(self, name: str, automations: list[Any] | None = None, *, missing_ok: bool = False) -> Any:
        """The one automation called ``name`` (of ``automations``, else of a fresh ``all()``);
        ``AutomationLookupError`` when there is more than one, or none (None instead with ``missing_ok``)."""
        automations = self.all() if automations is None else automations
        matches = [a for a in automations if a.automation_spec.automation_name == name]
        if not matches and missing_ok:
            return None
        if not matches:
            known = sorted({a.automation_spec.automation_name for a in automations})
            hint = f"; there are: {', '.join(known)}" if 0 < len(known) <= _LISTED_NAMES else ""
            raise AutomationLookupError(
                f"no automation named {name!r} on JFrog ML at {self.where} (names are case-sensitive){hint}"
            )
        if len(matches) > 1:
            ids = ", ".join(sorted(a.automation_id for a in matches))
            raise AutomationLookupError(
                f"{len(matches)} automations on JFrog ML at {self.where} are named {name!r} (ids {ids}); "
                "delete the extra ones (frogml automations delete --automation-id ID) and try again"
            )
        return matches[0]

    def all_named(self, names: Iterable[str]) -> list[Any]:
        """Each named automation, from one ``ListAutomations``; an error naming every missing or
        ambiguous one, so a command fails before its first write."""
        names = list(dict.fromkeys(names))
        automations = self.all()
        found, problems = [], []
        for name in names:
            try:
                found.append(self.named(name, automations))
            except AutomationLookupError as error:
                problems.append(str(error))
        if problems:
            raise AutomationLookupError("; ".join(problems) + ("; nothing was changed" if len(names) > 1 else ""))
        return found

    def executions(self, automation_id: str, name: str) -> list[Any]:
        """The automation's executions (``AutomationExecutionMessage``), in the platform's order."""
        request = self.sdk.automation_service.ListAutomationExecutionsRequest(automation_id=automation_id)
        reply = self._call("ListAutomationExecutions", request, f"automation {name!r}")
        return list(reply.automation_executions)

    # -- writes (not retried after a deadline: they may have landed) -----------------------------
    def create(self, spec: Any, *, enabled: bool | None = None) -> str:
        """Creates the automation; ``enabled`` overrides the spec's ``is_enabled`` (False: created
        paused). Returns its id."""
        spec = _with_enabled(spec, enabled)
        request = self.sdk.automation_service.CreateAutomationRequest(automation_spec=spec)
        reply = self._call("CreateAutomation", request, f"automation {spec.automation_name!r}", write=True)
        return str(reply.automation_id)

    def update(self, automation_id: str, spec: Any, *, enabled: bool | None = None) -> None:
        """Replaces the automation's spec; ``enabled`` overrides the spec's ``is_enabled``."""
        spec = _with_enabled(spec, enabled)
        request = self.sdk.automation_service.UpdateAutomationRequest(automation_id=automation_id, automation_spec=spec)
        self._call("UpdateAutomation", request, f"automation {spec.automation_name!r}", write=True)

    def delete(self, automation_id: str, name: str) -> None:
        request = self.sdk.automation_service.DeleteAutomationRequest(automation_id=automation_id)
        self._call("DeleteAutomation", request, f"automation {name!r}", write=True)

    def toggle(self, automation_id: str, name: str, *, enabled: bool) -> None:
        """Pauses (``enabled=False``) or resumes the automation's trigger."""
        request = self.sdk.automation_service.ToggleAutomationActivityRequest(
            automation_id=automation_id, is_enabled=enabled
        )
        self._call("ToggleAutomationActivity", request, f"automation {name!r}", write=True)

    def run(self, automation_id: str, name: str) -> None:
        """Runs the automation now, whatever its trigger."""
        request = self.sdk.automation_service.RunAutomationRequest(automation_id=automation_id)
        self._call("RunAutomation", request, f"automation {name!r}", write=True)

    def _call(self, rpc: str, request: Any, about: str, *, write: bool = False) -> Any:
        spec = getattr(request, "automation_spec", None)
        if spec is not None:  # before the call: its error may quote what was sent
            self.session.secrets.update(secret_values(spec))
        return self.session.call(getattr(self._stub, rpc), request, rpc=rpc, about=about, idempotent=not write)


def _with_enabled(spec: Any, enabled: bool | None) -> Any:
    if enabled is None or spec.is_enabled == enabled:
        return spec
    copy = type(spec)()
    copy.CopyFrom(spec)
    copy.is_enabled = enabled
    return copy


def secret_values(spec: Any) -> Iterator[str]:
    """The credentials in a spec: Slack webhooks, webhook URLs, header values of its notifications,
    and a user part (a token) inside its git URI."""
    from frogml_airflow_provider.automations._checks import uri_credentials

    git_uri = spec.action.build_deploy.build_spec.git_model_source.git_uri if spec.HasField("action") else ""
    if credentials := uri_credentials(git_uri):
        yield credentials
    for slot in ("on_error", "on_success"):
        if not spec.HasField(slot):
            continue
        notification = getattr(spec, slot)
        kind = notification.WhichOneof("notification")
        if kind == "post_slack_notification":
            yield notification.post_slack_notification.webhook
        elif kind == "custom_webhook":
            yield notification.custom_webhook.url
            yield from notification.custom_webhook.headers.values()
