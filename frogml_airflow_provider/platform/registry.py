"""Rebuild a platform from its locator: the small, secret-free dict a trigger is serialized with."""

from __future__ import annotations

from typing import Any

from frogml_airflow_provider.platform.base import Platform, PlatformError


def platform_from_locator(locator: dict[str, Any]) -> Platform:
    kind = locator.get("kind")
    if kind == "local":
        from frogml_airflow_provider.platform.local.platform import LocalPlatform

        return LocalPlatform(locator["state_dir"])
    raise PlatformError(f"unknown platform {kind!r}: the JFrog ML backend is not available in this version")
