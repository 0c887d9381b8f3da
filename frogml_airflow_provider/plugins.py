"""The provider's Airflow plugin: the generated DAGs' timetable, the local platform console under ``/frogml``,
a nav entry and the JFrog ML tabs on DAG, DAG run and task instance pages."""

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
    external_views = [
        {"name": "JFrog ML (local)", "href": "/frogml/", "destination": "nav", "url_route": "frogml"},
        # Tabs on a DAG's and a DAG run's pages. Airflow 3.3's UI shows them on every DAG (it filters
        # plugin tabs by destination only); ``applies_to`` (apache/airflow#69148, later versions) limits
        # them to the DAGs tagged frogml, and 3.3 passes the unknown key through unused. On a plain DAG
        # the tab's page says it is not a JFrog ML DAG. Each needs its own url_route: the UI finds the
        # view to show by it.
        {
            "name": "JFrog ML",
            "href": "/frogml/dags/{DAG_ID}",
            "destination": "dag",
            "url_route": "frogml-dag",
            "applies_to": {"dag_tags": ["frogml"]},
        },
        {
            "name": "JFrog ML",
            "href": "/frogml/dags/{DAG_ID}/runs/{RUN_ID}",
            "destination": "dag_run",
            "url_route": "frogml-run",
            "applies_to": {"dag_tags": ["frogml"]},
        },
        {  # the run's tab, at the task's part: its build, its gate, its deployment
            "name": "JFrog ML",
            "href": "/frogml/dags/{DAG_ID}/runs/{RUN_ID}#task-{TASK_ID}",
            "destination": "task_instance",
            "url_route": "frogml-task",
            "applies_to": {"dag_tags": ["frogml"]},
        },
    ]
