"""Images and videos of a project's dataset: upload (multipart field ``file``), listing with
``top``/``skiptoken``/``next_page``/``media_count``, get, delete, and the display endpoints."""

from __future__ import annotations

import contextlib
import io
import json
import re
import sqlite3
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import Response
from starlette.datastructures import UploadFile as ParsedFile  # what the form parser gives

from sc_importers.server.errors import ApiError, bad_request, check_id
from sc_importers.server.ids import new_id
from sc_importers.server.lookup import load_dataset_project, load_media
from sc_importers.server.media_records import annotated_tasks_by_media, media_record
from sc_importers.server.settings import ServerSettings, settings_of
from sc_importers.server.storage import (
    commit,
    drop_thumbnail,
    jpeg_thumbnail,
    media_dir,
    media_path,
    original_response,
    probe_image,
    receive,
    thumbnail_response,
    upload_names,
)
from sc_importers.server.timefmt import now_iso
from sc_importers.server.video import frame_image, probe_video

router = APIRouter()
DATASET = "/workspaces/{workspace_id}/projects/{project_id}/datasets/{dataset_id}"
DEFAULT_TOP = 100
#: ASCII digits only: ``str.isdigit`` also accepts e.g. "²", which ``int()`` then refuses (a 500).
_DIGITS = re.compile(r"[0-9]{1,18}\Z")


def store_upload(settings: ServerSettings, project_id: str, dataset_id: str, kind: str, file: ParsedFile,
                 refuse: Callable[[ValueError], ApiError], check: Callable[[int, int], None] | None = None
                 ) -> dict:
    """Receive, probe and store an uploaded ``image`` or ``video``; its new media row (a dict with the
    media table's columns). Both dialects upload through here: ``refuse`` turns an undecodable file
    into the dialect's error, ``check(width, height)`` may raise ValueError for sizes the dialect
    does not take."""
    filename = file.filename or "upload"
    temp = receive(settings.data_dir, file.file)
    try:
        if kind == "image":
            width, height = probe_image(temp, filename)
            video = None
        else:
            video = probe_video(temp, filename)
            width, height = video.width, video.height
        if check is not None:
            check(width, height)
    except ValueError as exc:
        temp.unlink(missing_ok=True)
        raise refuse(exc) from exc
    except BaseException:  # whatever else goes wrong, no temporary upload is left behind
        temp.unlink(missing_ok=True)
        raise
    media_id = new_id()
    name, stored = upload_names(filename, media_id, ".jpg" if kind == "image" else ".mp4")
    final = media_dir(settings.data_dir, project_id) / stored
    values = (media_id, project_id, dataset_id, kind, name, stored, now_iso(),
              width, height, video.frame_count if video else None, video.fps if video else None,
              video.duration if video else None)
    try:
        # The rename happens inside the transaction: a project deleted meanwhile (its rows are gone
        # before its folder is removed) gets no file, and a crash before COMMIT leaves a file
        # without a row, which storage.recover removes at the next start.
        with settings.db.write() as conn:
            found = conn.execute("SELECT doc FROM projects WHERE id=?", (project_id,)).fetchone()
            if not found:
                raise ApiError(404, "project_not_found", f"Project with id {project_id} was not found.")
            if dataset_id not in {d["id"] for d in json.loads(found["doc"])["datasets"]}:
                raise ApiError(404, "dataset_not_found", f"Dataset with id {dataset_id} was deleted meanwhile.")
            commit(temp, final)
            conn.execute("INSERT INTO media (id, project_id, dataset_id, kind, name, filename, upload_time, "
                         "width, height, frame_count, fps, duration) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", values)
    except BaseException:
        temp.unlink(missing_ok=True)
        final.unlink(missing_ok=True)
        raise
    # The stored row as it was inserted (not read back: a project deleted right after the commit
    # would leave nothing to read, and the upload itself did succeed).
    columns = ("id", "project_id", "dataset_id", "kind", "name", "filename", "upload_time", "width", "height",
               "frame_count", "fps", "duration")
    return dict(zip(columns, values, strict=True))


def upload_media(settings: ServerSettings, workspace_id: str, project_id: str, dataset_id: str, kind: str,
                 file: ParsedFile) -> dict:
    """The answer to an upload of ``file`` (its form field already parsed): the stored media record.
    The route below and :mod:`~sc_importers.server.hot_routes` both answer through here."""
    project = load_dataset_project(settings, workspace_id, project_id, dataset_id)
    row = store_upload(settings, project_id, dataset_id, kind, file,
                       lambda exc: ApiError(400, f"invalid_{kind}_file", str(exc)))
    return media_record(settings.workspace_id, project, row, set())


