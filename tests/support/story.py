"""Rows Airflow's database holds for a generated DAG: the DAG with its tags, a run and the asset
events its FrogML tasks emitted; written through Airflow's own models, for the console's tab tests
and the tab benchmark."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def add_dag(dag_id: str, tags: list[str]) -> None:
    """The DAG as the dag-processor records it: a DagModel with its tags."""
    from airflow.models import DagModel
    from airflow.models.dag import DagTag
    from airflow.models.dagbundle import DagBundleModel
    from airflow.utils.session import create_session

    with create_session() as session:
        if session.get(DagBundleModel, "frogml-tests") is None:
            session.add(DagBundleModel(name="frogml-tests"))
            session.flush()
        session.merge(DagModel(dag_id=dag_id, bundle_name="frogml-tests", is_paused=False))
        session.flush()
        for tag in tags:
            session.merge(DagTag(name=tag, dag_id=dag_id))


def add_run(dag_id: str, run_id: str, events: list[tuple[str, dict[str, Any]]]) -> None:
    """A finished DAG run and the asset events its tasks emitted (``operators/_outputs.py``'s extras)."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState
    from sqlalchemy import select

    with create_session() as session:
        if session.scalar(select(DagRun.id).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)) is None:
            session.add(
                DagRun(dag_id, run_id, run_type="manual", state=DagRunState.SUCCESS, run_after=datetime.now(UTC))
            )
        for uri, extra in events:
            asset = session.scalar(select(AssetModel).where(AssetModel.uri == uri))
            if asset is None:
                asset = AssetModel(name=uri, uri=uri, group="frogml")
                session.add(asset)
                session.flush()
            session.add(
                AssetEvent(
                    asset_id=asset.id, extra=extra, source_dag_id=dag_id, source_run_id=run_id, source_task_id="x"
                )
            )
