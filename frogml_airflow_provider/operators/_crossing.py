"""The crossing that started a DAG run of a metric-based automation, taken once.

A metric watcher (``triggers/metric.py``) sends each crossing as an asset event; Airflow starts a
DAG run on it. The run's first task (``build`` or ``run_batch``) calls ``take_crossing``:

- it reads the evaluation from the run's triggering asset events and pushes it to XCom
  (``evaluation``: value, threshold, direction, when, reason), so the run, its notifications and the
  console show why it ran;
- it records the crossing as taken in the watched asset's state, so the watcher stops sending it;
- a crossing already taken by another DAG run (an event delivered twice: a watcher restarted between
  sending and recording, two schedulers) skips this run: one crossing, one build.

A run started by hand (or by anything but a crossing) has no crossing: it retrains now, as JFrog ML's
"run now" does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from airflow.sdk import Asset, Context
from airflow.sdk.exceptions import AirflowSkipException

from frogml_airflow_provider.errors import FrogMLProviderError
from frogml_airflow_provider.tasks import EVALUATION, METRIC_ASSET_SCHEME
from frogml_airflow_provider.triggers.metric_history import TAKEN_KEY


class FrogMLCrossingTaken(FrogMLProviderError, AirflowSkipException):
    """This run's crossing was already taken by another DAG run: the run is skipped, nothing is built.
    An Airflow skip (Airflow skips a task only for its own exception), listed in errors.py."""


def watched_asset(inlets: list[Any]) -> Asset | None:
    """The metric watcher's asset among a task's inlets (the renderer puts it there)."""
    for inlet in inlets:
        if isinstance(inlet, Asset) and inlet.uri.startswith(f"{METRIC_ASSET_SCHEME}://"):
            return inlet
    return None


def take_crossing(context: Context, inlets: list[Any], log: Any) -> dict[str, Any] | None:
    """The evaluation that started this run, recorded as taken; None for a run without one."""
    asset = watched_asset(inlets)
    if asset is None:
        return None
    payload = _latest_crossing(context, asset)
    if payload is None:
        log.info("No metric crossing started this run (a manual run): retraining now.")
        return None
    ti = context["ti"]
    try:
        store = context["asset_state_store"][asset]  # type: ignore[typeddict-item]
        taken = store.get(TAKEN_KEY)
    except Exception as error:  # noqa: BLE001 - the build key still makes it one build per crossing
        log.warning("Could not read the watcher's state (%s); retraining, keyed by the crossing.", error)
        store, taken = None, None
    if isinstance(taken, dict) and taken.get("crossing") == payload["crossing"] and taken.get("run_id") != ti.run_id:
        raise FrogMLCrossingTaken(
            f"crossing {payload['crossing']} of trigger {payload.get('trigger')!r} was already taken by DAG run "
            f"{taken.get('run_id')!r}; this run (a second delivery of the same event) does nothing"
        )
    if store is not None:
        try:
            store.set(TAKEN_KEY, {"crossing": payload["crossing"], "run_id": ti.run_id, "at": _now()})
        except Exception as error:  # noqa: BLE001 - the watcher then sends it again; its run re-attaches
            log.warning("Could not record the crossing as taken (%s); the watcher may send it again.", error)
    ti.xcom_push(key=EVALUATION, value=payload)
    log.info(
        "Started by metric trigger %r: %s = %s, %s %s at %s (%s)",
        payload.get("trigger"),
        payload.get("trigger"),
        payload.get("value"),
        str(payload.get("direction", "")).lower(),
        payload.get("threshold"),
        payload.get("evaluated_at"),
        payload.get("reason"),
    )
    return payload


def _latest_crossing(context: Context, asset: Asset) -> dict[str, Any] | None:
    """The newest crossing among the run's triggering events of ``asset`` (events that arrived
    while a run was going are merged into the next run: it retrains once, for the latest)."""
    events = context.get("triggering_asset_events") or {}
    try:
        found = events[asset]
    except (KeyError, TypeError):
        return None
    payloads = [
        event.extra.get("payload")
        for event in found
        if isinstance(getattr(event, "extra", None), dict) and isinstance(event.extra.get("payload"), dict)
    ]
    payloads = [p for p in payloads if p.get("crossing")]
    return max(payloads, key=lambda p: str(p.get("evaluated_at", ""))) if payloads else None


def _now() -> str:
    return datetime.now(UTC).isoformat()
