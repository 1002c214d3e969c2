"""Resumable uploads (TUS 1.0.0, the notes' variant A) at ``/api/uploads``, and ``…/dataset/media:from-upload``.

Served: ``OPTIONS`` (the capabilities), ``POST`` (create with ``Upload-Length``; ``Upload-Metadata``
``filename`` in base64), ``HEAD`` (204 with ``Upload-Offset``), ``PATCH`` (``application/offset+octet-stream``
at ``Upload-Offset``, optional ``Upload-Checksum: sha1|sha256|md5 <base64>``), ``DELETE`` (termination),
and the JSON view ``GET /api/uploads/{id}``. Refusals as variant A: 412 without ``Tus-Resumable: 1.0.0``,
409 ``{"detail"}`` for an offset that is not the server's (resync with HEAD), 413 past the length, 415
wrong content type, 410 expired or consumed, 423 while another PATCH runs, 460 checksum mismatch (the
chunk is discarded). Not served: deferred length and creation-with-upload (not advertised).
The SQLite row is the truth: bytes of the ``.part`` file past the committed offset are cut on the next call.
"""

from __future__ import annotations

import base64
import hashlib
import sqlite3
import threading
import time
import uuid
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from sc_importers.server.geti3.common import check_uuid, fail, now, project_row, store
from sc_importers.server.geti3.media import IMAGE_FORMATS, PREFIX, VIDEO_FORMATS, split_name, store_media

router = APIRouter()
TUS = {"Tus-Resumable": "1.0.0"}
MAX_SIZE = 50 * 1024**3
TTL_SECONDS = 24 * 3600
_ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "md5": hashlib.md5}
_busy: set[str] = set()
_busy_lock = threading.Lock()


def _part(request: Request, upload_id: str) -> Path:
    folder = store(request).media_root / ".uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{upload_id}.part"


def _require_tus(request: Request) -> None:
    if request.headers.get("Tus-Resumable") != "1.0.0":
        raise fail(412, "Tus-Resumable: 1.0.0 is required.")


def _state_headers(row: sqlite3.Row) -> dict:
    return {**TUS, "Upload-Offset": str(row["offset"]), "Upload-Length": str(row["size"]),
            "Upload-Expires": format_datetime(datetime.fromtimestamp(row["expires_at"], timezone.utc), usegmt=True),
            "Cache-Control": "no-store"}


def _row(request: Request, upload_id: str) -> sqlite3.Row:
    with store(request).read() as conn:
        row = conn.execute("SELECT * FROM uploads WHERE id=?", (check_uuid("upload_id", upload_id),)).fetchone()
    if row is None:
        raise fail(404, f"Upload {upload_id} not found.")
    if row["state"] == "consumed" or row["expires_at"] < time.time():
        raise fail(410, f"Upload {upload_id} is gone (expired or already used).")
    path = _part(request, upload_id)
    if path.exists() and path.stat().st_size > row["offset"]:  # bytes past the committed offset
        with open(path, "r+b") as f:
            f.truncate(row["offset"])
    return row


@router.options("/uploads")
def capabilities() -> Response:
    return Response(status_code=204, headers={**TUS, "Tus-Version": "1.0.0", "Tus-Max-Size": str(MAX_SIZE),
                                              "Tus-Extension": "creation,termination,expiration,checksum",
                                              "Tus-Checksum-Algorithm": ",".join(_ALGORITHMS)})


def _metadata(header: str) -> dict[str, str]:
    out = {}
    for pair in filter(None, (p.strip() for p in header.split(","))):
        key, _, value = pair.partition(" ")
        try:
            out[key] = base64.b64decode(value).decode("utf-8") if value else ""
        except ValueError:
            raise fail(400, f"Upload-Metadata: the value of {key!r} is not base64 UTF-8.") from None
    return out


@router.post("/uploads", status_code=201)
def create(request: Request) -> Response:
    _require_tus(request)
    try:
        size = int(request.headers["Upload-Length"])
        if size < 0:
            raise ValueError
    except (KeyError, ValueError):
        raise fail(400, "Upload-Length (a non-negative integer) is required.") from None
    if size > MAX_SIZE:
        raise fail(413, f"Upload-Length {size} is over the maximum of {MAX_SIZE} bytes.")
    meta = _metadata(request.headers.get("Upload-Metadata", ""))
    upload_id = str(uuid.uuid4())
    with store(request).write() as conn:
        conn.execute('INSERT INTO uploads (id, filename, size, "offset", state, created_at, expires_at) '
                     "VALUES (?,?,?,?,?,?,?)", (upload_id, (meta.get("filename") or meta.get("name") or "")[:255],
                                                size, 0, "pending", now(), time.time() + TTL_SECONDS))
        row = conn.execute("SELECT * FROM uploads WHERE id=?", (upload_id,)).fetchone()
    _part(request, upload_id).touch()
    return Response(status_code=201, headers={**_state_headers(row), "Location": f"/api/uploads/{upload_id}"})


