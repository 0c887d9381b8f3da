"""The first task of a run a metric crossing started: it takes the crossing once, carries the
evaluation into the run, and keys the build by the crossing, so a second delivery builds nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import pytest
from airflow.sdk import Asset

from frogml_airflow_provider.operators._base import run_key
from frogml_airflow_provider.operators._crossing import FrogMLCrossingTaken, take_crossing, watched_asset
from frogml_airflow_provider.platform.base import BuildRequest
from frogml_airflow_provider.tasks import EVALUATION, metric_asset_name, metric_asset_uri
from frogml_airflow_provider.triggers.metric_history import TAKEN_KEY
from tests.support import TaskInstanceXCom, spec

ASSET = Asset(name=metric_asset_name("retrain"), uri=metric_asset_uri("retrain"))
LOG = logging.getLogger("test")


def crossing(at: str = "2026-12-01T09:01:00+00:00", **changes: Any) -> dict[str, Any]:
    return {
        "dag_id": "retrain",
        "automation": "retrain",
        "model_id": "tiny-model",
        "trigger": "error_rate",
        "crossing": at,
        "value": 0.5,
        "threshold": 0.3,
        "direction": "ABOVE",
        "evaluated_at": at,
        "reason": "crossed: retrain",
        "resent": False,
        **changes,
    }


@dataclass
class Event:  # what Airflow hands a run for each triggering asset event: its extra
    extra: dict[str, Any]


@dataclass
class Store:  # the asset state store's accessor, as a task sees it
    values: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set(self, key: str, value: Any) -> None:
        self.values[key] = value


def context(ti: TaskInstanceXCom, store: Store, *payloads: dict[str, Any]) -> dict[str, Any]:
    events = [Event({"from_trigger": True, "payload": p}) for p in payloads]
    return {"ti": ti, "triggering_asset_events": {ASSET: events} if events else {}, "asset_state_store": {ASSET: store}}


def test_the_watched_asset_is_found_among_the_inlets() -> None:
    assert watched_asset([Asset("s3://bucket/x"), ASSET]) == ASSET
    assert watched_asset([Asset("s3://bucket/x")]) is None and watched_asset([]) is None


def test_the_crossing_is_taken_and_its_evaluation_carried_into_the_run() -> None:
    ti, store = TaskInstanceXCom("build", run_id="asset_triggered__1"), Store()
    taken = take_crossing(context(ti, store, crossing()), [ASSET], LOG)
    assert taken == crossing()
    assert ti.xcom[("build", EVALUATION)] == crossing()
    assert store.values[TAKEN_KEY]["crossing"] == "2026-12-01T09:01:00+00:00"
    assert store.values[TAKEN_KEY]["run_id"] == "asset_triggered__1"


def test_events_merged_into_one_run_retrain_once_for_the_newest() -> None:
    ti, store = TaskInstanceXCom("build", run_id="r2"), Store()
    newest = crossing("2026-12-01T10:00:00+00:00")
    assert take_crossing(context(ti, store, crossing(), newest, {"no": "crossing"}), [ASSET], LOG) == newest


def test_a_second_delivery_of_a_taken_crossing_skips_its_run() -> None:
    store = Store({TAKEN_KEY: {"crossing": crossing()["crossing"], "run_id": "r1"}})
    with pytest.raises(FrogMLCrossingTaken, match="already taken by DAG run 'r1'"):
        take_crossing(context(TaskInstanceXCom("build", run_id="r2"), store, crossing(resent=True)), [ASSET], LOG)
    # A retry of the run that took it goes on.
    assert take_crossing(context(TaskInstanceXCom("build", run_id="r1"), store, crossing()), [ASSET], LOG)


def test_a_manual_run_has_no_crossing_and_retrains_now() -> None:
    ti = TaskInstanceXCom("build", run_id="manual__1")
    assert take_crossing(context(ti, Store()), [ASSET], LOG) is None
    assert ti.xcom == {}
    assert take_crossing({"ti": ti}, [], LOG) is None  # a DAG that is not metric-based


def test_one_build_per_crossing_whatever_run_delivers_it(local_conn, make_repo) -> None:
    """Two runs of one crossing (a retried event, two schedulers) find the same build."""
    first, second = TaskInstanceXCom("build", run_id="r1"), TaskInstanceXCom("build", run_id="r2")
    key = run_key({"ti": first}, crossing())  # type: ignore[arg-type]
    assert key == run_key({"ti": second}, crossing()) != run_key({"ti": first})  # type: ignore[arg-type]
    build = local_conn.submit_build(BuildRequest("tiny-model", spec(make_repo()), key))
    assert local_conn.find_build("tiny-model", run_key({"ti": second}, crossing())).build_id == build.build_id  # type: ignore[arg-type]


class DownStore(Store):
    def get(self, key: str, default: Any = None) -> Any:
        raise ConnectionError("the API server is restarting")

    def set(self, key: str, value: Any) -> None:
        raise ConnectionError("the API server is restarting")


def test_a_state_store_that_does_not_answer_does_not_stop_the_retrain(caplog: pytest.LogCaptureFixture) -> None:
    """The build is keyed by the crossing, so going on costs at most a re-attached build, never a second one."""
    ti = TaskInstanceXCom("build", run_id="r1")
    with caplog.at_level(logging.WARNING, logger="test"):
        assert take_crossing(context(ti, DownStore(), crossing()), [ASSET], LOG) == crossing()
    assert ti.xcom[("build", EVALUATION)] == crossing()
    assert "Could not read the watcher's state" in caplog.text
