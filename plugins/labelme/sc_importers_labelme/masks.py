"""labelme 5 ``mask`` shapes to polygons.

A ``mask`` shape stores a base64 PNG of the region inside its two ``points`` (the box corners);
mask pixel ``(row, col)`` is image pixel ``(top + row, left + col)``. SC 1.0 has no mask shape, so
each 8-connected component becomes one polygon along its outer boundary, traced with OpenCV
through the centres of the boundary pixels (holes are dropped: SC polygons have none; a component
one pixel thin gives no polygon).
"""

from __future__ import annotations

import base64
import binascii
import io
from typing import TYPE_CHECKING

from sc_importers.model import Polygon

if TYPE_CHECKING:  # numpy, Pillow and OpenCV are imported by the functions: listing readers imports none
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


def mask_polygons(mask: np.ndarray, left: float, top: float) -> list[Polygon]:
    """One polygon per outer boundary of ``mask``, in image pixels (the mask's origin at ``left, top``)."""
    import cv2
    import numpy as np

    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    polygons = []
    for contour in contours:
        points = tuple((float(x) + left + 0.5, float(y) + top + 0.5) for x, y in contour.reshape(-1, 2))
        polygon = Polygon(points)
        if len(points) >= 3 and polygon.area > 0:
            polygons.append(polygon)
    return polygons
