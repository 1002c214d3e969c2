"""Checks of single media files and shapes, for :mod:`sc_importers.validation`.

What only the bytes on disk or a shape's own numbers reveal: an image too large for a server or
that does not decode to the end, a size other than the one its annotations were made on, a file
name a server cannot store, a link leading out of the dataset, coordinates that are not finite
numbers, a polygon that crosses itself.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

from sc_importers.model import Dataset, MediaItem, Polygon, Problem


@dataclass(frozen=True)
class CheckProblem(Problem):
    """A :class:`Problem` found by :func:`validate`, with a ``kind`` reports group by."""

    kind: str = "other"


#: The largest image side Geti accepts (415 "Invalid image dimensions" above it); images past
#: Pillow's decompression-bomb limit (about 179 million pixels) are refused as well.
MAX_IMAGE_SIDE = 20000
#: Polygons with more points than this are not checked for self-intersection (the check is quadratic).
SELF_INTERSECTION_MAX_POINTS = 400


def image_header(item: MediaItem) -> tuple[MediaItem, tuple[int, int] | None, CheckProblem | None]:
    """Read an image: its size, or the problem that prevents importing it.

    The size comes from the header; images larger than a server takes (:data:`MAX_IMAGE_SIDE`,
    Pillow's decompression-bomb limit) are refused before any pixel is decoded. The rest is then
    decoded completely (JPEGs at a reduced scale, which still reads every byte of the data), so a
    truncated or corrupt file is caught here, by the dry run and the import alike, not by the
    server after the upload.
    """
    from PIL import Image

    file = str(item.path)
    try:
        with Image.open(item.path) as im:
            width, height = im.size
            if max(width, height) > MAX_IMAGE_SIDE:
                return item, None, CheckProblem(
                    "error", f"image too large: {width}x{height} pixels, a side longer than the "
                    f"{MAX_IMAGE_SIDE} pixels servers accept", file, item.key, "image_too_large")
            if im.format == "JPEG":
                im.draft(im.mode, (max(1, width // 8), max(1, height // 8)))
            im.load()
            return item, (width, height), None
    except Image.DecompressionBombError as exc:
        return item, None, CheckProblem("error", f"image too large (a possible decompression bomb): {exc}", file,
                                        item.key, "image_too_large")
    except Exception as exc:  # noqa: BLE001 - Pillow raises OSError, SyntaxError, struct.error, ... for bad files
        return item, None, CheckProblem(
            "error", f"unreadable image ({type(exc).__name__}: {exc})", file, item.key, "unreadable_image",
        )


def utf8_name(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def size_problems(item: MediaItem, size: tuple[int, int]) -> list[Problem]:
    """The dataset's declared size against the image's own: coordinates are in the declared one,
    so another size would put every shape in the wrong place (an error). Swapped sides are only a
    warning: an EXIF orientation the annotation tool applied and the image header does not show."""
    declared = (item.width, item.height)
    if None in declared or declared == size:
        return []
    where = f"the dataset says {declared[0]}x{declared[1]}, the image file is {size[0]}x{size[1]}"
    if declared == (size[1], size[0]):
        return [CheckProblem("warning", f"{where} (rotated by its EXIF orientation?); coordinates are taken "
                             "as the dataset gives them", str(item.path), item.key, "size_mismatch")]
    return [CheckProblem("error", f"{where}: its annotations would land in the wrong place", str(item.path),
                         item.key, "size_mismatch")]


def link_problems(dataset: Dataset) -> list[Problem]:
    """Media files inside the dataset folder that are symbolic links leading out of it: their
    target is what gets uploaded, so the warning names it."""
    problems: list[Problem] = []
    root = os.path.abspath(dataset.root)
    real_root = os.path.realpath(dataset.root)
    for item in dataset.items:
        path = os.path.abspath(item.path)
        if not path.startswith(root + os.sep) or not os.path.islink(path):
            continue
        target = os.path.realpath(path)
        if not (target + os.sep).startswith(real_root + os.sep):
            problems.append(CheckProblem(
                "warning", f"a symbolic link leading outside the dataset folder, to {target}; that file is "
                "what would be uploaded", str(item.path), item.key, "link_outside"))
    return problems


def shape_numbers(shape: object) -> list[float]:
    """Every coordinate (and angle) of a shape."""
    if isinstance(shape, Polygon):
        return [v for point in shape.points for v in point]
    return [float(v) for v in dataclasses.astuple(shape)]


def self_intersecting(points: tuple[tuple[float, float], ...]) -> bool:
    """True when two non-adjacent edges of the closed polygon cross (touching ends excluded).

    Every pair of non-adjacent edges is tested (quadratic), so the loop is written for speed: the
    coordinates in two flat lists, each edge's start carried over from the previous one, pairs whose
    bounding boxes lie apart skipped (they cannot cross). About a fifth of the dry run's CPU went to
    this test with one function call per orientation (3.3x slower).
    """
    n = len(points)
    if n < 4 or n > SELF_INTERSECTION_MAX_POINTS:
        return False
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    for i in range(n - 2):
        ax, ay, bx, by = xs[i], ys[i], xs[i + 1], ys[i + 1]
        dx, dy = bx - ax, by - ay
        min_x, max_x = (ax, bx) if ax < bx else (bx, ax)
        min_y, max_y = (ay, by) if ay < by else (by, ay)
        cx, cy = xs[i + 2], ys[i + 2]
        for j in range(i + 2, n - 1 if i == 0 else n):  # edge 0 and the closing edge are adjacent
            k = j + 1 if j + 1 < n else 0
            ex, ey = xs[k], ys[k]
            if not ((cx < min_x and ex < min_x) or (cx > max_x and ex > max_x)
                    or (cy < min_y and ey < min_y) or (cy > max_y and ey > max_y)):
                qx, qy = ex - cx, ey - cy
                if (qx * (ay - cy) - qy * (ax - cx)) * (qx * (by - cy) - qy * (bx - cx)) < 0 \
                        and (dx * (cy - ay) - dy * (cx - ax)) * (dx * (ey - ay) - dy * (ex - ax)) < 0:
                    return True
            cx, cy = ex, ey
    return False
