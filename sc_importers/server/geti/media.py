"""Media of a Geti 2.x dataset: upload (multipart ``file``), ``media:query`` with filters and paging,
get, delete, and the display endpoints (full, thumb, stream, video frames).

Uploads go through the SC dialect's :func:`~sc_importers.server.routes_media.store_upload`, so both
dialects list the same media; Geti's own rules are added in front: the extension list, 415
``invalid_media`` for undecodable files, and image sides of 32 to 20000 pixels.
"""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile as ParsedFile  # what the form parser gives

from sc_importers.server.db import IMAGE_FRAME
from sc_importers.server.errors import ApiError, bad_request
from sc_importers.server.geti.common import DATASET, load_dataset_project, load_media, not_found
from sc_importers.server.geti.upload_info import annotate_upload, parse_upload_info
from sc_importers.server.geti.views import media_view
from sc_importers.server.media_records import rows_of_media
from sc_importers.server.routes_media import remove_media, store_upload
from sc_importers.server.settings import ServerSettings, settings_of
from sc_importers.server.storage import (
    jpeg_thumbnail,
    media_path,
    original_response,
    thumbnail_response,
)
from sc_importers.server.video import frame_image

router = APIRouter()
EXTENSIONS = {"image": (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".jfif", ".webp"),
              "video": (".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v")}
MIN_SIDE, MAX_SIDE = 32, 20000


def annotation_summary(conn: sqlite3.Connection, media_ids: Sequence[str]) -> dict[str, dict]:
    """Per annotated item among ``media_ids``: the task ids its annotations cover, how many non-empty
    frames (videos) it has, and its latest scene id (images)."""
    summary: dict[str, dict] = {}
    for row in rows_of_media(conn, "frame_index, annotated_tasks, json_extract(doc, '$.id') AS scene, "
                             "json_array_length(doc, '$.annotations') AS n", media_ids):
        entry = summary.setdefault(row["media_id"], {"tasks": set(), "frames": 0, "scene": None})
        if row["n"]:
            entry["tasks"].update(json.loads(row["annotated_tasks"]))
            entry["frames"] += 1 if row["frame_index"] >= 0 else 0
        if row["frame_index"] == IMAGE_FRAME:
            entry["scene"] = row["scene"]
    return summary


def view_of(settings: ServerSettings, project: dict, row: sqlite3.Row, summary: dict[str, dict]) -> dict:
    entry = summary.get(row["id"], {"tasks": set(), "frames": 0})
    return media_view(settings, project, row, entry["tasks"], entry["frames"])


def _check_extension(filename: str, kind: str) -> None:
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    if not PurePosixPath(filename).stem or suffix not in EXTENSIONS[kind]:
        raise ApiError(415, "invalid_media", f"Not a valid {kind} format. Received {suffix or 'no extension'}, "
                                             f"but only the following are allowed: {list(EXTENSIONS[kind])}")


def _check_image_size(width: int, height: int) -> None:
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise ValueError(f"Invalid image dimensions {width}x{height}: width and height must be between "
                         f"{MIN_SIDE} and {MAX_SIDE} pixels.")


def upload_media(settings: ServerSettings, organization_id: str, workspace_id: str, project_id: str,
                 dataset_id: str, kind: str, file: ParsedFile, upload_info: str | None) -> dict:
    """The answer to an upload of ``file`` (its form fields already parsed): the stored item's view.
    The routes below and :mod:`~sc_importers.server.hot_routes` both answer through here."""
    project = load_dataset_project(settings, organization_id, workspace_id, project_id, dataset_id)
    filename = file.filename or ""
    _check_extension(filename, kind)
    label_ids = parse_upload_info(project, upload_info)

    def refuse(exc: ValueError) -> ApiError:
        known = ("dimensions", "decompression bomb")
        reason = str(exc) if any(word in str(exc) for word in known) else "The server was not able to interpret it."
        return ApiError(415, "invalid_media", f"Cannot upload {kind} `{filename}`. {reason}")

    row = store_upload(settings, project_id, dataset_id, kind, file, refuse,
                       _check_image_size if kind == "image" else None)
    annotated, frames = annotate_upload(settings, project, row, label_ids) if label_ids else (set(), 0)
    return media_view(settings, project, row, annotated, frames)


@router.post(DATASET + "/media/images")
def upload_image(request: Request, organization_id: str, workspace_id: str, project_id: str, dataset_id: str,
                 file: Annotated[UploadFile, File()],
                 upload_info: Annotated[str | None, Form()] = None) -> JSONResponse:
    return JSONResponse(upload_media(settings_of(request), organization_id, workspace_id, project_id, dataset_id,
                                     "image", file, upload_info))


@router.post(DATASET + "/media/videos")
def upload_video(request: Request, organization_id: str, workspace_id: str, project_id: str, dataset_id: str,
                 file: Annotated[UploadFile, File()],
                 upload_info: Annotated[str | None, Form()] = None) -> JSONResponse:
    return JSONResponse(upload_media(settings_of(request), organization_id, workspace_id, project_id, dataset_id,
                                     "video", file, upload_info))


def _get(request: Request, organization_id: str, workspace_id: str, project_id: str, dataset_id: str, kind: str,
         media_id: str) -> dict:
    settings = settings_of(request)
    project = load_dataset_project(settings, organization_id, workspace_id, project_id, dataset_id)
    row = load_media(settings, dataset_id, kind, media_id)
    with settings.db.read() as conn:
        summary = annotation_summary(conn, [media_id])
    return view_of(settings, project, row, summary)


