"""``FrogMLMetricTrigger``: a serialisation contract, one evaluation per tick against a real analytics
store (SQLite), and the watcher's decisions over a stream of evaluations, its state in a store that
outlives it (as Airflow's asset state store outlives a triggerer)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from airflow.triggers.base import BaseEventTrigger

from frogml_airflow_provider.triggers import metric_history as history
from frogml_airflow_provider.triggers.metric import SPREAD, FrogMLMetricTrigger, MemoryStore, stagger
from frogml_airflow_provider.triggers.metric_evaluation import evaluate, next_tick

ERROR_RATE = "SELECT AVG(CASE WHEN error IS NULL THEN 0.0 ELSE 1.0 END) FROM tiny_model"
FOREVER = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def trigger(dag_id: str = "retrain_on_errors", **changes: Any) -> FrogMLMetricTrigger:
    kwargs: dict[str, Any] = {
        "dag_id": dag_id,
        "automation_name": dag_id.replace("_", " "),
        "model_id": "tiny-model",
        "trigger_name": "error_rate",
        "sql_query": ERROR_RATE,
        "direction": "ABOVE",
        "threshold": "0.3",
        "cron": "* * * * *",
        **changes,
    }
    return FrogMLMetricTrigger(**kwargs)


def test_serialize_then_rebuild_gives_the_same_trigger() -> None:
    original = trigger(evaluate_at_start=True, frogml_conn_id="frogml_prod")
    path, kwargs = original.serialize()
    assert path == "frogml_airflow_provider.triggers.metric.FrogMLMetricTrigger"
    rebuilt = FrogMLMetricTrigger(**json.loads(json.dumps(kwargs)))  # stored as JSON in the metadata DB
    assert rebuilt.serialize() == original.serialize()
    assert isinstance(rebuilt, BaseEventTrigger)  # the only kind Airflow accepts in an AssetWatcher


def test_two_automations_never_share_a_trigger_row() -> None:
    """Airflow gives identical kwargs one trigger row (and one state): the DAG id keeps them apart."""
    first, second = trigger("a").serialize(), trigger("b").serialize()
    assert BaseEventTrigger.hash(*first) != BaseEventTrigger.hash(*second)


def test_watchers_of_one_query_share_its_evaluation() -> None:
    base = trigger("a").shared_stream_key()
    assert base is not None
    assert trigger("b", threshold="0.9", direction="BELOW").shared_stream_key() == base  # own literal threshold
    assert trigger("c", cron="*/5 * * * *").shared_stream_key() != base
    assert trigger("d", sql_query="SELECT 1").shared_stream_key() != base
    assert trigger("e", frogml_conn_id="other").shared_stream_key() != base
    assert trigger("f", threshold="SELECT 0.3").shared_stream_key() != base  # a SQL threshold is evaluated too


def test_sharing_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__FROGML__METRIC_TRIGGER_SHARE_QUERIES", "False")
    assert trigger().shared_stream_key() is None


@pytest.mark.parametrize(
    ("failures", "expected"),
    [
        (0, T0 + timedelta(minutes=1)),  # the next tick
        (1, T0 + timedelta(minutes=2)),  # one minute of back-off: the tick at +1 min is skipped
        (3, T0 + timedelta(minutes=5)),  # four minutes
        (30, T0 + timedelta(hours=1, minutes=1)),  # an hour at most
    ],
)
def test_failures_back_off(failures: int, expected: datetime) -> None:
    assert next_tick("* * * * *", T0, failures=failures, now=T0 + timedelta(seconds=1)) == expected


def test_ticks_missed_while_a_query_ran_are_skipped() -> None:
    assert next_tick("* * * * *", T0, now=T0 + timedelta(minutes=3, seconds=5)) == T0 + timedelta(minutes=4)


# -- one evaluation, against the local platform's real analytics store ----------------------------------
@pytest.fixture
def analytics(local_conn):
    local_conn.analytics.ensure_table("tiny-model")

    def record(*errors: str | None) -> None:
        for error in errors:
            local_conn.analytics.record(
                "tiny-model",
                variation="default",
                build_id="b",
                request="[]",
                response=None,
                latency_ms=1.0,
                error=error,
                status=400 if error else 200,
            )

    return record


def run_evaluate(kwargs: dict[str, Any]) -> dict[str, Any]:
    return asyncio.run(evaluate(kwargs, T0))


def test_an_evaluation_reads_the_metric_and_a_sql_threshold(analytics) -> None:
    analytics(None, "bad input", None, "bad input")
    assert run_evaluate(trigger().serialize()[1]) == {"at": T0.timestamp(), "value": 0.5, "threshold": None}
    sql_threshold = trigger(threshold="SELECT 0.25").serialize()[1]
    assert run_evaluate(sql_threshold) == {"at": T0.timestamp(), "value": 0.5, "threshold": 0.25}


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT * FROM no_such_table", "no such table: no_such_table"),
        ("SELECT 1 UNION ALL SELECT 2", r"2 row(s) x 1 column(s)"),
        ("SELECT 1e999", "is inf, not a finite number"),
        ("DELETE FROM tiny_model", "analytics query"),
    ],
)
def test_a_failing_query_is_an_error_entry_never_a_value(analytics, sql: str, message: str) -> None:
    analytics("bad input")
    raw = run_evaluate(trigger(sql_query=sql).serialize()[1])
    assert set(raw) == {"at", "error"} and message in raw["error"], raw


def test_a_slow_query_is_stopped_at_query_timeout_and_the_event_loop_keeps_running(
    analytics, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW__FROGML__QUERY_TIMEOUT", "1")
    analytics(None)

    async def evaluate_while_counting_beats() -> tuple[dict[str, Any], int]:
        beats = 0

        async def heartbeat() -> None:
            nonlocal beats
            while True:
                await asyncio.sleep(0.05)
                beats += 1

        beating = asyncio.create_task(heartbeat())
        raw = await evaluate(trigger(sql_query=FOREVER).serialize()[1], T0)
        beating.cancel()
        return raw, beats

    started = time.monotonic()
    raw, beats = asyncio.run(evaluate_while_counting_beats())
    waited = time.monotonic() - started
    assert "did not finish within 1 s" in raw["error"] and "query_timeout" in raw["error"]
    # The loop ran on while the query did: about one beat per 0.05 s of the wait, not one at the end.
    assert beats >= waited / 0.05 / 4, (beats, waited)


# -- the watcher's decisions over a stream of evaluations --------------------------------------------
async def stream(*items: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    for item in items:
        yield item


def raw(minute: int, value: float | None = None, error: str | None = None) -> dict[str, Any]:
    at = (T0 + timedelta(minutes=minute)).timestamp()
    return {"at": at, "error": error} if error else {"at": at, "value": value, "threshold": None}


def watch(watcher: FrogMLMetricTrigger, store: MemoryStore, *raws: dict[str, Any]) -> list[dict[str, Any]]:
    watcher.asset_state_store = store  # type: ignore[assignment] - what the triggerer injects

    async def collect() -> list[dict[str, Any]]:
        return [event.payload async for event in watcher.watch(stream(*raws))]

    return asyncio.run(collect())


def test_one_crossing_sends_one_event_carrying_the_evaluation() -> None:
    store = MemoryStore()
    events = watch(trigger(), store, raw(0, 0.1), raw(1, 0.5), raw(2, 0.6), raw(3, 0.7))
    assert events == [
        {
            "dag_id": "retrain_on_errors",
            "automation": "retrain on errors",
            "model_id": "tiny-model",
            "trigger": "error_rate",
            "crossing": (T0 + timedelta(minutes=1)).isoformat(),
            "value": 0.5,
            "threshold": 0.3,
            "direction": "ABOVE",
            "evaluated_at": (T0 + timedelta(minutes=1)).isoformat(),
            "reason": "crossed: retrain",
            "resent": False,
        }
    ]
    decisions = [e.decision for e in history.evaluations(store.values)]
    assert decisions == ["quiet", "retrain", "held", "held"]


def test_recovery_re_arms_and_the_next_crossing_sends_again() -> None:
    events = watch(trigger(), MemoryStore(), raw(0, 0.5), raw(1, 0.1), raw(2, 0.9))
    assert [e["crossing"] for e in events] == [T0.isoformat(), (T0 + timedelta(minutes=2)).isoformat()]


def test_a_failing_query_is_recorded_and_never_counts_as_crossed() -> None:
    store = MemoryStore()
    assert watch(trigger(), store, raw(0, error="no such table: x"), raw(1, error="timed out")) == []
    entries = history.evaluations(store.values)
    assert [(e.decision, e.error) for e in entries] == [("error", "no such table: x"), ("error", "timed out")]


def test_a_restart_mid_crossing_neither_sends_again_nor_forgets() -> None:
    """The triggerer dies after sending; Airflow rebuilds the trigger from its kwargs alone."""
    store = MemoryStore()
    first = trigger()
    assert len(watch(first, store, raw(0, 0.1), raw(1, 0.5))) == 1
    store.values[history.TAKEN_KEY] = {"crossing": (T0 + timedelta(minutes=1)).isoformat(), "run_id": "r1"}
    rebuilt = FrogMLMetricTrigger(**first.serialize()[1])
    assert watch(rebuilt, store, raw(2, 0.6), raw(3, 0.2), raw(4, 0.8)) == [pytest.approx({**_event_at(4, 0.8)})]
    assert [e.decision for e in history.evaluations(store.values)] == ["quiet", "retrain", "held", "armed", "retrain"]


def _event_at(minute: int, value: float) -> dict[str, Any]:
    at = (T0 + timedelta(minutes=minute)).isoformat()
    return {
        "dag_id": "retrain_on_errors",
        "automation": "retrain on errors",
        "model_id": "tiny-model",
        "trigger": "error_rate",
        "crossing": at,
        "value": value,
        "threshold": 0.3,
        "direction": "ABOVE",
        "evaluated_at": at,
        "reason": "crossed: retrain",
        "resent": False,
    }


def test_a_crossing_no_run_took_is_sent_again_with_its_id(monkeypatch: pytest.MonkeyPatch) -> None:
    """The event was lost (the triggerer died before Airflow stored it) or arrived while the DAG was paused."""
    monkeypatch.setenv("AIRFLOW__FROGML__METRIC_TRIGGER_RESEND_AFTER", "120")
    store = MemoryStore()
    events = watch(trigger(), store, raw(0, 0.5), raw(1, 0.5), raw(2, 0.5), raw(3, 0.5))
    assert [(e["crossing"], e["resent"]) for e in events] == [(T0.isoformat(), False), (T0.isoformat(), True)]
    # Taken by a run: never sent again.
    store.values[history.TAKEN_KEY] = {"crossing": T0.isoformat(), "run_id": "r1"}
    assert watch(trigger(), store, raw(10, 0.5), raw(20, 0.5)) == []
    assert TriggerStateOf(store).pending is False


def TriggerStateOf(store: MemoryStore):
    from frogml_airflow_provider.triggers.metric_state import TriggerState

    return TriggerState.from_json(store.values[history.STATE_KEY])


def test_the_history_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__FROGML__METRIC_HISTORY_SIZE", "100")
    store = MemoryStore()
    watch(trigger(), store, *(raw(minute, 0.1) for minute in range(260)))
    chunks = sorted(key for key in store.values if key.startswith(history.PREFIX))
    assert chunks == ["evaluations.3", "evaluations.4", "evaluations.5"]  # two full chunks and the current one
    kept = history.evaluations(store.values)
    assert len(kept) == 110 and kept[-1].at == T0 + timedelta(minutes=259)
    assert TriggerStateOf(store).seq == 250


def test_the_state_of_the_per_run_form_is_carried_over(monkeypatch: pytest.MonkeyPatch) -> None:
    """Earlier versions kept the edge state in the Variable frogml_trigger_state__<dag_id>."""
    fired_at = (T0 - timedelta(minutes=5)).isoformat()
    monkeypatch.setenv(
        "AIRFLOW_VAR_FROGML_TRIGGER_STATE__RETRAIN_ON_ERRORS", json.dumps({"fired": True, "fired_at": fired_at})
    )
    store = MemoryStore()
    assert watch(trigger(), store, raw(0, 0.9)) == []  # still crossed since the old form's retrain
    assert TriggerStateOf(store).fired_at == fired_at


def test_watchers_sharing_one_evaluation_decide_on_their_own_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("frogml_airflow_provider.triggers.metric.SPREAD", 0.01)
    shared = [raw(0, 0.1), raw(1, 0.5)]
    low, high = trigger("low", threshold="0.05"), trigger("high", threshold="0.9")

    async def both() -> tuple[list[Any], list[Any]]:
        low.asset_state_store, high.asset_state_store = MemoryStore(), MemoryStore()  # type: ignore[assignment]
        first = [e.payload async for e in low.filter_shared_stream(stream(*shared))]
        second = [e.payload async for e in high.filter_shared_stream(stream(*shared))]
        return first, second

    first, second = asyncio.run(both())
    assert [e["crossing"] for e in first] == [T0.isoformat()] and second == []


class FlakyStore(MemoryStore):
    """The asset state store while Airflow's API server restarts: the first reads fail."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def aget(self, key: str, default: Any = None) -> Any:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("the API server is restarting")
        return await super().aget(key, default)


