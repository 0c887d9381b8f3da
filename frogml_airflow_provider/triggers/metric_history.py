"""The evaluation history of a metric trigger, kept in Airflow's asset state store. Pure.

Every evaluation is one small entry: when (epoch seconds of the scheduled tick), the value and the
threshold (or the error), and what it decided (``retrain``, ``resend``, ``held``, ``armed``,
``quiet``, ``error``...). Entries are kept in chunks of ``CHUNK`` under the keys
``evaluations.<n>`` of the watcher's asset, so an evaluation rewrites one small chunk, not the
whole history, and the oldest chunk is deleted as a new one starts: the history keeps at least
``[frogml] metric_history_size`` evaluations (whole chunks) and the current chunk, no more. The key
``state`` holds the edge state (``metric_state.TriggerState``); ``state.seq`` numbers the current
chunk's first entry.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

CHUNK = 50
DEFAULT_SIZE = 1000
STATE_KEY = "state"
TAKEN_KEY = "taken"  # the crossing the last DAG run took: {"crossing", "run_id", "at"}
ABOUT_KEY = "about"  # what the watcher watches: DAG, automation, model, trigger, query, threshold, cron
PREFIX = "evaluations."


def chunk_key(seq: int) -> str:
    return f"{PREFIX}{seq // CHUNK}"


def chunks_kept(size: int) -> int:
    return max(1, math.ceil(max(size, 1) / CHUNK))


def expired_key(new_base: int, size: int) -> str | None:
    """The chunk that falls out of the history when the chunk starting at ``new_base`` begins
    (``chunks_kept`` full chunks stay before it)."""
    index = new_base // CHUNK - chunks_kept(size) - 1
    return f"{PREFIX}{index}" if index >= 0 else None


def entry(
    *,
    at: datetime,
    code: str,
    value: float | None = None,
    threshold: float | None = None,
    error: str | None = None,
    crossing: str | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {"t": round(at.timestamp(), 3), "d": code}
    if value is not None:
        item["v"] = value
    if threshold is not None:
        item["th"] = threshold
    if error:
        item["e"] = error[:500]
    if crossing:
        item["c"] = crossing
    return item


@dataclass(frozen=True)
class Evaluation:
    at: datetime
    decision: str
    value: float | None
    threshold: float | None
    error: str | None
    crossing: str | None

    @property
    def sent(self) -> bool:
        return self.decision in ("retrain", "resend")

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "decision": self.decision,
            "value": self.value,
            "threshold": self.threshold,
            "error": self.error,
            "crossing": self.crossing,
        }


def evaluations(stored: Mapping[str, Any]) -> list[Evaluation]:
    """Every entry of the stored chunks (``{key: value}`` of the asset's state), oldest first.
    Anything that is not an entry is passed over: the store is read by the console and the CLI."""
    chunks = sorted(
        (int(key[len(PREFIX) :]), value)
        for key, value in stored.items()
        if key.startswith(PREFIX) and key[len(PREFIX) :].isdigit()
    )
    found: list[Evaluation] = []
    for _, chunk in chunks:
        found += [e for e in (_parse(item) for item in (chunk if isinstance(chunk, list) else [])) if e is not None]
    found.sort(key=lambda e: e.at)
    return found


def _parse(item: Any) -> Evaluation | None:
    if not isinstance(item, dict) or not isinstance(item.get("t"), (int, float)) or not isinstance(item.get("d"), str):
        return None
    try:
        at = datetime.fromtimestamp(item["t"], tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return Evaluation(
        at=at,
        decision=item["d"],
        value=_number(item.get("v")),
        threshold=_number(item.get("th")),
        error=str(item["e"]) if item.get("e") else None,
        crossing=str(item["c"]) if item.get("c") else None,
    )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def crossings(history: Iterable[Evaluation]) -> list[Evaluation]:
    return [e for e in history if e.sent]


@dataclass(frozen=True)
class WatcherHistory:
    """One metric watcher as the store holds it: what it watches, its edge state, its evaluations."""

    dag_id: str
    about: dict[str, Any]
    state: dict[str, Any]
    taken: dict[str, Any]
    evaluations: list[Evaluation]

    @classmethod
    def of(cls, dag_id: str, stored: Mapping[str, Any]) -> WatcherHistory:
        def mapping(key: str) -> dict[str, Any]:
            value = stored.get(key)
            return value if isinstance(value, dict) else {}

        return cls(dag_id, mapping(ABOUT_KEY), mapping(STATE_KEY), mapping(TAKEN_KEY), evaluations(stored))

    def to_json(self, limit: int | None = None) -> dict[str, Any]:
        shown = self.evaluations[-limit:] if limit else self.evaluations
        return {
            "dag_id": self.dag_id,
            "about": self.about,
            "state": self.state,
            "taken": self.taken,
            "evaluations": [e.to_json() for e in shown],
        }
