"""``frogml-airflow list | pause | resume | run | executions``: what ``frogml automations`` lacks.

Every command talks to JFrog ML through one session of ``platform.jfrog.session`` (the same
client the JFrog ML backend uses): ``session(conn_id)`` opens it for a command. Automations are
named as users name them (``Automation(name=...)``); one ``ListAutomations`` resolves names to
ids (``session.automations.all_named``), so a missing name is an error before anything is
written, and a name that two platform automations share is refused rather than guessed.

No output holds a secret: ``list`` shows kinds, not specs; ``list --json`` shows specs with
Slack webhooks, webhook URLs and header values as ``<hidden>``; platform text (error details of
executions, RPC errors) is scrubbed of the token and of the automations' secret values.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from frogml_airflow_provider.errors import FrogMLProviderError, SetupError
from frogml_airflow_provider.management.specs import action_kind, redacted, timestamp, trigger_kind
from frogml_airflow_provider.platform.jfrog.session import Session, credentials, load_sdk
from frogml_airflow_provider.term import json_text, printable

EXECUTION_STATUSES = {0: "undefined", 1: "running", 2: "successful", 3: "failed"}
_DETAILS_WIDTH = 80


@contextmanager
def session(conn_id: str) -> Iterator[Session]:
    """The JFrog ML session of one command, closed after it.

    The SDK is imported first (without it, that is what is said), then the connection is read
    and refused if it names the local embedded platform. One try per call, 60 s each: a person
    is waiting and can run the command again, and ``register`` treats a failed call as the end of
    its run (it rolls back) rather than trying a write twice.
    """
    sdk = load_sdk()
    found = credentials(conn_id)
    if found.url and (urlsplit(found.url).hostname or "") in ("local", "localhost"):
        raise SetupError(
            f"connection {conn_id!r} names the local embedded platform ({found.url}); these commands manage "
            "JFrog ML: set its host to your JFrog URL (https://<name>.jfrog.io), or use --conn-id"
        )
    with Session(sdk, found, timeout=60.0, tries=1, origin="this machine") as opened:
        yield opened


def run_command(command: Callable[[], int]) -> int:
    """``command()``'s exit code; a provider error printed on stderr, with its exit code."""
    try:
        return command()
    except FrogMLProviderError as error:
        print(f"error  {printable(str(error))}", file=sys.stderr)
        return error.exit_code


# -- list -------------------------------------------------------------------------------------------------
def summary(client: Session, automation: Any) -> dict[str, Any]:
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
        "spec": redacted(client.sdk, spec),
    }


def list_automations(conn_id: str, *, as_json: bool) -> int:
    with session(conn_id) as client:
        automations = sorted(
            client.automations.all(), key=lambda a: (a.automation_spec.automation_name, a.automation_id)
        )
        rows = [summary(client, automation) for automation in automations]
    if _printed_without_table(rows, as_json=as_json, empty=f"no automations on JFrog ML at {client.where}"):
        return 0
    columns = ("name", "model_id", "trigger", "action", "state", "last_updated")
    headers = ("NAME", "MODEL", "TRIGGER", "ACTION", "STATE", "LAST UPDATED")
    _table(headers, [[str(row[column] or "-") for column in columns] for row in rows])
    return 0


def _printed_without_table(rows: list[dict[str, Any]], *, as_json: bool, empty: str) -> bool:
    """Prints ``rows`` as JSON, or ``empty`` when there are none; False: the caller prints a table."""
    if as_json:
        print(json_text(rows))
    elif not rows:
        print(printable(empty))
    return as_json or not rows


def _table(headers: tuple[str, ...], rows: list[list[str]]) -> None:
    from frogml_airflow_provider.term import table_lines

    print("\n".join(table_lines(headers, rows)))


# -- pause / resume / run -----------------------------------------------------------------------------
def set_active(conn_id: str, names: list[str], *, active: bool) -> int:
    """ToggleAutomationActivity for each named automation not already in that state."""
    verb, state = ("resumed", "active") if active else ("paused", "paused")
    with session(conn_id) as client:
        for automation in client.automations.all_named(names):
            name = automation.automation_spec.automation_name
            if automation.automation_spec.is_enabled == active:
                print(printable(f"{name}: already {state}"))
                continue
            client.automations.toggle(automation.automation_id, name, enabled=active)
            print(printable(f"{verb} {name}"))
    return 0


def run_now(conn_id: str, names: list[str]) -> int:
    """RunAutomation for each named automation: it runs now, whatever its trigger."""
    with session(conn_id) as client:
        for automation in client.automations.all_named(names):
            name = automation.automation_spec.automation_name
            client.automations.run(automation.automation_id, name)
            paused = "" if automation.automation_spec.is_enabled else " (it is paused: its trigger stays off)"
            print(printable(f"run requested: {name} (id {automation.automation_id}){paused}"))
        if len(names) == 1:
            print(printable(f"follow it with: frogml-airflow executions {names[0]}"))
    return 0


# -- executions -------------------------------------------------------------------------------------------
def executions(conn_id: str, name: str, *, limit: int, as_json: bool) -> int:
    with session(conn_id) as client:
        automation = client.automations.named(name)
        found = client.automations.executions(automation.automation_id, name)
    rows = sorted((_execution(item, client.scrub) for item in found), key=lambda row: row["started"], reverse=True)
    if limit > 0:
        rows = rows[:limit]
    if _printed_without_table(rows, as_json=as_json, empty=f"{name}: no executions yet"):
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


def _execution(execution: Any, scrub: Callable[[str], str]) -> dict[str, Any]:
    details = execution.run_details
    return {
        "id": execution.execution_id,
        "status": EXECUTION_STATUSES.get(details.status, str(details.status)),
        "started": timestamp(details, "start_time"),
        "ended": timestamp(details, "end_time"),
        "task": scrub(details.task),
        "finish_cause": scrub(details.finish_cause),
        "error_details": scrub(details.error_details),
        "last_update": timestamp(details, "last_update_date"),
    }