def test_a_store_that_does_not_answer_yet_is_retried_not_a_crashed_watcher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("frogml_airflow_provider.triggers.metric.STATE_RETRY", 0.01)
    store = FlakyStore(failures=3)
    events = watch(trigger(), store, raw(0, 0.5))
    assert [e["crossing"] for e in events] == [T0.isoformat()]
    assert TriggerStateOf(store).fired is True


def test_the_watchers_of_one_tick_are_spread_over_seconds_not_woken_at_once() -> None:
    offsets = [stagger(f"automation_{i}") for i in range(1000)]
    assert all(0 <= offset < SPREAD for offset in offsets)
    assert offsets == [stagger(f"automation_{i}") for i in range(1000)]  # stable across restarts
    per_second = [sum(1 for o in offsets if second <= o < second + 1) for second in range(int(SPREAD))]
    assert max(per_second) < 200  # about a tenth each, not all in the first


# -- steady evaluations written a few at a time ------------------------------------------------------
class CountingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    async def aset(self, key: str, value: Any) -> None:
        self.writes.append(key)
        await super().aset(key, value)


def written_as_it_goes(watcher: FrogMLMetricTrigger, store: MemoryStore, *raws: dict[str, Any]) -> list[int]:
    """How many evaluations the store held as each evaluation after the first arrived."""
    seen: list[int] = []

    async def observed() -> AsyncIterator[dict[str, Any]]:
        for i, item in enumerate(raws):
            if i:
                seen.append(len(history.evaluations(store.values)))
            yield item

    async def run() -> None:
        watcher.asset_state_store = store  # type: ignore[assignment]
        async for _ in watcher.watch(observed()):
            pass

    asyncio.run(run())
    return seen


