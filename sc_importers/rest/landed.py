"""Did a media upload whose answer was lost create the media? One check for every dialect.

When the connection breaks after an upload was sent (or the server answered 500 after storing it),
the client cannot know from the failure whether the media exists. :class:`UploadClaims` remembers
which media this API object's own uploads returned; :meth:`UploadClaims.landed` then looks through
the project's media (``ServerAPI.list_media``, so it works the same on every dialect) for one with
the file's name and pixel size that no upload of ours returned. The retry policy
(:meth:`SCSession.post_checked <sc_importers.rest.session.SCSession.post_checked>`) uses it so an
upload is never repeated when the first attempt took effect.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sc_importers.geometry.image_header import ImageHeaderError, image_size

if TYPE_CHECKING:
    from collections.abc import Callable

    import requests

    from sc_importers.rest.base import RemoteMedia, RemoteProject, ServerAPI
    from sc_importers.rest.session import SCSession


class UploadClaims:
    """The media ids this API object's uploads returned (thread-safe)."""

    def __init__(self) -> None:
        self._claimed: set[str] = set()
        self._lock = threading.Lock()

    def claim(self, media: RemoteMedia) -> RemoteMedia:
        """Record ``media`` as created by one of our uploads; returns it."""
        with self._lock:
            self._claimed.add(media.id)
        return media

    def upload(self, api: ServerAPI, session: SCSession, target: str, project: RemoteProject, path: Path,
               kind: Literal["image", "video"], parse_media: Callable[[Any], RemoteMedia]) -> RemoteMedia:
        """POST ``path`` as multipart part ``file`` to ``target`` under the retry policy: after an
        ambiguous failure the upload is repeated only when :meth:`landed` finds it did not land.
        ``parse_media`` turns the answer's JSON (any JSON value) into the media (a ``ValueError`` is a bad answer)."""
        from sc_importers.rest.base import ServerError
        from sc_importers.rest.multipart import MultipartFile

        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file to upload")

        def parse(response: requests.Response) -> RemoteMedia:
            try:
                return parse_media(response.json())
            except ValueError as exc:
                raise ServerError(f"upload of {path}: unexpected answer: {exc}") from None

        media = session.post_checked(target, body=lambda: MultipartFile(path, "file"), parse=parse,
                                     took_effect=lambda: self.landed(api, project, path, kind))
        return self.claim(media)

    def landed(self, api: ServerAPI, project: RemoteProject, path: Path,
               kind: Literal["image", "video"]) -> RemoteMedia | None:
        """The media an upload of ``path`` whose answer was lost created, or None: a media of the
        file's name (and, for an image, its pixel size) that no upload of this API object returned.
        Same-named files uploaded at the same moment by two workers could be confused; the count
        of media stays right either way."""
        size = _header_size(path) if kind == "image" else None
        sizes = {None} if size is None else {size, size[::-1]}  # a server may apply EXIF rotation
        with self._lock:
            claimed = set(self._claimed)
        for media in api.list_media(project, kind):
            shape = None if size is None else (media.width, media.height)
            if media.name == path.stem and media.id not in claimed and shape in sizes:
                return media
        return None


def _header_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from the image file's header, or None when it cannot be read."""
    try:
        return image_size(path)
    except ImageHeaderError:  # an unreadable header: match by name only
        return None
