"""Put the demo's metric triggers back where a first run starts, so each run tells the same story.

    python -m frogml_airflow_provider.demo.reset DAG_ID...

A metric trigger remembers that it fired (an Airflow Variable per DAG: operators/trigger_metric.py)
and stays quiet while its metric stays crossed, until its cool-down passes; the walkthrough also
unpauses its DAG. Left as they are, a second demo run would not retrain at step 4 (the state
says it already did), or would retrain at start-up on the first run's traffic (the DAG is still
unpaused). This clears every trigger's state and pauses the given DAGs again; the rest of the
history (runs, builds, analytics) stays. Needs a migrated metadata database.
"""

from __future__ import annotations

import sys


def reset(pause: list[str]) -> tuple[int, int]:
    """(trigger states cleared, DAGs paused again)."""
    from airflow.models import DagModel, Variable
    from airflow.utils.session import create_session
    from sqlalchemy import delete, update

    from frogml_airflow_provider.operators.trigger_metric import state_key

    prefix = state_key("")
    with create_session() as session:
        cleared = session.execute(delete(Variable).where(Variable.key.startswith(prefix)))
        paused = session.execute(
            update(DagModel).where(DagModel.dag_id.in_(pause), DagModel.is_paused.is_(False)).values(is_paused=True)
        )
        return int(cleared.rowcount or 0), int(paused.rowcount or 0)  # type: ignore[attr-defined]


def main(argv: list[str]) -> int:
    cleared, paused = reset(argv)
    print(f"cleared {cleared} metric trigger state(s), paused {paused} DAG(s) again", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