@router.get(DATASET + "/media/images/{image_id}")
def get_image(request: Request, organization_id: str, workspace_id: str, project_id: str, dataset_id: str,
              image_id: str) -> dict:
    return _get(request, organization_id, workspace_id, project_id, dataset_id, "image", image_id)


@router.get(DATASET + "/media/videos/{video_id}")
def get_video(request: Request, organization_id: str, workspace_id: str, project_id: str, dataset_id: str,
              video_id: str) -> dict:
    return _get(request, organization_id, workspace_id, project_id, dataset_id, "video", video_id)


def _delete(request: Request, organization_id: str, workspace_id: str, project_id: str, dataset_id: str,
            kind: str, media_id: str) -> dict:
    settings = settings_of(request)
    load_dataset_project(settings, organization_id, workspace_id, project_id, dataset_id)
    remove_media(settings, load_media(settings, dataset_id, kind, media_id))
    return {"result": "success"}


@router.delete(DATASET + "/media/images/{image_id}")
def delete_image(request: Request, organization_id: str, workspace_id: str, project_id: str, dataset_id: str,
                 image_id: str) -> dict:
    return _delete(request, organization_id, workspace_id, project_id, dataset_id, "image", image_id)


@router.delete(DATASET + "/media/videos/{video_id}")
def delete_video(request: Request, organization_id: str, workspace_id: str, project_id: str, dataset_id: str,
                 video_id: str) -> dict:
    return _delete(request, organization_id, workspace_id, project_id, dataset_id, "video", video_id)


def _row(request: Request, organization_id: str, workspace_id: str, project_id: str, dataset_id: str, kind: str,
         media_id: str) -> tuple[ServerSettings, sqlite3.Row]:
    settings = settings_of(request)
    load_dataset_project(settings, organization_id, workspace_id, project_id, dataset_id)
    return settings, load_media(settings, dataset_id, kind, media_id)


@router.get(DATASET + "/media/images/{image_id}/display/full")
def image_full(request: Request, organization_id: str, workspace_id: str, project_id: str, dataset_id: str,
               image_id: str) -> Response:
    settings, row = _row(request, organization_id, workspace_id, project_id, dataset_id, "image", image_id)
    response = original_response(settings.data_dir, row)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@router.get(DATASET + "/media/images/{image_id}/display/thumb")
def image_thumb(request: Request, organization_id: str, workspace_id: str, project_id: str, dataset_id: str,
                image_id: str) -> Response:
    settings, row = _row(request, organization_id, workspace_id, project_id, dataset_id, "image", image_id)
    return thumbnail_response(settings.data_dir, row)


@router.get(DATASET + "/media/videos/{video_id}/display/stream")
def video_stream(request: Request, organization_id: str, workspace_id: str, project_id: str, dataset_id: str,
                 video_id: str) -> Response:
    settings, row = _row(request, organization_id, workspace_id, project_id, dataset_id, "video", video_id)
    return original_response(settings.data_dir, row)


@router.get(DATASET + "/media/videos/{video_id}/display/thumb")
def video_thumb(request: Request, organization_id: str, workspace_id: str, project_id: str, dataset_id: str,
                video_id: str) -> Response:
    settings, row = _row(request, organization_id, workspace_id, project_id, dataset_id, "video", video_id)
    return thumbnail_response(settings.data_dir, row)


def frame_index_of(row: sqlite3.Row, frame_index: str) -> int:
    """The frame index of a path as an int; 400 when not a number, 404 ``video_frame_not_found``
    when the video has no such frame."""
    if not (frame_index.isascii() and frame_index.isdigit()) or len(frame_index) > 18:
        raise bad_request(f"Invalid request parameters: 'frame_index'. Expected a non-negative integer, "
                          f"got '{frame_index}'.")
    index = int(frame_index)
    if index >= row["frame_count"]:
        raise not_found("video frame", f"{row['id']}/{index}")
    return index


def _frame(request: Request, organization_id: str, workspace_id: str, project_id: str, dataset_id: str,
           video_id: str, frame_index: str, thumb: bool) -> Response:
    settings, row = _row(request, organization_id, workspace_id, project_id, dataset_id, "video", video_id)
    image = frame_image(media_path(settings.data_dir, row), frame_index_of(row, frame_index), row["fps"])
    if thumb:
        return Response(jpeg_thumbnail(image), media_type="image/jpeg")
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=100)
    return Response(out.getvalue(), media_type="image/jpeg")


@router.get(DATASET + "/media/videos/{video_id}/frames/{frame_index}/display/full")
def frame_full(request: Request, organization_id: str, workspace_id: str, project_id: str, dataset_id: str,
               video_id: str, frame_index: str) -> Response:
    return _frame(request, organization_id, workspace_id, project_id, dataset_id, video_id, frame_index, False)


@router.get(DATASET + "/media/videos/{video_id}/frames/{frame_index}/display/thumb")
def frame_thumb(request: Request, organization_id: str, workspace_id: str, project_id: str, dataset_id: str,
                video_id: str, frame_index: str) -> Response:
    return _frame(request, organization_id, workspace_id, project_id, dataset_id, video_id, frame_index, True)
