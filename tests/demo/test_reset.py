"""Each demo run starts where the first one did: the metric triggers' state is cleared and the DAGs
the walkthrough unpauses are paused again; other Variables and DAGs stay as they were."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("airflow_db")


def test_reset_clears_trigger_state_and_pauses_the_walkthroughs_dags() -> None:
    from airflow.models import DagModel, Variable
    from airflow.models.dagbundle import DagBundleModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from frogml_airflow_provider.demo.reset import reset
    from frogml_airflow_provider.operators.trigger_metric import state_key

    with create_session() as session:
        if session.get(DagBundleModel, "demo-reset") is None:
            session.add(DagBundleModel(name="demo-reset"))
            session.flush()
        for dag_id in ("reset_on_errors", "reset_other"):
            session.merge(DagModel(dag_id=dag_id, bundle_name="demo-reset", is_paused=False))
    Variable.set(state_key("reset_on_errors"), '{"fired": true, "fired_at": "2026-12-05T10:00:00+00:00"}')
    Variable.set("reset_unrelated", "kept")

    assert reset(["reset_on_errors"]) == (1, 1)
    assert Variable.get(state_key("reset_on_errors"), default_var=None) is None
    assert Variable.get("reset_unrelated") == "kept"
    with create_session() as session:
        paused = dict(session.execute(select(DagModel.dag_id, DagModel.is_paused)).all())
    assert paused["reset_on_errors"] is True and paused["reset_other"] is False
    assert reset(["reset_on_errors"]) == (0, 0)  # nothing left to do: a second run changes nothing
