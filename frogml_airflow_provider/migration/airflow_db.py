"""The Airflow side of ``status`` read from the metadata database, for the console (it runs inside
Airflow's API server, which has the database and no REST credentials of its own)."""

from __future__ import annotations

from frogml_airflow_provider.migration.airflow_api import DagState


class MetadataAirflow:
    url = "this Airflow"

    def dag(self, dag_id: str) -> DagState | None:
        from airflow.models.dag import DagModel
        from airflow.models.dagrun import DagRun
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            model = session.scalar(select(DagModel).where(DagModel.dag_id == dag_id))
            if model is None:
                return None
            last = session.scalar(select(DagRun).where(DagRun.dag_id == dag_id).order_by(DagRun.id.desc()).limit(1))
            return DagState(
                dag_id=dag_id,
                is_paused=bool(model.is_paused),
                scheduled=model.timetable_summary not in (None, "", "None"),
                last_run_state=str(last.state or "") if last is not None else "",
                last_run_at=last.run_after.isoformat() if last is not None and last.run_after else "",
            )
