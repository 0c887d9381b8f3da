"""The evaluation history's layout in the asset state store: chunks, bounds, and a tolerant reader."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from frogml_airflow_provider.triggers import metric_history as history

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def test_an_entry_is_small_and_reads_back() -> None:
    item = history.entry(at=AT, code="retrain", value=0.5, threshold=0.25, crossing=AT.isoformat())
    assert item == {"t": AT.timestamp(), "d": "retrain", "v": 0.5, "th": 0.25, "c": AT.isoformat()}
    (read,) = history.evaluations({"evaluations.0": [item]})
    assert (read.at, read.value, read.threshold, read.decision, read.sent) == (AT, 0.5, 0.25, "retrain", True)
    assert read.to_json()["at"] == AT.isoformat()


def test_errors_are_kept_bounded() -> None:
    item = history.entry(at=AT, code="error", error="x" * 5000)
    assert len(item["e"]) == 500 and "v" not in item


@pytest.mark.parametrize(("seq", "key"), [(0, "evaluations.0"), (49, "evaluations.0"), (50, "evaluations.1")])
def test_chunks(seq: int, key: str) -> None:
    assert history.chunk_key(seq) == key


@pytest.mark.parametrize(
    ("new_base", "size", "expired"),
    [
        (50, 1000, None),
        (1000, 1000, None),  # 20 full chunks (1,000 evaluations) and the new one
        (1050, 1000, "evaluations.0"),
        (1100, 1000, "evaluations.1"),
        (150, 60, "evaluations.0"),  # 60 rounds up to two chunks
    ],
)
def test_the_oldest_chunk_goes_when_the_history_is_full(new_base: int, size: int, expired: str | None) -> None:
    assert history.expired_key(new_base, size) == expired


def test_chunks_read_in_time_order_and_junk_is_passed_over() -> None:
    def at(minute: int) -> dict:
        return history.entry(at=AT.replace(minute=minute), code="quiet", value=0.1, threshold=0.25)

    stored = {
        "state": {"seq": 50},
        "taken": {"crossing": "x"},
        "evaluations.1": [at(50), "junk", {"t": "soon", "d": "quiet"}, {"t": 1e30, "d": "quiet"}],
        "evaluations.0": [at(10), at(20), None],
        "evaluations.x": [at(1)],
    }
    read = history.evaluations(stored)
    assert [e.at.minute for e in read] == [10, 20, 50]
    assert history.crossings(read) == []
