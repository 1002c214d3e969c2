"""Datumaro annotations and label categories -> the neutral model (pixel coordinates).

Shapes map one to one where SC 1.0 has the shape (Bbox -> Rectangle, Polygon, Ellipse,
RotatedBbox -> RotatedRectangle, Label -> image-level annotation); masks become one polygon per
4-connected region, traced along pixel edges (:mod:`sc_importers.geometry.masks`). Points,
skeletons, polylines, captions and 3D shapes have no SC 1.0 equivalent: they are counted, and the
reader reports one warning per type with the count.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from sc_importers.geometry.clip import clip_box
from sc_importers.model import Annotation, Ellipse, Label, Polygon, Problem, Rectangle, RotatedRectangle, Shape

if TYPE_CHECKING:  # Datumaro ships no types: to mypy these are Any, to a reader they say what is passed
    from datumaro.components.annotation import Annotation as DmAnnotation


def labels_from_categories(categories: dict) -> list[Label]:
    """Labels with parents (LabelCategories ``parent``) and groups (``label_groups``)."""
    from datumaro.components.annotation import AnnotationType

    cats = categories.get(AnnotationType.label)
    if cats is None:
        return []
    group_of: dict[str, str] = {}
    for group in getattr(cats, "label_groups", []) or []:
        for name in group.labels:
            group_of.setdefault(name, group.name)
    return [Label(name=c.name, parent=c.parent or None, group=group_of.get(c.name)) for c in cats.items]


@dataclass
class ItemContext:
    """Where an annotation comes from, for problem messages, and the image size for clipping."""

    file: str
    item: str
    label_names: list[str]
    width: int | None = None
    height: int | None = None
    problems: list[Problem] = field(default_factory=list)
    unsupported: Counter = field(default_factory=Counter)

    def problem(self, severity: Literal["error", "warning"], message: str) -> None:
        self.problems.append(Problem(severity, message, file=self.file, item=self.item))


def _label_name(ann: DmAnnotation, ctx: ItemContext) -> tuple[str, ...] | None:
    """The annotation's label as a 1-tuple; None (with an error) when the index is unknown."""
    index = getattr(ann, "label", None)
    if index is None:
        ctx.problem("warning", f"{type(ann).__name__} without a label; skipped")
        return None
    if not 0 <= index < len(ctx.label_names):
        ctx.problem(
            "error",
            f"{type(ann).__name__} has label index {index}, but the dataset declares "
            f"{len(ctx.label_names)} labels (0..{len(ctx.label_names) - 1}); skipped",
        )
        return None
    return (ctx.label_names[index],)


def _clip_rect(rect: Rectangle, ctx: ItemContext) -> Rectangle | None:
    """Clip to the image (warning); None for a zero-size box (warning, as every reader does) or,
    with an error that skips the image, a box entirely outside it."""
    where = f"box ({rect.x:g}, {rect.y:g}, {rect.width:g}x{rect.height:g})"
    if rect.width <= 0 or rect.height <= 0:
        ctx.problem("warning", f"{where} has zero area; dropped")
        return None
    if ctx.width is None or ctx.height is None:
        return rect
    box = clip_box(rect.x, rect.y, rect.x + rect.width, rect.y + rect.height, ctx.width, ctx.height)
    if box is None:
        ctx.problem("error", f"{where} lies entirely outside the {ctx.width}x{ctx.height} image; dropped")
        return None
    x1, y1, x2, y2 = box
    clipped = Rectangle(x1, y1, x2 - x1, y2 - y1)
    if clipped != rect:
        ctx.problem("warning", f"{where} extends outside the {ctx.width}x{ctx.height} image; clipped")
    return clipped


def _shapes(ann: DmAnnotation, ctx: ItemContext) -> list[Shape] | None:
    """The neutral shapes of one Datumaro annotation; None when its type is not supported."""
    from datumaro.components.annotation import AnnotationType

    kind = ann.type
    if kind == AnnotationType.bbox:
        x, y, w, h = ann.get_bbox()
        rect = _clip_rect(Rectangle(float(x), float(y), float(w), float(h)), ctx)
        return [rect] if rect is not None else []
    if kind == AnnotationType.polygon:
        pts = ann.points
        return [Polygon(tuple((float(pts[i]), float(pts[i + 1])) for i in range(0, len(pts) - 1, 2)))]
    if kind == AnnotationType.ellipse:
        x1, y1, x2, y2 = ann.points
        return [Ellipse(float(min(x1, x2)), float(min(y1, y2)), float(abs(x2 - x1)), float(abs(y2 - y1)))]
    if kind == AnnotationType.rotated_bbox:
        a = ann
        return [RotatedRectangle(float(a.cx), float(a.cy), float(a.w), float(a.h), float(a.r))]
    if kind == AnnotationType.mask:
        from sc_importers.geometry.masks import mask_to_polygons  # numpy with the first mask

        return list(mask_to_polygons(ann.image))
    return None


