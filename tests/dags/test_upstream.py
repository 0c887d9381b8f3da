"""``[frogml] upstream_assets``: an automation's DAG also runs after upstream assets, on top of its own
schedule, said on the Airflow side (the automation files and their export are untouched); a bad value
is an import error naming the option, how to write it, and the automation."""

from __future__ import annotations

import json

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk import Asset
from airflow.serialization.serialized_objects import DagSerialization

from tests.support import EXAMPLES

UPSTREAM = {
    "retrain_my_model": ["s3://features/daily"],  # cron
    "retrain_on_error_rate": "frogml://models/feature-builder/default",  # metric crossing
    "nightly_batch": ["frogml://models/iris-classifier/default", "file:///data/extra"],
}


def serialized_schedule(bag: DagBag, dag_id: str) -> dict:
    return DagSerialization.to_dict(bag.dags[dag_id])["dag"]["timetable"]


def uris(condition: dict) -> list[str]:
    return [item["uri"] for item in condition["objects"]]


@pytest.fixture
def bag(monkeypatch: pytest.MonkeyPatch) -> DagBag:
    monkeypatch.setenv("AIRFLOW__FROGML__UPSTREAM_ASSETS", json.dumps(UPSTREAM))
    return DagBag(dag_folder=str(EXAMPLES))


def test_each_schedule_becomes_that_or_an_upstream_event(bag: DagBag) -> None:
    assert bag.import_errors == {}
    cron = serialized_schedule(bag, "retrain_my_model")
    assert cron["__type"] == "airflow.timetables.assets.AssetOrTimeSchedule"
    assert cron["__var"]["timetable"]["__var"]["expression"] == "0 0 * * 0"
    assert uris(cron["__var"]["asset_condition"]) == ["s3://features/daily"]
    metric = bag.dags["retrain_on_error_rate"].timetable.asset_condition
    watched, upstream = metric.objects
    assert watched.uri == "frogml-metric://retrain_on_error_rate/" and watched.watchers
    assert upstream == Asset(uri="frogml://models/feature-builder/default", group="frogml")
    assert bag.dags["retrain_on_error_rate"].get_task("build").inlets == [watched]  # crossings as before
    batch = serialized_schedule(bag, "nightly_batch")["__var"]["asset_condition"]
    assert uris(batch) == ["frogml://models/iris-classifier/default", "file:///data/extra"]
    assert "Also runs after each event of `s3://features/daily`" in bag.dags["retrain_my_model"].doc_md
    # Not listed: unchanged.
    assert type(bag.dags["retrain_iris_classifier"].timetable).__name__ == "FrogMLCronTimetable"


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("{not json", "is not valid JSON"),
        ('["s3://x"]', "must be a JSON object"),
        ('{"retrain_my_model": ["features-daily"]}', "automation 'retrain_my_model' must list asset URIs"),
        ('{"retrain_my_model": ["frogml://models/only-one-part"]}', "is not a FrogML asset URI"),
    ],
)
def test_a_bad_value_is_an_import_error_saying_how_to_write_it(
    monkeypatch: pytest.MonkeyPatch, value: str, said: str
) -> None:
    monkeypatch.setenv("AIRFLOW__FROGML__UPSTREAM_ASSETS", value)
    bag = DagBag(dag_folder=str(EXAMPLES))
    errors = "\n".join(bag.import_errors.values())
    assert said in errors and "retrain_my_model" in errors
    assert "Traceback" not in errors
    assert "smoke_test_iris_classifier" in bag.dags  # a plain DAG file is not affected
