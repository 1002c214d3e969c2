"""One image-size reader: width and height of an image file from its header (Pillow).

``Image.open`` parses the header only; no pixel is decoded, so this is cheap enough for every image
of a dataset. The size is the one stored in the file, before any EXIF orientation (servers may
apply the rotation and report the size swapped). Checking that an image decodes (truncated or
corrupt files) is :func:`sc_importers.media_checks.image_header`'s job, not this module's.

Pillow is imported when a size is read, not when this module is imported.
"""

from __future__ import annotations

import io
from pathlib import Path


class ImageHeaderError(ValueError):
    """The file's header cannot be read as an image; the message says why (``UnidentifiedImageError:
    ...``), the caller says which file and what it was reading it for."""


def image_size(source: Path | str | bytes) -> tuple[int, int]:
    """(width, height) of the image in ``source`` (a path, or the file's bytes), from its header.

    Raises :class:`ImageHeaderError` for a missing, unreadable or unknown file, and for an image
    Pillow refuses to open as a possible decompression bomb (more than twice
    ``Image.MAX_IMAGE_PIXELS`` pixels)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as image:
            width, height = image.size
    except Exception as exc:  # noqa: BLE001 - Pillow raises OSError, SyntaxError, struct.error, ... for bad files
        raise ImageHeaderError(f"{type(exc).__name__}: {exc}") from exc
    return int(width), int(height)
