"""Media bytes on disk: ``<data-dir>/media/<project id>/<media id><ext>``.

An upload is first written to ``<data-dir>/media/.incoming/`` (outside every project folder, so
deleting a project cannot pull the folder away under a running upload), then renamed into its
project folder inside the same database transaction that inserts its row (see
``routes_media._upload``). What a crash can leave behind (a temporary file, or a renamed file
whose row was never committed) is removed by :func:`recover` at start-up, so a listed media item
always has its complete file and no file exists without its row.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import sqlite3
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, TypeAlias

from fastapi.responses import FileResponse, Response
from PIL import Image, UnidentifiedImageError

from sc_importers.server.video import frame_image

THUMB_SIZE = (256, 256)
#: The longest image side the server stores (Geti's limit, and the one the client checks before
#: uploading); images past Pillow's decompression-bomb limit (about 179 million pixels) are refused too.
MAX_SIDE = 20000
_CHUNK = 1 << 20
#: A media row as the database returns it, or the dict of one just stored (the same keys).
MediaRow: TypeAlias = "sqlite3.Row | dict[str, Any]"


def media_dir(data_dir: Path, project_id: str) -> Path:
    return Path(data_dir) / "media" / project_id


def media_path(data_dir: Path, row: MediaRow) -> Path:
    return media_dir(data_dir, row["project_id"]) / row["filename"]


def incoming_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "media" / ".incoming"


def receive(data_dir: Path, source: BinaryIO) -> Path:
    """Copy an upload into a temporary file under ``media/.incoming``; the caller renames it into
    place (:func:`commit`) or deletes it."""
    folder = incoming_dir(data_dir)
    try:
        handle, name = tempfile.mkstemp(dir=folder, prefix=".upload-")
    except FileNotFoundError:  # the first upload (the folder is made once, not checked per upload)
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=folder, prefix=".upload-")
    with os.fdopen(handle, "wb") as target:
        shutil.copyfileobj(source, target, _CHUNK)
    return Path(name)


_SAFE_SUFFIX = re.compile(r"\.[a-z0-9]{1,9}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def upload_names(filename: str, media_id: str, default_suffix: str) -> tuple[str, str]:
    """The media name shown by the API and the file name stored on disk for an uploaded file.

    The client's file name is never used as a path: only its last component (after ``/`` or ``\\``,
    control characters removed) becomes the name, and the stored file is ``<media id><suffix>``
    with a suffix of at most 9 lowercase letters or digits (else ``default_suffix``), so names
    like ``../../x.jpg``, absolute paths or NUL bytes cannot leave the project's folder or fail."""
    base = _CONTROL.sub("", filename.replace("\\", "/").rsplit("/", 1)[-1])
    path = PurePosixPath(base)
    suffix = path.suffix.lower()
    name = path.stem if base not in ("", ".", "..") else media_id
    return name, media_id + (suffix if _SAFE_SUFFIX.fullmatch(suffix) else default_suffix)


def commit(temp: Path, final: Path) -> None:
    """Move a received file into its project folder (a rename: call it inside the transaction
    that inserts the media row, after checking the project still exists)."""
    try:
        os.replace(temp, final)
    except FileNotFoundError:  # the project's first media file: make its folder
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp, final)


def recover(data_dir: Path, conn: sqlite3.Connection) -> list[str]:
    """Remove what a crash or kill left: temporary uploads, media files without a row, and folders
    of projects that no longer exist. Returns what was removed (for the log)."""
    removed = []
    incoming = incoming_dir(data_dir)
    for temp in incoming.glob("*") if incoming.exists() else []:
        temp.unlink(missing_ok=True)
        removed.append(str(temp))
    projects = {r[0] for r in conn.execute("SELECT id FROM projects")}
    known = {(r[0], r[1]) for r in conn.execute("SELECT project_id, filename FROM media")}
    root = Path(data_dir) / "media"
    thumbs = thumbs_dir(data_dir)
    for folder in thumbs.iterdir() if thumbs.exists() else []:  # thumbnails of deleted projects
        if folder.name not in projects:
            shutil.rmtree(folder, ignore_errors=True)
    for folder in root.iterdir() if root.exists() else []:
        if folder in (incoming, thumbs) or not folder.is_dir():
            continue
        if folder.name not in projects:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(str(folder))
            continue
        for path in folder.iterdir():
            if (folder.name, path.name) not in known:
                path.unlink(missing_ok=True)
                removed.append(str(path))
    return removed


