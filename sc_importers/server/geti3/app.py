"""The FastAPI application of the Geti 3 mode: no login, ``{"detail": ...}`` errors, its own store."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from sc_importers.server.geti3 import annotations as annotation_routes  # not the __future__ feature's name
from sc_importers.server.geti3 import media, projects, statistics, uploads, viewer
from sc_importers.server.geti3.store import Store

_log = logging.getLogger("sc_importers.server.geti3")


def create_geti3_app(data_dir: Path) -> FastAPI:
    """An application serving the Geti 3 API from ``data_dir`` (``geti3.sqlite3`` and ``geti3-media/``)."""
    app = FastAPI(title="sc-server (Geti 3 mode)", version="3.0.0-sc-server", openapi_url="/api/openapi.json",
                  docs_url=None, redoc_url=None)
    app.state.geti3 = Store(data_dir)
    for router in (projects.router, uploads.router, media.router, annotation_routes.router, statistics.router):
        app.include_router(router, prefix="/api")
    app.include_router(viewer.router)

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        _log.exception("unexpected error", exc_info=exc)
        return JSONResponse(status_code=500, content={"detail": "Internal server error"})

    return app