@router.post(DATASET + "/media/images")
def upload_image(request: Request, workspace_id: str, project_id: str, dataset_id: str,
                 file: Annotated[UploadFile, File()]) -> dict:
    return upload_media(settings_of(request), workspace_id, project_id, dataset_id, "image", file)


@router.post(DATASET + "/media/videos")
def upload_video(request: Request, workspace_id: str, project_id: str, dataset_id: str,
                 file: Annotated[UploadFile, File()]) -> dict:
    return upload_media(settings_of(request), workspace_id, project_id, dataset_id, "video", file)


def _list(request: Request, workspace_id: str, project_id: str, dataset_id: str, kinds: tuple[str, ...]) -> dict:
    settings = settings_of(request)
    project = load_dataset_project(settings, workspace_id, project_id, dataset_id)
    raw_top = request.query_params.get("top", str(DEFAULT_TOP))
    # top=0 is refused like any non-positive value (Geti refuses an out-of-range limit with 400;
    # not recorded for SC 1.0); a top above the count simply returns everything.
    if not _DIGITS.match(raw_top) or int(raw_top) < 1:
        raise bad_request(f"Query parameter 'top' must be a positive integer, got {raw_top!r}.")
    top = int(raw_top)
    skiptoken = request.query_params.get("skiptoken")
    if skiptoken is not None:
        check_id("skiptoken", skiptoken)
    marks = ",".join("?" * len(kinds))
    with settings.db.read() as conn:
        rows = conn.execute(f"SELECT * FROM media WHERE dataset_id=? AND kind IN ({marks}) AND id > ? "
                            "ORDER BY id LIMIT ?", (dataset_id, *kinds, skiptoken or "", top)).fetchall()
        counts = settings.db.media_counts(conn, dataset_id)
        annotated = annotated_tasks_by_media(conn, [r["id"] for r in rows])
    body: dict = {
        "media": [media_record(settings.workspace_id, project, r, annotated.get(r["id"], set())) for r in rows],
        "media_count": {f"{k}s": counts.get(k, 0) for k in kinds},
    }
    if rows:  # SC 1.0 links a next page after every non-empty page (recorded)
        body["next_page"] = f"{request.url.path}?top={top}&skiptoken={rows[-1]['id']}"
    return body


@router.get(DATASET + "/media")
def list_media(request: Request, workspace_id: str, project_id: str, dataset_id: str) -> dict:
    return _list(request, workspace_id, project_id, dataset_id, ("image", "video"))


@router.get(DATASET + "/media/images")
def list_images(request: Request, workspace_id: str, project_id: str, dataset_id: str) -> dict:
    return _list(request, workspace_id, project_id, dataset_id, ("image",))


@router.get(DATASET + "/media/videos")
def list_videos(request: Request, workspace_id: str, project_id: str, dataset_id: str) -> dict:
    return _list(request, workspace_id, project_id, dataset_id, ("video",))


def _get(request: Request, workspace_id: str, project_id: str, dataset_id: str, kind: str, media_id: str) -> dict:
    settings = settings_of(request)
    project = load_dataset_project(settings, workspace_id, project_id, dataset_id)
    row = load_media(settings, dataset_id, kind, media_id)
    with settings.db.read() as conn:
        annotated = annotated_tasks_by_media(conn, [media_id]).get(media_id, set())
    return media_record(settings.workspace_id, project, row, annotated)


@router.get(DATASET + "/media/images/{media_id}")
def get_image(request: Request, workspace_id: str, project_id: str, dataset_id: str, media_id: str) -> dict:
    return _get(request, workspace_id, project_id, dataset_id, "image", media_id)


@router.get(DATASET + "/media/videos/{media_id}")
def get_video(request: Request, workspace_id: str, project_id: str, dataset_id: str, media_id: str) -> dict:
    return _get(request, workspace_id, project_id, dataset_id, "video", media_id)


