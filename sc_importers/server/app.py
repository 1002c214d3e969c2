"""The FastAPI application: login chain, the SC 1.0 API under ``/api/v1.0``, and the guard that
refuses every ``/api/`` request without credentials: a valid session cookie for SC 1.0, a personal access
token (``x-api-key``) for the Geti 2.x dialect under ``/api/v1/``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from fastapi.routing import APIRoute

from sc_importers.server import auth, geti, routes_annotations, routes_config, routes_media, routes_projects
from sc_importers.server.errors import install_error_handlers
from sc_importers.server.guard import ApiGuard
from sc_importers.server.hot_routes import HotRoutes
from sc_importers.server.settings import API_PREFIX, ServerSettings
from sc_importers.server.viewer import routes as viewer

#: Worker threads for synchronous routes (uploads, decoding); uploaders use 8-16 threads at once.
THREADS = 64


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
    yield

#: Every router served under ``/api/v1.0``; :func:`create_app` includes exactly these.
API_ROUTERS = (routes_projects.router, routes_media.router, routes_annotations.router, routes_config.router)


def api_routes() -> list[tuple[str, str]]:
    """(method, path template) of every API route, e.g. for tests that must cover each route."""
    return [(method, API_PREFIX + route.path) for router in API_ROUTERS for route in router.routes
            if isinstance(route, APIRoute) for method in sorted((route.methods or set()) - {"HEAD"})]


def create_app(data_dir: Path, username: str, password: str, session_ttl: float = 7 * 24 * 3600.0,
               api_key: str | None = None) -> FastAPI:
    """An application serving ``data_dir`` for one user. ``api_key`` is the Geti 2.x personal access token;
    without one, ``/api/v1/`` accepts no token at all (only its hash is kept either way)."""
    app = FastAPI(title="sc-server", docs_url=None, redoc_url=None, openapi_url=None, lifespan=_lifespan)
    app.state.server = ServerSettings(data_dir=data_dir, username=username, password=password,
                                      session_ttl=session_ttl,
                                      api_key_hash=auth.api_key_hash(api_key) if api_key else "")
    install_error_handlers(app)
    app.include_router(auth.router)
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    for router in geti.ROUTERS:  # the Geti 2.x dialect on the same store
        app.include_router(router, prefix=geti.API)
    viewer.install(app)
    app.add_middleware(HotRoutes)  # the per-image upload and annotation POSTs, past FastAPI's routing
    app.add_middleware(ApiGuard)  # plain ASGI, outside HotRoutes: refuses /api/ requests without credentials
    return app

