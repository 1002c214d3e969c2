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
from pathlib import Path
from typing import IO

from sc_importers.model import MediaItem, Polygon, Problem, Shape


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
    Pillow's decompression-bomb limit) are refused before any pixel is decoded. A JPEG or PNG that
    ends with its end marker (:func:`ends_complete`) is complete: nothing is decoded, which is 4-5x
    cheaper per image than decoding (a dry run checks every image of the dataset); its header is
    read by :func:`~sc_importers.geometry.image_header.header_size` (2.5x cheaper than Pillow's,
    which reads the files it cannot). Any other file (a JPEG or PNG cut short, or another format)
    is decoded completely (JPEGs at a reduced scale, which still reads every byte of the data), so
    a truncated file is caught here, by the dry run and the import alike, not by the server after
    the upload.
    """
    from sc_importers.geometry.image_header import HEAD_BYTES, header_size, pixel_limit

    try:
        with open(item.path, "rb") as fp:
            known = header_size(fp.read(HEAD_BYTES))
            if known is not None and max(known[1:]) <= MAX_IMAGE_SIDE and known[1] * known[2] <= pixel_limit() \
                    and ends_complete(known[0], fp):
                return item, known[1:], None
    except OSError:
        pass  # Pillow below says what is wrong with the file
    from PIL import Image

    file = str(item.path)
    try:
        with Image.open(item.path) as im:
            width, height = im.size
            if max(width, height) > MAX_IMAGE_SIDE:
                return item, None, CheckProblem(
                    "error", f"image too large: {width}x{height} pixels, a side longer than the "
                    f"{MAX_IMAGE_SIDE} pixels servers accept", file, item.key, "image_too_large")
            if ends_complete(im.format, im.fp):
                return item, (width, height), None
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


#: What a complete file of a format ends with: a JPEG's end-of-image marker (inside the compressed data
#: a 0xFF byte is always followed by 0x00 or a restart marker, so only a file written to its end ends
#: with it), a PNG's IEND chunk (length 0, type, CRC).
END_MARKERS = {"JPEG": b"\xff\xd9", "PNG": b"\x00\x00\x00\x00IEND\xaeB`\x82"}


def ends_complete(image_format: str | None, fp: IO[bytes] | None) -> bool:
    """True when the open image file ``fp`` of ``image_format`` ends with that format's end marker
    (:data:`END_MARKERS`): it was written to its end, not cut short. False for other formats and
    for anything that cannot be read (the caller then decodes the file to find out)."""
    marker = END_MARKERS.get(image_format or "")
    if marker is None or fp is None:
        return False
    try:
        fp.seek(-len(marker), os.SEEK_END)
        return fp.read(len(marker)) == marker
    except (OSError, ValueError):
        return False


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


class LinkCheck:
    """Media files inside the dataset folder ``root`` that are symbolic links leading out of it (their
    target is what gets uploaded, so the warning names it), one item at a time, in a walk over the items
    done for something else.

    A folder asked about often is listed once (its entries say which are links) instead of looking
    at each file: 118,000 ``lstat`` calls cost a train2017-size dry run about 0.3 s after its walk."""

    #: Files of one folder looked at one by one before the folder is listed.
    LIST_AFTER = 64

    def __init__(self, root: Path) -> None:
        self.root = os.path.abspath(root)
        self.real_root = os.path.realpath(root)
        self._asked: dict[str, int] = {}
        self._links: dict[str, set[str]] = {}  # folder -> names of its entries that are links

    def __call__(self, item: MediaItem) -> Problem | None:
        """The warning for ``item`` when it is a link leading out of the dataset folder, else None."""
        return self.check(str(item.path), item.key)

    def check(self, file: str, key: str) -> Problem | None:
        """:meth:`__call__` for the item ``key`` whose file is ``file``."""
        path = os.path.abspath(file)
        if not path.startswith(self.root + os.sep) or not self._is_link(path):
            return None
        target = os.path.realpath(path)
        if (target + os.sep).startswith(self.real_root + os.sep):
            return None
        return CheckProblem(
            "warning", f"a symbolic link leading outside the dataset folder, to {target}; that file is "
            "what would be uploaded", file, key, "link_outside")

    def _is_link(self, path: str) -> bool:
        """``os.path.islink(path)``, from a listing of its folder once the folder is asked about often."""
        folder, name = os.path.split(path)
        links = self._links.get(folder)
        if links is None:
            asked = self._asked[folder] = self._asked.get(folder, 0) + 1
            if asked <= self.LIST_AFTER:
                return os.path.islink(path)
            try:
                with os.scandir(folder) as entries:
                    links = self._links[folder] = {entry.name for entry in entries if entry.is_symlink()}
            except OSError:
                return os.path.islink(path)
        return name in links


def shape_numbers(shape: Shape) -> list[float]:
    """Every coordinate (and angle) of a shape."""
    if isinstance(shape, Polygon):
        return [v for point in shape.points for v in point]
    return [float(v) for v in dataclasses.astuple(shape)]


def self_intersecting(points: tuple[tuple[float, float], ...]) -> bool:
    """True when two non-adjacent edges of the closed polygon cross (touching ends excluded).

    Edges are swept in order of their left end, so only pairs whose boxes overlap are tested (a
    dry run tests every polygon of a dataset: 800,000 at train2017 size); the test itself is the
    usual one, both ends of each edge strictly on either side of the other's line."""
    n = len(points)
    if n < 4 or n > SELF_INTERSECTION_MAX_POINTS or _star_shaped(points):
        return False
    edges = []
    for i in range(n):
        ax, ay = points[i]
        bx, by = points[i + 1] if i + 1 < n else points[0]
        edges.append((min(ax, bx), max(ax, bx), min(ay, by), max(ay, by), i, ax, ay, bx, by))
    edges.sort()
    last = n - 1
    for k in range(n):
        _x0, x1, y0, y1, i, ax, ay, bx, by = edges[k]
        ex, ey = bx - ax, by - ay
        for m in range(k + 1, n):
            u0, _u1, v0, v1, j, cx, cy, dx, dy = edges[m]
            if u0 > x1:
                break  # this and every later edge starts right of this one's end
            if v0 > y1 or v1 < y0 or abs(i - j) in (1, last):
                continue  # apart vertically, or adjacent (through the closing edge too)
            fx, fy = dx - cx, dy - cy
            if (fx * (ay - cy) - fy * (ax - cx)) * (fx * (by - cy) - fy * (bx - cx)) >= 0:
                continue
            if (ex * (cy - ay) - ey * (cx - ax)) * (ex * (dy - ay) - ey * (dx - ax)) < 0:
                return True
    return False


def _star_shaped(points: tuple[tuple[float, float], ...]) -> bool:
    """True when the polygon goes once around the mean of its vertices, every edge turning the same
    way around it by less than half a turn: each edge then stays in its own angular sector, so no two
    edges cross (a sufficient test, 4x cheaper than the sweep). The generated train2017-size polygons
    all pass it; a fifth of coco128's real COCO 2017 polygons do (the rest are swept, about a tenth
    more than the sweep alone costs them)."""
    xs, ys = zip(*points, strict=True)
    cx, cy = sum(xs) / len(xs), sum(ys) / len(ys)
    px, py = xs[-1] - cx, ys[-1] - cy
    turn = 0  # +1 counter-clockwise, -1 clockwise, 0 not known yet
    crossings = 0  # of the horizontal line through the centre: twice per time around
    above = py >= 0
    for x, y in points:
        x -= cx
        y -= cy
        cross = px * y - py * x
        step = 1 if cross > 0 else -1 if cross < 0 else 0
        if step != turn:
            if turn or not step:
                return False
            turn = step
        if (y >= 0) is not above:
            crossings += 1
            above = not above
        px, py = x, y
    return crossings == 2
