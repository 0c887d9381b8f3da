"""Metric triggers as events in a real Airflow: API server, scheduler, dag-processor and triggerer as
their own processes (SQLite, LocalExecutor), a model served by the local platform, real traffic.

One test walks the story, because every step waits for the cron's next minute:
- evaluations make no DAG run; the metric crosses once: exactly one run, whose build starts within
  90 s of the crossing and carries the evaluation;
- the triggerer is restarted mid-crossing: no second run, the watcher carries on from its state;
- a failing query and a slow one (past ``query_timeout``) are recorded as errors, make no run, and
  never stop the other watchers;
- pausing the DAG removes its watcher, unpausing brings it back; a hand-over to JFrog ML (the ledger)
  stops the watching, handing it back resumes it with its state.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import pytest

from frogml_airflow_provider.cli import main as cli
from frogml_airflow_provider.demo.traffic import send_traffic
from frogml_airflow_provider.platform.base import BuildRequest
from frogml_airflow_provider.platform.local.platform import LocalPlatform
from frogml_airflow_provider.tasks import metric_asset_name
from tests.support import spec, wait_build, wait_serving
from tests.support.cluster import wait_for
from tests.support.local_airflow import LocalAirflow

pytestmark = pytest.mark.slow

ERRORS = (
    "SELECT COALESCE(AVG(CASE WHEN error IS NULL THEN 0.0 ELSE 1.0 END), 0) "
    "FROM (SELECT error FROM tiny_model ORDER BY ts DESC LIMIT 10)"
)
FOREVER = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
AUTOMATION = """
from frogml.core.automations import *

