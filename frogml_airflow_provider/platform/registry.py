"""Rebuild a platform from its locator: the small, secret-free dict a trigger is serialized with."""

from __future__ import annotations

from typing import Any

from frogml_airflow_provider.errors import PlatformError
from frogml_airflow_provider.get_provider_info import DEFAULT_CONN_ID
from frogml_airflow_provider.platform.base import Platform


def platform_from_locator(locator: dict[str, Any]) -> Platform:
    kind = locator.get("kind")
    if kind == "local":
        from frogml_airflow_provider.platform.local.platform import LocalPlatform

        return LocalPlatform(locator["state_dir"], machine=locator.get("machine"))
    if kind == "jfrog":
        from frogml_airflow_provider.platform.jfrog import JFrogMLPlatform

        return JFrogMLPlatform(conn_id=locator.get("conn_id") or DEFAULT_CONN_ID, url=locator.get("url") or "")
    raise PlatformError(f"unknown platform {kind!r} in locator {sorted(locator)}: expected 'local' or 'jfrog'")
