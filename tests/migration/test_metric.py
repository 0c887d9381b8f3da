"""``migrate`` and ``status`` of a metric-based automation, against a real Airflow API server (its DAG
scheduled on an asset watched by ``FrogMLMetricTrigger``) and the SDK's automation mock.

Handed over: JFrog ML holds the spec the SDK itself would register, the ledger says so, the DAG is
paused and, at its next parse, has no watcher (the watcher's trigger row is gone, so no triggerer
runs it). While JFrog ML runs it, the scheduler's clean-up of unreferenced assets (every
``[scheduler] parsing_cleanup_interval``) must not delete the watcher's state. Handed back: the DAG
is active, watched again, and its watcher finds the state it left.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from frogml_airflow_provider.tasks import metric_asset_name
from frogml_airflow_provider.triggers.metric_state import TriggerState
from tests.support.airflow import ApiServer, dag, start_api_server
from tests.support.jfrog import HEADER_LINE, WEBHOOK

Cli = Callable[..., SimpleNamespace]
pytestmark = pytest.mark.slow

METRIC = "retrain_on_drift"
WATCHER = "frogml_airflow_provider.triggers.metric.FrogMLMetricTrigger"
LOADER = "\n".join(
    [
        "from frogml_airflow_provider.dags.loader import load_dags",
        'globals().update(load_dags(__file__, "automations"))',
        "",
    ]
)
SOURCE = """
{name} = Automation(
    name="{name}",
    model_id="churn",
    trigger=MetricBasedTrigger(
        name="drift",
        metric=SqlMetric(sql_query="SELECT avg(drift) FROM churn"),
        direction=ThresholdDirection.ABOVE,
        threshold="{threshold}",
        override_cron="*/5 * * * *",
    ),
    action=FrogmlBuildDeploy(
        BuildSpecifications(git_uri="https://github.com/acme/models.git#churn", tags=["prod"]),
        BuildMetric("f1_score", ThresholdDirection.ABOVE, "0.7"),
        DeploymentSpecifications(number_of_pods=1, memory="2Gi"),
    ),
    on_error=SlackNotification(webhook="{webhook}"),
)
"""
# What a watcher leaves in its asset's state store: its edge state (a retrain started for a crossing
# the metric is still past) and a chunk of its history.
STATE = TriggerState(
    fired=True, fired_at="2026-12-01T09:05:00+00:00", crossing="2026-12-01T09:05:00+00:00", seq=2
).to_json()
HISTORY = [{"t": 1764579600.0, "d": "quiet", "v": 0.1, "th": 0.3}, {"t": 1764579900.0, "d": "retrain", "v": 0.5}]

# Airflow's own code, run against the server's metadata database.
SEED = """
import json, sys
from airflow.models.asset import AssetModel
from airflow.models.asset_state_store import AssetStateStoreModel
from airflow.utils.session import create_session
from sqlalchemy import select

name, values = sys.argv[1], json.loads(sys.argv[2])
with create_session() as session:
    asset_id = session.scalar(select(AssetModel.id).where(AssetModel.name == name))
    for key, value in values.items():
        session.merge(AssetStateStoreModel(asset_id=asset_id, key=key, value=json.dumps(value)))
"""
# The scheduler's pass over assets no DAG references (every [scheduler] parsing_cleanup_interval):
# it orphans them and deletes their state store rows.
ORPHANAGE = """
from airflow.jobs.scheduler_job_runner import SchedulerJobRunner
SchedulerJobRunner._update_asset_orphanage(SchedulerJobRunner.__new__(SchedulerJobRunner))
"""


def source(threshold: str = "0.3") -> str:
    return SOURCE.format(name=METRIC, threshold=threshold, webhook=WEBHOOK)


@pytest.fixture(scope="module")
def metric_airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    home = tmp_path_factory.mktemp("airflow-metric")
    dags = home / "dags"
    (dags / "automations").mkdir(parents=True)
    (dags / "frogml_automations.py").write_text(LOADER)
    (dags / ".airflowignore").write_text("automations/\n")
    (dags / "automations" / "drift.py").write_text(HEADER_LINE + source())
    server = start_api_server(home, dags)
    yield server
    server.stop()


@pytest.fixture
def automations(metric_airflow: ApiServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The automations folder of ``metric_airflow``: no ledger, the DAG active and watched."""
    folder = Path(metric_airflow.env["AIRFLOW__CORE__DAGS_FOLDER"]) / "automations"
    monkeypatch.setenv("FROGML_AIRFLOW_URL", metric_airflow.url)
    monkeypatch.setenv("FROGML_AIRFLOW_USERNAME", "admin")
    monkeypatch.setenv("FROGML_AIRFLOW_PASSWORD", metric_airflow.password)
    metric_airflow.api("PATCH", f"/dags/{METRIC}", {"is_paused": False})
    metric_airflow.reserialize()
    yield folder
    (folder / "frogml-ledger.json").unlink(missing_ok=True)
    metric_airflow.api("PATCH", f"/dags/{METRIC}", {"is_paused": False})


