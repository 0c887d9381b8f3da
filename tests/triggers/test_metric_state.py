"""Edge-triggering, as a table: crossed or not, fired before or not, inside or past the cool-down;
and what happens to a crossing that was sent: taken by a run, sent again, or dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from frogml_airflow_provider.triggers.metric_state import TriggerState, decide, follow_up

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
TEN_MIN = timedelta(minutes=10)
FIRED_10_MIN_AGO = TriggerState(fired=True, fired_at=(NOW - TEN_MIN).isoformat())
FIRED_2_HOURS_AGO = TriggerState(fired=True, fired_at=(NOW - 2 * HOUR).isoformat())


@pytest.mark.parametrize(
    ("state", "crossed", "send", "fired_after", "reason", "code"),
    [
        (TriggerState(), True, True, True, "crossed: retrain", "retrain"),
        (TriggerState(), False, False, False, "not crossed", "quiet"),
        (FIRED_10_MIN_AGO, True, False, True, "still crossed since", "held"),
        (FIRED_10_MIN_AGO, False, False, False, "recovered", "armed"),
        (FIRED_2_HOURS_AGO, True, True, True, "cool-down of 1:00:00", "retrain"),
        (FIRED_2_HOURS_AGO, False, False, False, "recovered", "armed"),
    ],
)
def test_one_crossing_one_retrain(
    state: TriggerState, crossed: bool, send: bool, fired_after: bool, reason: str, code: str
) -> None:
    decision = decide(state, crossed=crossed, now=NOW, cooldown=HOUR)
    assert decision.send is send
    assert decision.state.fired is fired_after
    assert reason in decision.reason and decision.code == code
    if send:
        assert decision.state.fired_at == decision.state.crossing == NOW.isoformat()
        assert decision.state.pending is True
    elif fired_after:
        assert decision.state == state  # waiting keeps the time of the last retrain


def test_a_sequence_of_evaluations() -> None:
    state, sent = TriggerState(), []
    for minute, crossed in enumerate([False, True, True, True, False, True, True]):
        decision = decide(state, crossed=crossed, now=NOW + timedelta(minutes=minute), cooldown=HOUR)
        state = decision.state
        sent.append(decision.send)
    assert sent == [False, True, False, False, False, True, False]


def test_recovering_keeps_a_crossing_that_no_run_took_yet() -> None:
    crossed = decide(TriggerState(), crossed=True, now=NOW, cooldown=HOUR).state
    recovered = decide(crossed, crossed=False, now=NOW + TEN_MIN, cooldown=HOUR).state
    assert recovered.fired is False and recovered.pending is True and recovered.crossing == NOW.isoformat()


SENT = decide(TriggerState(), crossed=True, now=NOW, cooldown=HOUR).state


@pytest.mark.parametrize(
    ("taken", "later", "send", "pending", "code"),
    [
        (NOW.isoformat(), timedelta(minutes=1), False, False, "taken"),  # its run took it
        (None, timedelta(minutes=1), False, True, "waiting"),  # not yet: within resend_after
        (None, timedelta(minutes=11), True, True, "resend"),  # lost (a triggerer died, the DAG paused)
        ("2026-11-25T11:00:00+00:00", timedelta(minutes=11), True, True, "resend"),  # an older crossing's run
        (None, timedelta(hours=2), False, False, "dropped"),  # past the cool-down: never sent again
    ],
)
def test_a_sent_crossing_is_followed_until_a_run_takes_it(
    taken: str | None, later: timedelta, send: bool, pending: bool, code: str
) -> None:
    decision = follow_up(SENT, taken=taken, now=NOW + later, resend_after=TEN_MIN, cooldown=HOUR)
    assert (decision.send, decision.state.pending, decision.code) == (send, pending, code)
    assert decision.state.crossing == SENT.crossing  # a crossing keeps its id when sent again
    if send:
        assert decision.state.sent_at == (NOW + later).isoformat()
        again = follow_up(
            decision.state, taken=None, now=NOW + later + timedelta(minutes=1), resend_after=TEN_MIN, cooldown=HOUR
        )
        assert again.send is False  # resend_after counts from the last send


def test_nothing_pending_is_nothing_to_follow() -> None:
    decision = follow_up(TriggerState(), taken=None, now=NOW, resend_after=TEN_MIN, cooldown=HOUR)
    assert decision.send is False and decision.state == TriggerState()


@pytest.mark.parametrize(
    "stored",
    [None, "junk", {"fired": "yes"}, {}, {"fired_at": "not a time", "seq": -3}, {"seq": "7", "extra": 1}, [1, 2]],
)
def test_state_round_trips_and_tolerates_junk(stored: object) -> None:
    state = TriggerState.from_json(stored)
    assert TriggerState.from_json(state.to_json()) == state
    assert state.fired is False and state.seq == 0 and state.fired_at is None


def test_the_state_of_earlier_versions_loads() -> None:
    """The per-run evaluate task kept only fired / fired_at (a Variable): carried over as it was."""
    state = TriggerState.from_json({"fired": True, "fired_at": NOW.isoformat()})
    assert state == TriggerState(fired=True, fired_at=NOW.isoformat())
    assert decide(state, crossed=True, now=NOW + TEN_MIN, cooldown=HOUR).send is False
