"""What the DAG and run tabs show, read (never run): Airflow's metadata database for the DAG, its run
and the asset events the run's FrogML tasks emitted (``operators/_outputs.py``), the local platform
for builds, gate decisions, deployments, batch jobs and notification outcomes, the asset state store
for the metric watcher's evaluations. No automation file is imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from frogml_airflow_provider.console.known import FROGML_TAG
from frogml_airflow_provider.platform.base import Build, Decision, ShowsHistory


@dataclass(frozen=True)
class DagFacts:
    dag_id: str
    generated: bool  # tagged ``frogml`` by the loader
    model_id: str  # the loader's other tag ("" when the DAG is not generated)
    automation: str  # from the loader's record, else the DAG id
    file: str  # the automation file, relative to the automations folder ("" unknown)


@dataclass(frozen=True)
class RunFacts:
    run_id: str
    state: str
    run_after: str
    events: list[tuple[str, dict[str, Any]]]  # (asset URI, extra) of the run's asset events, oldest first


def dag_facts(dag_id: str) -> DagFacts | None:
    """The DAG as Airflow knows it, or None if Airflow has no such DAG."""
    from airflow.models.dag import DagModel, DagTag
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from frogml_airflow_provider.console.status import SNAPSHOT

    with create_session() as session:
        if session.scalar(select(DagModel.dag_id).where(DagModel.dag_id == dag_id)) is None:
            return None
        tags = sorted(session.scalars(select(DagTag.name).where(DagTag.dag_id == dag_id)))
    generated = FROGML_TAG in tags
    others = [tag for tag in tags if tag != FROGML_TAG]
    record = SNAPSHOT.get().records.records.get(dag_id) if generated else None
    return DagFacts(
        dag_id=dag_id,
        generated=generated,
        model_id=others[0] if generated and others else "",
        automation=record.name if record else dag_id,
        file=record.file if record else "",
    )


def run_facts(dag_id: str, run_id: str) -> RunFacts | None:
    """The DAG run and the asset events its tasks emitted, or None if Airflow has no such run."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        run = session.execute(
            select(DagRun.state, DagRun.run_after).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)
        ).first()
        if run is None:
            return None
        events = [
            (str(uri), extra if isinstance(extra, dict) else {})
            for uri, extra in session.execute(
                select(AssetModel.uri, AssetEvent.extra)
                .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
                .where(AssetEvent.source_dag_id == dag_id, AssetEvent.source_run_id == run_id)
                .order_by(AssetEvent.timestamp)
            )
        ]
    state, run_after = run
    return RunFacts(run_id, str(state or ""), _iso(run_after), events)


def _iso(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC") if at else ""


def builds_of_dag(platform: ShowsHistory, facts: DagFacts) -> list[Build]:
    """The builds this DAG's runs made (their run key starts with the DAG id), oldest first."""
    prefix = f"{facts.dag_id}/"
    return [b for b in platform.builds(facts.model_id) if b.run_key.startswith(prefix)]


def builds_of_run(platform: ShowsHistory, facts: DagFacts, run: RunFacts) -> list[Build]:
    """The run's builds: by run key (a failed build emits no event), and those its asset events name
    (a run a metric crossing started keys its build by the crossing)."""
    named = {str(extra.get("build_id")) for _, extra in run.events if extra.get("build_id")}
    prefix = f"{facts.dag_id}/{run.run_id}/"
    return [b for b in platform.builds(facts.model_id) if b.run_key.startswith(prefix) or b.build_id in named]


def by_subject(decisions: list[Decision]) -> dict[str, Decision]:
    """The latest decision per subject (a build's gate decision; a retry decides again)."""
    return {d.subject: d for d in decisions}


def notification_subject(dag_id: str, run_id: str) -> str:
    return f"{dag_id}/{run_id}"