def test_steady_evaluations_every_minute_are_written_five_at_a_time() -> None:
    store = CountingStore()
    seen = written_as_it_goes(trigger(), store, *(raw(minute, 0.1) for minute in range(12)))
    # The first at once; then the steady ones five at a time; the last two when the watch ends.
    assert seen == [1, 1, 1, 1, 1, 6, 6, 6, 6, 6, 11]
    assert len(history.evaluations(store.values)) == 12
    assert store.writes.count("evaluations.0") == 4  # not 12


def test_anything_but_a_steady_evaluation_is_written_at_once_with_what_was_held() -> None:
    store = MemoryStore()
    values = [0.1, 0.1, 0.1, 0.5, 0.6, 0.6, 0.1]  # quiet x3, retrain, held x2, armed
    seen = written_as_it_goes(trigger(), store, *(raw(minute, v) for minute, v in enumerate(values)))
    # The crossing wrote the two quiet ones held before it; the first 'held' (a change) at once, the
    # second waits; 'armed' (a change) writes it.
    assert seen == [1, 1, 1, 4, 5, 5]
    assert [e.decision for e in history.evaluations(store.values)] == [
        "quiet", "quiet", "quiet", "retrain", "held", "held", "armed"
    ]  # fmt: skip


def test_a_watcher_on_a_slow_cron_writes_every_evaluation_at_once() -> None:
    store = MemoryStore()
    raws = [{"at": (T0 + timedelta(minutes=15 * i)).timestamp(), "value": 0.1, "threshold": None} for i in range(4)]
    assert written_as_it_goes(trigger(cron="*/15 * * * *"), store, *raws) == [1, 2, 3]