def probe_image(path: Path, filename: str) -> tuple[int, int]:
    """Width and height of an image file; ValueError with a clear message when Pillow cannot read it."""
    try:
        with Image.open(path) as image:
            size = image.size
            image.verify()  # checks the file's structure without decoding the pixels
    except Image.DecompressionBombError as exc:
        raise ValueError(f"File {filename!r} is too large to decode (a possible decompression bomb): "
                         f"{exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        # the decoder names the server's temporary file; the client only knows its own file name
        reason = str(exc).replace(str(path), filename)
        raise ValueError(f"File {filename!r} is not a decodable image: {reason}") from exc
    if size[0] <= 0 or size[1] <= 0:
        raise ValueError(f"File {filename!r} has an empty image size {size}.")
    if max(size) > MAX_SIDE:
        raise ValueError(f"File {filename!r} has image dimensions {size[0]}x{size[1]}: a side is "
                         f"longer than the {MAX_SIDE} pixels this server accepts.")
    return size


def jpeg_thumbnail(image: Image.Image) -> bytes:
    """A small JPEG of ``image``, made within bounded memory: a JPEG is decoded at a reduced scale
    (``draft``) and the image is shrunk before it is converted, so no full-size RGB copy is made
    (uploads are limited to :data:`MAX_SIDE` and Pillow's pixel limit, which bounds the rest)."""
    image.draft("RGB", THUMB_SIZE)
    if image.mode not in ("RGB", "RGBA", "L", "LA"):  # palette, 1-bit, 16-bit: resample in RGB
        image = image.convert("RGB")
    image.thumbnail(THUMB_SIZE)
    image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def thumbs_dir(data_dir: Path) -> Path:
    """Cached thumbnails: ``media/.thumbs/<project id>/<stored file name>.jpg`` (stored names hold the media
    id, which is never reused, so a cached thumbnail cannot belong to another item)."""
    return Path(data_dir) / "media" / ".thumbs"


def drop_thumbnail(data_dir: Path, row: sqlite3.Row) -> None:
    """Remove the cached thumbnail of a deleted media item (if any)."""
    (thumbs_dir(data_dir) / row["project_id"] / (row["filename"] + ".jpg")).unlink(missing_ok=True)


def thumbnail_response(data_dir: Path, row: sqlite3.Row) -> Response:
    """A small JPEG of an image, or of a video's first frame; made once, then read from the cache."""
    cached = thumbs_dir(data_dir) / row["project_id"] / (row["filename"] + ".jpg")
    try:
        return Response(cached.read_bytes(), media_type="image/jpeg")
    except OSError:
        pass
    path = media_path(data_dir, row)
    if row["kind"] == "video":
        image = frame_image(path, 0, row["fps"])
    else:
        image = Image.open(path)
    data = jpeg_thumbnail(image)
    try:  # written beside, then renamed: a reader never sees half a thumbnail
        cached.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=cached.parent, prefix=".thumb-")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, cached)
    except OSError:
        pass  # a cache that cannot be written only costs time
    return Response(data, media_type="image/jpeg")


_MEDIA_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".bmp": "image/bmp",
                ".tif": "image/tiff", ".tiff": "image/tiff", ".webp": "image/webp", ".mp4": "video/mp4",
                ".webm": "video/webm", ".avi": "video/x-msvideo", ".mkv": "video/x-matroska",
                ".mov": "video/quicktime"}


def original_response(data_dir: Path, row: sqlite3.Row) -> FileResponse:
    """The bytes exactly as uploaded."""
    path = media_path(data_dir, row)
    media_type = _MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
    return FileResponse(path, media_type=media_type)
