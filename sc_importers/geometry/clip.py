"""Clipping shapes to the image: the one implementation every reader and the REST layer use.

A polygon is clipped Sutherland–Hodgman style against the four sides of the image rectangle
``[0, width] x [0, height]``: where an edge leaves the image a new vertex is put on the border, so
the result is the part of the polygon inside the image. Moving the vertices onto the border
instead ("clamping") is not clipping: it keeps area that lies outside the image (a triangle half
outside can come back with twice the area the image holds of it) and invents area for a polygon
that only passes near a corner. A box is clipped by its edges (the intersection of two boxes).

Plain floats only (no numpy): cheap enough for every polygon of a COCO train2017 file.
"""

from __future__ import annotations

from collections.abc import Sequence

Point = tuple[float, float]

# (axis, bound, keep the side >= bound?) for the sides x = 0, x = width, y = 0, y = height
_SIDES = ((0, True), (0, False), (1, True), (1, False))


def clip_polygon(points: Sequence[Point], width: float, height: float) -> tuple[Point, ...]:
    """The part of the polygon inside ``[0, width] x [0, height]``.

    A polygon lying inside (borders included) comes back unchanged, the very same points. Else the
    clipped outline, with repeated consecutive points removed; it may have fewer than 3 points or
    zero area (the polygon lies outside, or only touches the border): callers test ``len`` and
    ``Polygon.area``. A concave polygon cut into several pieces by the border comes back as one outline whose
    pieces are joined along the border (zero-width bridges): its area is still that of the pieces.
    """
    if all(0 <= x <= width and 0 <= y <= height for x, y in points):
        return tuple(points)
    pts = [(float(x), float(y)) for x, y in points]
    for axis, keep_above in _SIDES:
        if not pts:
            break
        bound = 0.0 if keep_above else float(width if axis == 0 else height)
        pts = _clip_side(pts, axis, bound, keep_above)
    return without_repeats(pts)


def _clip_side(points: list[Point], axis: int, bound: float, keep_above: bool) -> list[Point]:
    """One Sutherland–Hodgman pass: the polygon cut by the line ``point[axis] == bound``."""

    def inside(p: Point) -> bool:
        return p[axis] >= bound if keep_above else p[axis] <= bound

    out: list[Point] = []
    previous = points[-1]
    previous_in = inside(previous)
    for current in points:
        current_in = inside(current)
        if current_in != previous_in:
            out.append(_crossing(previous, current, axis, bound))
        if current_in:
            out.append(current)
        previous, previous_in = current, current_in
    return out


def _crossing(a: Point, b: Point, axis: int, bound: float) -> Point:
    """Where the segment a-b crosses ``point[axis] == bound`` (that coordinate exactly ``bound``)."""
    t = (bound - a[axis]) / (b[axis] - a[axis])
    if axis == 0:
        return (bound, a[1] + t * (b[1] - a[1]))
    return (a[0] + t * (b[0] - a[0]), bound)


def without_repeats(points: Sequence[Point]) -> tuple[Point, ...]:
    """The points without repeats of the point before (the last compared with the first too): a
    closed outline with no zero-length edge."""
    out: list[Point] = []
    for p in points:
        if not out or p != out[-1]:
            out.append(p)
    while len(out) > 1 and out[0] == out[-1]:
        out.pop()
    return tuple(out)


def clip_box(x0: float, y0: float, x1: float, y1: float, width: float, height: float,
             ) -> tuple[float, float, float, float] | None:
    """The box ``(x0, y0)-(x1, y1)`` (``x0 <= x1``, ``y0 <= y1``) clipped to ``[0, width] x
    [0, height]``, as corners; None when nothing of positive area is left (outside, or on a border)."""
    cx0, cy0 = max(x0, 0.0), max(y0, 0.0)
    cx1, cy1 = min(x1, float(width)), min(y1, float(height))
    if cx1 <= cx0 or cy1 <= cy0:
        return None
    return cx0, cy0, cx1, cy1



def polygon_for_upload(points: Sequence[Point], width: float, height: float) -> tuple[Point, ...]:
    """What the REST layer sends for a polygon: its part inside the image (:func:`clip_polygon`).

    A server refuses coordinates outside the media, so something inside must be sent even for a
    polygon with nothing of positive area inside. Validation gives such an item an error and the
    uploader skips it, so this happens only to callers that send without validating: they get the
    vertices moved onto the border (zero or invented area, but coordinates a server accepts)."""
    clipped = clip_polygon(points, width, height)
    if len(clipped) >= 3 and _twice_area(clipped) != 0:
        return clipped
    return tuple((min(max(float(x), 0.0), float(width)), min(max(float(y), 0.0), float(height))) for x, y in points)


def _twice_area(points: Sequence[Point]) -> float:
    """Twice the signed shoelace area (only its being 0 matters here)."""
    twice = 0.0
    px, py = points[-1]
    for x, y in points:
        twice += px * y - x * py
        px, py = x, y
    return twice
