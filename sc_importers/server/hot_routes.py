"""A direct ASGI path for the two requests an import sends per image, in both dialects: the image
upload (``POST .../media/images``) and its annotation scene (``POST .../media/images/{id}/annotations``).

Why: for these small requests FastAPI's route matching (a linear walk over every route of both
dialects and the viewer), dependency solving, parameter validation and response validation cost
more server CPU than the work itself. This middleware sits behind :class:`~sc_importers.server.guard.ApiGuard`
(the credentials are checked as for every request) and answers through the very functions the
FastAPI routes call (``upload_media``, ``store_image_scene``), with the same checks in the same order,
the same errors (:class:`~sc_importers.server.errors.ApiError` bodies) and the same response bytes
(tests/server/test_server_hot_routes.py compares both paths).

Anything out of the ordinary goes to the FastAPI route instead, which stays the reference: a body
without ``Content-Length`` or above :data:`MAX_BODY`, a form that is not exactly the fields the route
takes, or one the form parser refuses. The body already read is then handed over unchanged.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator
from functools import partial

import pydantic_core
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sc_importers.server import routes_annotations, routes_media
from sc_importers.server.body import MAX_JSON_BYTES
from sc_importers.server.errors import ApiError, error_response
from sc_importers.server.geti import annotations as geti_annotations
from sc_importers.server.geti import media as geti_media

_SC = re.compile(r"/api/v1\.0/workspaces/([^/]+)/projects/([^/]+)/datasets/([^/]+)/media/images"
                 r"(?:/([^/]+)/annotations)?")
_GETI = re.compile(r"/api/v1/organizations/([^/]+)/workspaces/([^/]+)/projects/([^/]+)/datasets/([^/]+)"
                   r"/media/images(?:/([^/]+)/annotations)?")
#: Largest upload body answered here: it is read whole into memory before it is parsed, so this bounds
#: the memory of uploads in flight; larger ones take the FastAPI route, which streams them (their
#: per-request overhead matters less).
MAX_BODY = 8 * 1024 * 1024


class HotRoutes:
    """Answers the image upload and image annotation POSTs of both dialects; passes everything else on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"] if scope["type"] == "http" and scope["method"] == "POST" else ""
        match = (_SC.fullmatch(path) if path.startswith("/api/v1.0/")
                 else _GETI.fullmatch(path) if path.startswith("/api/v1/") else None)
        if match is None:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        *ids, media_id = match.groups()
        limit = MAX_JSON_BYTES if media_id else MAX_BODY
        declared = headers.get("content-length", "")
        if "transfer-encoding" in headers or not (declared.isascii() and declared.isdigit()) \
                or int(declared) > limit:
            await self.app(scope, receive, send)
            return
        body = await _read(receive)
        if body is None:  # the client went away: nobody to answer
            return
        settings = scope["app"].state.server
        geti = path.startswith("/api/v1/")
        try:
            if media_id and geti:
                organization, workspace, project, dataset = ids
                answer = await run_in_threadpool(partial(geti_annotations.store_image_scene, settings, organization,
                                                         workspace, project, dataset, media_id, body))
                await _send(send, pydantic_core.to_json(answer))
                return
            if media_id:
                workspace, project, dataset = ids
                answer = await run_in_threadpool(partial(routes_annotations.store_image_scene, settings, workspace,
                                                         project, dataset, media_id, body))
                await _send(send, pydantic_core.to_json(answer))
                return
            form = await _form(headers, body, ("file", "upload_info") if geti else ("file",))
            if form is None:
                await self.app(scope, _replay(body, receive), send)
                return
            try:
                file, info = form["file"], form.get("upload_info")
                assert isinstance(file, UploadFile) and not isinstance(info, UploadFile)  # _form checked them
                if geti:  # FastAPI takes an empty form field as absent
                    organization, workspace, project, dataset = ids
                    answer = await run_in_threadpool(partial(geti_media.upload_media, settings, organization, workspace,
                                                             project, dataset, "image", file, info or None))
                    await _send(send, bytes(JSONResponse(answer).body))
                else:
                    workspace, project, dataset = ids
                    answer = await run_in_threadpool(partial(routes_media.upload_media, settings, workspace, project,
                                                             dataset, "image", file))
                    await _send(send, pydantic_core.to_json(answer))
            finally:
                await form.close()
        except ApiError as exc:
            await error_response(exc.status, exc.code, exc.message)(scope, receive, send)


async def _read(receive: Receive) -> bytes | None:
    """The whole request body, or None when the client disconnected first."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _form(headers: Headers, body: bytes, fields: tuple[str, ...]) -> FormData | None:
    """The multipart form as Starlette parses it for the route, or None (for the route to answer) unless
    it holds exactly one file, named ``file``, and otherwise only plain fields of ``fields``, each once."""
    if not headers.get("content-type", "").lower().startswith("multipart/form-data"):
        return None

    async def stream() -> AsyncGenerator[bytes, None]:
        yield body

    try:
        form = await MultiPartParser(headers, stream()).parse()
    except MultiPartException:
        return None
    files = [name for name, value in form.multi_items() if isinstance(value, UploadFile)]
    plain = [name for name, value in form.multi_items() if not isinstance(value, UploadFile)]
    if files != ["file"] or not set(plain) <= set(fields) - {"file"} or len(set(plain)) < len(plain):
        await form.close()
        return None
    return form


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the body already read once, then waits on the connection as before."""
    pending = [body]

    async def replay() -> Message:
        if pending:
            return {"type": "http.request", "body": pending.pop(), "more_body": False}
        return await receive()

    return replay


async def _send(send: Send, body: bytes) -> None:
    """A 200 JSON response, with the headers Starlette's ``Response`` gives it."""
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})

