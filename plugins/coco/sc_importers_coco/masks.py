"""Binary masks (COCO RLE) to polygons.

SC 1.0 has no mask shape, so a crowd/RLE segmentation is imported as one polygon per outer
boundary of the mask. The boundary is traced on the *pixel-corner grid* (pixel ``(r, c)`` covers
``x in [c, c+1]``, ``y in [r, r+1]``), so a polygon covers exactly the pixels of its component:
tracing through pixel centres (as OpenCV's ``findContours`` does) loses half a pixel all
round, which halves the area of thin masks. Holes are dropped (SC polygons have none), and pixels
that touch only at a corner belong to different polygons (4-connectivity).
"""

from __future__ import annotations

import warnings

import numpy as np
from pycocotools import mask as mask_utils

from sc_importers.model import Polygon

Point = tuple[int, int]


def decode_rle(segmentation: dict, height: int | None, width: int | None) -> np.ndarray:
    """Decode a COCO RLE segmentation (compressed string or uncompressed list ``counts``).

    The RLE's own ``size`` ([height, width]) wins over the image size; raises ValueError on a
    malformed RLE.
    """
    size = segmentation.get("size") or [height, width]
    if len(size) != 2 or size[0] is None or size[1] is None:
        raise ValueError("RLE has no 'size' and the image size is unknown")
    h, w = int(size[0]), int(size[1])
    counts = segmentation.get("counts")
    if isinstance(counts, list):
        if sum(int(c) for c in counts) != h * w:
            raise ValueError(f"uncompressed RLE counts sum to {sum(counts)}, expected {h}x{w}={h * w}")
        rle = mask_utils.frPyObjects({"counts": counts, "size": [h, w]}, h, w)
    elif isinstance(counts, (str, bytes)):
        rle = {"counts": counts.encode("ascii") if isinstance(counts, str) else counts, "size": [h, w]}
    else:
        raise ValueError("RLE 'counts' must be a list or a string")
    with warnings.catch_warnings():  # pycocotools 2.0.x under numpy 2: a harmless DeprecationWarning
        warnings.simplefilter("ignore", DeprecationWarning)
        return np.asarray(mask_utils.decode(rle), dtype=bool)


def mask_to_polygons(mask: np.ndarray) -> list[Polygon]:
    """One polygon per outer boundary of the mask's 4-connected components, in pixel coordinates."""
    loops = _trace_loops(np.asarray(mask, dtype=bool))
    polygons = []
    for loop in loops:
        corners = _drop_collinear(loop)
        if len(corners) < 3:
            continue
        polygon = Polygon(tuple((float(x), float(y)) for x, y in corners))
        if _signed_area(corners) > 0:  # outer boundaries run clockwise on screen; holes the other way
            polygons.append(polygon)
    return polygons


def _boundary_edges(mask: np.ndarray) -> dict[Point, list[Point]]:
    """Directed unit edges between mask and non-mask pixels, the mask always on the right."""
    m = np.pad(mask, 1)
    out: dict[Point, list[Point]] = {}

    def add(starts: np.ndarray, step: Point) -> None:
        for y, x in starts:
            start = (int(x), int(y))
            out.setdefault(start, []).append((start[0] + step[0], start[1] + step[1]))

    # In padded array coordinates the corner (x, y) of original pixels is (x+1, y+1) -> shift back.
    vertical = m[1:, :] != m[:-1, :]  # an edge on the horizontal line y = i between rows i-1, i
    top = np.argwhere(vertical & m[1:, :])  # pixel below is mask: its top edge, walk +x
    bottom = np.argwhere(vertical & m[:-1, :])  # pixel above is mask: its bottom edge, walk -x
    horizontal = m[:, 1:] != m[:, :-1]
    left = np.argwhere(horizontal & m[:, 1:])  # pixel right is mask: its left edge, walk -y
    right = np.argwhere(horizontal & m[:, :-1])  # pixel left is mask: its right edge, walk +y
    add(np.column_stack([top[:, 0], top[:, 1] - 1]), (1, 0))
    add(np.column_stack([bottom[:, 0], bottom[:, 1]]), (-1, 0))
    add(np.column_stack([left[:, 0], left[:, 1]]), (0, -1))
    add(np.column_stack([right[:, 0] - 1, right[:, 1]]), (0, 1))
    return out


def _trace_loops(mask: np.ndarray) -> list[list[Point]]:
    out = _boundary_edges(mask)
    used: set[tuple[Point, Point]] = set()
    loops = []
    for start, ends in out.items():
        for first_end in ends:
            if (start, first_end) in used:
                continue
            loop = [start]
            edge = (start, first_end)
            while edge not in used:
                used.add(edge)
                here, there = edge
                loop.append(there)
                direction = (there[0] - here[0], there[1] - here[1])
                candidates = out[there]
                if len(candidates) == 1:
                    nxt = candidates[0]
                else:  # a saddle: turn right, staying with the same pixel (y points down)
                    right_turn = (there[0] - direction[1], there[1] + direction[0])
                    nxt = right_turn if right_turn in candidates else candidates[0]
                edge = (there, nxt)
            loops.append(loop[:-1])
    return loops


def _drop_collinear(loop: list[Point]) -> list[Point]:
    n = len(loop)
    kept = []
    for i, (x, y) in enumerate(loop):
        px, py = loop[i - 1]
        nx, ny = loop[(i + 1) % n]
        if (x - px) * (ny - y) - (y - py) * (nx - x) != 0:
            kept.append((x, y))
    return kept


def _signed_area(points: list[Point]) -> float:
    total = 0
    for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True):
        total += x1 * y2 - x2 * y1
    return total / 2
