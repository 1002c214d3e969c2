"""The FastAPI application: login chain, the SC 1.0 API under ``/api/v1.0``, and the guard that
refuses every ``/api/`` request without credentials: a valid session cookie for SC 1.0, a personal access
token (``x-api-key``) for the Geti 2.x dialect under ``/api/v1/``."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from sc_importers.server import auth, geti, routes_annotations, routes_config, routes_media, routes_projects
from sc_importers.server.errors import install_error_handlers
from sc_importers.server.settings import API_PREFIX, ServerSettings
from sc_importers.server.viewer import routes as viewer

_DOUBLE_SLASH = re.compile(r"/{2,}")
#: Where the Geti 2.x dialect lives (the SC 1.0 dialect's ``/api/v1.0/`` does not start with it).
GETI_PREFIX = "/api/v1/"
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
            for method in sorted(route.methods - {"HEAD"})]


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
    valid_until: dict[str, float] = {}  # token hash -> expiry, a cache in front of the sessions table

    @app.middleware("http")
    async def guard_api(request: Request, call_next) -> Response:
        path = request.url.path
        if not path.startswith("/api/") and path != "/api":
            return await call_next(request)
        if path.startswith(GETI_PREFIX) or path == GETI_PREFIX.rstrip("/"):
            refusal = _geti_refusal(request)
            if refusal is not None:
                return refusal
        elif valid_until.get(key := auth.token_hash(request.cookies.get(auth.SESSION_COOKIE, "")), 0) < time.time():
            valid_until.pop(key, None)
            expiry = auth.session_expiry(request)
            if expiry < time.time():
                return auth.unauthorized()
            valid_until[key] = expiry
        if "//" in path:  # SC answers a doubled slash with a permanent redirect (recorded)
            clean = _DOUBLE_SLASH.sub("/", path)
            query = f"?{request.url.query}" if request.url.query else ""
            host = request.headers.get("host", "")
            location = f"{request.url.scheme}://{host}{clean}{query}"
            return HTMLResponse(f'<a href="{location}">{location}</a>', status_code=308,
                                headers={"Location": location})
        return await call_next(request)

    return app


def _geti_refusal(request: Request) -> Response | None:
    """The Geti gateway's answer to a ``/api/v1/`` request it refuses, else None. ``product_info`` is open,
    as in Geti (its web UI reads the version before anyone logs in); organization-scoped paths must name
    the token's organization."""
    path = request.url.path
    if path.rstrip("/") == GETI_PREFIX + "product_info":
        return None
    settings = request.app.state.server
    refusal = auth.api_key_refusal(request, settings.api_key_hash)
    if refusal is None and path.startswith(GETI_PREFIX + "organizations/"):
        organization = path[len(GETI_PREFIX + "organizations/"):].split("/", 1)[0]
        if organization and organization != settings.organization_id:
            refusal = auth.invalid_token()
    return refusal
