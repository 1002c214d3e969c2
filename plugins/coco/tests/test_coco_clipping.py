"""COCO polygons past the image border are clipped (Sutherland–Hodgman, sc_importers.geometry.clip),
not clamped: the kept part is the part inside the image."""

from __future__ import annotations

import pytest
from sc_importers_coco.convert import ImageContext, convert

from sc_importers.model import Polygon


def _convert(segmentation: list) -> tuple[list, list]:
    ctx = ImageContext("instances.json", "a.jpg", 100, 100)
    return convert({"id": 7, "segmentation": segmentation}, ctx, "polygon").shapes, ctx.problems


def test_a_triangle_half_outside_keeps_the_area_inside() -> None:
    # right triangle (0,0)-(200,0)-(0,100): 10000 px^2 of which x <= 100 holds 7500
    shapes, problems = _convert([[0, 0, 200, 0, 0, 100]])
    (polygon,) = shapes
    assert isinstance(polygon, Polygon)
    assert polygon.area == pytest.approx(7500)  # clamping the vertex to x=100 gave 5000
    assert max(x for x, _ in polygon.points) == 100
    assert [p.severity for p in problems] == ["warning"] and "clipped" in problems[0].message


def test_a_polygon_near_a_corner_but_outside_is_an_error_not_invented_area() -> None:
    # its bounding box overlaps the image, the triangle itself does not (x + y <= -5)
    shapes, problems = _convert([[-60, 55, 55, -60, -60, -60]])
    assert shapes == []
    assert [p.severity for p in problems] == ["error"] and "entirely outside" in problems[0].message