def rows(airflow: ApiServer, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{airflow.home / 'airflow.db'}?mode=ro", uri=True) as db:
        return list(db.execute(sql, args))


def watchers(airflow: ApiServer) -> list[str]:
    """The trigger class paths watching the metric asset: what a triggerer would run."""
    sql = (
        "SELECT t.classpath FROM trigger t JOIN asset_watcher x ON x.trigger_id = t.id "
        "JOIN asset a ON a.id = x.asset_id WHERE a.name = ?"
    )
    return [row[0] for row in rows(airflow, sql, metric_asset_name(METRIC))]


def state(airflow: ApiServer) -> dict[str, Any]:
    sql = "SELECT s.key, s.value FROM asset_state_store s JOIN asset a ON a.id = s.asset_id WHERE a.name = ?"
    return {key: json.loads(value) for key, value in rows(airflow, sql, metric_asset_name(METRIC))}


def run_airflow_code(airflow: ApiServer, code: str, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=airflow.env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]


def native(mock: Any) -> Any:
    found = [a for a in mock.automations.values() if a.automation_spec.automation_name == METRIC]
    assert len(found) <= 1
    return found[0] if found else None


def sdk_spec(text: str) -> Any:
    """The AutomationSpec the SDK's own ``frogml automations register`` sends for ``text``."""
    namespace: dict[str, Any] = {}
    exec(HEADER_LINE + text, namespace)  # the real SDK's classes: not inside the loader's shim
    spec = namespace[METRIC].to_proto().automation_spec
    spec.is_sdk_v1 = True  # as the SDK's client sets it on every write
    return spec


def ledger(folder: Path) -> dict[str, Any]:
    path = folder / "frogml-ledger.json"
    return json.loads(path.read_text())["automations"] if path.exists() else {}


def status_row(cli: Cli, folder: Path) -> dict[str, Any]:
    done = cli("status", folder, "--json")
    assert done.code == 0, done.err
    return next(row for row in json.loads(done.out) if row["name"] == METRIC)


def test_a_metric_automation_is_handed_over_unwatched_and_back_watched_with_its_state(
    mock: Any, metric_airflow: ApiServer, automations: Path, cli: Cli
) -> None:
    airflow = metric_airflow
    assert watchers(airflow) == [WATCHER]
    assert dag(airflow, METRIC)["timetable_summary"] == "Asset"
    run_airflow_code(airflow, SEED, metric_asset_name(METRIC), json.dumps({"state": STATE, "evaluations.0": HISTORY}))
    kept = state(airflow)
    before = status_row(cli, automations)
    assert (before["runs_on"], before["dag"], before["native"], before["dag_scheduled"]) == (
        "airflow",
        "active",
        "absent",
        True,
    )

    done = cli("migrate", METRIC, "--path", automations, "--yes")
    assert done.code == 0, done.err
    checked = f"(checked: DAG {METRIC} paused, {METRIC} enabled on JFrog ML, ledger: jfrog)"
    assert f"moved  {METRIC} to JFrog ML {checked}" in done.out, done.out
    registered = native(mock).automation_spec
    assert registered == sdk_spec(source())
    assert registered.trigger.metric_based_trigger.override_cron == "*/5 * * * *"
    assert set(ledger(automations)) == {METRIC} and ledger(automations)[METRIC]["runs_on"] == "jfrog"

    airflow.reserialize()  # the DAG's next parse: kept, with its history, but neither scheduled nor watched
    assert watchers(airflow) == []
    handed = dag(airflow, METRIC)
    assert handed["is_paused"] is True and handed["timetable_summary"] is None
    over = status_row(cli, automations)
    assert (over["runs_on"], over["dag"], over["native"], over["dag_scheduled"], over["drift"]) == (
        "jfrog",
        "paused",
        "enabled",
        False,
        [],
    )
    run_airflow_code(airflow, ORPHANAGE)  # a scheduler's clean-up while JFrog ML runs it
    assert state(airflow) == kept

    back = cli("migrate", METRIC, "--path", automations, "--yes", "--back")
    assert back.code == 0, back.err
    checked = f"(checked: DAG {METRIC} active, {METRIC} disabled on JFrog ML, ledger: airflow)"
    assert f"moved  {METRIC} to Airflow {checked}" in back.out, back.out
    assert native(mock).automation_spec.is_enabled is False
    assert ledger(automations) == {}
    airflow.reserialize()
    assert watchers(airflow) == [WATCHER]
    assert dag(airflow, METRIC)["is_paused"] is False
    assert state(airflow) == kept  # the watcher resumes from the edge state and history it left
    after = status_row(cli, automations)
    assert (after["runs_on"], after["dag"], after["native"], after["dag_scheduled"]) == (
        "airflow",
        "active",
        "disabled",
        True,
    )


def test_status_names_a_changed_threshold_as_trigger_drift(
    mock: Any, metric_airflow: ApiServer, automations: Path, cli: Cli, folder: Callable[..., Path]
) -> None:
    assert cli("register", folder(drift=source(threshold="0.4")), "--yes").code == 0
    assert cli("pause", METRIC).code == 0
    row = status_row(cli, automations)
    assert (row["runs_on"], row["native"], row["drift"]) == ("airflow", "disabled", ["trigger"])
    assert cli("register", folder(drift=source()), "--yes").code == 0  # the folder's spec: no drift, both on
    done = cli("status", automations)
    assert done.code == 1 and "scheduled on both" in done.err and METRIC in done.err
