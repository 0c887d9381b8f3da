"""``FrogMLMetricTrigger``: a ``MetricBasedTrigger`` watched in the triggerer; an event only on a crossing.

The generated DAG of a metric-based automation is scheduled on one asset per automation, watched by
this trigger (Airflow's event-driven scheduling). On each tick of the automation's cron it runs the
``SqlMetric`` query (and a SQL threshold) on the platform, off the event loop and within
``[frogml] query_timeout``, compares, and sends a trigger event (which Airflow turns into an asset
event, and so into one DAG run) only when a retrain is due: the edge-and-cool-down rule of
``metric_state``. No crossing, no DAG run.

State and history live in Airflow's asset state store, on the watched asset (the triggerer injects
it): they survive triggerer restarts, a trigger moving to another triggerer, re-parses and
upgrades, since a trigger is rebuilt from its kwargs alone. Crossing ids are the cron tick that
saw them, so two copies of one watcher (a trigger briefly on two triggerers) name a crossing alike.

Watchers with the same connection, cron and queries share one evaluation per tick
(``shared_stream_key``); each still applies its own threshold, direction and state. A query that
fails, times out or returns no finite number is logged and recorded in the history, never counts
as crossed, and backs the shared poll off (doubling from one tick to an hour at most).

Kwargs hold what the automation file says (no secrets; the connection is read in the triggerer).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Hashable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from frogml_airflow_provider.automations import ThresholdDirection
from frogml_airflow_provider.get_provider_info import DEFAULT_CONN_ID
from frogml_airflow_provider.platform.numbers import threshold_number
from frogml_airflow_provider.triggers import metric_history as history
from frogml_airflow_provider.triggers.metric_evaluation import evaluations, next_tick, share_key
from frogml_airflow_provider.triggers.metric_state import Decision, TriggerState, decide, follow_up

DEFAULT_COOLDOWN = 24 * 3600.0
DEFAULT_RESEND_AFTER = 600.0
SPREAD = 10.0  # seconds over which the watchers of one tick handle its evaluation (see _staggered)
STATE_RETRY = 5.0  # seconds before the state is read again when the store did not answer (doubling)
# Steady evaluations (the same quiet or held decision as the one before) of a watcher that evaluates
# more often than every few minutes are written a few at a time: each write is a round trip through
# the triggerer's supervisor and its execution API, the bulk of a watcher's cost at a one-minute cadence.
FLUSH_EVERY = 5  # steady evaluations written together, at most
FLUSH_WITHIN = 300.0  # seconds: no evaluation waits longer than this to be written
STEADY = ("quiet", "held")
CLEANUP_WRITE_TIMEOUT = 5.0  # seconds a stopping watcher gives the writing of what it held
LEGACY_VARIABLE = "frogml_trigger_state__{dag_id}"  # where the per-run evaluate task kept its state
_LOG = logging.getLogger(__name__)


class StateStore(Protocol):
    """The asset state store's async accessor for one asset (what the triggerer injects)."""

    async def aget(self, key: str, default: Any = None) -> Any: ...
    async def aset(self, key: str, value: Any) -> None: ...
    async def adelete(self, key: str) -> None: ...


