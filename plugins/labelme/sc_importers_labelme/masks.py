"""labelme 5 ``mask`` shapes decoded into boolean masks.

A ``mask`` shape stores a base64 PNG of the region inside its two ``points`` (the box corners);
mask pixel ``(row, col)`` is image pixel ``(top + row, left + col)``. SC 1.0 has no mask shape, so
the reader traces each 4-connected component into one polygon on the pixel-corner grid with
:func:`sc_importers.geometry.masks.mask_to_polygons` (the tracer every reader shares: a component's
polygon has the area of its pixels, holes filled).
"""

from __future__ import annotations

import base64
import binascii
import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy and Pillow are imported by decode_mask: listing the readers imports neither
    import numpy as np


class MaskError(ValueError):
    """The ``mask`` field cannot be decoded; the message says why."""


def decode_mask(data: object) -> np.ndarray:
    """The boolean array of a base64-encoded PNG mask (any non-zero pixel is inside)."""
    if not isinstance(data, str) or not data:
        raise MaskError("'mask' must be a base64-encoded PNG string")
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    try:
        raw = base64.b64decode(data, validate=False)
        with Image.open(io.BytesIO(raw)) as im:
            array = np.asarray(im.convert("L"))
    except (binascii.Error, UnidentifiedImageError, OSError, ValueError) as exc:
        raise MaskError(f"'mask' is not a base64-encoded image: {exc}") from exc
    return array > 0

