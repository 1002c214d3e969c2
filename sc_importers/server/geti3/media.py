"""``/api/projects/{p}/dataset/media``: upload (multipart ``file``), list (offset/limit <= 100, newest
first unless ``sort_direction=asc``, video frames excluded), get, ``/binary`` (``?frame_index=N`` on a
video: a JPEG of that frame), ``/thumbnail``, ``/frames`` (a video's annotated frames), delete one or many.

The format comes from the file extension, case-insensitively; anything else is a 422. An image gets its
dataset item (not annotated) at once, a video only per annotated frame.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import tempfile
import uuid
from pathlib import Path, PurePosixPath
from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse
from PIL import Image
from pydantic import BaseModel

from sc_importers.server.geti3.common import fail, media_row, now, project_row, store
from sc_importers.server.geti3.store import Store
from sc_importers.server.storage import probe_image
from sc_importers.server.video import frame_image, probe_video

router = APIRouter()
PREFIX = "/projects/{project_id}/dataset/media"
IMAGE_FORMATS = {"jpg", "jpeg", "png", "jfif", "tif", "tiff", "bmp", "webp"}
VIDEO_FORMATS = {"mp4", "avi", "mkv", "mov", "webm", "m4v"}
Subset = Literal["unassigned", "training", "validation", "testing"]


def media_view(row: sqlite3.Row) -> dict:
    view = {"id": row["id"], "name": row["name"], "type": row["type"], "format": row["format"],
            "width": row["width"], "height": row["height"], "size": row["size"], "source_id": None}
    if row["type"] == "video":
        view.update(fps=row["fps"], frame_count=row["frame_count"], duration=row["duration"],
                    annotated_frame_count=row["annotated_frame_count"] if "annotated_frame_count" in row.keys()
                    else 0)
    elif row["type"] == "video_frame":
        view.update(video_id=row["video_id"], frame_index=row["frame_index"])
    return view


_WITH_FRAMES = ("SELECT m.*, (SELECT COUNT(*) FROM media f JOIN items i ON i.media_id=f.id "
                "WHERE f.video_id=m.id AND i.annotations IS NOT NULL) AS annotated_frame_count FROM media m ")


def split_name(filename: str | None) -> tuple[str, str]:
    """(name, format) of an uploaded file name, as Geti 3's ``get_file_name_and_extension``."""
    base = PurePosixPath((filename or "").replace("\\", "/")).name
    stem, dot, ext = base.rpartition(".")
    if not filename or not dot or not stem.strip() or not ext:
        raise fail(422, f"Invalid file name {filename!r}: a name and an extension are required.")
    return stem.strip(), ext.lower()


@router.post(PREFIX, status_code=201)
def upload(request: Request, project_id: str, file: Annotated[UploadFile, File()]) -> dict:
    db = store(request)
    with db.read() as conn:
        project_row(conn, project_id)
    name, fmt = split_name(file.filename)
    if fmt not in IMAGE_FORMATS | VIDEO_FORMATS:
        raise fail(422, f"Unsupported media extension: {fmt}")
    incoming = db.media_root / ".incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=incoming, prefix=".upload-")
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as target:
            shutil.copyfileobj(file.file, target, 1 << 20)
        return store_media(request, project_id, temp, name, fmt)
    finally:
        temp.unlink(missing_ok=True)


