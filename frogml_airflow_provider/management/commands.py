"""``frogml-airflow list | pause | resume | run | executions``: what ``frogml automations`` lacks.

Automations are named as users name them (``Automation(name=...)``); one ``ListAutomations``
resolves names to ids, so a missing name is an error before anything is written, and a name
that two platform automations share is refused rather than guessed.

No output holds a secret: ``list`` shows kinds, not specs; ``list --json`` shows specs with
Slack webhooks, webhook URLs and header values as ``<hidden>``; platform text (error details of
executions, RPC errors) is scrubbed of the token and of the automation's secret values.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from frogml_airflow_provider.management.remote import (
    AutomationsApi,
    ManagementError,
    open_endpoint,
    scrub,
)
from frogml_airflow_provider.management.specs import (
    action_kind,
    redacted,
    secret_values,
    timestamp,
    trigger_kind,
)

EXECUTION_STATUSES = {0: "undefined", 1: "running", 2: "successful", 3: "failed"}
_DETAILS_WIDTH = 80


@contextmanager
def session(conn_id: str) -> Iterator[AutomationsApi]:
    endpoint = open_endpoint(conn_id)
    try:
        yield AutomationsApi(endpoint)
    finally:
        endpoint.close()


def run_command(command: Callable[[], int]) -> int:
    """``command()``'s exit code; a ``ManagementError`` printed on stderr, with its exit code."""
    try:
        return command()
    except ManagementError as error:
        print(f"error  {error}", file=sys.stderr)
        return error.exit_code


def find(api: AutomationsApi, automations: list[Any], name: str) -> Any:
    matches = [a for a in automations if a.automation_spec.automation_name == name]
    if not matches:
        known = sorted({a.automation_spec.automation_name for a in automations})
        hint = f"; there are: {', '.join(known)}" if 0 < len(known) <= 20 else ""
        raise ManagementError(
            f"no automation named {name!r} on JFrog ML at {api.where} (names are case-sensitive){hint}"
        )
    if len(matches) > 1:
        ids = ", ".join(sorted(a.automation_id for a in matches))
        raise ManagementError(
            f"{len(matches)} automations on JFrog ML at {api.where} are named {name!r} (ids {ids}); "
            "delete the extra ones (frogml automations delete --automation-id ID) and try again"
        )
    api.secrets.update(secret_values(matches[0].automation_spec))
    return matches[0]


def find_all(api: AutomationsApi, names: list[str]) -> list[Any]:
    """Each named automation, or an error naming every missing one, before any write."""
    automations = api.automations()
    found, problems = [], []
    for name in dict.fromkeys(names):
        try:
            found.append(find(api, automations, name))
        except ManagementError as error:
            problems.append(str(error))
    if problems:
        raise ManagementError("; ".join(problems) + ("; nothing was changed" if len(names) > 1 else ""))
    return found


# -- list -------------------------------------------------------------------------------------------------
def summary(api: AutomationsApi, automation: Any) -> dict[str, Any]:
    spec = automation.automation_spec
    return {
        "id": automation.automation_id,
        "name": spec.automation_name,
        "model_id": spec.model_id,
        "trigger": trigger_kind(spec),
        "action": action_kind(spec),
        "state": "active" if spec.is_enabled else "paused",
        "last_updated": timestamp(automation.create_audit, "date") if automation.HasField("create_audit") else "",
        "updated_by": automation.create_audit.user_id,
        "spec": redacted(api.sdk, spec),
    }


def list_automations(conn_id: str, *, as_json: bool) -> int:
    with session(conn_id) as api:
        automations = sorted(api.automations(), key=lambda a: (a.automation_spec.automation_name, a.automation_id))
        rows = [summary(api, automation) for automation in automations]
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print(f"no automations on JFrog ML at {api.where}")
        return 0
    columns = ("name", "model_id", "trigger", "action", "state", "last_updated")
    headers = ("NAME", "MODEL", "TRIGGER", "ACTION", "STATE", "LAST UPDATED")
    _table(headers, [[str(row[column] or "-") for column in columns] for row in rows])
    return 0


def _table(headers: tuple[str, ...], rows: list[list[str]]) -> None:
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=False)]
    for line in (list(headers), *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


# -- pause / resume / run -----------------------------------------------------------------------------
def set_active(conn_id: str, names: list[str], *, active: bool) -> int:
    """ToggleAutomationActivity for each named automation not already in that state."""
    verb, state = ("resumed", "active") if active else ("paused", "paused")
    with session(conn_id) as api:
        for automation in find_all(api, names):
            name = automation.automation_spec.automation_name
            if automation.automation_spec.is_enabled == active:
                print(f"{name}: already {state}")
                continue
            api.toggle(automation.automation_id, name, enabled=active)
            print(f"{verb} {name}")
    return 0


def run_now(conn_id: str, names: list[str]) -> int:
    """RunAutomation for each named automation: it runs now, whatever its trigger."""
    with session(conn_id) as api:
        for automation in find_all(api, names):
            name = automation.automation_spec.automation_name
            api.run(automation.automation_id, name)
            paused = "" if automation.automation_spec.is_enabled else " (it is paused: its trigger stays off)"
            print(f"run requested: {name} (id {automation.automation_id}){paused}")
        if len(names) == 1:
            print(f"follow it with: frogml-airflow executions {names[0]}")
    return 0


# -- executions -------------------------------------------------------------------------------------------
def executions(conn_id: str, name: str, *, limit: int, as_json: bool) -> int:
    with session(conn_id) as api:
        automation = find(api, api.automations(), name)
        found = api.executions(automation.automation_id, name)
        secrets = [api.endpoint.secret, *api.secrets]
    rows = sorted((_execution(item, secrets) for item in found), key=lambda row: row["started"], reverse=True)
    if limit > 0:
        rows = rows[:limit]
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print(f"{name}: no executions yet")
        return 0
    headers = ("EXECUTION", "STATUS", "STARTED", "ENDED", "DETAILS")
    table = []
    for row in rows:
        details = " ".join(filter(None, (row["task"], row["finish_cause"], row["error_details"]))).replace("\n", " ")
        if len(details) > _DETAILS_WIDTH:
            details = details[: _DETAILS_WIDTH - 3] + "..."
        table.append([row["id"], row["status"], row["started"] or "-", row["ended"] or "-", details])
    _table(headers, table)
    if limit > 0 and len(found) > limit:
        print(f"({len(found) - limit} older execution(s) not shown; --limit 0 shows all)")
    return 0


def _execution(execution: Any, secrets: list[str]) -> dict[str, Any]:
    details = execution.run_details
    return {
        "id": execution.execution_id,
        "status": EXECUTION_STATUSES.get(details.status, str(details.status)),
        "started": timestamp(details, "start_time"),
        "ended": timestamp(details, "end_time"),
        "task": scrub(details.task, secrets),
        "finish_cause": scrub(details.finish_cause, secrets),
        "error_details": scrub(details.error_details, secrets),
        "last_update": timestamp(details, "last_update_date"),
    }
