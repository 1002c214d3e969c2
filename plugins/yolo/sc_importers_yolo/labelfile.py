"""One YOLO label file -> annotations in pixels, with a problem per bad line (``file:line``).

Each non-blank line is ``class x_center y_center width height`` (a box) or ``class x1 y1 ... xn yn``
(a polygon: more than 5 numbers), every coordinate normalized to the image size. Rules:

- a class id must be an integer declared in the names (else: error for the line);
- a malformed line (not numbers, 2-4 numbers, an odd count of polygon coordinates, a negative box
  size, NaN) is an error for the line;
- coordinates outside [0, 1]: the shape is clipped to the image with a warning (a box by its edges, a
  polygon by Sutherland-Hodgman against the image rectangle: :mod:`sc_importers.geometry.clip`); a
  shape entirely outside is an error;
  overshoots up to 1e-6 (rounding in exporters) are clipped silently;
- a zero-size box or a zero-area polygon is dropped with a warning; a polygon with fewer than 3
  distinct points is an error for the line.

An error for any line marks the whole image as an error (the caller does not upload a half-read
annotation set); warnings keep it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sc_importers.geometry.clip import clip_box, clip_polygon, without_repeats
from sc_importers.model import Annotation, Polygon, Rectangle

#: Overshoot outside [0, 1] that is clipped without a warning.
TOLERANCE = 1e-6

Point = tuple[float, float]


@dataclass
class ParsedFile:
    """Annotations of one label file, the class ids used, and messages per line (``line N: ...``)."""

    annotations: list[Annotation] = field(default_factory=list)
    class_ids: set[int] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class LineError(ValueError):
    """A line cannot be imported; the message says why (the caller adds the line number)."""


def _numbers(fields: list[str]) -> tuple[int, list[float]]:
    try:
        raw_class = float(fields[0])
        values = [float(v) for v in fields[1:]]
    except ValueError:
        raise LineError(f"not all numbers: {' '.join(fields)[:80]!r}") from None
    if not raw_class.is_integer():
        raise LineError(f"class id {fields[0]} is not an integer")
    if not all(math.isfinite(v) for v in values):
        raise LineError("a coordinate is not a finite number")
    return int(raw_class), values


def _outside(values: list[float]) -> bool:
    return any(v < -TOLERANCE or v > 1 + TOLERANCE for v in values)


def _box(values: list[float], width: int, height: int, notes: list[str]) -> Rectangle | None:
    cx, cy, w, h = values
    if w < 0 or h < 0:
        raise LineError(f"negative box size (width {w}, height {h})")
    if w == 0 or h == 0:
        notes.append("zero-size box (zero area); dropped")
        return None
    x1, y1, x2, y2 = cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2
    if _outside([x1, y1, x2, y2]):
        if clip_box(x1, y1, x2, y2, 1.0, 1.0) is None:
            raise LineError(f"box (x_center {cx}, y_center {cy}, width {w}, height {h}) lies entirely outside "
                            "the image; dropped")
        notes.append(f"box (x_center {cx}, y_center {cy}, width {w}, height {h}) extends outside the image; "
                     "clipped")
    x1, y1, x2, y2 = (min(max(v, 0.0), 1.0) for v in (x1, y1, x2, y2))
    return Rectangle(x1 * width, y1 * height, (x2 - x1) * width, (y2 - y1) * height)


def _polygon(values: list[float], width: int, height: int, notes: list[str]) -> Polygon | None:
    if len(values) % 2:
        raise LineError(f"odd number of polygon coordinates ({len(values)}): x y pairs expected")
    points = list(without_repeats(list(zip(values[0::2], values[1::2], strict=True))))
    if len(points) < 3:
        raise LineError(f"a polygon needs at least 3 distinct points, got {len(points)}")
    if _outside(values):
        clipped = list(clip_polygon(points, 1.0, 1.0))
        if len(clipped) < 3 or Polygon(tuple(clipped)).area == 0:
            raise LineError("polygon lies entirely outside the image; dropped")
        notes.append("polygon extends outside the image; clipped")
        points = clipped
    points = [(min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)) for x, y in points]
    shape = Polygon(tuple((x * width, y * height) for x, y in points))
    if shape.area == 0:
        notes.append("polygon has zero area; dropped")
        return None
    return shape


def parse_label_text(text: str, names: dict[int, str] | None, width: int, height: int,
                     keypoint_values: int = 0) -> ParsedFile:
    """Parse a label file's text for an image of ``width`` x ``height`` pixels. ``names`` None means
    "no names known": every class id is accepted and the label is the id as text. ``keypoint_values``
    > 0 (a pose dataset): every line is ``class cx cy w h`` and that many keypoint numbers, of which
    only the box is kept."""
    out = ParsedFile()
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        notes: list[str] = []
        try:
            if len(fields) < 5:
                raise LineError(f"{len(fields)} numbers; a box needs 5 (class x_center y_center width height), "
                                "a polygon class and at least 3 x y pairs")
            class_id, values = _numbers(fields)
            if keypoint_values:
                if len(values) != 4 + keypoint_values:
                    raise LineError(f"{len(fields)} numbers; a pose line needs {5 + keypoint_values} (class, "
                                    f"a box, {keypoint_values} keypoint values as kpt_shape says)")
                values = values[:4]
            if names is not None and class_id not in names:
                raise LineError(f"class id {class_id} is not in names")
            shape = _box(values, width, height, notes) if len(values) == 4 else _polygon(values, width, height, notes)
        except LineError as exc:
            out.errors.append(f"line {number}: {exc}")
            continue
        out.warnings.extend(f"line {number}: {note}" for note in notes)
        if shape is not None:
            label = names[class_id] if names is not None else str(class_id)
            out.annotations.append(Annotation((label,), shape))
            out.class_ids.add(class_id)
    return out
