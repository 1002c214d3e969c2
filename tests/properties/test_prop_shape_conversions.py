"""Properties of the shape conversions builders rely on: ``bounding_box`` and ``as_polygon``.

Detection builders replace every shape by its bounding box and segmentation builders replace
boxes by polygons; a box that misses part of its shape, or a polygon with another area than its
box, would silently change what the model is trained on.
"""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st
from prop_shapes import PROPERTY, angles, corners, image_sizes, shape_anywhere

from sc_importers.model import Ellipse, Polygon, Rectangle, RotatedRectangle, Shape, bounding_box
from sc_importers.project_types.common import as_polygon


def _points(shape: Shape) -> list[tuple[float, float]]:
    """Points that belong to ``shape``: polygon vertices, rotated-rectangle corners, the four
    extremes of an ellipse, the corners of a rectangle."""
    if isinstance(shape, Polygon):
        return list(shape.points)
    if isinstance(shape, RotatedRectangle):
        return corners(shape)
    x0, y0, x1, y1 = shape.x, shape.y, shape.x + shape.width, shape.y + shape.height
    if isinstance(shape, Ellipse):
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        return [(x0, cy), (x1, cy), (cx, y0), (cx, y1)]
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


@st.composite
def _shapes(draw: st.DrawFn) -> Shape:
    width, height = draw(image_sizes())
    return draw(shape_anywhere(width, height))


@PROPERTY
@given(_shapes())
def test_bounding_box_contains_every_point_of_the_shape(shape: Shape) -> None:
    box = bounding_box(shape)
    points = _points(shape)
    tolerance = 1e-9 * max(1.0, *(abs(v) for p in points for v in p))
    assert box.width >= 0 and box.height >= 0
    for x, y in points:
        assert box.x - tolerance <= x <= box.x + box.width + tolerance, (shape, box, (x, y))
        assert box.y - tolerance <= y <= box.y + box.height + tolerance, (shape, box, (x, y))
    # and it is the smallest such box: each of its edges is reached by a point
    assert math.isclose(min(x for x, _ in points), box.x, abs_tol=tolerance)
    assert math.isclose(max(y for _, y in points), box.y + box.height, abs_tol=tolerance)


@PROPERTY
@given(_shapes())
def test_as_polygon_of_a_rectangle_keeps_its_corners_and_area(shape: Shape) -> None:
    if not isinstance(shape, Rectangle):
        shape = bounding_box(shape)
    polygon = as_polygon(shape)
    assert isinstance(polygon, Polygon) and len(polygon.points) == 4
    # the shoelace formula works on absolute coordinates: its rounding grows with them, not with the area
    scale = max(1.0, abs(shape.x) + shape.width) * max(1.0, abs(shape.y) + shape.height)
    assert math.isclose(polygon.area, shape.area, abs_tol=1e-12 * scale), (shape, polygon.area)
    back = bounding_box(polygon)
    for a, b in zip((back.x, back.y, back.width, back.height), (shape.x, shape.y, shape.width, shape.height),
                    strict=True):
        assert math.isclose(a, b, abs_tol=1e-12 * scale), (shape, back)


@PROPERTY
@given(st.floats(0, 10000), st.floats(0, 10000), st.floats(0, 10000), st.floats(0, 10000), angles)
def test_rotated_rectangle_corners_keep_its_area_centre_and_box(
    x: float, y: float, width: float, height: float, angle: float
) -> None:
    shape = RotatedRectangle(x, y, width, height, angle)
    polygon = as_polygon(shape)
    assert isinstance(polygon, Polygon) and len(polygon.points) == 4
    scale = max(1.0, width * height, (width + height) * max(1.0, x, y))
    assert math.isclose(polygon.area, shape.area, abs_tol=1e-9 * scale), (shape, polygon.area)
    cx = sum(p[0] for p in polygon.points) / 4
    cy = sum(p[1] for p in polygon.points) / 4
    assert math.isclose(cx, x, abs_tol=1e-9 * scale) and math.isclose(cy, y, abs_tol=1e-9 * scale)
    box, corner_box = bounding_box(shape), bounding_box(polygon)
    for a, b in ((box.x, corner_box.x), (box.y, corner_box.y), (box.width, corner_box.width)):
        assert math.isclose(a, b, abs_tol=1e-9 * scale), (shape, box, corner_box)


@PROPERTY
@given(_shapes())
def test_shapes_segmentation_keeps_are_returned_unchanged(shape: Shape) -> None:
    if isinstance(shape, (Polygon, Ellipse)):
        assert as_polygon(shape) is shape
