"""The provider's Airflow plugin: the local platform console under ``/frogml`` and a nav entry."""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin


def _apps() -> list[dict[str, Any]]:
    from frogml_airflow_provider.console.app import PREFIX, create_app

    return [{"app": create_app(), "url_prefix": PREFIX, "name": "JFrog ML local platform"}]


class FrogMLPlugin(AirflowPlugin):
    name = "frogml"
    fastapi_apps = _apps()
    external_views = [{"name": "JFrog ML (local)", "href": "/frogml/", "destination": "nav", "url_route": "frogml"}]