def store_media(request: Request, project_id: str, temp: Path, name: str, fmt: str) -> dict:
    """Probe a received file and record it as a media of the project (the file is moved into place)."""
    db = store(request)
    kind = "image" if fmt in IMAGE_FORMATS else "video"
    row: dict[str, float | None] = {"fps": None, "frame_count": None, "duration": None}
    try:
        if kind == "image":
            width, height = probe_image(temp, f"{name}.{fmt}")
        else:
            info = probe_video(temp, f"{name}.{fmt}")
            width, height = info.width, info.height
            row = {"fps": info.fps, "frame_count": info.frame_count, "duration": info.duration}
    except ValueError:
        raise fail(422, "Invalid image has been uploaded." if kind == "image"
                   else "Invalid video has been uploaded.") from None
    media_id = str(uuid.uuid4())
    filename = f"{media_id}.{fmt}"
    with db.write() as conn:
        project_row(conn, project_id)
        conn.execute("INSERT INTO media (id, project_id, type, name, format, width, height, size, filename, fps, "
                     "frame_count, duration, uploaded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                     (media_id, project_id, kind, name, fmt, width, height, temp.stat().st_size, filename,
                      row["fps"], row["frame_count"], row["duration"], now()))
        if kind == "image":
            conn.execute("INSERT INTO items (media_id, project_id) VALUES (?,?)", (media_id, project_id))
        final = db.media_file(project_id, filename)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp, final)
        return media_view(conn.execute(_WITH_FRAMES + "WHERE m.id=?", (media_id,)).fetchone())


@router.get(PREFIX)
def list_media(request: Request, project_id: str, limit: int = Query(10, ge=1, le=100),
               offset: int = Query(0, ge=0), sort_by: Literal["upload_date"] = "upload_date",
               sort_direction: Literal["asc", "desc"] = "desc",
               annotation_status: Literal["with_annotations", "missing_annotations"] | None = None,
               subset: Subset | None = None, subsets: Subset | None = None) -> dict:
    """``subset`` and ``subsets`` are both accepted: the stored router versions name it either way."""
    where, params = ["m.project_id=?", "m.type IN ('image','video')"], [project_id]
    wanted_subset = subset or subsets
    if wanted_subset:
        where.append("m.id IN (SELECT media_id FROM items WHERE subset=?)")
        params.append(wanted_subset)
    annotated = ("(EXISTS (SELECT 1 FROM items i WHERE i.media_id=m.id AND i.annotations IS NOT NULL) OR EXISTS "
                 "(SELECT 1 FROM media f JOIN items i ON i.media_id=f.id WHERE f.video_id=m.id "
                 "AND i.annotations IS NOT NULL))")
    if annotation_status:
        where.append(annotated if annotation_status == "with_annotations" else f"NOT {annotated}")
    order = "ASC" if sort_direction == "asc" else "DESC"
    with store(request).read() as conn:
        project_row(conn, project_id)
        clause = " AND ".join(where)
        total = conn.execute(f"SELECT COUNT(*) FROM media m WHERE {clause}", params).fetchone()[0]
        rows = conn.execute(_WITH_FRAMES + f"WHERE {clause} ORDER BY m.uploaded_at {order}, m.seq {order} "
                            "LIMIT ? OFFSET ?", (*params, limit, offset)).fetchall()
    items = [media_view(r) for r in rows]
    return {"items": items, "pagination": {"limit": limit, "offset": offset, "total": total, "count": len(items)}}


@router.get(PREFIX + "/{media_id}")
def get_media(request: Request, project_id: str, media_id: str) -> dict:
    with store(request).read() as conn:
        project_row(conn, project_id)
        media_row(conn, project_id, media_id)
        return media_view(conn.execute(_WITH_FRAMES + "WHERE m.id=?", (media_id,)).fetchone())


def _jpeg(image: Image.Image, thumbnail: bool = False) -> Response:
    if thumbnail:  # a JPEG is decoded at a reduced scale: no full-size copy for a thumbnail
        image.draft("RGB", (256, 256))
    image = image.convert("RGB")
    if thumbnail:
        image.thumbnail((256, 256))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    headers = {"Cache-Control": "public, max-age=31536000"} if thumbnail else {}
    return Response(out.getvalue(), media_type="image/jpeg", headers=headers)


def _frame_source(request: Request, project_id: str, media_id: str,
                  frame_index: int | None) -> tuple[sqlite3.Row, int | None]:
    """(row of the file to read, frame index or None) of a media or of one frame of a video."""
    db = store(request)
    with db.read() as conn:
        project_row(conn, project_id)
        row = media_row(conn, project_id, media_id)
        if row["type"] == "video_frame":
            return media_row(conn, project_id, row["video_id"]), row["frame_index"]
    if frame_index is not None and row["type"] == "video":
        if not 0 <= frame_index < row["frame_count"]:
            raise fail(400, f"Frame index {frame_index} is out of range for a video of {row['frame_count']} frames.")
        return row, frame_index
    return row, None


