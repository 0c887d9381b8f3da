"""The metric watchers' state and history, read from Airflow's metadata database.

For the readers that must never run automation files: the console (inside Airflow's API server) and
``frogml-airflow evaluations`` (on a machine with Airflow's configuration). What the watchers wrote
into the asset state store of their assets (``metric_history``) is all they need.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from frogml_airflow_provider.tasks import METRIC_ASSET_SCHEME, metric_asset_name
from frogml_airflow_provider.triggers.metric_history import WatcherHistory


def read_watchers(dag_ids: Iterable[str] | None = None) -> list[WatcherHistory]:
    """Every metric watcher's history (or those of ``dag_ids``), by DAG id."""
    from airflow.models.asset import AssetModel
    from airflow.models.asset_state_store import AssetStateStoreModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    query = select(AssetModel.name, AssetStateStoreModel.key, AssetStateStoreModel.value).join(
        AssetStateStoreModel, AssetStateStoreModel.asset_id == AssetModel.id
    )
    if dag_ids is None:
        query = query.where(AssetModel.name.startswith(f"{METRIC_ASSET_SCHEME}/"))
    else:
        query = query.where(AssetModel.name.in_([metric_asset_name(dag_id) for dag_id in dag_ids]))
    stored: dict[str, dict[str, Any]] = {}
    with create_session() as session:
        for name, key, value in session.execute(query):
            stored.setdefault(name.split("/", 1)[1], {})[key] = _decoded(value)
    return [WatcherHistory.of(dag_id, values) for dag_id, values in sorted(stored.items())]


def _decoded(value: str) -> Any:
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return None
