"""The console as a FastAPI app, mounted by the provider's Airflow plugin under ``/frogml``."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse

from frogml_airflow_provider.console import batch, pages
from frogml_airflow_provider.platform.base import PlatformError
from frogml_airflow_provider.platform.local.platform import LocalPlatform

PREFIX = "/frogml"


def local_platform() -> LocalPlatform:
    from frogml_airflow_provider.hooks.frogml import FrogMLHook

    locator = FrogMLHook().locator
    if locator.get("kind") != "local":
        raise HTTPException(404, "the frogml_default connection points at JFrog ML: see its own UI")
    return LocalPlatform(locator["state_dir"])


def create_app(platform_factory: object = local_platform, prefix: str = PREFIX) -> FastAPI:
    app = FastAPI(title="JFrog ML local platform", docs_url=None, redoc_url=None)
    factory = platform_factory

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return pages.index(factory(), prefix)  # type: ignore[operator]

    @app.get("/builds/{build_id}", response_class=HTMLResponse)
    def build(build_id: str) -> str:
        try:
            return pages.build_page(factory(), build_id, prefix)  # type: ignore[operator]
        except PlatformError as error:
            raise HTTPException(404, str(error)) from None

    @app.get("/models/{model_id}", response_class=HTMLResponse)
    def model(model_id: str) -> str:
        return pages.model_page(factory(), model_id, prefix)  # type: ignore[operator]

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
