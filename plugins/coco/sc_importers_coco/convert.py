"""One COCO annotation record to neutral-model shapes, with the checks SC needs.

Rules (the severities users see in the dry-run report):

* ``segmentation`` given as polygons: one :class:`Polygon` per part, same label; the ``bbox`` is
  then only derived data and not imported a second time. The reader gives the parts of one
  annotation a shared ``object_id``: they are one object (one box in a detection project).
* ``segmentation`` given as RLE (crowd regions, or masks of any annotation): decoded and traced
  into one polygon per outer boundary (one object too); ``crowd="skip"`` drops ``iscrowd=1``
  annotations instead.
  A mask that yields no polygon is a warning.
* no segmentation: the ``bbox`` becomes a :class:`Rectangle`.
* neither (COCO "labels" files): an image-level label, ``Annotation(labels, shape=None)``.
* a shape partly outside the image is clipped (warning); fully outside is an error for that
  annotation; a shape of zero area or with fewer than 3 points is dropped (warning).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from sc_importers.geometry.clip import clip_box, clip_polygon
from sc_importers.model import Polygon, Problem, Rectangle, Shape

CrowdMode = Literal["polygon", "skip"]
CROWD_MODES = ("polygon", "skip")


@dataclass
class ImageContext:
    """The image an annotation belongs to, and where to report problems about it."""

    json_file: str
    #: The media item's key (what reports and the uploader name it by; an error on it skips the image).
    file_name: str
    width: int | None
    height: int | None
    problems: list[Problem] = field(default_factory=list)

    def report(self, severity: Literal["error", "warning"], ann: dict, message: str) -> None:
        self.problems.append(
            Problem(severity, f"annotation id {ann.get('id')}: {message}", self.json_file, self.file_name)
        )


@dataclass
class Converted:
    """The shapes of one annotation (None: an image-level label) and what was seen on the way."""

    shapes: Sequence[Shape | None]
    had_keypoints: bool = False


def has_keypoints(ann: dict) -> bool:
    """Whether the annotation carries any labelled keypoint (visibility flag > 0)."""
    kps = ann.get("keypoints")
    if not isinstance(kps, list) or not kps:
        return False
    return any(isinstance(v, (int, float)) and v > 0 for v in kps[2::3])


def convert(ann: dict, ctx: ImageContext, crowd: CrowdMode) -> Converted:
    """The shapes for ``ann``; problems go to ``ctx.problems``."""
    keypoints = has_keypoints(ann)
    seg = ann.get("segmentation")
    if isinstance(seg, dict):
        if ann.get("iscrowd") and crowd == "skip":
            return Converted([], keypoints)
        return Converted(_from_rle(seg, ann, ctx), keypoints)
    if isinstance(seg, list) and seg:
        return Converted(_from_polygons(seg, ann, ctx), keypoints)
    bbox = ann.get("bbox")
    if bbox is not None and bbox != []:
        box = _from_bbox(bbox, ann, ctx)
        return Converted([box] if box is not None else [], keypoints)
    if keypoints:
        return Converted([], True)  # a pose with no region: nothing SC can hold
    return Converted([None])


def _from_bbox(bbox: object, ann: dict, ctx: ImageContext) -> Rectangle | None:
    if not (isinstance(bbox, list) and len(bbox) == 4 and all(isinstance(v, (int, float)) for v in bbox)):
        ctx.report("error", ann, f"bbox must be 4 numbers [x, y, width, height], got {bbox!r}")
        return None
    x, y, w, h = (float(v) for v in bbox)
    if not all(math.isfinite(v) for v in (x, y, w, h)):
        ctx.report("error", ann, f"bbox {bbox} has a coordinate that is not a finite number (NaN or infinity)")
        return None
    if w <= 0 or h <= 0:
        ctx.report("warning", ann, f"bbox {bbox} has zero area; dropped")
        return None
    if ctx.width is None or ctx.height is None:
        return Rectangle(x, y, w, h)
    box = clip_box(x, y, x + w, y + h, ctx.width, ctx.height)
    if box is None:
        ctx.report(
            "error", ann, f"bbox {bbox} lies entirely outside the {ctx.width}x{ctx.height} image; dropped"
        )
        return None
    x0, y0, x1, y1 = box
    if (x0, y0, x1, y1) != (x, y, x + w, y + h):
        ctx.report("warning", ann, f"bbox {bbox} extends outside the {ctx.width}x{ctx.height} image; clipped")
    return Rectangle(x0, y0, x1 - x0, y1 - y0)


#: Coordinate types a polygon may hold (bool is an int subclass, but not a coordinate).
_NUMBER_TYPES = frozenset((int, float))


class FloatParts(list):
    """Polygon parts known to be lists of floats (decoded as ``list[list[float]]``): the per-number
    type check is skipped for them."""


def _from_polygons(parts: list, ann: dict, ctx: ImageContext) -> list[Polygon]:
    # The per-coordinate work runs in C (map, zip, min, max, sum): a train2017-size file has
    # ~17 million coordinates, and a Python-level loop over them cost most of the reader's time.
    polygons = []
    floats = type(parts) is FloatParts
    width, height = ctx.width, ctx.height
    for index, part in enumerate(parts):
        if not floats:
            types = set(map(type, part)) if isinstance(part, list) else set()
            if not types or not types <= _NUMBER_TYPES:
                ctx.report("error", ann, f"polygon part {index} must be a flat list of numbers [x1, y1, x2, y2, ...]")
                continue
        if not math.isfinite(sum(part)) and not all(map(math.isfinite, part)):  # one sum shows most are
            ctx.report("error", ann, f"polygon part {index} has a coordinate that is not a finite number "
                       "(NaN or infinity)")
            continue
        if len(part) < 6 or len(part) % 2:
            ctx.report("warning", ann, f"polygon part {index} has {len(part)} coordinates, fewer than 3 points; "
                       "dropped")
            continue
        if floats or int not in types:
            xs, ys = part[0::2], part[1::2]
        else:
            xs, ys = list(map(float, part[0::2])), list(map(float, part[1::2]))
        if xs[0] == xs[-1] and ys[0] == ys[-1]:
            xs.pop()  # a closing point repeating the first one
            ys.pop()
        if width is not None and height is not None:
            clipped = _clip_polygon(xs, ys, ann, ctx, f"polygon part {index}")
            if clipped is None:
                continue
            xs, ys = clipped
        if _area(xs, ys) <= 0:
            ctx.report("warning", ann, f"polygon part {index} has zero area; dropped")
            continue
        polygons.append(Polygon(tuple(zip(xs, ys, strict=True))))
    return polygons


def _area(xs: list[float], ys: list[float]) -> float:
    """``Polygon.area`` of the polygon (x, y): the same shoelace terms, summed in the same order."""
    if len(xs) < 3:
        return 0.0
    terms = map(operator.sub, map(operator.mul, xs, ys[1:] + ys[:1]), map(operator.mul, xs[1:] + xs[:1], ys))
    return abs(sum(terms)) / 2


def _clip_polygon(xs: list[float], ys: list[float], ann: dict, ctx: ImageContext,
                  where: str) -> tuple[list[float], list[float]] | None:
    """The part of the polygon inside the image (a warning when that is not all of it), or None (an
    error) when nothing of it is (:func:`~sc_importers.geometry.clip.clip_polygon`)."""
    if ctx.width is None or ctx.height is None:
        return xs, ys
    w, h = float(ctx.width), float(ctx.height)
    if min(xs) >= 0 and min(ys) >= 0 and max(xs) <= w and max(ys) <= h:
        return xs, ys
    clipped = clip_polygon(list(zip(xs, ys, strict=True)), w, h)
    if len(clipped) < 3 or Polygon(clipped).area <= 0:
        if _area(xs, ys) <= 0:
            return xs, ys  # no area to begin with: the caller drops it as such
        ctx.report("error", ann, f"{where} lies entirely outside the {ctx.width}x{ctx.height} image; dropped")
        return None
    ctx.report("warning", ann, f"{where} extends outside the {ctx.width}x{ctx.height} image; clipped")
    return [p[0] for p in clipped], [p[1] for p in clipped]


def _from_rle(seg: dict, ann: dict, ctx: ImageContext) -> list[Polygon]:
    # imported here: numpy and pycocotools load with the first RLE, not whenever the readers are listed
    from sc_importers.geometry.masks import mask_to_polygons
    from sc_importers_coco.masks import decode_rle

    try:
        region = decode_rle(seg, ctx.height, ctx.width)
    except (ValueError, TypeError, KeyError) as exc:
        ctx.report("error", ann, f"RLE segmentation cannot be decoded: {exc}")
        return []
    height, width = region.size
    if ctx.width is not None and ctx.height is not None and (height, width) != (ctx.height, ctx.width):
        ctx.report("warning", ann, f"RLE size {width}x{height} differs from the {ctx.width}x{ctx.height} image")
    polygons = mask_to_polygons(region.mask, origin=(region.left, region.top))
    if not polygons:
        ctx.report("warning", ann, "RLE mask produced no polygon (empty mask); dropped")
    return polygons
