"""The console as a FastAPI app, mounted by the provider's Airflow plugin under ``/frogml``.

Airflow mounts plugin apps without authentication of their own, so every page here depends on
Airflow's: the caller must be signed in (a ``Bearer`` token, or the UI's ``_token`` cookie, which
the nav entry's iframe sends) and allowed to see the website. A browser without a session is sent
to the login page; any other client gets 401. Pages only read: a GET changes nothing.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from frogml_airflow_provider.console import batch, pages
from frogml_airflow_provider.errors import RegistryUnreadableError
from frogml_airflow_provider.platform.base import PlatformError
from frogml_airflow_provider.platform.local.platform import LocalPlatform
from frogml_airflow_provider.triggers.metric_history import WatcherHistory

PREFIX = "/frogml"


def local_platform() -> LocalPlatform:
    from frogml_airflow_provider.hooks.frogml import FrogMLHook

    locator = FrogMLHook().locator
    if locator.get("kind") != "local":
        raise HTTPException(404, "the frogml_default connection points at JFrog ML: see its own UI")
    return LocalPlatform(locator["state_dir"])


def signed_in() -> Any:
    """Airflow's own check: authenticated, and allowed to see the website."""
    from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
    from airflow.api_fastapi.core_api.security import requires_access_view

    return Depends(requires_access_view(AccessView.WEBSITE))


async def to_login(request: Request, error: Exception) -> Response:
    """A browser without a session goes to Airflow's login page, and comes back after it."""
    assert isinstance(error, HTTPException)
    if error.status_code == 401 and "text/html" in request.headers.get("accept", ""):
        from airflow.api_fastapi.app import get_auth_manager

        return RedirectResponse(get_auth_manager().get_url_login(next_url=str(request.url)), status_code=303)
    return await http_exception_handler(request, error)


async def unavailable(request: Request, error: Exception) -> Response:
    """The platform's state cannot be read (a corrupt registry): say which file and what to do."""
    return PlainTextResponse(str(error), status_code=503)


def watchers_of(model_id: str) -> list[WatcherHistory] | str:
    """The metric watchers of ``model_id`` from Airflow's metadata database, or why they cannot be read."""
    from frogml_airflow_provider.triggers.metric_store import read_watchers

    try:
        return [w for w in read_watchers() if w.about.get("model_id") == model_id]
    except Exception as error:  # noqa: BLE001 - shown on the page, never a 500
        return f"the metric triggers' history could not be read from Airflow's metadata database: {error}"


def create_app(platform_factory: object = local_platform, prefix: str = PREFIX) -> FastAPI:
    app = FastAPI(title="JFrog ML local platform", docs_url=None, redoc_url=None, dependencies=[signed_in()])
    app.add_exception_handler(HTTPException, to_login)
    app.add_exception_handler(RegistryUnreadableError, unavailable)
    factory = platform_factory

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return pages.index(factory(), prefix)  # type: ignore[operator]

    @app.get("/builds/{build_id}", response_class=HTMLResponse)
    def build(build_id: str) -> str:
        try:
            return pages.build_page(factory(), build_id, prefix)  # type: ignore[operator]
        except RegistryUnreadableError:
            raise
        except PlatformError as error:
            raise HTTPException(404, str(error)) from None

    @app.get("/models/{model_id}", response_class=HTMLResponse)
    def model(model_id: str) -> str:
        return pages.model_page(factory(), model_id, prefix, watchers_of(model_id))  # type: ignore[operator]

    @app.get("/status", response_class=HTMLResponse)
    def where_automations_run() -> str:
        from frogml_airflow_provider.console.status import status_page

        return status_page(prefix)

    @app.get("/batch", response_class=HTMLResponse)
    def batch_jobs() -> str:
        return batch.batch_jobs_page(factory(), prefix)  # type: ignore[operator]

    @app.get("/batch/{job_id}", response_class=HTMLResponse)
    def batch_job(job_id: str) -> str:
        try:
            return batch.batch_job_page(factory(), job_id, prefix)  # type: ignore[operator]
        except PlatformError as error:
            raise HTTPException(404, str(error)) from None

    return app
