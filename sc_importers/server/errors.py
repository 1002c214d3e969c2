"""Error bodies in SC 1.0's shape: ``{"error_code", "http_status", "message"}``.

Every refusal of the API goes through :class:`ApiError` (or the handlers below for errors raised by
FastAPI itself), so clients always get the same three keys and a message naming the problem.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sc_importers.server.ids import is_valid_id


class ApiError(Exception):
    """A request the server refuses; becomes an SC-style JSON error body."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error_code": code, "http_status": status, "message": message})


def bad_request(message: str) -> ApiError:
    return ApiError(400, "bad_request", message)


def not_found(kind: str, ident: str) -> ApiError:
    """404 for a missing ``kind`` (project, media, ...), e.g. error_code ``project_not_found``."""
    return ApiError(404, f"{kind.replace(' ', '_')}_not_found", f"{kind.capitalize()} with id {ident} was not found.")


def check_id(kind: str, ident: str) -> str:
    """Refuse a malformed id with 400 before it reaches the database."""
    if not is_valid_id(ident):
        raise ApiError(400, "bad_request", f"Invalid {kind} id {ident!r}: expected 24 hexadecimal characters.")
    return ident


_log = logging.getLogger("sc_importers.server")

_HTTP_CODES = {404: "resource_not_found", 405: "method_not_allowed", 413: "payload_too_large"}


def install_error_handlers(app: FastAPI) -> None:
    """Map our and the framework's exceptions to SC-style bodies."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()))
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
        return error_response(400, "bad_request", "Invalid request: " + "; ".join(parts))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404:
            message = "The requested resource was not found."
        return error_response(exc.status_code, code, message)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # A bug, not a client error: log the traceback and still answer in SC's error shape
        # (without a handler the connection was simply reset).
        _log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(500, "internal_server_error", f"Internal server error: {type(exc).__name__}.")
