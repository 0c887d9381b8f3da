"""Put the demo's metric triggers back where a first run starts, so each run tells the same story.

    python -m frogml_airflow_provider.demo.reset DAG_ID...

A metric trigger's watcher remembers that it sent a crossing (its ``state`` in the asset state
store of its asset: triggers/metric.py) and stays quiet while the metric stays crossed, until its
cool-down (24 h) passes; the walkthrough also unpauses its DAG. Left as they are, a second demo run
would not retrain at step 4 (the state says it already did), or would retrain at start-up on the
first run's traffic (the DAG is still unpaused). This re-arms every watcher (keeping the count
that numbers its history, so the console's chart keeps the earlier evaluations) and pauses the
given DAGs again; runs, builds and analytics stay. Needs a migrated metadata database, and runs
before the triggerer starts (a running watcher holds its state in memory).
"""

from __future__ import annotations

import json
import sys


def reset(pause: list[str]) -> tuple[int, int]:
    """(watchers re-armed, DAGs paused again)."""
    from airflow.models import DagModel, Variable
    from airflow.models.asset import AssetModel
    from airflow.models.asset_state_store import AssetStateStoreModel
    from airflow.utils.session import create_session
    from sqlalchemy import delete, select, update

    from frogml_airflow_provider.tasks import METRIC_ASSET_SCHEME
    from frogml_airflow_provider.triggers.metric import LEGACY_VARIABLE
    from frogml_airflow_provider.triggers.metric_history import STATE_KEY
    from frogml_airflow_provider.triggers.metric_state import TriggerState

    rearmed = 0
    with create_session() as session:
        states = session.scalars(
            select(AssetStateStoreModel)
            .join(AssetModel, AssetModel.id == AssetStateStoreModel.asset_id)
            .where(AssetModel.name.startswith(f"{METRIC_ASSET_SCHEME}/"), AssetStateStoreModel.key == STATE_KEY)
        )
        for row in states:
            try:
                stored = TriggerState.from_json(json.loads(row.value))
            except ValueError:
                stored = TriggerState()
            armed = TriggerState(seq=stored.seq)
            if stored != armed:
                row.value = json.dumps(armed.to_json())
                rearmed += 1
        # The per-run form's state, which a watcher would carry over when it has none of its own.
        session.execute(delete(Variable).where(Variable.key.startswith(LEGACY_VARIABLE.format(dag_id=""))))
        paused = session.execute(
            update(DagModel).where(DagModel.dag_id.in_(pause), DagModel.is_paused.is_(False)).values(is_paused=True)
        )
        return rearmed, int(paused.rowcount or 0)  # type: ignore[attr-defined]


def main(argv: list[str]) -> int:
    rearmed, paused = reset(argv)
    print(f"re-armed {rearmed} metric watcher(s), paused {paused} DAG(s) again", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
