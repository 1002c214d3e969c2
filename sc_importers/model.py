"""The neutral dataset model every format reader produces and every uploader consumes.

A reader turns a dataset on disk into a :class:`Dataset`; a project-type builder turns that into
what a project of its type needs; the REST layer turns it into one server dialect. Nothing in
here knows about a server: coordinates are **pixels of the media item** (x to the right, y down,
origin at the top-left corner), and conversion to the SC 1.0 normalized [0, 1] coordinates
happens at the REST boundary, where the media size is known.

Media items carry paths, never pixels, so a dataset of any size fits in memory. A reader of one
large annotation file may go further and hand out ``Dataset.items`` as a sequence that builds each
item when asked (the coco reader does): code that reads a dataset takes ``items`` as a
``Sequence`` (``len``, iteration, indexing), walks it rather than holding a list of it, and gets
equal but new objects on each pass.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

#: Stands for "the empty label of the first trainable task" (``No Object`` for detection,
#: ``Empty`` for segmentation, ...). The server names empty labels itself, so builders use this
#: placeholder and the uploader resolves it to the real label once the project exists.
EMPTY_LABEL = ":empty:"


_T = TypeVar("_T")


class _computed_once(Generic[_T]):  # noqa: N801 - used as a decorator, like property
    """A property computed on first use and then stored on the object, for values of frozen shapes.

    Like :class:`functools.cached_property` without its lock (Python 3.11 takes one at every
    access that computes, a sixth of a dry run's time): the value depends only on the frozen fields,
    so two threads computing it at once store equal values."""

    def __init__(self, compute: Callable[[Any], _T]) -> None:
        self.compute = compute
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: object, owner: type | None = None) -> _T:
        if obj is None:
            return self  # type: ignore[return-value]  # the descriptor itself, read on the class
        value = self.compute(obj)
        obj.__dict__[self.name] = value  # later reads find it there, before this descriptor
        return value


@dataclass(frozen=True)
class Rectangle:
    """Axis-aligned box: top-left corner and size, in pixels."""

    x: float
    y: float
    width: float
    height: float

    @property
    def area(self) -> float:
        return self.width * self.height


@dataclass(frozen=True)
class Ellipse:
    """Axis-aligned ellipse, given by its bounding box in pixels."""

    x: float
    y: float
    width: float
    height: float

    @property
    def area(self) -> float:
        return 3.141592653589793 * self.width * self.height / 4


@dataclass(frozen=True)
class Polygon:
    """Closed polygon; ``points`` are (x, y) pixel pairs, the last one not repeating the first.

    Its area and bounding box are computed once per object (a dry run asks for each several times:
    the checks, then the conversion's area and box of every one of 800,000 polygons at train2017
    size); the points cannot change, so neither can they."""

    points: tuple[tuple[float, float], ...]

    @_computed_once
    def area(self) -> float:
        pts = self.points
        if len(pts) < 3:
            return 0.0
        # the shoelace terms x1*y2 - x2*y1, summed in order, with the per-point work in C (map)
        xs, ys = zip(*pts, strict=True)
        twice = sum(map(operator.sub, map(operator.mul, xs, ys[1:] + ys[:1]),
                        map(operator.mul, xs[1:] + xs[:1], ys)))
        return abs(twice) / 2

    @_computed_once
    def box(self) -> Rectangle:
        """The bounding box (:func:`bounding_box`)."""
        xs, ys = zip(*self.points, strict=True)
        x0, y0 = min(xs), min(ys)
        return Rectangle(x0, y0, max(xs) - x0, max(ys) - y0)


@dataclass(frozen=True)
class RotatedRectangle:
    """Box rotated by ``angle`` degrees around its centre (``x``, ``y``), sizes in pixels."""

    x: float
    y: float
    width: float
    height: float
    angle: float

    @property
    def area(self) -> float:
        return self.width * self.height


Shape = Rectangle | Ellipse | Polygon | RotatedRectangle

#: Shape type names as SC spells them; the keys of per-shape counts in reports.
SHAPE_TYPE_NAMES: dict[type, str] = {
    Rectangle: "RECTANGLE",
    Ellipse: "ELLIPSE",
    Polygon: "POLYGON",
    RotatedRectangle: "ROTATED_RECTANGLE",
}


def shape_type_name(shape: Shape | None) -> str:
    """SC's name for the shape type, or ``"IMAGE"`` for an image-level (shape-less) annotation."""
    return "IMAGE" if shape is None else SHAPE_TYPE_NAMES[type(shape)]


def bounding_box(shape: Shape) -> Rectangle:
    """The smallest axis-aligned rectangle that contains ``shape``."""
    if isinstance(shape, (Rectangle, Ellipse)):
        return Rectangle(shape.x, shape.y, shape.width, shape.height)
    if isinstance(shape, Polygon):
        return shape.box
    import math

    a = math.radians(shape.angle)
    w = abs(shape.width * math.cos(a)) + abs(shape.height * math.sin(a))
    h = abs(shape.width * math.sin(a)) + abs(shape.height * math.cos(a))
    return Rectangle(shape.x - w / 2, shape.y - h / 2, w, h)


#: Points of a polygon a message shows before "...".
SHOWN_POINTS = 3


def people_number(value: float) -> str:
    """A pixel coordinate or size for people: at most 2 decimals, no trailing zeros (244.55999999999997 ->
    244.56, 12.0 -> 12); the dataset keeps its full precision, only messages round."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def describe_shape(shape: Shape) -> str:
    """A shape in a message: its kind and its numbers rounded (:func:`people_number`), a long polygon by its
    first points and its count, e.g. ``polygon of 25 points (204.94, 108.56), (183.94, 141.56), ...``."""
    n = people_number
    if isinstance(shape, Polygon):
        shown = ", ".join(f"({n(x)}, {n(y)})" for x, y in shape.points[:SHOWN_POINTS])
        more = ", ..." if len(shape.points) > SHOWN_POINTS else ""
        return f"polygon of {len(shape.points)} points {shown}{more}"
    kind = shape_type_name(shape).lower().replace("_", " ")
    text = f"{kind} at x={n(shape.x)}, y={n(shape.y)}, w={n(shape.width)}, h={n(shape.height)}"
    return text + (f", angle {n(shape.angle)}" if isinstance(shape, RotatedRectangle) else "")


@dataclass(frozen=True)
class Label:
    """A label as a dataset declares it.

    ``group`` puts mutually exclusive labels together (None: the task's default group);
    ``parent`` is the *name* of the parent label in a hierarchy; ``is_empty`` marks a label that
    means "nothing here" (SC creates its own per task; backups carry them).
    """

    name: str
    color: str | None = None
    group: str | None = None
    parent: str | None = None
    is_empty: bool = False
    hotkey: str = ""


@dataclass
class Annotation:
    """One annotated region, or the whole media item when ``shape`` is None.

    ``labels`` are label names (several for hierarchical or multi-label classification).

    ``object_id`` says which annotations are parts of one object. A dataset may draw one object
    as several shapes (a COCO object whose segmentation has several polygons, a crowd mask traced
    into several outlines); without this, builders would count each part as an object of its own
    (a detection project would get one box per part). Annotations of one media item (or video
    frame) with the same non-None ``object_id`` are one object: builders that make one thing per
    object (a box) make it once for all its parts, builders of outlines keep every part. None (the
    default) means the annotation is an object by itself. The value only needs to be unique within
    its media item or frame.
    """

    labels: tuple[str, ...]
    shape: Shape | None = None
    object_id: str | None = None


@dataclass
class MediaItem:
    """An image or a video on disk with its annotations.

    ``key`` is unique within the dataset (usually the path relative to the dataset root) and is
    what progress journals and reports name. ``frames`` maps a video frame index to that frame's
    annotations. ``width``/``height`` are filled in by readers that know them; see :meth:`size`.
    """

    path: Path
    key: str
    kind: Literal["image", "video"] = "image"
    annotations: list[Annotation] = field(default_factory=list)
    frames: dict[int, list[Annotation]] = field(default_factory=dict)
    width: int | None = None
    height: int | None = None

    @property
    def name(self) -> str:
        """The media name a server shows: the file name without its extension."""
        return self.path.stem

    def size(self) -> tuple[int, int]:
        """(width, height) in pixels, reading only the file header when a reader did not say."""
        if self.width is None or self.height is None:
            if self.kind == "video":
                raise ValueError(f"{self.path}: video size must be given by the reader")
            from sc_importers.geometry.image_header import image_size

            self.width, self.height = image_size(self.path)
        return self.width, self.height

    @property
    def is_annotated(self) -> bool:
        return bool(self.annotations) or any(self.frames.values())


def printable(text: str) -> str:
    """``text`` safe to print: file names that are not valid UTF-8 reach Python with their bad
    bytes as lone surrogates, which no terminal encoding accepts; they are shown as ``\\xe9``."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class Problem:
    """Something wrong in a dataset, named precisely enough for a user to go and fix it.

    ``severity`` "error" means the item (or the dataset, when ``item`` is None) cannot be imported
    as asked; "warning" means it is imported with a caveat the user should know about.
    """

    severity: Literal["error", "warning"]
    message: str
    file: str | None = None
    item: str | None = None

    def __str__(self) -> str:
        where = ", ".join(p for p in (self.file, f"item {self.item}" if self.item else None) if p)
        return f"{self.severity}: {where + ': ' if where else ''}{self.message}"


@dataclass
class Dataset:
    """What a format reader read: labels, media items and the problems it met.

    ``project`` and ``configuration`` are only set by readers of project backups, which carry the
    original project description (its type, tasks and labels) and settings; ``configuration`` is in
    the neutral form of :meth:`sc_importers.settings.ProjectSettings.to_json`, whatever the backup's
    dialect.

    ``items`` is a list for most readers; a reader of a large file may give any ``Sequence`` that
    builds its items when asked (see the module docstring). ``problems`` is complete when the reader
    returns, whichever it gives.
    """

    name: str
    format: str
    root: Path
    labels: list[Label] = field(default_factory=list)
    items: Sequence[MediaItem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    project_type: str | None = None
    project: dict | None = None
    configuration: dict | None = None

    def label(self, name: str) -> Label | None:
        return next((lb for lb in self.labels if lb.name == name), None)

    def add_items(self, *items: MediaItem) -> None:
        """Append ``items`` while a reader builds the dataset (its ``items`` is then still a list)."""
        if not isinstance(self.items, list):
            raise TypeError(f"{type(self.items).__name__} items are built by their reader, not appended to")
        self.items.extend(items)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def finish_reading(self) -> None:
        """Wait for a reader still reading in the background (:meth:`FormatReader.read_streaming
        <sc_importers.formats.FormatReader.read_streaming>`): afterwards ``problems`` and ``items``
        are complete. A no-op for a dataset read whole, the usual case; ``items`` with a
        ``finish_reading()`` method of their own are what is waited for."""
        finish = getattr(self.items, "finish_reading", None)
        if callable(finish):
            finish()

    def image_only_labels(self) -> set[str]:
        """Labels that image-level annotations use and no annotation with a shape does: what a
        project of shapes leaves out. From :meth:`label_use`, unless ``items`` answers it itself
        (the coco reader's can before its last file is packed, when no record can be an
        image-level label)."""
        own = getattr(self.items, "image_only_labels", None)
        if callable(own):
            return set(own())
        on_shapes, on_images = self.label_use()
        return on_images - on_shapes

    def label_use(self) -> tuple[set[str], set[str]]:
        """(labels some annotation with a shape names, labels some image-level annotation names),
        video frames included.

        A walk over the items, unless ``items`` answers it itself: a lazily built sequence may have
        a ``label_use()`` method of its own, answered from what it stores without building an item
        (the coco reader's does, in milliseconds where a walk over 118,000 items takes 1.7 s)."""
        own = getattr(self.items, "label_use", None)
        if callable(own):
            shapes, images = own()
            return set(shapes), set(images)
        on_shapes: set[str] = set()
        on_images: set[str] = set()
        for item in self.items:
            for ann in _all_annotations(item):
                (on_images if ann.shape is None else on_shapes).update(ann.labels)
        return on_shapes, on_images

    def annotation_counts(self) -> Counter[tuple[str, str]]:
        """Number of annotations per (label name, shape type name), video frames included."""
        counts: Counter[tuple[str, str]] = Counter()
        for item in self.items:
            for ann in _all_annotations(item):
                for name in ann.labels:
                    counts[(name, shape_type_name(ann.shape))] += 1
        return counts


def _all_annotations(item: MediaItem) -> list[Annotation]:
    out = list(item.annotations)
    for frame in item.frames.values():
        out.extend(frame)
    return out
