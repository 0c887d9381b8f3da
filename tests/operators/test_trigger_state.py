"""Edge-triggering, as a table: crossed or not, fired before or not, inside or past the cool-down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from frogml_airflow_provider.operators.trigger_state import TriggerState, decide

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
FIRED_10_MIN_AGO = TriggerState(fired=True, fired_at=(NOW - timedelta(minutes=10)).isoformat())
FIRED_2_HOURS_AGO = TriggerState(fired=True, fired_at=(NOW - 2 * HOUR).isoformat())


@pytest.mark.parametrize(
    ("state", "crossed", "retrain", "fired_after", "reason"),
    [
        (TriggerState(), True, True, True, "crossed: retrain"),
        (TriggerState(), False, False, False, "not crossed"),
        (FIRED_10_MIN_AGO, True, False, True, "still crossed since"),
        (FIRED_10_MIN_AGO, False, False, False, "recovered"),
        (FIRED_2_HOURS_AGO, True, True, True, "cool-down of 1:00:00"),
        (FIRED_2_HOURS_AGO, False, False, False, "recovered"),
    ],
)
def test_one_crossing_one_retrain(
    state: TriggerState, crossed: bool, retrain: bool, fired_after: bool, reason: str
) -> None:
    decision = decide(state, crossed=crossed, now=NOW, cooldown=HOUR)
    assert decision.retrain is retrain
    assert decision.state.fired is fired_after
    assert reason in decision.reason
    if retrain:
        assert decision.state.fired_at == NOW.isoformat()
    elif fired_after:
        assert decision.state == state  # waiting keeps the time of the last retrain


def test_a_sequence_of_evaluations() -> None:
    state, retrains = TriggerState(), []
    for minute, crossed in enumerate([False, True, True, True, False, True, True]):
        decision = decide(state, crossed=crossed, now=NOW + timedelta(minutes=minute), cooldown=HOUR)
        state = decision.state
        retrains.append(decision.retrain)
    assert retrains == [False, True, False, False, False, True, False]


@pytest.mark.parametrize("stored", [None, "junk", {"fired": "yes"}, {}])
def test_state_round_trips_and_tolerates_junk(stored: object) -> None:
    state = TriggerState.from_json(stored)
    assert TriggerState.from_json(state.to_json()) == state