def remove_media(settings: ServerSettings, row: sqlite3.Row) -> None:
    """Delete one media item: its annotations, its row, its file and its cached thumbnail (both
    dialects delete through here)."""
    with settings.db.write() as conn:
        conn.execute("DELETE FROM annotations WHERE media_id=?", (row["id"],))
        conn.execute("DELETE FROM media WHERE id=?", (row["id"],))
    with contextlib.suppress(FileNotFoundError):
        media_path(settings.data_dir, row).unlink()
    drop_thumbnail(settings.data_dir, row)


def _delete(request: Request, workspace_id: str, project_id: str, dataset_id: str, kind: str,
            media_id: str) -> dict:
    settings = settings_of(request)
    load_dataset_project(settings, workspace_id, project_id, dataset_id)
    remove_media(settings, load_media(settings, dataset_id, kind, media_id))
    return {"result": "success"}


@router.delete(DATASET + "/media/images/{media_id}")
def delete_image(request: Request, workspace_id: str, project_id: str, dataset_id: str, media_id: str) -> dict:
    return _delete(request, workspace_id, project_id, dataset_id, "image", media_id)


@router.delete(DATASET + "/media/videos/{media_id}")
def delete_video(request: Request, workspace_id: str, project_id: str, dataset_id: str, media_id: str) -> dict:
    return _delete(request, workspace_id, project_id, dataset_id, "video", media_id)


def _row(request: Request, workspace_id: str, project_id: str, dataset_id: str, kind: str,
         media_id: str) -> tuple[ServerSettings, sqlite3.Row]:
    settings = settings_of(request)
    load_dataset_project(settings, workspace_id, project_id, dataset_id)
    return settings, load_media(settings, dataset_id, kind, media_id)


@router.get(DATASET + "/media/images/{media_id}/display/full")
def image_full(request: Request, workspace_id: str, project_id: str, dataset_id: str, media_id: str) -> Response:
    settings, row = _row(request, workspace_id, project_id, dataset_id, "image", media_id)
    return original_response(settings.data_dir, row)


@router.get(DATASET + "/media/images/{media_id}/display/thumb")
def image_thumb(request: Request, workspace_id: str, project_id: str, dataset_id: str, media_id: str) -> Response:
    settings, row = _row(request, workspace_id, project_id, dataset_id, "image", media_id)
    return thumbnail_response(settings.data_dir, row)


@router.get(DATASET + "/media/videos/{media_id}/display/stream")
def video_stream(request: Request, workspace_id: str, project_id: str, dataset_id: str, media_id: str) -> Response:
    settings, row = _row(request, workspace_id, project_id, dataset_id, "video", media_id)
    return original_response(settings.data_dir, row)


@router.get(DATASET + "/media/videos/{media_id}/display/thumb")
def video_thumb(request: Request, workspace_id: str, project_id: str, dataset_id: str, media_id: str) -> Response:
    settings, row = _row(request, workspace_id, project_id, dataset_id, "video", media_id)
    return thumbnail_response(settings.data_dir, row)


def check_frame(row: sqlite3.Row, frame_index: str) -> int:
    """The frame index as an int, or 400 when it is not a frame of the video."""
    if not _DIGITS.match(frame_index) or int(frame_index) >= row["frame_count"]:
        raise bad_request(f"Frame index {frame_index!r} is not a frame of video {row['id']} "
                          f"(it has {row['frame_count']} frames, 0-{row['frame_count'] - 1}).")
    return int(frame_index)


def _frame(request: Request, workspace_id: str, project_id: str, dataset_id: str, media_id: str,
           frame_index: str, thumb: bool) -> Response:
    settings, row = _row(request, workspace_id, project_id, dataset_id, "video", media_id)
    index = check_frame(row, frame_index)
    image = frame_image(media_path(settings.data_dir, row), index, row["fps"])
    if thumb:
        return Response(jpeg_thumbnail(image), media_type="image/jpeg")
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=92)
    return Response(out.getvalue(), media_type="image/jpeg")


@router.get(DATASET + "/media/videos/{media_id}/frames/{frame_index}/display/full")
def frame_full(request: Request, workspace_id: str, project_id: str, dataset_id: str, media_id: str,
               frame_index: str) -> Response:
    return _frame(request, workspace_id, project_id, dataset_id, media_id, frame_index, thumb=False)


@router.get(DATASET + "/media/videos/{media_id}/frames/{frame_index}/display/thumb")
def frame_thumb(request: Request, workspace_id: str, project_id: str, dataset_id: str, media_id: str,
                frame_index: str) -> Response:
    return _frame(request, workspace_id, project_id, dataset_id, media_id, frame_index, thumb=True)