@router.get(PREFIX + "/{media_id}/binary")
def binary(request: Request, project_id: str, media_id: str, raw: bool = False,
           frame_index: int | None = Query(None, ge=0)) -> Response:
    row, frame = _frame_source(request, project_id, media_id, frame_index)
    path = store(request).media_file(project_id, row["filename"])
    if frame is not None:
        return _jpeg(frame_image(path, frame, row["fps"]))
    return FileResponse(path, filename=f"{row['name']}.{row['format']}")


@router.get(PREFIX + "/{media_id}/thumbnail")
def thumbnail(request: Request, project_id: str, media_id: str,
              frame_index: int | None = Query(None, ge=0)) -> Response:
    row, frame = _frame_source(request, project_id, media_id, frame_index)
    path = store(request).media_file(project_id, row["filename"])
    if row["type"] == "video" or frame is not None:
        return _jpeg(frame_image(path, frame or 0, row["fps"]), thumbnail=True)
    with Image.open(path) as image:
        return _jpeg(image, thumbnail=True)


@router.get(PREFIX + "/{media_id}/frames")
def annotated_frames(request: Request, project_id: str, media_id: str, frame_index_from: int = Query(0, ge=0),
                     frame_index_to: int | None = Query(None, ge=0)) -> list[dict]:
    with store(request).read() as conn:
        project_row(conn, project_id)
        video = media_row(conn, project_id, media_id)
        if video["type"] != "video":
            raise fail(400, f"Media {media_id} is not a video.")
        last = video["frame_count"] - 1 if frame_index_to is None else frame_index_to
        rows = conn.execute("SELECT f.id, f.frame_index, i.* FROM media f JOIN items i ON i.media_id=f.id "
                            "WHERE f.video_id=? AND f.frame_index BETWEEN ? AND ? AND i.annotations IS NOT NULL "
                            "ORDER BY f.frame_index", (media_id, frame_index_from, last)).fetchall()
    return [{"media_id": r["id"], "frame_index": r["frame_index"],
             "annotation_data": annotation_data(r)} for r in rows]


def annotation_data(item: sqlite3.Row) -> dict:
    """An item's annotations as GET answers them (``confidences`` always present, null once reviewed)."""
    return {"annotations": [{**a, "confidences": None} for a in json.loads(item["annotations"])],
            "user_reviewed": bool(item["user_reviewed"]), "prediction_model_id": None, "subset": item["subset"]}


class MediaIds(BaseModel):
    media_ids: list[uuid.UUID]


def _delete_rows(db: Store, conn: sqlite3.Connection, project_id: str, rows: list[sqlite3.Row]) -> None:
    for row in rows:
        frames = conn.execute("SELECT id FROM media WHERE video_id=?", (row["id"],)).fetchall()
        conn.executemany("DELETE FROM media WHERE id=?", [(f["id"],) for f in frames])
        conn.execute("DELETE FROM media WHERE id=?", (row["id"],))
        if row["type"] != "video_frame":
            db.media_file(project_id, row["filename"]).unlink(missing_ok=True)


@router.delete(PREFIX + "/{media_id}", status_code=204)
def delete_media(request: Request, project_id: str, media_id: str) -> Response:
    db = store(request)
    with db.write() as conn:
        project_row(conn, project_id)
        _delete_rows(db, conn, project_id, [media_row(conn, project_id, media_id)])
    return Response(status_code=204)


@router.delete(PREFIX, status_code=204)
def delete_many(request: Request, project_id: str, body: MediaIds) -> Response:
    db = store(request)
    with db.write() as conn:
        project_row(conn, project_id)
        rows = [conn.execute("SELECT * FROM media WHERE id=? AND project_id=?", (str(i), project_id)).fetchone()
                for i in body.media_ids]
        _delete_rows(db, conn, project_id, [r for r in rows if r is not None])
    return Response(status_code=204)