def _empty_mask_message(ann: DmAnnotation, label: str) -> str:
    """Why a mask gave no polygon: it has no pixels, or (should tracing ever fail) it is too thin."""
    import numpy as np

    pixels = int(np.count_nonzero(np.asarray(ann.image)))
    if pixels == 0:
        return f"mask of label {label!r} has no pixels; skipped"
    return f"mask of label {label!r} ({pixels} pixels) is too thin to trace into a polygon; skipped"


#: Datumaro attributes that are bookkeeping, not information a user gave (never counted as dropped).
BOOKKEEPING_ATTRIBUTES = {"outside", "keyframe", "track_id", "z_order", "rotation", "is_crowd", "score", "id",
                          "frame", "source"}
#: Attribute values that say nothing (VOC writes every flag, "Unspecified" poses).
EMPTY_VALUES = (False, None, "", "Unspecified")


def _count_dropped_details(ann: DmAnnotation, ctx: ItemContext) -> bool:
    """Count what SC 1.0 cannot hold of one annotation in ``ctx.unsupported`` (keys
    ``("attribute", label, name)`` for every informative attribute value, ``("outside", label)``
    for a track's shape marked outside the frame); True when the whole annotation is to be
    skipped (outside: the object is not visible there)."""
    attributes = getattr(ann, "attributes", None) or {}
    index = getattr(ann, "label", None)
    label = ctx.label_names[index] if isinstance(index, int) and 0 <= index < len(ctx.label_names) else "?"
    if attributes.get("outside") is True:
        ctx.unsupported[("outside", label)] += 1
        return True
    for name, value in attributes.items():
        if name not in BOOKKEEPING_ATTRIBUTES and not any(value is v or value == v for v in EMPTY_VALUES):
            ctx.unsupported[("attribute", label, name)] += 1
    return False


def convert_annotations(annotations: list, ctx: ItemContext) -> list[Annotation]:
    """Convert one item's annotations, recording problems and unsupported types in ``ctx``."""
    from datumaro.components.annotation import AnnotationType

    out: list[Annotation] = []
    for position, ann in enumerate(annotations):
        if _count_dropped_details(ann, ctx):
            continue
        if ann.type == AnnotationType.label:
            names = _label_name(ann, ctx)
            if names is not None:
                out.append(Annotation(names, None))
            continue
        try:
            shapes = _shapes(ann, ctx)
        except Exception as exc:
            ctx.problem("error", f"{ann.type.name} annotation could not be converted: {exc}; skipped")
            continue
        if shapes is None:
            ctx.unsupported[ann.type.name] += 1
            continue
        names = _label_name(ann, ctx)
        if names is None:
            continue
        if ann.type == AnnotationType.mask and not shapes:
            ctx.problem("warning", _empty_mask_message(ann, names[0]))
        # a mask traced into several outlines is still one object (one box in a detection project)
        object_id = f"datumaro annotation #{position}" if len(shapes) > 1 else None
        for shape in shapes:
            if shape.area <= 0:
                ctx.problem("warning", f"{type(shape).__name__.lower()} has zero area; dropped")
                continue
            out.append(Annotation(names, shape, object_id))
    return out


def detail_warnings(unsupported: Counter, root: object) -> list[Problem]:
    """One warning for attribute values, one for track shapes outside their frame (see
    ``convert._count_dropped_details``), each with counts per label."""
    details = [(k, n) for k, n in unsupported.items() if isinstance(k, tuple)]
    attributes = Counter({(k[1], k[2]): n for k, n in details if k[0] == "attribute"})
    outside = Counter({k[1]: n for k, n in details if k[0] == "outside"})
    out = []
    if attributes:
        listed = ", ".join(f"{name} of {label!r}: {n}" for (label, name), n in sorted(attributes.items()))
        out.append(Problem("warning", f"{sum(attributes.values())} attribute values are not imported (SC 1.0 has "
                           f"no attributes) ({listed})", file=str(root)))
    if outside:
        listed = ", ".join(f"{label!r}: {n}" for label, n in sorted(outside.items()))
        out.append(Problem("warning", f"{sum(outside.values())} track shapes are marked outside their frame (the "
                           f"object is not visible there) and are not imported ({listed})", file=str(root)))
    return out
