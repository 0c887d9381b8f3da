"""``list``, ``pause`` / ``resume``, ``run`` and ``executions`` against the SDK's own mock.

Executions are made the way the platform makes them, through the SDK client's
``register_execution`` / ``update_execution``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support.jfrog import WEBHOOK, batch, build

Cli = Callable[..., SimpleNamespace]


@pytest.fixture
def registered(mock: Any, folder: Callable[..., Path], cli: Cli) -> dict[str, str]:
    """churn_retrain (active, scheduled build) and nightly_scoring (paused, manual batch): name -> id."""
    assert cli("register", folder(churn=build("churn_retrain"), scoring=batch("nightly_scoring")), "--yes").code == 0
    return {a.automation_spec.automation_name: a.automation_id for a in mock.automations.values()}


def enabled(mock: Any, automation_id: str) -> bool:
    return bool(mock.automations[automation_id].automation_spec.is_enabled)


def test_list_shows_kinds_states_and_last_update_never_a_spec(mock: Any, registered: dict[str, str], cli: Cli) -> None:
    audit = mock.automations[registered["churn_retrain"]].create_audit
    audit.date.FromDatetime(datetime(2026, 3, 1, 12, 30, 5, tzinfo=UTC))
    audit.user_id = "alice"
    done = cli("list")
    assert done.code == 0, done.err
    lines = [line.split() for line in done.out.splitlines()]
    assert lines == [
        ["NAME", "MODEL", "TRIGGER", "ACTION", "STATE", "LAST", "UPDATED"],
        ["churn_retrain", "churn", "scheduled", "build-deploy", "active", "2026-03-01T12:30:05Z"],
        ["nightly_scoring", "scoring", "manual", "batch", "paused", "-"],
    ]


def test_list_json_has_the_specs_with_every_secret_hidden(mock: Any, registered: dict[str, str], cli: Cli) -> None:
    done = cli("list", "--json")
    assert done.code == 0, done.err
    rows = {row["name"]: row for row in json.loads(done.out)}
    churn, scoring = rows["churn_retrain"], rows["nightly_scoring"]
    assert churn["id"] == registered["churn_retrain"]
    assert (churn["trigger"], churn["action"], churn["state"], churn["model_id"]) == (
        "scheduled",
        "build-deploy",
        "active",
        "churn",
    )
    assert churn["spec"]["onError"] == {"postSlackNotification": {"webhook": "<hidden>"}}
    assert churn["spec"]["trigger"] == {"scheduledTrigger": {"cron": "0 2 * * *"}}
    webhook = scoring["spec"]["onSuccess"]["customWebhook"]
    assert webhook["url"] == "<hidden>" and webhook["headers"] == {"Authorization": "<hidden>"}
    assert webhook["httpMethod"] == "HTTP_METHOD_TYPE_POST"
    assert scoring["state"] == "paused"


def test_list_of_an_empty_environment(mock: Any, cli: Cli) -> None:
    done = cli("list")
    assert done.code == 0 and "no automations on JFrog ML at grpc://" in done.out
    assert json.loads(cli("list", "--json").out) == []


def test_pause_and_resume_toggle_only_what_needs_it(mock: Any, registered: dict[str, str], cli: Cli) -> None:
    churn = registered["churn_retrain"]
    paused = cli("pause", "churn_retrain")
    assert paused.code == 0, paused.err
    assert paused.out == "paused churn_retrain\n"
    assert not enabled(mock, churn)
    again = cli("pause", "churn_retrain", "nightly_scoring")
    assert again.out == "churn_retrain: already paused\nnightly_scoring: already paused\n"
    assert mock.calls["ToggleAutomationActivity"] == 1
    assert "paused" in cli("list").out.splitlines()[1]
    resumed = cli("resume", "churn_retrain")
    assert resumed.code == 0 and resumed.out == "resumed churn_retrain\n"
    assert enabled(mock, churn)


def test_an_unknown_name_changes_nothing(mock: Any, registered: dict[str, str], cli: Cli) -> None:
    done = cli("pause", "churn_retrain", "Churn_Retrain")
    assert done.code == 1
    assert "no automation named 'Churn_Retrain'" in done.err and "(names are case-sensitive)" in done.err
    assert "there are: churn_retrain, nightly_scoring" in done.err and "nothing was changed" in done.err
    assert mock.calls["ToggleAutomationActivity"] == 0 and enabled(mock, registered["churn_retrain"])


def test_the_wheel_mocks_toggle_bug_is_a_clean_error(mock: Any, registered: dict[str, str], cli: Cli) -> None:
    """The unfixed mock assigns a bool to the spec message: INTERNAL, reported, no traceback."""
    mock.fixed = False
    done = cli("pause", "churn_retrain")
    assert done.code == 1
    assert "JFrog ML ToggleAutomationActivity for automation 'churn_retrain' failed (INTERNAL)" in done.err
    assert "Traceback" not in done.err


def test_run_requests_a_run_now(mock: Any, registered: dict[str, str], cli: Cli) -> None:
    done = cli("run", "churn_retrain")
    assert done.code == 0, done.err
    assert f"run requested: churn_retrain (id {registered['churn_retrain']})" in done.out
    assert "follow it with: frogml-airflow executions churn_retrain" in done.out
    assert mock.runs == [registered["churn_retrain"]]
    paused = cli("run", "nightly_scoring")
    assert "(it is paused: its trigger stays off)" in paused.out
    assert mock.runs[-1] == registered["nightly_scoring"]


def test_executions_newest_first_with_secrets_scrubbed_from_platform_text(
    mock: Any, sdk: SimpleNamespace, registered: dict[str, str], cli: Cli
) -> None:
    from frogml.core.automations.automation_executions import ExecutionRunDetails, ExecutionStatus
    from frogml.core.clients.automation_management.client import AutomationsManagementClient

    client = AutomationsManagementClient(grpc_channel=sdk.grpc.insecure_channel(mock.address))
    churn = registered["churn_retrain"]
    first = client.register_execution(churn)
    client.update_execution(
        first,
        ExecutionRunDetails(
            start_time=datetime(2026, 3, 1, 2, 0),
            end_time=datetime(2026, 3, 1, 2, 30),
            status=ExecutionStatus.FAILED,
            error_details=f"POST {WEBHOOK} answered 500",
            finish_cause="notification failed",
        ),
    )
    second = client.register_execution(churn)  # started now: the newest

    done = cli("executions", "churn_retrain")
    assert done.code == 0, done.err
    lines = done.out.splitlines()
    assert lines[0].split() == ["EXECUTION", "STATUS", "STARTED", "ENDED", "DETAILS"]
    assert lines[1].startswith(second) and " running " in lines[1]
    assert lines[2].startswith(first) and " failed " in lines[2]
    assert "notification failed POST <hidden> answered 500" in lines[2]

    rows = json.loads(cli("executions", "churn_retrain", "--json").out)
    assert [row["id"] for row in rows] == [second, first]
    assert rows[1]["error_details"] == "POST <hidden> answered 500"
    assert rows[1]["status"] == "failed" and rows[1]["ended"].startswith("2026-03-01T")

    limited = cli("executions", "churn_retrain", "--limit", "1")
    assert second in limited.out and first not in limited.out
    assert "(1 older execution(s) not shown; --limit 0 shows all)" in limited.out


def test_executions_of_an_automation_that_never_ran(mock: Any, registered: dict[str, str], cli: Cli) -> None:
    done = cli("executions", "nightly_scoring")
    assert done.code == 0 and done.out == "nightly_scoring: no executions yet\n"


def test_the_wheel_mocks_executions_bug_is_a_clean_error(
    mock: Any, sdk: SimpleNamespace, registered: dict[str, str], cli: Cli
) -> None:
    """The unfixed mock answers with dataclasses instead of protos: INTERNAL, reported."""
    from frogml.core.clients.automation_management.client import AutomationsManagementClient

    mock.fixed = False
    AutomationsManagementClient(grpc_channel=sdk.grpc.insecure_channel(mock.address)).register_execution(
        registered["churn_retrain"]
    )
    done = cli("executions", "churn_retrain")
    assert done.code == 1
    assert "JFrog ML ListAutomationExecutions for automation 'churn_retrain' failed (" in done.err
    assert "Traceback" not in done.err


def test_list_reads_a_listing_over_grpcs_default_4_mib(mock: Any, sdk: SimpleNamespace, cli: Cli) -> None:
    """The commands' channel has the client's options (64 MiB replies), as the backend's always had:
    a large account's ListAutomations no longer fails with RESOURCE_EXHAUSTED."""
    for index in range(3):
        spec = sdk.automation.AutomationSpec(
            automation_name=f"big_{index}", model_id="churn", automation_description="x" * 2_000_000
        )
        mock.automations[f"id-{index}"] = sdk.automation.Automation(automation_id=f"id-{index}", automation_spec=spec)
    done = cli("list")
    assert done.code == 0, done.err
    assert [line.split()[0] for line in done.out.splitlines()[1:]] == ["big_0", "big_1", "big_2"]