def test_evaluations_held_when_the_watcher_stops_are_written_by_its_cleanup() -> None:
    store = MemoryStore()
    watcher = trigger()
    watcher.asset_state_store = store  # type: ignore[assignment]

    async def stopped_mid_watch() -> None:
        gate = asyncio.Event()

        async def raws() -> AsyncIterator[dict[str, Any]]:
            for minute in range(3):
                yield raw(minute, 0.1)
            gate.set()
            await asyncio.sleep(3600)  # the next tick, never reached: the triggerer cancels the watch
            yield raw(3, 0.1)

        async def consume() -> None:
            async for _ in watcher.watch(raws()):
                pass

        task = asyncio.create_task(consume())
        await gate.wait()
        await asyncio.sleep(0)
        assert len(history.evaluations(store.values)) == 1  # two steady ones held
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await watcher.cleanup()  # what Airflow's trigger runner calls when a watch ends

    asyncio.run(stopped_mid_watch())
    assert len(history.evaluations(store.values)) == 3


def test_a_store_that_no_longer_answers_never_holds_up_a_stopping_watcher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("frogml_airflow_provider.triggers.metric.CLEANUP_WRITE_TIMEOUT", 0.2)

    class Gone(MemoryStore):
        async def aset(self, key: str, value: Any) -> None:
            await asyncio.sleep(3600)  # the supervisor is shutting down

    watcher = trigger()
    watcher._pending = ['{"t":0,"d":"quiet"}']  # what a cancelled watch held
    watcher._store = Gone()

    async def stop() -> float:
        began = time.monotonic()
        await watcher.cleanup()
        return time.monotonic() - began

    assert asyncio.run(asyncio.wait_for(stop(), 10)) < 5  # (wait_for: a regression fails, never hangs)
