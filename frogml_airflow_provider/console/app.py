"""The console as a FastAPI app, mounted by the provider's Airflow plugin under ``/frogml``.

Airflow mounts plugin apps without authentication of their own, so every page here depends on
Airflow's: the caller must be signed in (a ``Bearer`` token, or the UI's ``_token`` cookie, which
the nav entry's iframe sends) and allowed to see the website. A browser without a session is sent
to the login page; any other client gets 401. Pages only read: a GET changes nothing.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from html import escape
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from frogml_airflow_provider.console import batch, pages
from frogml_airflow_provider.console.known import ConsoleBusy, console_turn
from frogml_airflow_provider.errors import FrogMLProviderError, RegistryUnreadableError
from frogml_airflow_provider.platform.base import PlatformError
from frogml_airflow_provider.platform.local.platform import LocalPlatform
from frogml_airflow_provider.triggers.metric_history import WatcherHistory

PREFIX = "/frogml"
log = logging.getLogger(__name__)


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
    """A browser without a session goes to Airflow's login page, and comes back after it; any other
    refusal or absence is a page saying it (JSON for a client that asks for JSON only)."""
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 401 and "text/html" in request.headers.get("accept", ""):
        from airflow.api_fastapi.app import get_auth_manager

        return RedirectResponse(get_auth_manager().get_url_login(next_url=str(request.url)), status_code=303)
    if error.status_code in (401, 403):
        return await http_exception_handler(request, error)
    return error_page(
        request, _TITLES.get(error.status_code, "This page cannot be shown"), str(error.detail), error.status_code
    )


_TITLES = {404: "Not found", 503: "This page cannot be shown"}


def shown(route: Callable[..., str]) -> Callable[..., Awaitable[Response | str]]:
    """The page, built in a worker thread in its turn (``known.console_turn``), or what went wrong as
    the page (never a bare 500): an unreadable registry or a busy console is a 503 naming it; any
    other failure a 503 with its class, its traceback in the log."""

    @functools.wraps(route)
    async def page(*args: Any, **kwargs: Any) -> Response | str:
        try:
            async with console_turn():
                return await anyio.to_thread.run_sync(functools.partial(route, *args, **kwargs))
        except HTTPException:
            raise
        except RegistryUnreadableError as error:
            return error_page(None, "The local platform's state cannot be read", str(error), 503)
        except ConsoleBusy as error:
            return error_page(None, "The console is busy", str(error), 503, {"Retry-After": "5"})
        except Exception as error:
            log.exception("frogml console: a page failed")
            reason = str(error) if isinstance(error, FrogMLProviderError) else type(error).__name__
            return error_page(None, "This page cannot be shown", f"{reason}; the API server's log has the details", 503)

    return page


def error_page(
    request: Request | None, title: str, text: str, status: int, headers: dict[str, str] | None = None
) -> Response:
    accept = request.headers.get("accept", "") if request is not None else ""
    if "json" in accept and "html" not in accept:
        return JSONResponse({"detail": text}, status_code=status, headers=headers)
    body = pages.page(title, f"<p class='FAILED'>{escape(text)}</p>", PREFIX)
    return HTMLResponse(body, status_code=status, headers=headers)


def watchers_of(model_id: str, readable: frozenset[str]) -> list[WatcherHistory] | str:
    """The metric watchers of ``model_id`` whose DAGs the user may read (Airflow's per-DAG access), from
    Airflow's metadata database, or why they cannot be read."""
    from frogml_airflow_provider.triggers.metric_store import read_watchers

    try:
        # Only the readable DAGs' watchers are read: a tab reads its own, not every watcher's history.
        return [w for w in read_watchers(sorted(readable)) if w.about.get("model_id") == model_id]
    except Exception as error:  # noqa: BLE001 - shown on the page, never a 500
        return f"the metric triggers' history could not be read from Airflow's metadata database: {error}"


STATIC = Path(__file__).parent / "static"
_TYPES = {".js": "text/javascript", ".css": "text/css", ".LICENSE": "text/plain"}


def static_file(name: str) -> Response:
    """The vendored uPlot and the console's script: files of ``static/`` only, by name."""
    path = STATIC / name
    kind = _TYPES.get(path.suffix)
    if "/" in name or name.startswith(".") or kind is None or not path.is_file():
        raise HTTPException(404, f"no static file {name!r}")
    return Response(path.read_bytes(), media_type=kind, headers={"Cache-Control": "max-age=3600"})


def readable_dag(dag_id: str, user: Any) -> Any:
    """The DAG's facts (``story.DagFacts``) if the user may read it (Airflow's per-DAG access); else
    404, as for a DAG that does not exist: a tab never tells which DAGs exist to whom may not read them."""
    from frogml_airflow_provider.console import story
    from frogml_airflow_provider.console.status import access_of

    facts = story.dag_facts(dag_id) if dag_id in access_of(user).dag_ids else None
    if facts is None:
        raise HTTPException(404, f"no DAG {dag_id!r} that you may read")
    return facts


def create_app(platform_factory: object = local_platform, prefix: str = PREFIX) -> FastAPI:
    from airflow.api_fastapi.core_api.security import get_user

    app = FastAPI(title="JFrog ML local platform", docs_url=None, redoc_url=None, dependencies=[signed_in()])
    app.add_exception_handler(StarletteHTTPException, to_login)  # the router's own 404 and 405 too
    factory = platform_factory

    @app.get("/", response_class=HTMLResponse)
    @shown
    def index() -> str:
        return pages.index(factory(), prefix)  # type: ignore[operator]

    @app.get("/builds/{build_id}", response_class=HTMLResponse)
    @shown
    def build(build_id: str) -> str:
        try:
            return pages.build_page(factory(), build_id, prefix)  # type: ignore[operator]
        except RegistryUnreadableError:
            raise
        except PlatformError as error:
            raise HTTPException(404, str(error)) from None

    @app.get("/models/{model_id}", response_class=HTMLResponse)
    @shown
    def model(model_id: str, user: Any = Depends(get_user)) -> str:
        from frogml_airflow_provider.console.status import access_of

        watchers = watchers_of(model_id, access_of(user).dag_ids)
        return pages.model_page(factory(), model_id, prefix, watchers)  # type: ignore[operator]

    @app.get("/status", response_class=HTMLResponse)
    @shown
    def where_automations_run(user: Any = Depends(get_user)) -> str:
        from frogml_airflow_provider.console.status import access_of, status_page

        return status_page(prefix, lambda: access_of(user))

    @app.get("/batch", response_class=HTMLResponse)
    @shown
    def batch_jobs() -> str:
        return batch.batch_jobs_page(factory(), prefix)  # type: ignore[operator]

    @app.get("/static/{name}")
    def static(name: str) -> Response:
        return static_file(name)

    @app.get("/dags/{dag_id}", response_class=HTMLResponse)
    @shown
    def dag_tab(dag_id: str, user: Any = Depends(get_user)) -> str:
        from frogml_airflow_provider.console import tabs

        facts = readable_dag(dag_id, user)
        if not facts.generated:
            return tabs.not_generated(dag_id, prefix)
        platform = factory()  # type: ignore[operator]
        watchers = watchers_of(facts.model_id, frozenset({dag_id}))
        jobs = [job for job in platform.batch_jobs(facts.model_id) if job.run_key.startswith(f"{dag_id}/")]
        return tabs.dag_tab(platform, facts, prefix, watchers, jobs)

    @app.get("/dags/{dag_id}/runs/{run_id}", response_class=HTMLResponse)
    @shown
    def run_tab(dag_id: str, run_id: str, user: Any = Depends(get_user)) -> str:
        from frogml_airflow_provider.console import story, tabs

        facts = readable_dag(dag_id, user)
        if not facts.generated:
            return tabs.not_generated(dag_id, prefix)
        run = story.run_facts(dag_id, run_id)
        if run is None:
            raise HTTPException(404, f"DAG {dag_id!r} has no run {run_id!r}")
        platform = factory()  # type: ignore[operator]
        subject = story.notification_subject(dag_id, run_id)
        sent = [d for d in platform.decisions("notification", facts.model_id) if d.subject == subject]
        return tabs.run_tab(platform, facts, run, prefix, sent)

    @app.get("/batch/{job_id}", response_class=HTMLResponse)
    @shown
    def batch_job(job_id: str) -> str:
        try:
            return batch.batch_job_page(factory(), job_id, prefix)  # type: ignore[operator]
        except RegistryUnreadableError:
            raise
        except PlatformError as error:
            raise HTTPException(404, str(error)) from None

    return app
