"""Upstream assets: an automation's DAG also runs after other DAGs' assets, said on the Airflow side.

``[frogml] upstream_assets`` (or ``AIRFLOW__FROGML__UPSTREAM_ASSETS``) is a JSON object from automation
name to asset URIs, e.g. ``{"retrain_on_drift": ["s3://features/daily"]}``. The automation files are
untouched, so ``export`` stays equal to the SDK; the DAG runs on its own schedule (cron, metric
crossing, manual) *or* after any upstream asset event. A run an upstream asset started has no metric
crossing: it retrains now, as a manual run does. Read once per process per value (it is parse-time).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from airflow.sdk import Asset

from frogml_airflow_provider.assets import GROUP, SCHEME

OPTION = "[frogml] upstream_assets"
_FORM = '{"automation name": ["scheme://asset/uri", ...]}'


def upstream_assets(automation_name: str) -> list[Asset]:
    """The assets the configuration says ``automation_name``'s DAG also runs after (often none)."""
    from airflow.configuration import conf

    uris = _parse(conf.get("frogml", "upstream_assets", fallback="") or "").get(automation_name, ())
    return [Asset(uri=uri, group=GROUP) if uri.lower().startswith(f"{SCHEME}://") else Asset(uri=uri) for uri in uris]


@lru_cache(maxsize=4)
def _parse(raw: str) -> dict[str, tuple[str, ...]]:
    if not raw.strip():
        return {}
    try:
        given: Any = json.loads(raw)
    except ValueError as error:
        raise ValueError(f"{OPTION} is not valid JSON ({error}); write it as {_FORM}") from None
    if not isinstance(given, dict):
        raise ValueError(f"{OPTION} must be a JSON object, {_FORM}; it is a {type(given).__name__}")
    found: dict[str, tuple[str, ...]] = {}
    for name, uris in given.items():
        listed = [uris] if isinstance(uris, str) else uris
        if not isinstance(listed, list) or not all(isinstance(u, str) and "://" in u for u in listed):
            raise ValueError(f"{OPTION}: automation {name!r} must list asset URIs (scheme://...), not {uris!r}")
        found[name] = tuple(u.strip() for u in listed)
    return found
