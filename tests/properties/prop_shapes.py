"""Hypothesis strategies for pixel shapes in images, and the settings every property test uses.

Shapes are built from fractions of the image size so that "inside", "partly outside" and
"entirely outside" can be generated directly instead of filtered (filters make hypothesis slow).
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from sc_importers.model import Ellipse, Polygon, Rectangle, RotatedRectangle, Shape

#: Deterministic (same examples on every run, no example database written into the repository)
#: and fast: the whole folder runs in a few seconds.
PROPERTY = settings(derandomize=True, database=None, deadline=None, max_examples=300,
                    suppress_health_check=[HealthCheck.too_slow])
#: For the slower builder and label-filtering properties (whole random datasets per example).
DATASET_PROPERTY = settings(PROPERTY, max_examples=150)

sizes = st.integers(min_value=1, max_value=10000)
unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
angles = st.floats(min_value=-720.0, max_value=720.0, allow_nan=False)


@st.composite
def image_sizes(draw: st.DrawFn) -> tuple[int, int]:
    """(width, height) of an image, 1..10000 px each."""
    return draw(sizes), draw(sizes)


@st.composite
def interval_inside(draw: st.DrawFn, extent: int) -> tuple[float, float]:
    """(start, size) of a pixel interval within [0, extent], with start + size <= extent in floats."""
    a, b = sorted((draw(unit) * extent, draw(unit) * extent))
    size = b - a
    while a + size > extent:  # rounding of b - a
        size = math.nextafter(size, 0.0)
    return a, size


@st.composite
def box_inside(draw: st.DrawFn, width: int, height: int, cls: type = Rectangle) -> Rectangle | Ellipse:
    x, w = draw(interval_inside(width))
    y, h = draw(interval_inside(height))
    return cls(x, y, w, h)


@st.composite
def polygon_inside(draw: st.DrawFn, width: int, height: int) -> Polygon:
    n = draw(st.integers(min_value=3, max_value=12))
    return Polygon(tuple((draw(unit) * width, draw(unit) * height) for _ in range(n)))


def corners(shape: RotatedRectangle) -> list[tuple[float, float]]:
    """The four corners of a rotated rectangle (x, y is its centre, angle in degrees)."""
    a = math.radians(shape.angle)
    cos, sin = math.cos(a), math.sin(a)
    hw, hh = shape.width / 2, shape.height / 2
    return [(shape.x + dx * cos - dy * sin, shape.y + dx * sin + dy * cos)
            for dx, dy in ((-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh))]


@st.composite
def rotated_inside(draw: st.DrawFn, width: int, height: int) -> RotatedRectangle:
    """A rotated rectangle whose four corners lie inside the image (scaled down to fit)."""
    angle = draw(angles)
    w, h = draw(unit), draw(unit)
    a = math.radians(angle)
    ex = abs(w * math.cos(a)) + abs(h * math.sin(a))
    ey = abs(w * math.sin(a)) + abs(h * math.cos(a))
    scale = draw(unit) * min(width / ex if ex else 1.0, height / ey if ey else 1.0) * (1 - 1e-9)
    w, h, ex, ey = w * scale, h * scale, ex * scale, ey * scale
    cx = ex / 2 + draw(unit) * max(0.0, width - ex)
    cy = ey / 2 + draw(unit) * max(0.0, height - ey)
    return RotatedRectangle(cx, cy, w, h, angle)


def shape_inside(width: int, height: int) -> st.SearchStrategy[Shape]:
    """Any of the four shape types, entirely inside a ``width`` x ``height`` image."""
    return st.one_of(box_inside(width, height), box_inside(width, height, Ellipse),
                     polygon_inside(width, height), rotated_inside(width, height))


def _coordinate(extent: int) -> st.SearchStrategy[float]:
    """A pixel coordinate anywhere from one image size before the image to one after it."""
    return st.floats(min_value=-1.0, max_value=2.0, allow_nan=False).map(lambda f: f * extent)


@st.composite
def shape_anywhere(draw: st.DrawFn, width: int, height: int) -> Shape:
    """Any shape with positive sizes whose coordinates may lie before, in or after the image."""
    kind = draw(st.sampled_from(("rect", "ellipse", "polygon", "rotated")))
    if kind == "polygon":
        n = draw(st.integers(min_value=3, max_value=8))
        return Polygon(tuple((draw(_coordinate(width)), draw(_coordinate(height))) for _ in range(n)))
    x, y = draw(_coordinate(width)), draw(_coordinate(height))
    w, h = draw(unit) * 2 * width, draw(unit) * 2 * height
    if kind == "rotated":
        return RotatedRectangle(x, y, w, h, draw(angles))
    return (Rectangle if kind == "rect" else Ellipse)(x, y, w, h)


def any_shape(width: int, height: int) -> st.SearchStrategy[Shape]:
    """Shapes a reader might produce: mostly inside, some crossing the border, some degenerate."""
    degenerate = st.one_of(
        st.builds(Rectangle, st.just(1.0), st.just(1.0), st.just(0.0), unit.map(lambda f: f * height)),
        st.builds(lambda x, n: Polygon(tuple((x, float(i) / 10) for i in range(n))),
                  unit.map(lambda f: f * width), st.integers(3, 6)),
    )
    return st.one_of(shape_inside(width, height), shape_anywhere(width, height), degenerate)
