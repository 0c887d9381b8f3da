"""``frogml-airflow register`` against the SDK's own automation service mock: the plan, the
writes, confirmation, and every check that happens before the first write."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from frogml_airflow_provider.dags.loading import load_automations
from frogml_airflow_provider.management.specs import wire_spec
from frogml_airflow_provider.platform.jfrog.session import load_sdk
from tests.support.jfrog import HEADER_LINE, batch, build

Cli = Callable[..., SimpleNamespace]


def stored(mock: Any) -> dict[str, Any]:
    """name -> the AutomationSpec the mock holds."""
    return {a.automation_spec.automation_name: a.automation_spec for a in mock.automations.values()}


def writes(mock: Any) -> int:
    return sum(mock.calls[rpc] for rpc in ("CreateAutomation", "UpdateAutomation", "DeleteAutomation"))


def expected_spec(folder: Path, name: str) -> Any:
    report = load_automations(folder)
    (automation,) = [item.automation for item in report.automations if item.automation.name == name]
    return wire_spec(load_sdk(), automation)


def test_register_creates_then_finds_everything_unchanged_then_updates_what_changed(
    mock: Any, folder: Callable[..., Path], cli: Cli
) -> None:
    path = folder(churn=build("churn_retrain"), scoring=batch("nightly_scoring"))
    first = cli("register", path, "--yes")
    assert first.code == 0, first.err
    assert "  create     churn_retrain    model churn    (churn.py)" in first.out
    assert "  create     nightly_scoring  model scoring  (scoring.py)" in first.out
    assert "plan: 2 to create, 0 to update, 0 unchanged; 0 other automation(s)" in first.out
    assert "created    churn_retrain (id " in first.out
    assert "registered: 2 created, 0 updated, 0 unchanged" in first.out
    specs = stored(mock)
    assert sorted(specs) == ["churn_retrain", "nightly_scoring"]
    for name, spec in specs.items():
        assert spec == expected_spec(path, name)  # what the SDK's to_proto gives, is_sdk_v1 set as its client does
        assert spec.is_sdk_v1

    again = cli("register", path, "--yes")
    assert again.code == 0, again.err
    assert "  unchanged  churn_retrain" in again.out and "  unchanged  nightly_scoring" in again.out
    assert "nothing to register: JFrog ML already has every automation as defined" in again.out
    assert writes(mock) == 2

    ids = {a.automation_spec.automation_name: a.automation_id for a in mock.automations.values()}
    folder(churn=build("churn_retrain", cron="30 3 * * 1"), scoring=batch("nightly_scoring"))
    changed = cli("register", path, "--yes")
    assert changed.code == 0, changed.err
    assert "  update     churn_retrain    model churn    (churn.py)  changes: trigger" in changed.out
    assert f"updated    churn_retrain (id {ids['churn_retrain']})" in changed.out
    assert "registered: 0 created, 1 updated, 1 unchanged" in changed.out
    assert stored(mock)["churn_retrain"].trigger.scheduled_trigger.cron == "30 3 * * 1"
    assert {a.automation_spec.automation_name: a.automation_id for a in mock.automations.values()} == ids


def test_an_automation_registered_by_the_sdk_itself_is_unchanged(
    mock: Any, sdk: SimpleNamespace, folder: Callable[..., Path], cli: Cli
) -> None:
    """Registered with the SDK's own client from the SDK's own classes: the same spec, so nothing to do."""
    from frogml.core.clients.automation_management.client import AutomationsManagementClient

    source = build("churn_retrain")
    namespace: dict[str, Any] = {}
    exec(HEADER_LINE + source, namespace)  # the real SDK's classes: not inside the loader's shim
    client = AutomationsManagementClient(grpc_channel=sdk.grpc.insecure_channel(mock.address))
    client.create_automation(namespace["churn_retrain"].to_proto())

    done = cli("register", folder(churn=source), "--yes")
    assert done.code == 0, done.err
    assert "  unchanged  churn_retrain" in done.out
    assert mock.calls["CreateAutomation"] == 1 and mock.calls["UpdateAutomation"] == 0
    # ...and what register writes reads back through the SDK's client.
    cli("register", folder(churn=build("churn_retrain", cron="0 5 * * *")), "--yes")
    (read,) = client.list_automations()
    assert (read.name, read.model_id, read.trigger.cron, read.is_enabled) == (
        "churn_retrain",
        "churn",
        "0 5 * * *",
        True,
    )


def test_other_automations_on_the_platform_are_counted_and_left_alone(
    mock: Any, folder: Callable[..., Path], cli: Cli
) -> None:
    cli("register", folder(other=build("someone_elses")), "--yes")
    before = mock.state()
    done = cli("register", folder(churn=build("churn_retrain")), "--yes")
    assert done.code == 0, done.err
    assert "1 other automation(s) on the platform left as they are" in done.out
    assert {key: value for key, value in mock.state().items() if key in before} == before


def test_dry_run_prints_the_plan_and_writes_nothing(mock: Any, folder: Callable[..., Path], cli: Cli) -> None:
    done = cli("register", folder(churn=build("churn_retrain")), "--dry-run")
    assert done.code == 0, done.err
    assert "  create     churn_retrain" in done.out and "dry run: nothing written" in done.out
    assert mock.automations == {} and writes(mock) == 0


@pytest.mark.parametrize(
    ("files", "message"),
    [
        pytest.param(
            {"bad": build("churn_retrain").replace('memory="2Gi"', 'memory="2GB"')},
            "deployment_spec.memory = '2GB'",
            id="invalid-field",
        ),
        pytest.param({"crash": "raise RuntimeError('boom')\n"}, "RuntimeError: boom", id="file-raises"),
        pytest.param(
            {"a": build("same_name"), "b": build("same_name", model="other")},
            "automation name 'same_name' is defined also in a.py",
            id="duplicate-names",
        ),
    ],
)
def test_nothing_is_written_nor_asked_when_any_automation_is_invalid(
    mock: Any, folder: Callable[..., Path], cli: Cli, files: dict[str, str], message: str
) -> None:
    done = cli("register", folder(good=build("good_one"), **files), "--yes")
    assert done.code == 1
    assert message in done.err
    assert "nothing registered: a registration is all or nothing" in done.err
    assert sum(mock.calls.values()) == 0  # not even a lookup: checked before contacting JFrog ML


def test_a_name_held_by_two_platform_automations_is_refused(
    mock: Any, sdk: SimpleNamespace, folder: Callable[..., Path], cli: Cli
) -> None:
    for automation_id in ("id-1", "id-2"):
        spec = sdk.automation.AutomationSpec(automation_name="churn_retrain", model_id="churn")
        mock.automations[automation_id] = sdk.automation.Automation(automation_id=automation_id, automation_spec=spec)
    done = cli("register", folder(churn=build("churn_retrain"), fresh=build("fresh_one")), "--yes")
    assert done.code == 1
    assert "2 automations on grpc://" in done.err and "named 'churn_retrain' (ids id-1, id-2)" in done.err
    assert "nothing was written" in done.err
    assert writes(mock) == 0


def test_without_yes_and_without_a_terminal_nothing_is_written(
    mock: Any, folder: Callable[..., Path], cli: Cli
) -> None:
    done = cli("register", folder(churn=build("churn_retrain")), stdin="y\n", tty=False)
    assert done.code == 2
    assert "stdin is not a terminal. Pass --yes" in done.err
    assert "  create     churn_retrain" in done.out  # the plan is still shown
    assert writes(mock) == 0


@pytest.mark.parametrize(("answer", "code", "created"), [("y\n", 0, 1), ("yes\n", 0, 1), ("n\n", 1, 0), ("", 1, 0)])
def test_on_a_terminal_it_asks_once(
    mock: Any, folder: Callable[..., Path], cli: Cli, answer: str, code: int, created: int
) -> None:
    done = cli("register", folder(a=build("one"), b=build("two")), stdin=answer, tty=True)
    assert done.code == code, done.err
    assert done.out.count("apply 2 change(s) to JFrog ML at grpc://") == 1
    assert len(mock.automations) == 2 * created
    if not created:
        assert "nothing registered" in done.out


def test_nothing_to_do_needs_no_confirmation(mock: Any, folder: Callable[..., Path], cli: Cli) -> None:
    path = folder(churn=build("churn_retrain"))
    cli("register", path, "--yes")
    done = cli("register", path, tty=False)  # no --yes, no terminal: fine, there is nothing to write
    assert done.code == 0, done.err
    assert "nothing to register" in done.out


def test_a_missing_path_or_an_empty_folder(mock: Any, tmp_path: Path, cli: Cli) -> None:
    missing = cli("register", tmp_path / "nope", "--yes")
    assert missing.code == 2 and "no such file or folder" in missing.err
    (tmp_path / "empty").mkdir()
    empty = cli("register", tmp_path / "empty", "--yes")
    assert empty.code == 1 and "no automation found" in empty.err
    assert sum(mock.calls.values()) == 0


def test_secrets_are_never_printed_even_when_they_change(mock: Any, folder: Callable[..., Path], cli: Cli) -> None:
    """The ``cli`` fixture fails on any secret in stdout/stderr; the plan names fields only."""
    path = folder(scoring=batch("nightly_scoring"))
    cli("register", path, "--yes")
    folder(scoring=batch("nightly_scoring").replace("HEADER-SECRET-VALUE", "ROTATED-SECRET"))
    done = cli("register", path, "--yes")
    assert done.code == 0, done.err
    assert "changes: on_success" in done.out
    assert "ROTATED-SECRET" not in done.out + done.err
