"""Edge-triggered metric triggers: when an evaluation sends a crossing, and when it does not. Pure.

One crossing starts one retrain. While the metric stays past its threshold, later evaluations do
not send again until it recovers (goes back) or ``cooldown`` has passed since the last retrain;
then a crossing is sent once more.

A crossing is *sent* (a trigger event, then an asset event) and later *taken* by the DAG run it
starts (the run's first task records it). The watcher writes its state before it sends, so a
triggerer that dies in between never sends one crossing twice; a crossing that no run took (the
event was lost with the triggerer, or the DAG was paused when it arrived) is sent again, with the
same id, after ``resend_after``, until a run takes it or the cool-down since it passed. The run
side makes a second delivery harmless: one crossing id, one build (see ``operators/_crossing.py``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class TriggerState:
    fired: bool = False  # the metric is past its threshold and a retrain was started for it
    fired_at: str | None = None  # ISO time of the last retrain this trigger started
    crossing: str | None = None  # id of the last crossing sent (the ISO time of its evaluation)
    sent_at: str | None = None  # when that crossing was last sent
    pending: bool = False  # sent, and no DAG run has taken it yet
    seq: int = 0  # evaluations recorded so far (numbers the history)

    @classmethod
    def from_json(cls, data: Any) -> TriggerState:
        if not isinstance(data, dict):
            return cls()
        known = {f.name for f in fields(cls)}
        clean: dict[str, Any] = {}
        for name, value in data.items():
            if name not in known:
                continue
            if name in ("fired", "pending"):
                clean[name] = value is True
            elif name == "seq":
                clean[name] = value if isinstance(value, int) and value >= 0 else 0
            elif isinstance(value, str):
                clean[name] = value if _is_time(value) or name == "crossing" else None
        return cls(**clean)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Decision:
    send: bool  # send the crossing (a retrain is due, or an untaken crossing is sent again)
    state: TriggerState
    reason: str
    code: str  # short form for the history: retrain, resend, held, armed, quiet, dropped


def decide(state: TriggerState, *, crossed: bool, now: datetime, cooldown: timedelta) -> Decision:
    """What one evaluation of the metric means, given the state the last one left."""
    if not crossed:
        if state.fired:
            return Decision(False, replace(state, fired=False), "recovered: armed for the next crossing", "armed")
        return Decision(False, state, "not crossed", "quiet")
    sent = replace(state, fired=True, fired_at=now.isoformat(), crossing=now.isoformat(), sent_at=now.isoformat())
    sent = replace(sent, pending=True)
    if not state.fired or state.fired_at is None:
        return Decision(True, sent, "crossed: retrain", "retrain")
    last = datetime.fromisoformat(state.fired_at)
    if now - last >= cooldown:
        return Decision(
            True, sent, f"still crossed, and the cool-down of {cooldown} since {last} passed: retrain", "retrain"
        )
    return Decision(
        False, state, f"still crossed since the retrain at {last}; no new retrain before {last + cooldown}", "held"
    )


def follow_up(
    state: TriggerState, *, taken: str | None, now: datetime, resend_after: timedelta, cooldown: timedelta
) -> Decision:
    """For a crossing sent and not yet seen taken: is it taken now, due again, or too old to send?

    ``taken`` is the crossing id the last DAG run recorded (or None)."""
    if not state.pending or state.crossing is None:
        return Decision(False, state, "nothing pending", "quiet")
    if taken == state.crossing:
        return Decision(False, replace(state, pending=False), f"crossing {state.crossing} taken by a DAG run", "taken")
    sent_at = datetime.fromisoformat(state.sent_at or state.crossing)
    since = now - datetime.fromisoformat(state.crossing)
    if since >= cooldown:
        return Decision(
            False,
            replace(state, pending=False),
            f"crossing {state.crossing} was not taken by any DAG run within the cool-down ({cooldown}); dropped "
            "(was the DAG paused, or the scheduler down?)",
            "dropped",
        )
    if now - sent_at < resend_after:
        return Decision(False, state, f"crossing {state.crossing} sent, waiting for its DAG run", "waiting")
    return Decision(
        True,
        replace(state, sent_at=now.isoformat()),
        f"crossing {state.crossing} not taken by a DAG run {now - sent_at} after it was sent: sent again",
        "resend",
    )


def _is_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True
