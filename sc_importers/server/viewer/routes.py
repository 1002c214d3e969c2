"""The viewer's routes under ``/viewer/``: read-only pages behind the same login as the API.

A browser without a valid ``_oauth2_proxy`` session is sent to ``/user/login`` (the SC login
chain of :mod:`sc_importers.server.auth`); the page it asked for is remembered in a short-lived
cookie, and the login chain, which always ends at ``/``, comes back through ``/viewer/`` to it.
"""

from __future__ import annotations

import io
import re

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from PIL import Image

from sc_importers.server import auth
from sc_importers.server.db import IMAGE_FRAME
from sc_importers.server.ids import is_valid_id
from sc_importers.server.settings import ServerSettings, settings_of
from sc_importers.server.storage import (
    THUMB_SIZE,
    jpeg_thumbnail,
    media_path,
    original_response,
    thumbnail_response,
)
from sc_importers.server.video import frame_image
from sc_importers.server.viewer import pages, store

router = APIRouter(prefix=pages.BASE, include_in_schema=False)
_NEXT_COOKIE = "sc_viewer_next"
#: A remembered page must be a viewer path (never another site: no open redirect).
_SAFE_NEXT = re.compile(r"/viewer/(?!.*//)[A-Za-z0-9/_?=&.%-]*\Z")
#: Image types every browser shows as they are; others (TIFF, ...) are sent as PNG.
_BROWSER_TYPES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp"}
DEFAULT_PER_PAGE = 60
_CACHE = {"Cache-Control": "private, max-age=3600"}


class _LoginNeeded(Exception):
    """Raised by :func:`_settings` for a request without a valid session."""


def _settings(request: Request) -> ServerSettings:
    if not auth.session_is_valid(request):
        raise _LoginNeeded
    return settings_of(request)


def login_redirect(request: Request) -> Response:
    """Where a browser without a session goes: the login chain, remembering the page asked for."""
    response = RedirectResponse("/user/login", status_code=303)
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if _SAFE_NEXT.match(wanted) and request.method == "GET":
        response.set_cookie(_NEXT_COOKIE, wanted, max_age=900, path=pages.BASE, httponly=True, samesite="lax")
    return response


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers={"Cache-Control": "no-store"})


def _not_found(what: str) -> HTMLResponse:
    return _html(pages.message_page("Not found", f"{what} does not exist (it may have been deleted)."), 404)


def _project(request: Request, project_id: str) -> tuple[ServerSettings, dict | None]:
    settings = _settings(request)
    project = store.load_project(settings, project_id) if is_valid_id(project_id) else None
    return settings, project


@router.get("")
def viewer_root() -> Response:
    return RedirectResponse(f"{pages.BASE}/", status_code=307)


@router.get("/")
def projects(request: Request) -> Response:
    settings = _settings(request)
    wanted = request.cookies.get(_NEXT_COOKIE)
    if wanted and _SAFE_NEXT.match(wanted) and wanted != f"{pages.BASE}/":
        response = RedirectResponse(wanted, status_code=303)
        response.delete_cookie(_NEXT_COOKIE, path=pages.BASE)
        return response
    return _html(pages.projects_page(store.project_summaries(settings)))


def _number(text: str | None, default: int) -> int:
    """A query parameter as a non-negative int; ``default`` when absent or not a number (a page
    address typed by hand gets a page, not a JSON error)."""
    return int(text) if text is not None and text.isascii() and text.isdigit() and len(text) < 10 else default


@router.get("/projects/{project_id}")
def media_grid(request: Request, project_id: str, show: str = "all", page: str = "1",
               per_page: str = str(DEFAULT_PER_PAGE)) -> Response:
    settings, project = _project(request, project_id)
    if project is None:
        return _not_found(f"Project {project_id}")
    show = show if show in store.SHOW_CHOICES else "all"
    size = min(max(_number(per_page, DEFAULT_PER_PAGE), 1), 500)
    number = max(_number(page, 1), 1)
    result = store.media_page(settings, project, show, (number - 1) * size, size)
    return _html(pages.grid_page(project, result, show, number, size))


@router.get("/projects/{project_id}/media/{media_id}")
def media_item(request: Request, project_id: str, media_id: str, frame: str | None = None) -> Response:
    settings, project = _project(request, project_id)
    row = store.load_media_row(settings, project_id, media_id) if project and is_valid_id(media_id) else None
    if row is None or project is None:
        return _not_found(f"Media item {media_id} of project {project_id}")
    around = store.neighbours(settings, project_id, media_id)
    if row["kind"] == "image":
        return _html(pages.media_view(project, row, store.scene(settings, media_id, IMAGE_FRAME), None, [], around))
    frames = store.annotated_frames(settings, media_id)
    index = _number(frame, -1) if frame is not None else (frames[0] if frames else 0)
    if not 0 <= index < row["frame_count"]:
        return _html(pages.message_page("Not found", f"That is not a frame of {row['name']} "
                                        f"(0-{row['frame_count'] - 1})."), 404)
    return _html(pages.media_view(project, row, store.scene(settings, media_id, index), index, frames, around))


@router.get("/projects/{project_id}/media/{media_id}/thumb")
def media_thumb(request: Request, project_id: str, media_id: str) -> Response:
    settings, project = _project(request, project_id)
    row = store.load_media_row(settings, project_id, media_id) if project and is_valid_id(media_id) else None
    if row is None:
        return Response(status_code=404)
    if row["kind"] == "video":
        response = thumbnail_response(settings.data_dir, row)
        response.headers.update(_CACHE)
        return response
    with Image.open(media_path(settings.data_dir, row)) as image:
        image.draft("RGB", (2 * THUMB_SIZE[0], 2 * THUMB_SIZE[1]))  # a JPEG decodes at 1/2..1/8 size: faster
        return Response(jpeg_thumbnail(image), media_type="image/jpeg", headers=_CACHE)


@router.get("/projects/{project_id}/media/{media_id}/full")
def media_full(request: Request, project_id: str, media_id: str, frame: str | None = None) -> Response:
    """The image as a browser can show it, or one video frame as JPEG."""
    settings, project = _project(request, project_id)
    row = store.load_media_row(settings, project_id, media_id) if project and is_valid_id(media_id) else None
    if row is None:
        return Response(status_code=404)
    path = media_path(settings.data_dir, row)
    if row["kind"] == "video":
        index = _number(frame, -1)
        if not 0 <= index < row["frame_count"]:
            return Response(status_code=404)
        out = io.BytesIO()
        frame_image(path, index, row["fps"]).convert("RGB").save(out, "JPEG", quality=90)
        return Response(out.getvalue(), media_type="image/jpeg", headers=_CACHE)
    if path.suffix.lower() in _BROWSER_TYPES:
        response = original_response(settings.data_dir, row)
        response.headers.update(_CACHE)
        return response
    out = io.BytesIO()
    with Image.open(path) as image:
        image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB").save(out, "PNG")
    return Response(out.getvalue(), media_type="image/png", headers=_CACHE)


def install(app: FastAPI) -> None:
    """Serve the viewer: its routes, and the login redirect for a browser without a session."""
    app.include_router(router)

    @app.exception_handler(_LoginNeeded)
    async def _login(request: Request, _exc: _LoginNeeded) -> Response:
        return login_redirect(request)
