"""Properties of the pixel <-> SC 1.0 normalized conversion at the REST boundary.

``shape_to_sc`` is what every upload sends; SC refuses coordinates outside [0, 1] and boxes whose
``x + width`` exceeds 1 (even by one ulp), so these hold for every image size and every shape.
``shape_from_sc`` (exports) and the backup reader's ``to_pixels`` (restores) convert back.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from prop_shapes import PROPERTY, image_sizes, shape_anywhere, shape_inside

from sc_importers.geometry.clip import clip_polygon
from sc_importers.model import (
    Annotation,
    Dataset,
    Ellipse,
    MediaItem,
    Polygon,
    Rectangle,
    RotatedRectangle,
    Shape,
    bounding_box,
)
from sc_importers.rest.saved_scenes import to_pixels
from sc_importers.rest.sc_v1_records import shape_from_sc, shape_to_sc
from sc_importers.validation import validate


def _coordinates(sc: dict) -> list[float]:
    """Every normalized number of an SC shape body (a rotated rectangle's angle is not one)."""
    if sc["type"] == "POLYGON":
        return [v for p in sc["points"] for v in (p["x"], p["y"])]
    return [sc["x"], sc["y"], sc["width"], sc["height"]]


def _assert_in_unit_square(sc: dict) -> None:
    assert all(0.0 <= v <= 1.0 for v in _coordinates(sc)), sc
    if sc["type"] in ("RECTANGLE", "ELLIPSE"):
        assert sc["x"] + sc["width"] <= 1.0, sc  # exactly: SC refuses 1 + 1 ulp
        assert sc["y"] + sc["height"] <= 1.0, sc


def _numbers(shape: Shape) -> list[float]:
    if isinstance(shape, Polygon):
        return [v for p in shape.points for v in p]
    values = [shape.x, shape.y, shape.width, shape.height]
    return values + [shape.angle] if isinstance(shape, RotatedRectangle) else values


@st.composite
def _sized(draw: st.DrawFn, shapes) -> tuple[int, int, Shape]:
    width, height = draw(image_sizes())
    return width, height, draw(shapes(width, height))


def _representable(shape: Shape, width: int, height: int) -> Shape:
    """``shape`` as SC 1.0 can carry it. A rotated rectangle's width is normalized by the image
    width and its height by the image height whatever its angle, and SC refuses sizes above 1;
    ``shape_to_sc`` clamps them (documented there). A rotated rectangle inside the image can
    still be longer than the image is wide (a tilted box in a square image, or a box turned by
    90 degrees in a tall one): that one does not round trip, it comes back clamped."""
    if isinstance(shape, RotatedRectangle):
        return RotatedRectangle(shape.x, shape.y, min(shape.width, width), min(shape.height, height), shape.angle)
    return shape


@PROPERTY
@given(_sized(shape_inside))
# found by this test: inside a 1 x 1 image, tilted by 1 degree, 1.00015 px high -> comes back 1 px high
@example((1, 1, RotatedRectangle(0.00872753245538126, 0.4999999995, 0.0, 1.0001523270437553, 1.0)))
@example((1, 10000, RotatedRectangle(0.5, 5000.0, 9000.0, 0.5, 90.0)))
def test_shapes_inside_the_image_round_trip_and_stay_in_the_unit_square(case: tuple[int, int, Shape]) -> None:
    width, height, shape = case
    sc = shape_to_sc(shape, width, height)
    _assert_in_unit_square(sc)
    tolerance = 1e-6 * max(width, height)
    expected = _representable(shape, width, height)
    for back in (shape_from_sc(sc, width, height), to_pixels(sc, width, height, "annotations[0]")):
        assert type(back) is type(shape)
        assert all(abs(a - b) <= tolerance for a, b in zip(_numbers(back), _numbers(expected), strict=True)), \
            (shape, back)


def _contains(outer: Rectangle, inner: Rectangle, tolerance: float) -> bool:
    return (inner.x >= outer.x - tolerance and inner.y >= outer.y - tolerance
            and inner.x + inner.width <= outer.x + outer.width + tolerance
            and inner.y + inner.height <= outer.y + outer.height + tolerance)


def _overlaps_image(shape: Shape, width: int, height: int) -> bool:
    box = bounding_box(shape)
    return box.x + box.width > 0 and box.y + box.height > 0 and box.x < width and box.y < height


@PROPERTY
@given(_sized(shape_anywhere))
def test_shapes_crossing_the_border_are_clipped_into_their_own_bounding_box(
    case: tuple[int, int, Shape],
) -> None:
    """Clipping only removes: the clipped shape lies in the original's bounding box. A rotated
    rectangle keeps its size (at most 1 image width/height) and its centre moves onto the image
    border, which stays inside the original's bounding box while the shape overlaps the image."""
    width, height, shape = case
    sc = shape_to_sc(shape, width, height)
    _assert_in_unit_square(sc)
    if not _overlaps_image(shape, width, height):
        return  # entirely outside: see test_shapes_entirely_outside_are_skipped_before_upload
    original = bounding_box(shape)
    clipped = shape_from_sc(sc, width, height)
    tolerance = 1e-6 * max(width, height)
    if isinstance(shape, RotatedRectangle):
        assert _contains(original, Rectangle(clipped.x, clipped.y, 0, 0), tolerance), (shape, clipped)
        assert clipped.width <= shape.width + tolerance and clipped.height <= shape.height + tolerance
        assert clipped.angle == shape.angle
    else:
        assert _contains(original, bounding_box(clipped), tolerance), (shape, clipped)


@pytest.fixture(scope="module")
def image_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A media file that exists (validation checks existence; sizes come from the item)."""
    path = tmp_path_factory.mktemp("media") / "a.jpg"
    path.write_bytes(b"not read: the item gives its size")
    return path


@PROPERTY
@given(_sized(shape_anywhere))
@example((100, 50, Rectangle(100.0, 10.0, 5.0, 5.0)))  # touches the right border from outside
@example((100, 50, Polygon(((-3.0, 1.0), (-1.0, 1.0), (-2.0, 40.0)))))
@example((100, 50, Polygon(((-60.0, 55.0), (55.0, -60.0), (-60.0, -60.0)))))  # its box overlaps, it does not
@example((10000, 7, Rectangle(math.nextafter(10000.0, 0.0), 0.0, 3.0, 3.0)))  # last float inside
def test_shapes_entirely_outside_are_skipped_before_upload(image_file: Path, case: tuple[int, int, Shape]) -> None:
    """What happens to a shape entirely outside: validation gives its item an error, so the
    uploader skips the item and ``shape_to_sc`` never sees it (were it called, its body would
    still be inside [0, 1], checked above, but of zero size, which SC refuses). Conversely a shape
    validation lets through (inside, or partly outside with a warning) gets a positive-size body."""
    width, height, shape = case
    item = MediaItem(image_file, "a.jpg", annotations=[Annotation(("thing",), shape)], width=width, height=height)
    problems = validate(Dataset("d", "test", image_file.parent, items=[item]), check_images=False)
    outside = [p for p in problems if getattr(p, "kind", "") == "shape_outside_image"]
    skipped = any(p.severity == "error" and p.item == "a.jpg" for p in problems)
    nothing_inside = not _overlaps_image(shape, width, height) or (
        isinstance(shape, Polygon) and Polygon(clip_polygon(shape.points, width, height)).area <= 0)
    assert bool(outside) == (nothing_inside and shape.area > 0)
    if skipped or shape.area <= 0:
        return
    sc = shape_to_sc(shape, width, height)
    if sc["type"] in ("RECTANGLE", "ELLIPSE", "ROTATED_RECTANGLE"):
        assert sc["width"] > 0 and sc["height"] > 0, (shape, sc)


@PROPERTY
@given(image_sizes(), st.floats(0, 1), st.floats(0, 1), st.sampled_from((Rectangle, Ellipse)))
def test_a_box_flush_with_the_bottom_right_corner_never_passes_one(
    size: tuple[int, int], fx: float, fy: float, cls: type
) -> None:
    """Boxes ending exactly at the border, the case where two divisions overshoot by one ulp."""
    width, height = size
    x, y = fx * width, fy * height
    sc = shape_to_sc(cls(x, y, width - x, height - y), width, height)
    _assert_in_unit_square(sc)
    assert math.isclose(sc["x"] + sc["width"], 1.0, abs_tol=1e-12)
