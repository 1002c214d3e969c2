"""CVAT XML shape elements -> neutral shapes in pixels.

``box`` -> rectangle (rotated rectangle when ``rotation`` is not 0), ``polygon`` -> polygon,
``ellipse`` -> ellipse (a rotated one -> a 36-point polygon along it), ``mask`` (CVAT's RLE of the
mask's own box) -> one polygon per 4-connected region, with the area of its pixels
(:mod:`sc_importers.geometry.masks`). ``tag`` is an image-level label (handled by the
reader). ``polyline``, ``points``, ``cuboid`` and ``skeleton`` have no SC 1.0 equivalent: the reader
counts them per label.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from sc_importers.model import Ellipse, Polygon, Rectangle, RotatedRectangle, Shape

if TYPE_CHECKING:  # numpy is imported by the mask code: listing the readers does not load it
    import numpy as np

#: Elements of an <image> that are annotations this reader converts (tag aside).
SHAPE_TAGS = ("box", "polygon", "ellipse", "mask")
#: Elements of an <image> that are annotations SC 1.0 cannot hold.
UNSUPPORTED_TAGS = ("polyline", "points", "cuboid", "skeleton")
ELLIPSE_POINTS = 36


class ShapeError(ValueError):
    """An element's coordinates cannot be read; the message says which attribute."""


def _num(el: ET.Element, name: str) -> float:
    raw = el.get(name)
    try:
        if raw is None:
            raise ValueError
        return float(raw)
    except ValueError:
        raise ShapeError(f"<{el.tag}> attribute {name}={raw!r} is not a number") from None


def _points(el: ET.Element) -> tuple[tuple[float, float], ...]:
    raw = el.get("points") or ""
    try:
        return tuple((float(x), float(y)) for x, y in (p.split(",") for p in raw.split(";") if p.strip()))
    except ValueError:
        raise ShapeError(f"<{el.tag}> points={raw[:60]!r} are not 'x,y;x,y;...'") from None


def decode_rle(counts: str, width: int, height: int) -> np.ndarray:
    """CVAT's mask RLE: run lengths alternating 0 and 1 (starting with 0), row by row over the box."""
    try:
        runs = [int(v) for v in counts.replace(" ", "").split(",") if v]
    except ValueError:
        raise ShapeError(f"<mask> rle {counts[:40]!r} is not a list of run lengths") from None
    import numpy as np

    flat = np.zeros(width * height, dtype=np.uint8)
    pos, value = 0, 0
    for run in runs:
        if value:
            flat[pos:pos + run] = 1
        pos += run
        value ^= 1
    if pos != width * height:
        raise ShapeError(f"<mask> rle covers {pos} pixels, the mask box {width}x{height} has {width * height}")
    return flat.reshape(height, width)


def _rotated_ellipse(cx: float, cy: float, rx: float, ry: float, degrees: float) -> Polygon:
    a = math.radians(degrees)
    points = []
    for i in range(ELLIPSE_POINTS):
        t = 2 * math.pi * i / ELLIPSE_POINTS
        x, y = rx * math.cos(t), ry * math.sin(t)
        points.append((cx + x * math.cos(a) - y * math.sin(a), cy + x * math.sin(a) + y * math.cos(a)))
    return Polygon(tuple(points))


def convert_shape(el: ET.Element) -> list[Shape]:
    """The shapes of one element of :data:`SHAPE_TAGS` (several for a mask of several regions)."""
    rotation = float(el.get("rotation") or 0) % 360
    if el.tag == "box":
        x1, y1, x2, y2 = (_num(el, k) for k in ("xtl", "ytl", "xbr", "ybr"))
        if rotation:
            return [RotatedRectangle((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1, rotation)]
        return [Rectangle(x1, y1, x2 - x1, y2 - y1)]
    if el.tag == "polygon":
        return [Polygon(_points(el))]
    if el.tag == "ellipse":
        cx, cy, rx, ry = (_num(el, k) for k in ("cx", "cy", "rx", "ry"))
        if rotation:
            return [_rotated_ellipse(cx, cy, rx, ry, rotation)]
        return [Ellipse(cx - rx, cy - ry, 2 * rx, 2 * ry)]
    if el.tag == "mask":
        left, top, width, height = (int(_num(el, k)) for k in ("left", "top", "width", "height"))
        from sc_importers.geometry.masks import mask_to_polygons  # numpy with the first mask

        return list(mask_to_polygons(decode_rle(el.get("rle") or "", width, height), origin=(left, top)))
    raise ShapeError(f"<{el.tag}> is not a shape this reader converts")
