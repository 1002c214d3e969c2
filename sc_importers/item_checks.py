"""The checks of one media item: the one function the dry run and the import both run per item.

The dry run (:func:`sc_importers.validation.validate`) runs :class:`ItemChecker` over every item in a
pool of threads; the import runs it inside the upload worker right before that item's upload, so
checking overlaps uploading and nothing waits for the whole dataset to be checked. Both therefore
skip exactly the same items for exactly the same reasons.

What one item's check looks at: its media file exists and has a name a server can store, an image
is complete (:func:`~sc_importers.media_checks.image_header`) and has the size its
annotations were made on, and every annotation names a declared label and has a shape with finite
coordinates, an area and a place on the image. Checks that need the whole dataset (the reader's
dataset errors, duplicate names, links out of the dataset folder, "no labels") stay in
:mod:`sc_importers.validation`: they open no file.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from sc_importers.geometry.clip import clip_polygon
from sc_importers.media_checks import (
    CheckProblem,
    image_header,
    self_intersecting,
    shape_numbers,
    size_problems,
    utf8_name,
)
from sc_importers.model import (
    Annotation,
    Label,
    MediaItem,
    Polygon,
    Problem,
    Shape,
    bounding_box,
    describe_shape,
    printable,
    shape_type_name,
)

#: The dry run checks items in this many threads: opening and decoding images waits on the disk and
#: runs in Pillow's C code without the GIL.
CHECK_WORKERS = 8
#: A shape may pass the image edge by this many pixels without a warning: converting normalized
#: coordinates (YOLO, SC) to pixels leaves float rounding such as 13.99008 + 626.00992 = 640.0000000000001.
EDGE_TOLERANCE = 1e-6


@dataclass
class ItemVerdict:
    """What the check of one item found: problems of its media file (missing, unreadable, wrong
    size), then of its annotations; ``size`` is the image size the shapes were checked against."""

    file_problems: list[Problem] = field(default_factory=list)
    annotation_problems: list[Problem] = field(default_factory=list)
    size: tuple[int, int] | None = None

    @property
    def problems(self) -> list[Problem]:
        return [*self.file_problems, *self.annotation_problems]

    @property
    def error(self) -> str | None:
        """The message of the item's first error (the reason it is not uploaded), or None."""
        return next((p.message for p in self.problems if p.severity == "error"), None)


class ItemChecker:
    """The check of one item against the dataset's declared labels (thread-safe: no state changes).

    Items in ``reader_failed`` (a reader error names them: skipped at import anyway) have their
    file left alone, so an image the reader could not open is not reported a second time; their
    annotations are still checked. ``check_images=False`` checks only that files exist (shapes are
    then checked against the sizes readers gave).
    """

    def __init__(self, labels: Iterable[Label], reader_failed: Collection[str] = (), check_images: bool = True):
        self.known = {lb.name for lb in labels}
        self.reader_failed = reader_failed
        self.check_images = check_images

    def __call__(self, item: MediaItem) -> ItemVerdict:
        verdict = ItemVerdict()
        declared = (item.width, item.height) if item.width is not None and item.height is not None else None
        if item.key in self.reader_failed:
            verdict.size = declared
        else:
            verdict.size = self._check_file(item, declared, verdict.file_problems)
        for ann in item.annotations:
            verdict.annotation_problems += check_annotation(item, "", ann, self.known, verdict.size)
        for index, frame in sorted(item.frames.items()):
            for ann in frame:
                verdict.annotation_problems += check_annotation(item, f"frame {index}: ", ann, self.known,
                                                                verdict.size)
        return verdict

    def _check_file(self, item: MediaItem, declared: tuple[int, int] | None,
                    problems: list[Problem]) -> tuple[int, int] | None:
        """Existence, a storable name and, for images, a complete decode; returns the size known."""
        if not item.path.is_file():
            problems.append(CheckProblem("error", "media file not found", str(item.path), item.key, "missing_file"))
            return None
        if not utf8_name(str(item.path)):
            problems.append(CheckProblem(
                "error", "the file name is not valid UTF-8 (a server stores media names as text); rename the "
                "file", printable(str(item.path)), item.key, "file_name"))
            return None
        if not (self.check_images and item.kind == "image"):
            return declared
        _, size, problem = image_header(item)
        if problem is not None:
            problems.append(problem)
            return declared
        if size is not None:
            problems += size_problems(item, size)
        return declared or size


