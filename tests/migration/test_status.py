"""``status``: where each automation runs, against a real Airflow API server and the SDK's mock."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support.airflow import CHURN, SCORING, ApiServer
from tests.support.jfrog import build

Cli = Callable[..., SimpleNamespace]
pytestmark = pytest.mark.slow


def rows(done: SimpleNamespace) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in json.loads(done.out)}


def test_status_before_any_registration_says_airflow_and_absent(
    mock: Any, airflow: ApiServer, automations: Path, cli: Cli
) -> None:
    done = cli("status", automations, "--json")
    assert done.code == 0, done.err
    found = rows(done)
    assert found[CHURN]["runs_on"] == "airflow" and found[CHURN]["native"] == "absent"
    assert found[CHURN]["dag_scheduled"] is True
    assert found[SCORING]["runs_on"] == "neither"  # paused on creation (is_enabled=False), not registered
    assert found[SCORING]["dag_scheduled"] is False


def test_status_exits_1_when_an_automation_is_scheduled_on_both_sides(
    mock: Any, airflow: ApiServer, automations: Path, cli: Cli, folder: Callable[..., Path]
) -> None:
    assert cli("register", folder(churn=build(CHURN)), "--yes").code == 0  # active on JFrog ML too
    done = cli("status", automations)
    assert done.code == 1
    assert "scheduled on both" in done.err and CHURN in done.err
    line = next(line for line in done.out.splitlines() if line.startswith(CHURN))
    assert "both" in line and "BOTH" in line


def test_status_names_the_fields_that_drifted_never_their_values(
    mock: Any, airflow: ApiServer, automations: Path, cli: Cli, folder: Callable[..., Path]
) -> None:
    other = folder(churn=build(CHURN, cron="0 9 * * *").replace("SLACK-SECRET-XYZ", "OTHER-SECRET-ABC"))
    assert cli("register", other, "--yes").code == 0
    assert cli("pause", CHURN).code == 0
    done = cli("status", automations, "--json")
    assert done.code == 0, done.err
    churn = rows(done)[CHURN]
    assert churn["native"] == "disabled" and churn["runs_on"] == "airflow"
    assert churn["drift"] == ["trigger", "on_error"]
    assert "OTHER-SECRET-ABC" not in done.out


def test_status_after_a_hand_over_says_jfrog_and_since_when(
    mock: Any, airflow: ApiServer, automations: Path, cli: Cli
) -> None:
    assert cli("migrate", CHURN, "--path", automations, "--yes").code == 0
    churn = rows(cli("status", automations, "--json"))[CHURN]
    assert (churn["runs_on"], churn["owner"], churn["dag"], churn["native"]) == ("jfrog", "jfrog", "paused", "enabled")
    assert churn["since"].endswith("Z") and churn["drift"] == []


def test_status_without_jfrog_ml_set_up_shows_the_airflow_side(
    airflow: ApiServer, automations: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("AIRFLOW_CONN_FROGML_DEFAULT", "JF_URL", "JF_ACCESS_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    done = cli("status", automations, "--json")
    assert done.code == 0, done.err
    assert "JFrog ML is not set up here" in done.err
    churn = rows(done)[CHURN]
    assert (churn["dag"], churn["native"], churn["runs_on"]) == ("active", "unknown", "airflow")


def test_status_says_which_automations_need_approval_before_deploying(
    airflow: ApiServer, automations: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW__FROGML__APPROVAL_REQUIRED", f"automation:{CHURN}, automation:{SCORING}")
    found = rows(cli("status", automations, "--json"))
    assert found[CHURN]["approval"] == [f"automation:{CHURN}"]
    assert found[SCORING]["approval"] == []  # a batch job deploys nothing
    header, *lines = cli("status", automations).out.splitlines()
    assert header.split()[-1] == "APPROVAL"
    assert next(line for line in lines if line.startswith(CHURN)).endswith(f"automation:{CHURN}")
    monkeypatch.setenv("AIRFLOW__FROGML__APPROVAL_REQUIRED", "automation:")
    done = cli("status", automations)
    assert done.code == 2 and "entry 1 'automation:' names no automation" in done.err