automation = Automation(
    name="{name}",
    model_id="tiny-model",
    trigger=MetricBasedTrigger(name="{trigger}", metric=SqlMetric(sql_query="{sql}"),
                               direction=ThresholdDirection.ABOVE, threshold="0.3", override_cron="* * * * *"),
    action=FrogmlBuildDeploy(
        BuildSpecifications(git_uri="{repo}", env_vars=["METRIC_F1_SCORE=0.9"]),
        BuildMetric("f1_score", ThresholdDirection.ABOVE, "0.5"),
        DeploymentSpecifications(variation_name="default"),
    ),
)
"""
WATCHER = "frogml_airflow_provider.triggers.metric.FrogMLMetricTrigger"


def decisions(airflow: LocalAirflow, dag_id: str) -> list[dict]:
    stored = airflow.asset_state(metric_asset_name(dag_id))
    chunks = sorted((int(k.split(".")[1]), v) for k, v in stored.items() if k.startswith("evaluations."))
    return [entry for _, chunk in chunks for entry in chunk]


@pytest.fixture
def airflow(tmp_path: Path, make_repo):
    home, repo = tmp_path / "airflow", make_repo()
    dags = home / "dags"
    state = home / "frogml-local"
    platform = LocalPlatform(state)
    instance = LocalAirflow(
        home,
        dags,
        {
            "AIRFLOW__FROGML__QUERY_TIMEOUT": "3",
            "AIRFLOW__FROGML__POLL_INTERVAL": "1",
            # The default: a deferred task resumed within seconds races the scheduler's handling of its
            # deferral, and Airflow 3.3 then fails it as "changed externally" (triggers/base.py).
            "AIRFLOW__FROGML__TRIGGER_INITIAL_DELAY": "10",
            "AIRFLOW__FROGML__METRIC_TRIGGER_COOLDOWN": "3600",
        },
    )
    try:
        first = wait_build(
            platform,
            platform.submit_build(BuildRequest("tiny-model", spec(repo, env_vars=["METRIC_F1_SCORE=0.9"]), "first")),
        )
        platform.deploy("tiny-model", first.build_id, {})
        endpoint = wait_serving(platform, "tiny-model").endpoint
        send_traffic(endpoint, {"x": 1.0}, requests=10)  # healthy: error rate 0
        assert cli(["init", str(dags)]) == 0
        for name, trigger, sql in (
            ("retrain_on_errors", "error_rate", ERRORS),
            ("broken_metric", "missing_table", "SELECT count(*) FROM no_such_table"),
            ("slow_metric", "endless", FOREVER),
        ):
            source = AUTOMATION.format(name=name, trigger=trigger, sql=sql, repo=repo)
            (dags / "automations" / f"{name}.py").write_text(source)
        instance.airflow("db", "migrate")
        instance.start()
        yield instance, platform, endpoint, dags / "automations"
    finally:
        instance.stop()
        platform.shutdown()


def test_a_crossing_starts_exactly_one_run_and_nothing_else_does(airflow) -> None:
    instance, platform, endpoint, automations = airflow
    log = instance.log("triggerer")

    # Watching: evaluations on every minute, no DAG run.
    wait_for("a first evaluation of the error rate", lambda: decisions(instance, "retrain_on_errors"), 240, log)
    assert decisions(instance, "retrain_on_errors")[0]["d"] == "quiet"
    assert instance.dag_runs("retrain_on_errors") == []

    # The metric crosses: one run, built within 90 s of the crossing.
    send_traffic(endpoint, {"x": 1.0}, requests=10, bad=1.0)
    (run_id, _, run_type) = wait_for("a DAG run", lambda: instance.dag_runs("retrain_on_errors"), 150, log)[0]
    assert run_type == "asset_triggered"
    wait_for(
        "the run to succeed",
        lambda: instance.dag_runs("retrain_on_errors")[0][1] in ("success", "failed"),
        240,
        instance.log("scheduler"),
    )
    assert instance.dag_runs("retrain_on_errors")[0][1] == "success"
    state = instance.asset_state(metric_asset_name("retrain_on_errors"))
    crossing = datetime.fromisoformat(state["state"]["crossing"])
    assert state["taken"]["crossing"] == state["state"]["crossing"] and state["taken"]["run_id"] == run_id
    ((build_started,),) = instance.rows(
        "SELECT start_date FROM task_instance WHERE dag_id = 'retrain_on_errors' AND task_id = 'build'"
    )
    started = datetime.fromisoformat(build_started.replace(" ", "T"))
    assert (started.replace(tzinfo=crossing.tzinfo) - crossing).total_seconds() <= 90
    ((evaluation,),) = instance.rows(
        "SELECT value FROM xcom WHERE dag_id = 'retrain_on_errors' AND task_id = 'build' AND key = 'evaluation'"
    )
    carried = json.loads(evaluation)
    assert (carried["trigger"], carried["value"], carried["threshold"]) == ("error_rate", 1.0, 0.3)
    assert len(platform.store.builds("tiny-model")) == 2  # the first deploy, and this retrain

    # The triggerer restarts mid-crossing: the watcher resumes from its state, no second run.
    seen = len(decisions(instance, "retrain_on_errors"))
    instance.restart("triggerer")

    def evaluated_after_restart() -> list[dict]:
        # (on a loaded machine a query may pass query_timeout: an error entry, which decides nothing)
        return [e for e in decisions(instance, "retrain_on_errors")[seen:] if e["d"] != "error"]

    after = wait_for("an evaluation after the restart", evaluated_after_restart, 300, log)
    assert after[0]["d"] == "held", decisions(instance, "retrain_on_errors")
    assert len(instance.dag_runs("retrain_on_errors")) == 1

    # Failing and slow queries: errors in the history, no run, and the other watcher went on meanwhile.
    broken, slow = decisions(instance, "broken_metric"), decisions(instance, "slow_metric")
    assert broken and all(e["d"] == "error" and "no such table: no_such_table" in e["e"] for e in broken)
    assert slow and all(e["d"] == "error" and "did not finish within 3 s" in e["e"] for e in slow)
    assert instance.dag_runs("broken_metric") == instance.dag_runs("slow_metric") == []

    # Pausing stops the watching (at the DAG's next parse); unpausing brings it back.
    asset = metric_asset_name("retrain_on_errors")
    assert instance.watchers_of(asset) == [WATCHER]
    instance.airflow("dags", "pause", "retrain_on_errors")
    wait_for("the watcher to go with the pause", lambda: instance.watchers_of(asset) == [], 120)
    instance.airflow("dags", "unpause", "retrain_on_errors")
    wait_for("the watcher to come back", lambda: instance.watchers_of(asset) == [WATCHER], 120)

    # Handed over to JFrog ML (the ledger migrate writes): no watching here; handed back: watched again,
    # with the state it had (still crossed since the retrain: nothing new is sent).
    ledger = automations / "frogml-ledger.json"
    entry = {"runs_on": "jfrog", "since": "2026-12-01T00:00:00Z"}
    ledger.write_text(json.dumps({"version": 1, "automations": {"retrain_on_errors": entry}}))
    wait_for("the watcher to stop after the hand-over", lambda: instance.watchers_of(asset) == [], 120)
    ledger.unlink()
    instance.airflow("dags", "unpause", "retrain_on_errors")
    wait_for("the watcher after the hand-back", lambda: instance.watchers_of(asset) == [WATCHER], 120)
    time.sleep(1)
    assert instance.asset_state(asset)["state"]["fired_at"] == state["state"]["fired_at"]
    assert len(instance.dag_runs("retrain_on_errors")) == 1