def check_annotation(
    item: MediaItem, where: str, ann: Annotation, known: set[str], size: tuple[int, int] | None
) -> list[Problem]:
    """One annotation's problems: undeclared labels, coordinates that are not finite, no area, a
    polygon crossing itself, a shape (partly) off the ``size`` image."""
    problems: list[Problem] = []
    file = str(item.path)
    unknown = [n for n in ann.labels if n not in known]
    if unknown:
        problems.append(CheckProblem(
            "error", f"{where}annotation names label(s) not declared by the dataset: "
            f"{', '.join(repr(n) for n in unknown)}", file, item.key, "unknown_label"))
    if ann.shape is None:
        return problems
    kind = shape_type_name(ann.shape).lower()
    if not _finite(ann.shape):
        problems.append(CheckProblem(
            "error", f"{where}{kind} has coordinates that are not finite numbers (NaN or infinity); the item is "
            "skipped", file, item.key, "not_finite"))
        return problems
    if ann.shape.area <= 0:
        problems.append(CheckProblem(
            "warning", f"{where}{describe_shape(ann.shape)} has zero area; dropped", file, item.key,
            "zero_area_shape"))
        return problems
    if isinstance(ann.shape, Polygon) and self_intersecting(ann.shape.points):
        problems.append(CheckProblem(
            "warning", f"{where}{describe_shape(ann.shape)} crosses itself; imported as drawn", file, item.key,
            "self_intersecting"))
    if size is None:
        return problems
    width, height = size
    box = bounding_box(ann.shape)
    x2, y2 = box.x + box.width, box.y + box.height
    crosses = box.x < 0 or box.y < 0 or x2 > width or y2 > height
    if (x2 <= 0 or y2 <= 0 or box.x >= width or box.y >= height
            # a polygon can lie outside with its bounding box overlapping the image (near a corner)
            or (crosses and isinstance(ann.shape, Polygon)
                and Polygon(clip_polygon(ann.shape.points, width, height)).area <= 0)):
        problems.append(CheckProblem(
            "error", f"{where}{kind} at x={box.x:g}, y={box.y:g}, w={box.width:g}, h={box.height:g} "
            f"lies entirely outside the {width}x{height} image; the item is skipped", file, item.key,
            "shape_outside_image"))
    elif min(box.x, box.y) < -EDGE_TOLERANCE or x2 - width > EDGE_TOLERANCE or y2 - height > EDGE_TOLERANCE:
        problems.append(CheckProblem(
            "warning", f"{where}{kind} at x={box.x:g}, y={box.y:g}, w={box.width:g}, h={box.height:g} "
            f"extends outside the {width}x{height} image; clipped", file, item.key,
            "shape_partly_outside_image"))
    return problems


def _finite(shape: Shape) -> bool:
    """True when every coordinate of ``shape`` is a finite number.

    A polygon of 3 or more points whose area is finite has only finite coordinates: each coordinate
    is multiplied by two others in the shoelace sum, and a NaN or infinite factor makes its term,
    and so the sum, NaN or infinite. That one number settles the common case; the rest (an area so
    large it overflows, fewer points, other shapes) look at each number."""
    if isinstance(shape, Polygon) and len(shape.points) >= 3 and math.isfinite(shape.area):
        return True
    return all(math.isfinite(v) for v in shape_numbers(shape))


def checked_in_parallel(items: Iterable[MediaItem], check: Callable[[MediaItem], ItemVerdict],
                        workers: int = CHECK_WORKERS) -> Iterator[tuple[MediaItem, ItemVerdict]]:
    """``(item, check(item))`` for every item, in the items' order, ``workers`` checks at a time.

    At most ``4 * workers`` items are in flight, so a lazily read dataset is never held whole and
    the checks start with the first item.
    """
    window: deque[tuple[MediaItem, Future]] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sc-check") as pool:
        try:
            for item in items:
                window.append((item, pool.submit(check, item)))
                if len(window) >= 4 * workers:
                    first, future = window.popleft()
                    yield first, future.result()
            while window:
                first, future = window.popleft()
                yield first, future.result()
        finally:  # a consumer that stops early: checks not started are dropped
            for _, future in window:
                future.cancel()