@router.head("/uploads/{upload_id}")
def head(request: Request, upload_id: str) -> Response:
    _require_tus(request)
    return Response(status_code=204, headers=_state_headers(_row(request, upload_id)))


@router.patch("/uploads/{upload_id}")
async def append(request: Request, upload_id: str) -> Response:
    _require_tus(request)
    if request.headers.get("Content-Type") != "application/offset+octet-stream":
        raise fail(415, "Content-Type must be application/offset+octet-stream.")
    try:
        offset = int(request.headers["Upload-Offset"])
    except (KeyError, ValueError):
        raise fail(400, "Upload-Offset is required.") from None
    with _busy_lock:
        if upload_id in _busy:
            raise fail(423, f"Upload {upload_id} is being written by another request.")
        _busy.add(upload_id)
    try:
        row = _row(request, upload_id)
        if offset != row["offset"]:
            return JSONResponse(status_code=409, headers=_state_headers(row),
                                content={"detail": f"Upload-Offset {offset} does not match {row['offset']}."})
        data = await request.body()
        if row["offset"] + len(data) > row["size"]:
            raise fail(413, f"The chunk goes past Upload-Length {row['size']}.")
        checksum = request.headers.get("Upload-Checksum")
        if checksum:
            algorithm, _, digest = checksum.partition(" ")
            if algorithm not in _ALGORITHMS:
                raise fail(400, f"Upload-Checksum: unsupported algorithm {algorithm!r}.")
            if base64.b64encode(_ALGORITHMS[algorithm](data).digest()).decode() != digest.strip():
                raise fail(460, "Upload-Checksum does not match the chunk; it was discarded.")
        with open(_part(request, upload_id), "r+b") as f:
            f.seek(row["offset"])
            f.write(data)
        new = row["offset"] + len(data)
        with store(request).write() as conn:
            conn.execute('UPDATE uploads SET "offset"=?, state=?, expires_at=? WHERE id=?',
                         (new, "completed" if new == row["size"] else "in_progress", time.time() + TTL_SECONDS,
                          upload_id))
            row = conn.execute("SELECT * FROM uploads WHERE id=?", (upload_id,)).fetchone()
        return Response(status_code=204, headers=_state_headers(row))
    finally:
        with _busy_lock:
            _busy.discard(upload_id)


@router.delete("/uploads/{upload_id}", status_code=204)
def terminate(request: Request, upload_id: str) -> Response:
    _require_tus(request)
    _row(request, upload_id)
    if upload_id in _busy:
        raise fail(423, f"Upload {upload_id} is being written by another request.")
    with store(request).write() as conn:
        conn.execute("DELETE FROM uploads WHERE id=?", (upload_id,))
    _part(request, upload_id).unlink(missing_ok=True)
    return Response(status_code=204, headers=TUS)


@router.get("/uploads/{upload_id}")
def view(request: Request, upload_id: str) -> dict:
    row = _row(request, upload_id)
    return {"id": row["id"], "filename": row["filename"], "size": row["size"], "offset": row["offset"],
            "state": row["state"], "created_at": row["created_at"],
            "expires_at": datetime.fromtimestamp(row["expires_at"], timezone.utc).isoformat()}


class FromUpload(BaseModel):
    upload_id: uuid.UUID
    name: str | None = Field(default=None, min_length=1, max_length=255)


@router.post(PREFIX + ":from-upload", status_code=201)
def media_from_upload(request: Request, project_id: str, body: FromUpload) -> dict:
    """The media of a finished upload (moved, so an upload is used once; a refused file keeps it ``completed``)."""
    with store(request).read() as conn:
        project_row(conn, project_id)
    row = _row(request, str(body.upload_id))
    if row["state"] != "completed":
        raise fail(409, f"Upload {body.upload_id} is not complete ({row['offset']} of {row['size']} bytes).")
    name, fmt = split_name(row["filename"])
    if fmt not in IMAGE_FORMATS | VIDEO_FORMATS:
        raise fail(422, f"Unsupported media extension: {fmt}")
    if body.name:
        name = body.name
    view = store_media(request, project_id, _part(request, str(body.upload_id)), name, fmt)
    with store(request).write() as conn:
        conn.execute("UPDATE uploads SET state='consumed' WHERE id=?", (str(body.upload_id),))
    return view
