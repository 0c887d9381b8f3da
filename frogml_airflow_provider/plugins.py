"""The provider's Airflow plugin: the generated DAGs' timetable, the local platform console under ``/frogml``
and a nav entry."""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin

from frogml_airflow_provider.dags.timetable import FrogMLCronTimetable


class LazyConsole:
    """An ASGI app that builds the console on its first request.

    Airflow loads plugins in most of its processes (workers, scheduler, triggerer); only the API
    server serves them, so FastAPI and the console are imported there alone (~180 ms saved
    elsewhere).
    """

    def __init__(self) -> None:
        self._app: Any = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if self._app is None:
            from frogml_airflow_provider.console.app import create_app

            self._app = create_app()
        await self._app(scope, receive, send)


class FrogMLPlugin(AirflowPlugin):
    name = "frogml"
    timetables = [FrogMLCronTimetable]
    fastapi_apps = [{"app": LazyConsole(), "url_prefix": "/frogml", "name": "JFrog ML local platform"}]
    external_views = [{"name": "JFrog ML (local)", "href": "/frogml/", "destination": "nav", "url_route": "frogml"}]
