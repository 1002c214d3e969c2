"""Properties of :mod:`sc_importers.geometry`: the mask tracer and the clipper every reader and the REST
layer use.

Tracing: every polygon lies on integer corners within the mask's box and has as much area as pixels
it covers; together they cover the mask and its holes, nothing else; a hole-free mask's polygons have
exactly its pixel count as area. Clipping: never more area than before, the very same polygon when it
is inside, nothing when outside, the analytic area for a triangle cut by the border, the area
``shapely`` computes for the intersection of a simple polygon with the image.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from prop_shapes import PROPERTY

from sc_importers.geometry.clip import clip_box, clip_polygon, polygon_for_upload
from sc_importers.geometry.masks import mask_to_polygons
from sc_importers.model import Polygon

masks = st.tuples(st.integers(1, 14), st.integers(1, 14)).flatmap(
    lambda shape: arrays(np.bool_, shape, elements=st.booleans()))


def _outside_background(mask: np.ndarray) -> np.ndarray:
    """Background pixels connected to the outside of the array: 8-connected, as the tracer keeps
    foreground pixels that touch only at a corner apart (so the background passes between them)."""
    padded = np.pad(mask, 1)
    seen = np.zeros_like(padded)
    seen[0, 0] = True
    queue = deque([(0, 0)])
    h, w = padded.shape
    while queue:
        r, c = queue.popleft()
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                rr, cc = r + dr, c + dc
                if 0 <= rr < h and 0 <= cc < w and not padded[rr, cc] and not seen[rr, cc]:
                    seen[rr, cc] = True
                    queue.append((rr, cc))
    return seen[1:-1, 1:-1]


def _filled(mask: np.ndarray) -> np.ndarray:
    """The mask with its holes filled."""
    return mask | ~_outside_background(mask)


def _raster(polygon: Polygon, shape: tuple[int, int]) -> np.ndarray:
    """Pixels whose centre lies inside the polygon (even-odd rule; a centre is never on a grid line)."""
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]]
    cx, cy = cols + 0.5, rows + 0.5
    inside = np.zeros(shape, dtype=bool)
    points = polygon.points
    for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True):
        if y1 == y2:
            continue
        crosses = (cy > min(y1, y2)) & (cy < max(y1, y2))
        x_at = x1 + (cy - y1) * (x2 - x1) / (y2 - y1)
        inside ^= crosses & (cx < x_at)
    return inside


@PROPERTY
@given(masks)
@example(np.ones((4, 4), dtype=bool))  # the issue's square: area 16 (OpenCV through pixel centres: 9)
@example(np.ones((1, 7), dtype=bool))  # a line one pixel thin: a polygon of area 7 (OpenCV: none)
@example(np.eye(4, dtype=bool))  # pixels touching at corners only: four unit squares
def test_traced_polygons_cover_the_mask_and_its_holes_on_integer_corners(mask: np.ndarray) -> None:
    polygons = mask_to_polygons(mask)
    if not mask.any():
        assert polygons == []
        return
    rows, cols = np.nonzero(mask)
    covered = np.zeros(mask.shape, dtype=bool)
    for polygon in polygons:
        assert len(polygon.points) >= 4  # rectilinear, collinear corners dropped
        for x, y in polygon.points:
            assert x == int(x) and y == int(y)
            assert cols.min() <= x <= cols.max() + 1 and rows.min() <= y <= rows.max() + 1
        raster = _raster(polygon, mask.shape)
        assert raster.sum() == polygon.area  # shoelace area = pixels it covers
        assert (raster & mask).any()  # every polygon is around some of the mask
        covered |= raster
    np.testing.assert_array_equal(covered, _filled(mask))


@PROPERTY
@given(masks)
def test_a_hole_free_mask_gives_disjoint_polygons_of_its_pixel_count(mask: np.ndarray) -> None:
    simple = _filled(mask)
    polygons = mask_to_polygons(simple)
    assert sum(p.area for p in polygons) == simple.sum()
    total = sum(_raster(p, simple.shape).astype(int) for p in polygons)
    assert np.array_equal(total, simple.astype(int)) if polygons else not simple.any()


@PROPERTY
@given(masks, st.integers(-50, 50), st.integers(-50, 50))
def test_origin_shifts_every_polygon(mask: np.ndarray, dx: int, dy: int) -> None:
    shifted = [tuple((x + dx, y + dy) for x, y in p.points) for p in mask_to_polygons(mask)]
    assert [p.points for p in mask_to_polygons(mask.astype(np.uint8) * 7, origin=(dx, dy))] == shifted


def test_the_issue_examples() -> None:
    square = np.zeros((8, 8), dtype=bool)
    square[2:6, 3:7] = True
    assert [p.area for p in mask_to_polygons(square)] == [16.0]
    line = np.zeros((5, 9), dtype=bool)
    line[2, 1:8] = True
    assert [p.points for p in mask_to_polygons(line)] == [((1.0, 2.0), (8.0, 2.0), (8.0, 3.0), (1.0, 3.0))]


# -- clipping ---------------------------------------------------------------------------------------------
coordinates = st.floats(-300, 300, allow_nan=False)


@st.composite
def star_polygons(draw: st.DrawFn) -> tuple[tuple[float, float], ...]:
    """A simple polygon: vertices at increasing angles around a centre, no two more than half a turn
    apart (star-shaped around the centre, so it never crosses itself), around and across images of
    up to 400x400."""
    cx, cy = draw(coordinates), draw(coordinates)
    n = draw(st.integers(3, 12))
    step = 2 * math.pi / n
    jitter = st.floats(0, step / 2, exclude_max=True)  # gaps stay below 1.5 steps <= half a turn
    angles = [i * step + draw(jitter) for i in range(n)]
    radii = draw(st.lists(st.floats(1, 250), min_size=n, max_size=n))
    return tuple((cx + r * math.cos(a), cy + r * math.sin(a)) for a, r in zip(angles, radii, strict=True))


image_sizes = st.tuples(st.integers(1, 400), st.integers(1, 400))


@PROPERTY
@given(star_polygons(), image_sizes)
def test_clipping_never_adds_area_and_stays_inside(points: tuple, size: tuple[int, int]) -> None:
    width, height = size
    clipped = clip_polygon(points, width, height)
    assert all(0 <= x <= width and 0 <= y <= height for x, y in clipped)
    area = Polygon(clipped).area
    assert area <= Polygon(points).area * (1 + 1e-9) + 1e-9
    assert Polygon(clip_polygon(clipped, width, height)).area == pytest.approx(area, abs=1e-9)  # idempotent


@PROPERTY
@given(star_polygons(), image_sizes)
def test_clipped_area_is_the_intersection_area(points: tuple, size: tuple[int, int]) -> None:
    shapely = pytest.importorskip("shapely.geometry")
    width, height = size
    polygon = shapely.Polygon(points)
    assume(polygon.is_valid)  # star-shaped, so simple, but floats can make a spike cross itself
    expected = polygon.intersection(shapely.box(0, 0, width, height)).area
    assert Polygon(clip_polygon(points, width, height)).area == pytest.approx(expected, rel=1e-7, abs=1e-6)


@PROPERTY
@given(star_polygons())
def test_a_polygon_inside_comes_back_unchanged(points: tuple) -> None:
    xs, ys = [x for x, _ in points], [y for _, y in points]
    moved = tuple((x - min(xs), y - min(ys)) for x, y in points)
    width, height = math.ceil(max(xs) - min(xs)), math.ceil(max(ys) - min(ys))
    assert clip_polygon(moved, width, height) == moved
    assert polygon_for_upload(moved, width, height) == moved


@PROPERTY
@given(star_polygons(), image_sizes, st.sampled_from(("left", "right", "above", "below")))
def test_a_polygon_outside_clips_to_nothing(points: tuple, size: tuple[int, int], side: str) -> None:
    width, height = size
    xs, ys = [x for x, _ in points], [y for _, y in points]
    shift = {"left": (-max(xs) - 1, 0.0), "right": (width - min(xs) + 1, 0.0), "above": (0.0, -max(ys) - 1),
             "below": (0.0, height - min(ys) + 1)}[side]  # a pixel clear of the border (no rounding inside)
    moved = [(x + shift[0], y + shift[1]) for x, y in points]
    assert Polygon(clip_polygon(moved, width, height)).area == 0


@PROPERTY
@given(st.integers(1, 400), st.integers(1, 400), st.floats(0.001, 0.999),
       st.floats(0, 1), st.floats(0, 1))
def test_a_triangle_cut_by_the_border_keeps_the_analytic_area(width: int, height: int, cut: float,
                                                              fx: float, fy: float) -> None:
    """A right triangle with its legs along x and y, its far vertex past x = width: the part inside is
    a trapezoid of area h * (d - d^2 / (2 w)), d the leg length inside. Clamping the far vertex onto
    the border instead gives h * d / 2, and for a triangle half outside it doubles the area outside."""
    x0, y0 = fx * width * cut, fy * height * 0.5
    d = width - x0  # the part of the horizontal leg inside
    w = d / cut  # the whole leg; past the border
    h = height - y0
    clipped = clip_polygon(((x0, y0), (x0 + w, y0), (x0, y0 + h)), width, height)
    assert Polygon(clipped).area == pytest.approx(h * (d - d * d / (2 * w)), rel=1e-9, abs=1e-9)


def test_the_issue_triangle_half_outside() -> None:
    # (0,0), (100,0), (-100,100) in a 100x100 image: 2500 of its 5000 are inside; clamping the vertex
    # (-100,100) onto the border at (0,100) gave 5000, double that
    assert Polygon(clip_polygon(((0, 0), (100, 0), (-100, 100)), 100, 100)).area == 2500
    # (0,0), (200,0), (0,100): 7500 of its 10000 inside; clamping (200,0) to (100,0) gave 5000
    assert Polygon(clip_polygon(((0, 0), (200, 0), (0, 100)), 100, 100)).area == 7500


@PROPERTY
@given(coordinates, coordinates, st.floats(0, 300), st.floats(0, 300), image_sizes)
def test_clip_box_is_the_intersection(x: float, y: float, w: float, h: float, size: tuple[int, int]) -> None:
    width, height = size
    box = clip_box(x, y, x + w, y + h, width, height)
    overlap_w = min(x + w, width) - max(x, 0.0)
    overlap_h = min(y + h, height) - max(y, 0.0)
    if overlap_w <= 0 or overlap_h <= 0:
        assert box is None
    else:
        assert box == (max(x, 0.0), max(y, 0.0), min(x + w, width), min(y + h, height))
