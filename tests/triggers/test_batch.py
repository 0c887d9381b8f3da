"""``FrogMLBatchTrigger`` is a serialisation contract: what it stores rebuilds the same trigger."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from frogml_airflow_provider.triggers.batch import FrogMLBatchTrigger


def test_serialize_then_rebuild_gives_the_same_trigger() -> None:
    trigger = FrogMLBatchTrigger(
        platform={"kind": "local", "state_dir": "/tmp/state"},
        job_id="batch-x-1",
        deadline=1_900_000_000.5,
        poll_interval=2.5,
        initial_delay=1.0,
    )
    path, kwargs = trigger.serialize()
    assert path == "frogml_airflow_provider.triggers.batch.FrogMLBatchTrigger"
    assert kwargs == {
        "platform": {"kind": "local", "state_dir": "/tmp/state"},
        "job_id": "batch-x-1",
        "deadline": 1_900_000_000.5,
        "poll_interval": 2.5,
        "initial_delay": 1.0,
    }
    rebuilt = FrogMLBatchTrigger(**json.loads(json.dumps(kwargs)))  # stored as JSON in the metadata DB
    assert rebuilt.serialize() == trigger.serialize()


def test_a_job_it_cannot_read_ends_in_an_error_event(tmp_path) -> None:
    trigger = FrogMLBatchTrigger(
        platform={"kind": "local", "state_dir": str(tmp_path)},
        job_id="nope",
        deadline=time.time() + 30,
        poll_interval=0.01,
    )

    async def first() -> dict[str, Any]:
        async for event in trigger.run():
            return event.payload
        raise AssertionError("no event")

    event = asyncio.run(first())
    assert event["state"] == "ERROR" and "no local batch job 'nope'" in event["error"]
