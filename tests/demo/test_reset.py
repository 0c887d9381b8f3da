"""Each demo run starts where the first one did: every metric watcher is re-armed (its history's
numbering kept), the DAGs the walkthrough unpauses are paused again; the rest stays as it was."""

from __future__ import annotations

import json

import pytest

from tests.support import store_watcher_state

pytestmark = pytest.mark.usefixtures("airflow_db")

FIRED = {
    "fired": True,
    "fired_at": "2026-12-05T10:00:00+00:00",
    "crossing": "2026-12-05T10:00:00+00:00",
    "sent_at": "2026-12-05T10:00:00+00:00",
    "pending": False,
    "seq": 57,
}


def stored(dag_id: str) -> dict[str, object]:
    from airflow.models.asset import AssetModel
    from airflow.models.asset_state_store import AssetStateStoreModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from frogml_airflow_provider.tasks import metric_asset_name

    with create_session() as session:
        rows = session.execute(
            select(AssetStateStoreModel.key, AssetStateStoreModel.value)
            .join(AssetModel, AssetModel.id == AssetStateStoreModel.asset_id)
            .where(AssetModel.name == metric_asset_name(dag_id))
        )
        return {key: json.loads(value) for key, value in rows}


def test_reset_rearms_the_watchers_and_pauses_the_walkthroughs_dags() -> None:
    from airflow.models import DagModel, Variable
    from airflow.models.dagbundle import DagBundleModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from frogml_airflow_provider.demo.reset import reset

    with create_session() as session:
        if session.get(DagBundleModel, "demo-reset") is None:
            session.add(DagBundleModel(name="demo-reset"))
            session.flush()
        for dag_id in ("reset_on_errors", "reset_other"):
            session.merge(DagModel(dag_id=dag_id, bundle_name="demo-reset", is_paused=False))
    history = [{"seq": 56, "value": 0.6}]
    store_watcher_state("reset_on_errors", {"state": FIRED, "evaluations.1": history, "about": {"dag_id": "x"}})
    Variable.set("frogml_trigger_state__reset_on_errors", json.dumps({"fired": True}))  # the per-run form's
    Variable.set("reset_unrelated", "kept")

    assert reset(["reset_on_errors"]) == (1, 1)
    after = stored("reset_on_errors")
    assert after["state"] == {
        "fired": False,
        "fired_at": None,
        "crossing": None,
        "sent_at": None,
        "pending": False,
        "seq": 57,
    }
    assert after["evaluations.1"] == history and after["about"] == {"dag_id": "x"}
    assert Variable.get("frogml_trigger_state__reset_on_errors", default_var=None) is None
    assert Variable.get("reset_unrelated") == "kept"
    with create_session() as session:
        paused = dict(session.execute(select(DagModel.dag_id, DagModel.is_paused)).all())
    assert paused["reset_on_errors"] is True and paused["reset_other"] is False
    assert reset(["reset_on_errors"]) == (0, 0)  # nothing left to do: a second run changes nothing
