"""A ``multipart/form-data`` request body that streams one file from disk.

``requests``' own ``files=`` builds the whole body in memory, which does not work for multi-GB
videos. :class:`MultipartFile` is a read-only file-like object (``read``, ``seek``, ``tell``,
``__len__``): requests sends it block by block with an exact ``Content-Length`` and urllib3 can
rewind it if it has to reconnect before anything was sent. Each attempt of a request should get
a fresh one (see :meth:`SCSession.request`'s body factory).
"""

from __future__ import annotations

import io
import mimetypes
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing_extensions import Buffer  # collections.abc.Buffer from Python 3.12 on


class MultipartFile(io.RawIOBase):
    """The body ``--boundary / headers / <file bytes> / --boundary--`` for form field ``field``."""

    def __init__(self, path: Path, field: str = "file", filename: str | None = None,
                 boundary: str | None = None):
        super().__init__()
        self.path = Path(path)
        self.boundary = boundary or uuid.uuid4().hex
        name = (filename or self.path.name).replace('"', "%22")
        ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        self._head = (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
            f"Content-Type: {ctype}\r\n\r\n"
        ).encode()
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()
        self._size = os.path.getsize(self.path)
        self._file = open(self.path, "rb")  # noqa: SIM115 - closed by close()
        self._pos = 0

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return len(self._head) + self._size + len(self._tail)

    def __iter__(self) -> Iterator[bytes]:  # requests treats objects with __iter__ and read() as streams
        while chunk := self.read(1 << 16):
            yield chunk

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self)}[whence]
        self._pos = max(0, min(len(self), base + offset))
        return self._pos

    def read(self, size: int = -1) -> bytes:
        total = len(self)
        if size is None or size < 0:
            size = total - self._pos
        out = bytearray()
        head, body_end = len(self._head), len(self._head) + self._size
        while size > 0 and self._pos < total:
            if self._pos < head:
                piece = self._head[self._pos:self._pos + size]
            elif self._pos < body_end:
                self._file.seek(self._pos - head)
                piece = self._file.read(min(size, body_end - self._pos))
                if not piece:
                    raise OSError(f"{self.path}: file shrank while it was being uploaded")
            else:
                start = self._pos - body_end
                piece = self._tail[start:start + size]
            out += piece
            self._pos += len(piece)
            size -= len(piece)
        return bytes(out)

    def readinto(self, buffer: Buffer) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[:len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()
        super().close()
