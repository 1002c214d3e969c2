"""Resumable uploads to Geti 3 (TUS 1.0.0 at ``/api/uploads``), for large media.

:meth:`TusUploader.send` creates an upload, sends the file in chunks of :attr:`TusUploader.chunk_size`
(each with an ``Upload-Checksum``), and after a broken transfer or a 409 (offset mismatch) asks the server
for its offset (``HEAD``) and continues from there, up to :attr:`TusUploader.attempts` times in a row
without progress. It returns the upload id for ``…/dataset/media:from-upload``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from pathlib import Path

from sc_importers.rest.base import ConnectionLost, ServerError
from sc_importers.rest.session import SCSession

UPLOADS = "/api/uploads"
TUS = {"Tus-Resumable": "1.0.0"}
CHUNK = 8 * 1024**2


class TusUploader:
    """Sends files through one session's resumable-upload endpoint."""

    def __init__(self, session: SCSession, chunk_size: int = CHUNK, attempts: int = 5):
        self.session = session
        self.chunk_size = chunk_size
        self.attempts = attempts

    def available(self) -> bool:
        """Whether the server answers ``OPTIONS /api/uploads`` as the TUS variant with ``media:from-upload``
        (the notes' variant A, told by ``checksum`` among its extensions; variant B only feeds staged datasets)."""
        try:
            response = self.session.request("OPTIONS", UPLOADS, expect="any", ok_statuses=(404, 405))
        except ServerError:
            return False
        extensions = {e.strip() for e in response.headers.get("Tus-Extension", "").split(",")}
        return "1.0.0" in response.headers.get("Tus-Version", "") and {"creation", "checksum"} <= extensions

    def create(self, path: Path) -> str:
        """A new upload for ``path``; its URL path (``/api/uploads/{id}``)."""
        name = base64.b64encode(path.name.encode("utf-8")).decode()
        response = self.session.request("POST", UPLOADS, expect="any", headers={
            **TUS, "Upload-Length": str(path.stat().st_size), "Upload-Metadata": f"filename {name}"})
        location = response.headers.get("Location", "")
        if response.status_code != 201 or not location:
            raise ServerError(f"POST {UPLOADS}: no upload was created (HTTP {response.status_code})")
        return "/" + location.split("://", 1)[-1].split("/", 1)[-1] if "://" in location else location

    def offset(self, upload: str) -> int:
        response = self.session.request("HEAD", upload, expect="any", headers=TUS)
        return int(response.headers["Upload-Offset"])

    def resume(self, upload: str, path: Path) -> None:
        """Send what the server does not have yet of ``path`` to ``upload``."""
        size = path.stat().st_size
        offset, stalled = self.offset(upload), 0
        with open(path, "rb") as source:
            while offset < size:
                source.seek(offset)
                chunk = source.read(self.chunk_size)
                checksum = base64.b64encode(hashlib.sha1(chunk).digest()).decode()
                try:  # bytes(chunk) is chunk itself: the body factory copies nothing
                    response = self.session.request(
                        "PATCH", upload, body=functools.partial(bytes, chunk), expect="any", ok_statuses=(409,),
                        headers={**TUS, "Upload-Offset": str(offset), "Upload-Checksum": f"sha1 {checksum}",
                                 "Content-Type": "application/offset+octet-stream"})
                except ConnectionLost:
                    response = None
                if response is not None and response.status_code == 204:
                    offset, stalled = int(response.headers["Upload-Offset"]), 0
                    continue
                stalled += 1  # broken off or out of step: ask where the server is
                if stalled > self.attempts:
                    raise ServerError(f"upload of {path}: no progress after {self.attempts} attempts at byte {offset}")
                offset = self.offset(upload)

    def send(self, path: Path) -> str:
        """Upload ``path`` whole; returns the upload id."""
        upload = self.create(path)
        self.resume(upload, path)
        return upload.rstrip("/").rsplit("/", 1)[-1]
