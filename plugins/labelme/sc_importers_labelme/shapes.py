"""One labelme shape to neutral-model shapes in pixels, with the checks SC needs.

* ``rectangle``: two opposite corners in any order (more points: their bounding box) ->
  :class:`Rectangle`; zero width or height is dropped with a warning.
* ``polygon`` (also a missing/null ``shape_type``, as labelme 3 wrote) -> :class:`Polygon`; a
  closing point repeating the first is removed; fewer than 3 points or zero area: dropped, warning.
* ``circle``: centre and a point on the circle -> :class:`Ellipse` with radius = their distance;
  radius 0: dropped, warning.
* ``mask``: decoded (:mod:`sc_importers_labelme.masks`) and traced into one polygon per 4-connected
  region with the area of its pixels (:mod:`sc_importers.geometry.masks`); no pixel set: warning.
* ``point``, ``points``, ``line``, ``linestrip``: SC 1.0 cannot hold them; the caller counts them
  (one warning per type per dataset).
* anything else, or malformed ``points``: an error for that shape.

Shapes partly outside the image are clipped to it (warning): boxes and circles by their box,
polygons to the part inside the image (:mod:`sc_importers.geometry.clip`); entirely outside is an
error for that shape. Every message names the shape by its index in ``shapes`` and its type and label.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from sc_importers.geometry.clip import clip_box, clip_polygon
from sc_importers.model import Ellipse, Polygon, Problem, Rectangle, Shape
from sc_importers_labelme.masks import MaskError, decode_mask

#: labelme shape types SC 1.0 has no shape for; they are counted, not imported.
UNSUPPORTED_TYPES = ("point", "points", "line", "linestrip")
SUPPORTED_TYPES = ("polygon", "rectangle", "circle", "mask")


class ShapeError(ValueError):
    """A shape is malformed; the message says how (the caller adds where)."""


@dataclass
class ImageContext:
    """The JSON file and image a shape belongs to, where its problems are reported."""

    json_file: str
    item: str
    width: int
    height: int
    problems: list[Problem] = field(default_factory=list)

    def report(self, severity: Literal["error", "warning"], where: str, message: str) -> None:
        self.problems.append(Problem(severity, f"{where}: {message}", self.json_file, self.item))


def describe(index: int, raw: dict) -> str:
    """How messages name a shape: ``shape 3 (polygon 'person')``."""
    return f"shape {index} ({raw.get('shape_type') or 'polygon'} {raw.get('label')!r})"


def shape_type(raw: dict) -> str:
    """The shape's type; labelme 3 files may leave it out, meaning a polygon."""
    value = raw.get("shape_type")
    return "polygon" if value is None else str(value)


def convert_shape(index: int, raw: dict, ctx: ImageContext) -> list[Shape]:
    """The shapes for one supported labelme shape (problems go to ``ctx``; [] when dropped)."""
    where = describe(index, raw)
    kind = shape_type(raw)
    try:
        points = _points(raw.get("points"))
        if kind == "rectangle":
            shapes: list[Shape] = _rectangle(points, ctx, where)
        elif kind == "polygon":
            shapes = _polygon(points, ctx, where)
        elif kind == "circle":
            shapes = _circle(points, ctx, where)
        elif kind == "mask":
            shapes = _mask(points, raw.get("mask"), ctx, where)
        else:
            raise ShapeError(f"unknown shape_type {kind!r} (known: {', '.join(SUPPORTED_TYPES + UNSUPPORTED_TYPES)})")
    except (ShapeError, MaskError) as exc:
        ctx.report("error", where, str(exc))
        return []
    return shapes


def _points(value: object) -> list[tuple[float, float]]:
    if not isinstance(value, list):
        raise ShapeError("'points' must be a list of [x, y] pairs")
    out = []
    for k, point in enumerate(value):
        if not (isinstance(point, list | tuple) and len(point) == 2
                and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                        for v in point)):
            raise ShapeError(f"points[{k}] must be [x, y] with two finite numbers, got {point!r}")
        out.append((float(point[0]), float(point[1])))
    return out


