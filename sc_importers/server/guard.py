"""The guard in front of every ``/api/`` request, as a plain ASGI middleware.

It refuses requests without credentials: a valid session cookie for SC 1.0, a personal access token
(``x-api-key``) for the Geti 2.x dialect under ``/api/v1/``; and answers a doubled slash with SC's
permanent redirect. A plain ASGI class instead of Starlette's ``BaseHTTPMiddleware`` (``@app.middleware``):
that one runs every request and response through an extra task and memory streams, a large share of
a small request's CPU; this one only reads the scope and passes ``receive``/``send`` through.
"""

from __future__ import annotations

import re
import time

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sc_importers.server import auth

_DOUBLE_SLASH = re.compile(r"/{2,}")
#: Where the Geti 2.x dialect lives (the SC 1.0 dialect's ``/api/v1.0/`` does not start with it).
GETI_PREFIX = "/api/v1/"


class ApiGuard:
    """Refuses unauthenticated ``/api/`` requests; everything else passes through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.valid_until: dict[str, float] = {}  # token hash -> expiry, a cache in front of the sessions table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith("/api/") and path != "/api":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(Request(scope), path)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _refusal(self, request: Request, path: str) -> Response | None:
        if path.startswith(GETI_PREFIX) or path == GETI_PREFIX.rstrip("/"):
            refusal = geti_refusal(request, path)
            if refusal is not None:
                return refusal
        elif self.valid_until.get(key := auth.token_hash(request.cookies.get(auth.SESSION_COOKIE, "")),
                                  0) < time.time():
            self.valid_until.pop(key, None)
            expiry = auth.session_expiry(request)
            if expiry < time.time():
                return auth.unauthorized()
            self.valid_until[key] = expiry
        if "//" in path:  # SC answers a doubled slash with a permanent redirect (recorded)
            clean = _DOUBLE_SLASH.sub("/", path)
            query = f"?{request.url.query}" if request.url.query else ""
            host = request.headers.get("host", "")
            location = f"{request.url.scheme}://{host}{clean}{query}"
            return HTMLResponse(f'<a href="{location}">{location}</a>', status_code=308,
                                headers={"Location": location})
        return None


def geti_refusal(request: Request, path: str) -> Response | None:
    """The Geti gateway's answer to a ``/api/v1/`` request (for ``path``) it refuses, else None.
    ``product_info`` is open, as in Geti (its web UI reads the version before anyone logs in);
    organization-scoped paths must name the token's organization."""
    if path.rstrip("/") == GETI_PREFIX + "product_info":
        return None
    settings = request.app.state.server
    refusal = auth.api_key_refusal(request, settings.api_key_hash)
    if refusal is None and path.startswith(GETI_PREFIX + "organizations/"):
        organization = path[len(GETI_PREFIX + "organizations/"):].split("/", 1)[0]
        if organization and organization != settings.organization_id:
            refusal = auth.invalid_token()
    return refusal
