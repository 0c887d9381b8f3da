"""Edge-triggered metric triggers: when a crossing starts a retrain, and when it does not. Pure.

One crossing starts one retrain. While the metric stays past its threshold, later evaluations do
not retrain again until it recovers (goes back) or ``cooldown`` has passed since the last
retrain; then a crossing fires once more. The state is a small JSON-able dict, stored by the
operator where it survives restarts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class TriggerState:
    fired: bool = False  # the metric is past its threshold and a retrain was started for it
    fired_at: str | None = None  # ISO time of the last retrain this trigger started

    @classmethod
    def from_json(cls, data: Any) -> TriggerState:
        if not isinstance(data, dict):
            return cls()
        return cls(fired=bool(data.get("fired")), fired_at=data.get("fired_at"))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Decision:
    retrain: bool
    state: TriggerState
    reason: str


def decide(state: TriggerState, *, crossed: bool, now: datetime, cooldown: timedelta) -> Decision:
    if not crossed:
        reason = "recovered: armed for the next crossing" if state.fired else "not crossed"
        return Decision(False, TriggerState(), reason)
    fired_now = TriggerState(fired=True, fired_at=now.isoformat())
    if not state.fired or state.fired_at is None:
        return Decision(True, fired_now, "crossed: retrain")
    last = datetime.fromisoformat(state.fired_at)
    if now - last >= cooldown:
        return Decision(True, fired_now, f"still crossed, and the cool-down of {cooldown} since {last} passed: retrain")
    return Decision(False, state, f"still crossed since the retrain at {last}; no new retrain before {last + cooldown}")
