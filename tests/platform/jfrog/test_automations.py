"""``session.automations``: the calls the commands (and later ``status`` / ``migrate`` / ``pull``)
make, against the SDK's own automation service mock on 127.0.0.1, through a real session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from frogml_airflow_provider.errors import AutomationLookupError, HandoverError, JFrogMLCallError
from frogml_airflow_provider.migration.commands import RegisteredAutomations
from frogml_airflow_provider.platform.jfrog.session import Session, open_session
from tests.support.jfrog import HOOK_URL, TOKEN, WEBHOOK, connection

pytestmark = pytest.mark.sdk


@pytest.fixture
def session(automations_mock: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    port = int(automations_mock.address.rsplit(":", 1)[1])
    monkeypatch.setenv("AIRFLOW_CONN_FROGML_AUTOMATIONS", connection(port, tenant_id="tenant-9"))
    with open_session("frogml_automations", sleep=lambda _: None) as opened:
        yield opened


def spec(sdk: Any, name: str, *, enabled: bool = True, webhook: str = WEBHOOK) -> Any:
    message = sdk.automation.AutomationSpec(automation_name=name, model_id="churn", is_enabled=enabled)
    message.on_error.post_slack_notification.webhook = webhook
    return message


def test_create_list_and_look_up_by_name(session: Session, automations_mock: Any) -> None:
    automations = session.automations
    created = automations.create(spec(session.sdk, "churn_retrain"))
    assert [a.automation_id for a in automations.all()] == [created]
    assert automations.named("churn_retrain").automation_id == created
    (metadata,) = {tuple(sorted(m.items())) for m in automations_mock.metadata}
    assert dict(metadata)["authorization"] == f"Bearer {TOKEN}" and dict(metadata)["x-jfrog-tenant-id"] == "tenant-9"


def test_create_and_update_can_leave_an_automation_paused(session: Session, automations_mock: Any) -> None:
    """What ``migrate`` needs: the definition written, its trigger off until someone turns it on."""
    automations = session.automations
    wanted = spec(session.sdk, "churn_retrain", enabled=True)
    created = automations.create(wanted, enabled=False)
    assert automations_mock.automations[created].automation_spec.is_enabled is False
    assert wanted.is_enabled is True  # the caller's spec is left as it was
    automations.update(created, wanted, enabled=False)
    assert automations_mock.automations[created].automation_spec.is_enabled is False
    automations.toggle(created, "churn_retrain", enabled=True)
    assert automations_mock.automations[created].automation_spec.is_enabled is True


def test_a_missing_or_shared_name_is_an_error_that_says_which(session: Session, automations_mock: Any) -> None:
    automations = session.automations
    automations.create(spec(session.sdk, "twice"))
    automations.create(spec(session.sdk, "twice"))
    automations.create(spec(session.sdk, "once"))
    with pytest.raises(AutomationLookupError, match=r"no automation named 'Once' .*there are: once, twice"):
        automations.named("Once")
    with pytest.raises(AutomationLookupError, match=r"2 automations on JFrog ML at 127\.0\.0\.1:\d+ are named 'twice'"):
        automations.named("twice")
    with pytest.raises(AutomationLookupError, match=r"no automation named 'x'.*; nothing was changed$") as failure:
        automations.all_named(["once", "x", "twice"])
    assert "named 'twice'" in str(failure.value)
    assert [a.automation_spec.automation_name for a in automations.all_named(["once", "once"])] == ["once"]
    assert automations.named("Once", missing_ok=True) is None  # missing is fine then; shared still is not
    with pytest.raises(AutomationLookupError, match="are named 'twice'"):
        automations.named("twice", missing_ok=True)


def test_the_hand_over_sees_a_missing_name_as_none_and_a_shared_one_as_its_error(session: Session) -> None:
    registered = RegisteredAutomations(session.automations)
    session.automations.create(spec(session.sdk, "twice"))
    session.automations.create(spec(session.sdk, "twice"))
    assert registered.find("churn_retrain") is None  # not registered yet: migrate registers it
    with pytest.raises(HandoverError, match=r"2 automations on JFrog ML at .* are named 'twice' \(ids "):
        registered.find("twice")


def test_executions_of_an_automation(session: Session, automations_mock: Any) -> None:
    created = session.automations.create(spec(session.sdk, "churn_retrain"))
    assert session.automations.executions(created, "churn_retrain") == []


def test_the_secrets_of_every_automation_seen_are_scrubbed_from_errors(session: Session, automations_mock: Any) -> None:
    automations = session.automations
    created = automations.create(spec(session.sdk, "churn_retrain", webhook=HOOK_URL))
    automations_mock.fail("UpdateAutomation", 1, code="INVALID_ARGUMENT", details=f"bad url {HOOK_URL} ({TOKEN})")
    with pytest.raises(JFrogMLCallError) as failure:
        automations.update(created, spec(session.sdk, "churn_retrain", webhook=HOOK_URL))
    message = str(failure.value)
    assert "bad url <hidden> (<hidden>)" in message and HOOK_URL not in message and TOKEN not in message
    assert failure.value.rpc == "UpdateAutomation" and failure.value.code == "INVALID_ARGUMENT"
    assert "The platform rejected the request" in message


def test_reads_are_retried_when_unavailable_and_writes_not_after_a_deadline(
    session: Session, automations_mock: Any
) -> None:
    automations_mock.fail("ListAutomations", 1, code="UNAVAILABLE")
    assert session.automations.all() == []
    assert automations_mock.calls["ListAutomations"] == 2
    automations_mock.fail("CreateAutomation", 1, after_write=True)  # landed, then DEADLINE_EXCEEDED
    with pytest.raises(JFrogMLCallError, match=r"\(not retried: it may have been started\)"):
        session.automations.create(spec(session.sdk, "churn_retrain"))
    assert automations_mock.calls["CreateAutomation"] == 1 and len(automations_mock.automations) == 1