def _clip_box(x0: float, y0: float, x1: float, y1: float, ctx: ImageContext, where: str,
              ) -> tuple[float, float, float, float] | None:
    """The box clipped to the image (warning when it changes), None (error) when nothing is left."""
    box = clip_box(x0, y0, x1, y1, ctx.width, ctx.height)
    if box is None:
        ctx.report("error", where, f"lies entirely outside the {ctx.width}x{ctx.height} image; dropped")
        return None
    cx0, cy0, cx1, cy1 = box
    if (cx0, cy0, cx1, cy1) != (x0, y0, x1, y1):
        ctx.report("warning", where, f"extends outside the {ctx.width}x{ctx.height} image; clipped")
    return cx0, cy0, cx1, cy1


def _rectangle(points: list[tuple[float, float]], ctx: ImageContext, where: str) -> list[Shape]:
    if len(points) < 2:
        raise ShapeError(f"a rectangle needs 2 corner points, got {len(points)}")
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    if max(xs) == min(xs) or max(ys) == min(ys):
        ctx.report("warning", where, f"rectangle {points} has zero width or height (zero area); dropped")
        return []
    box = _clip_box(min(xs), min(ys), max(xs), max(ys), ctx, where)
    if box is None:
        return []
    x0, y0, x1, y1 = box
    return [Rectangle(x0, y0, x1 - x0, y1 - y0)]


def _polygon(points: list[tuple[float, float]], ctx: ImageContext, where: str) -> list[Shape]:
    if len(points) > 3 and points[0] == points[-1]:
        points = points[:-1]  # a closing point repeating the first one
    if len(points) < 3:
        ctx.report("warning", where, f"polygon has {len(points)} points, fewer than 3; dropped")
        return []
    return _clipped_polygons([Polygon(tuple(points))], ctx, where)


def _clipped_polygons(polygons: list[Polygon], ctx: ImageContext, where: str) -> list[Shape]:
    """Each polygon's part inside the image (one warning per clipped polygon); a polygon with no area
    is dropped with a warning, one with no part inside the image is an error."""
    out: list[Shape] = []
    for polygon in polygons:
        if polygon.area <= 0:
            ctx.report("warning", where, "polygon has zero area; dropped")
            continue
        clipped = Polygon(clip_polygon(polygon.points, ctx.width, ctx.height))
        if clipped.area <= 0:
            ctx.report("error", where, f"lies entirely outside the {ctx.width}x{ctx.height} image; dropped")
            continue
        if clipped != polygon:
            ctx.report("warning", where, f"extends outside the {ctx.width}x{ctx.height} image; clipped")
        out.append(clipped)
    return out


def _circle(points: list[tuple[float, float]], ctx: ImageContext, where: str) -> list[Shape]:
    if len(points) != 2:
        raise ShapeError(f"a circle needs 2 points (centre, a point on the circle), got {len(points)}")
    (cx, cy), (px, py) = points
    r = math.hypot(px - cx, py - cy)
    if r == 0:
        ctx.report("warning", where, "circle has radius 0 (zero area); dropped")
        return []
    box = _clip_box(cx - r, cy - r, cx + r, cy + r, ctx, where)
    if box is None:
        return []
    x0, y0, x1, y1 = box
    return [Ellipse(x0, y0, x1 - x0, y1 - y0)]


def _mask(points: list[tuple[float, float]], data: object, ctx: ImageContext, where: str) -> list[Shape]:
    if len(points) < 1:
        raise ShapeError("a mask needs its box corner points")
    from sc_importers.geometry.masks import mask_to_polygons  # numpy with the first mask

    mask = decode_mask(data)
    left = math.floor(min(p[0] for p in points))
    top = math.floor(min(p[1] for p in points))
    polygons = mask_to_polygons(mask, origin=(left, top))
    if not polygons:
        ctx.report("warning", where, "mask has no pixel set; dropped")
        return []
    return _clipped_polygons(polygons, ctx, where)