class MemoryStore:
    """Stands in for the asset state store where there is none (a trigger driven by hand)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    async def aget(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    async def aset(self, key: str, value: Any) -> None:
        self.values[key] = value

    async def adelete(self, key: str) -> None:
        self.values.pop(key, None)


class FrogMLMetricTrigger(BaseEventTrigger):
    """Watches one ``MetricBasedTrigger`` and fires when its metric crosses the threshold.

    :param dag_id: the generated DAG (the automation's identity: two automations never share a trigger).
    :param automation_name: the automation's name, for logs and messages.
    :param model_id: the model, for messages and the event.
    :param trigger_name: the ``MetricBasedTrigger``'s name.
    :param sql_query: the ``SqlMetric`` query whose one numeric value is the metric.
    :param direction: a ``ThresholdDirection`` name.
    :param threshold: a number, or a SQL query returning one.
    :param cron: when to evaluate, UTC (``override_cron`` or ``[frogml] metric_trigger_default_cron``).
    :param frogml_conn_id: the ``frogml`` connection (the local platform's analytics, or JFrog ML's).
    :param evaluate_at_start: evaluate as soon as the watcher starts, then on the cron
        (the automation's ``execute_immediately``).
    """

    def __init__(
        self,
        *,
        dag_id: str,
        automation_name: str,
        model_id: str,
        trigger_name: str,
        sql_query: str,
        direction: str,
        threshold: str,
        cron: str,
        frogml_conn_id: str = DEFAULT_CONN_ID,
        evaluate_at_start: bool = False,
    ) -> None:
        super().__init__()
        self.dag_id = dag_id
        self.automation_name = automation_name
        self.model_id = model_id
        self.trigger_name = trigger_name
        self.sql_query = sql_query
        self.direction = direction
        self.threshold = threshold
        self.cron = cron
        self.frogml_conn_id = frogml_conn_id
        self.evaluate_at_start = evaluate_at_start

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (f"{type(self).__module__}.{type(self).__qualname__}", self._kwargs())

    def _kwargs(self) -> dict[str, Any]:
        return {
            "dag_id": self.dag_id,
            "automation_name": self.automation_name,
            "model_id": self.model_id,
            "trigger_name": self.trigger_name,
            "sql_query": self.sql_query,
            "direction": self.direction,
            "threshold": self.threshold,
            "cron": self.cron,
            "frogml_conn_id": self.frogml_conn_id,
            "evaluate_at_start": self.evaluate_at_start,
        }

    # -- Airflow's entry points ---------------------------------------------------------------------
    async def run(self) -> AsyncIterator[TriggerEvent]:
        async for event in self.watch(self._staggered(evaluations(self._kwargs()))):
            yield event

    def shared_stream_key(self) -> Hashable | None:
        """One evaluation per tick for every watcher of the same query, connection and cron."""
        from airflow.configuration import conf

        if not conf.getboolean("frogml", "metric_trigger_share_queries", fallback=True):
            return None
        return share_key(self._kwargs())

    @classmethod
    async def open_shared_stream(cls, kwargs: dict[str, Any]) -> AsyncIterator[Any]:
        _LOG.info(
            "one metric query per tick for every watcher of %s (cron %s, query %.80r)",
            hashlib.sha256(repr(share_key(kwargs)).encode()).hexdigest()[:12],
            kwargs.get("cron"),
            kwargs.get("sql_query"),
        )
        async for raw in evaluations(kwargs):
            yield raw

    async def filter_shared_stream(self, shared_stream: AsyncIterator[Any]) -> AsyncIterator[TriggerEvent]:
        async for event in self.watch(self._staggered(shared_stream)):
            yield event

    async def _staggered(self, raws: AsyncIterator[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
        """Each evaluation, handed on after this watcher's own offset within ``SPREAD`` seconds (a
        stable hash of its DAG id): a tick that wakes a thousand watchers at once would hold the
        triggerer's event loop (and fire a thousand state writes) in one burst."""
        offset = stagger(self.dag_id)
        async for raw in raws:
            await asyncio.sleep(offset)
            yield raw

    # -- the watcher ----------------------------------------------------------------------------------
    async def watch(self, raws: AsyncIterator[dict[str, Any]]) -> AsyncIterator[TriggerEvent]:
        """Decide on each raw evaluation; yield an event when a crossing is to be sent.

        Nothing one evaluation does (a broken store call, a bad value) stops the watching."""
        self._store: StateStore = self.asset_state_store or MemoryStore()
        if self.asset_state_store is None:
            self.log.warning("no asset state store was given to this watcher: its state lasts only while it runs")
        await self._load()
        async for raw in raws:
            try:
                event = await self._handle(raw)
            except Exception:  # one bad evaluation never ends the watch
                self.log.exception("metric trigger %r of DAG %s: the evaluation could not be handled", *self._who())
                continue
            if event is not None:
                yield event
        await self._flush()

    async def cleanup(self) -> None:
        """The steady evaluations not yet written, when the watcher stops (a DAG paused, a triggerer
        shutting down); a triggerer killed outright loses at most ``FLUSH_EVERY - 1`` of them."""
        if getattr(self, "_pending", None):
            try:  # bounded: a triggerer shutting down may no longer answer the store
                await asyncio.wait_for(self._flush(), timeout=CLEANUP_WRITE_TIMEOUT)
            except Exception:  # noqa: BLE001 - best effort while stopping; the state is already written
                self.log.warning("metric trigger %r of DAG %s: could not write its last evaluations", *self._who())
        await super().cleanup()

    async def _handle(self, raw: dict[str, Any]) -> TriggerEvent | None:
        at = datetime.fromtimestamp(float(raw["at"]), tz=UTC)
        state = self._state
        value: Any = raw.get("value")
        threshold: Any = raw.get("threshold")
        error: Any = raw.get("error")
        if error is None and threshold is None:
            threshold, error = _literal(self.threshold)
        if error is not None:
            self.log.warning("metric trigger %r of DAG %s: %s", *self._who(), error)
            decision = Decision(False, state, str(error), "error")
        else:
            crossed = ThresholdDirection[self.direction].holds(float(value), float(threshold))
            decision = decide(
                state, crossed=crossed, now=at, cooldown=_period("metric_trigger_cooldown", DEFAULT_COOLDOWN)
            )
        if not decision.send and decision.state.pending:
            taken = await self._store.aget(history.TAKEN_KEY)
            later = follow_up(
                decision.state,
                taken=taken.get("crossing") if isinstance(taken, dict) else None,
                now=at,
                resend_after=_period("metric_trigger_resend_after", DEFAULT_RESEND_AFTER),
                cooldown=_period("metric_trigger_cooldown", DEFAULT_COOLDOWN),
            )
            if later.code in ("resend", "dropped"):
                self.log.warning("metric trigger %r of DAG %s: %s", *self._who(), later.reason)
            if later.state != decision.state or later.send:
                code = later.code if later.code in ("resend", "dropped") else decision.code
                decision = Decision(later.send, later.state, later.reason, code)
        if decision.state != state:
            await self._save_state(decision.state)  # before the event: a crash after it never sends twice
        await self._record(
            at,
            history.entry(
                at=at,
                code=decision.code,
                value=value if error is None else None,
                threshold=threshold if error is None else None,
                error=error,
                crossing=decision.state.crossing if decision.send else None,
            ),
        )
        if not decision.send:
            return None
        payload = {
            "dag_id": self.dag_id,
            "automation": self.automation_name,
            "model_id": self.model_id,
            "trigger": self.trigger_name,
            "crossing": decision.state.crossing,
            "value": value,
            "threshold": threshold,
            "direction": self.direction,
            "evaluated_at": at.isoformat(),
            "reason": decision.reason,
            "resent": decision.code == "resend",
        }
        self.log.info(
            "metric trigger %r of DAG %s: %s = %s, %s %s: %s",
            *self._who(),
            self.trigger_name,
            value,
            self.direction.lower(),
            threshold,
            decision.reason,
        )
        return TriggerEvent(payload)

    def _who(self) -> tuple[str, str]:
        return self.trigger_name, self.dag_id

    # -- the asset state store ----------------------------------------------------------------------
    async def _load(self) -> None:
        """The state and the current history chunk; retried (the API server restarting, say) rather
        than ending the watch: a watcher that started without its state could send a crossing twice."""
        wait = STATE_RETRY
        while True:
            try:
                self._state = await self._load_state()
                # The current chunk's entries as JSON text: a thousand watchers hold their chunks
                # in a few KB each, not in dicts of floats.
                self._chunk: list[str] = await self._load_chunk()
                self._pending: list[str] = []  # evaluations not yet written (see FLUSH_EVERY)
                self._pending_since: datetime | None = None
                self._last_code: str | None = None
                await self._describe()
                return
            except Exception as error:  # noqa: BLE001 - logged; retried with back-off
                self.log.warning(
                    "metric trigger %r of DAG %s: cannot read its state (%s); retrying in %.0f s",
                    *self._who(),
                    error,
                    wait,
                )
                await asyncio.sleep(wait)
                wait = min(wait * 2, 300.0)

    async def _load_state(self) -> TriggerState:
        stored = await self._store.aget(history.STATE_KEY)
        if stored is not None:
            return TriggerState.from_json(stored)
        legacy = await asyncio.to_thread(_take_legacy_state, self.dag_id)
        if legacy is not None:
            self.log.info("metric trigger %r of DAG %s: carried over the state of the per-run form", *self._who())
            state = TriggerState.from_json(legacy)
            await self._save_state(state)
            await asyncio.to_thread(_drop_legacy_state, self.dag_id)
            return state
        # Stored at once, so that the next start of this watcher never looks for a legacy state again.
        await self._save_state(TriggerState())
        return self._state

    async def _describe(self) -> None:
        """What this watcher watches, for readers that must not run automation files (the console in
        the API server, the CLI): written when it differs from what is stored."""
        about = {k: v for k, v in self._kwargs().items() if k != "frogml_conn_id"}
        if await self._store.aget(history.ABOUT_KEY) != about:
            await self._store.aset(history.ABOUT_KEY, about)

    async def _load_chunk(self) -> list[str]:
        stored = await self._store.aget(history.chunk_key(self._state.seq))
        chunk = [json.dumps(item) for item in stored if isinstance(item, dict)] if isinstance(stored, list) else []
        return chunk[: history.CHUNK]

    async def _save_state(self, state: TriggerState) -> None:
        self._state = state
        await self._store.aset(history.STATE_KEY, state.to_json())

    async def _record(self, at: datetime, item: dict[str, Any]) -> None:
        """Adds an evaluation to the history: written at once, unless it is steady (see ``FLUSH_EVERY``)."""
        steady = item["d"] in STEADY and item["d"] == self._last_code
        self._last_code = item["d"]
        self._pending.append(json.dumps(item, separators=(",", ":")))
        if self._pending_since is None:
            self._pending_since = at
        if steady and len(self._pending) < FLUSH_EVERY and not self._due(at):
            return
        await self._flush()

    def _due(self, at: datetime) -> bool:
        """Whether the evaluations held would wait past ``FLUSH_WITHIN`` for the next tick."""
        since = self._pending_since or at
        try:
            return (next_tick(self.cron, at) - since).total_seconds() > FLUSH_WITHIN
        except Exception:  # noqa: BLE001 - a cron croniter cannot follow: write at once
            return True

    async def _flush(self) -> None:
        """Writes the held evaluations into the current chunk (starting the next chunk when it fills)."""
        while self._pending:
            if len(self._chunk) >= history.CHUNK:  # the current chunk is full: start the next one
                base = self._state.seq + history.CHUNK
                await self._save_state(TriggerState(**{**self._state.to_json(), "seq": base}))
                self._chunk = []
                expired = history.expired_key(base, _history_size())
                if expired is not None:
                    await self._store.adelete(expired)
            room = history.CHUNK - len(self._chunk)
            self._chunk += self._pending[:room]
            del self._pending[:room]
            await self._store.aset(history.chunk_key(self._state.seq), json.loads(f"[{','.join(self._chunk)}]"))
        self._pending_since = None


# -- evaluations: one per tick, shared by every watcher of the same query ---------------------------
def stagger(dag_id: str) -> float:
    """A watcher's stable offset within ``SPREAD`` seconds after each tick."""
    return int(hashlib.sha256(dag_id.encode()).hexdigest()[:8], 16) % 1000 / 1000 * SPREAD


def _literal(text: str) -> tuple[float | None, str | None]:
    try:
        return threshold_number(text, "the metric trigger"), None
    except Exception as error:  # noqa: BLE001 - recorded as the evaluation's error
        return None, str(error)


def _period(option: str, default: float) -> timedelta:
    from airflow.configuration import conf

    return timedelta(seconds=conf.getfloat("frogml", option, fallback=default))


def _history_size() -> int:
    from airflow.configuration import conf

    return conf.getint("frogml", "metric_history_size", fallback=history.DEFAULT_SIZE)


def _take_legacy_state(dag_id: str) -> Any:
    """The state the per-run ``evaluate_trigger_metric`` task kept in a Variable (earlier versions)."""
    from airflow.sdk import Variable

    try:
        raw = Variable.get(LEGACY_VARIABLE.format(dag_id=dag_id), default=None)
        return json.loads(raw) if raw else None
    except Exception:  # noqa: BLE001 - no readable legacy state: start armed
        return None


def _drop_legacy_state(dag_id: str) -> None:
    from airflow.sdk import Variable

    try:
        Variable.delete(LEGACY_VARIABLE.format(dag_id=dag_id))
    except Exception:  # noqa: BLE001 - a leftover Variable is harmless: the store is read first
        return
