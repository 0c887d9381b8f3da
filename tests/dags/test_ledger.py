"""The hand-over ledger: read and written atomically, read by the catalog at parse time (no network),
and a broken one stops scheduling rather than risk running an automation on both sides."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from frogml_airflow_provider.dags.catalog import catalog
from frogml_airflow_provider.dags.ledger import LEDGER_NAME, read_ledger, write_ledger
from frogml_airflow_provider.errors import LedgerError

AUTOMATION = """
from frogml.core.automations import *

{name} = Automation(
    name="{name}",
    model_id="churn",
    trigger=ScheduledTrigger(cron="0 2 * * *"),
    action=FrogmlBuildDeploy(
        BuildSpecifications(git_uri="https://github.com/acme/models.git"),
        BuildMetric("f1_score", ThresholdDirection.ABOVE, "0.7"),
        DeploymentSpecifications(),
    ),
)
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in ("churn", "fraud"):
        (tmp_path / f"{name}.py").write_text(AUTOMATION.format(name=name))
    return tmp_path


def test_no_ledger_means_everything_runs_on_airflow(folder: Path) -> None:
    ledger = read_ledger(folder)
    assert ledger.handovers == {} and ledger.runs_on("churn") == "airflow"


def test_a_hand_over_round_trips_sorted_and_reviewable(folder: Path) -> None:
    when = datetime(2026, 12, 3, 9, 30, 15, 123, tzinfo=UTC)
    ledger = read_ledger(folder).with_handover("fraud", by="me", now=when).with_handover("churn", now=when)
    write_ledger(ledger)
    text = (folder / LEDGER_NAME).read_text()
    assert list(json.loads(text)["automations"]) == ["churn", "fraud"]
    assert json.loads(text)["automations"]["fraud"] == {"runs_on": "jfrog", "since": "2026-12-03T09:30:15Z", "by": "me"}
    again = read_ledger(folder)
    assert again.runs_on("churn") == "jfrog" and again.handovers["fraud"].since == "2026-12-03T09:30:15Z"
    write_ledger(again.without("churn").without("fraud"))
    assert read_ledger(folder).handovers == {}
    assert not list(folder.glob(f".{LEDGER_NAME}.*"))  # no temporary file left behind


@pytest.mark.parametrize(
    "text, says",
    [
        ("{not json", "is not valid JSON"),
        ('{"version": 1}', "has no 'automations' object"),
        ('{"automations": {"churn": {"runs_on": "mars"}}}', "entry 'churn' must be"),
    ],
)
def test_a_broken_ledger_names_the_file_and_the_fix(folder: Path, text: str, says: str) -> None:
    (folder / LEDGER_NAME).write_text(text)
    with pytest.raises(LedgerError) as raised:
        read_ledger(folder)
    assert str(folder / LEDGER_NAME) in str(raised.value) and says in str(raised.value)
    assert "delete it" in str(raised.value)


def test_the_catalog_keeps_a_handed_over_dag_unscheduled_paused_and_says_where_it_runs(folder: Path) -> None:
    write_ledger(read_ledger(folder).with_handover("churn", now=datetime(2026, 12, 1, tzinfo=UTC)))
    plans = {plan.dag_id: plan for _, plan in catalog(folder).plans}
    churn, fraud = plans["churn"], plans["fraud"]
    assert churn.schedule.cron is None and not churn.schedule.once and churn.is_paused_upon_creation
    assert "Runs on JFrog ML since 2026-12-01T00:00:00Z" in churn.doc_md
    assert [t.task_id for t in churn.tasks] == [t.task_id for t in fraud.tasks]  # the DAG and its history stay
    assert fraud.schedule.cron == "0 2 * * *" and not fraud.is_paused_upon_creation


def test_an_unreadable_ledger_is_an_error_and_schedules_nothing(folder: Path) -> None:
    (folder / LEDGER_NAME).write_text("{oops")
    found = catalog(folder)
    assert [error.file for error in found.errors] == [LEDGER_NAME]
    assert "until then no automation is scheduled here" in str(found.errors[0])
    assert {plan.dag_id for _, plan in found.plans} == {"churn", "fraud"}
    assert all(plan.schedule.cron is None and plan.is_paused_upon_creation for _, plan in found.plans)
