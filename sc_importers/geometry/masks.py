"""Boolean masks to polygons, the one tracer every reader uses (COCO RLE, Datumaro masks, labelme
``mask`` shapes, CVAT ``<mask>``, Label Studio brushes).

SC 1.0 has no mask shape, so a mask is imported as one polygon per outer boundary. The boundary is
traced on the *pixel-corner grid* (pixel ``(r, c)`` covers ``x in [c, c+1]``, ``y in [r, r+1]``), so
a polygon covers exactly the pixels of its component: tracing through pixel centres (as OpenCV's
``findContours`` does) loses half a pixel all round, which halves the area of thin masks and loses
masks one pixel thin. So a 4x4 square gives a polygon of area 16 and a one-pixel line of n pixels a
rectangle of area n: every polygon has the area of its component's pixels plus the holes inside it.
Holes are filled (SC polygons have none), and pixels that touch only at a corner belong to different
polygons (4-connectivity).

numpy is imported by this module only: the rest of :mod:`sc_importers.geometry` stays light.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sc_importers.model import Polygon


def mask_to_polygons(mask: npt.ArrayLike, origin: tuple[float, float] = (0.0, 0.0)) -> list[Polygon]:
    """One polygon per outer boundary of the mask's 4-connected components, in pixel coordinates:
    any array-like of two dimensions (non-zero is inside); mask pixel ``(row, col)`` is image pixel
    ``(origin[1] + row, origin[0] + col)``. Outer boundaries run clockwise on screen (y down).

    Vectorized: every boundary edge is found with array operations, each edge's successor on its loop
    is looked up at once (at a corner where two diagonal pixels meet, the loop turns right, staying
    with its pixel), and the loops are ordered by pointer jumping, so the work in Python is one step per
    polygon corner instead of several per boundary edge. Loops start and come in the order of a walk
    over the edges by start corner (row by row, top edges first), as the pixel-by-pixel tracer this
    replaces produced them."""
    grid = np.asarray(mask) != 0
    if grid.ndim != 2:
        raise ValueError(f"a mask has two dimensions, got an array of shape {grid.shape}")
    rows, columns = np.flatnonzero(grid.any(axis=1)), np.flatnonzero(grid.any(axis=0))
    if not rows.size:
        return []
    # Trace only the box around the mask (a crowd region is a small part of its image); shifting the
    # corners back keeps their order, so the result is the same as tracing the whole image.
    top, left = int(rows[0]), int(columns[0])
    edges = _boundary_edges(grid[top:int(rows[-1]) + 1, left:int(columns[-1]) + 1])
    if edges is None:
        return []
    sx, sy, dx, dy = edges
    sx, sy = sx + left, sy + top
    count = len(sx)
    width = int(sx.max()) + 2  # corners are numbered y * width + x
    start, end = sy * width + sx, (sy + dy) * width + (sx + dx)
    nxt = _successors(start, end, sx + dx - dy, sy + dy + dx, width)
    by_start = np.argsort(start, kind="stable")
    first_of_corner = by_start[np.searchsorted(start[by_start], start, side="left")]
    key = first_of_corner * count + np.arange(count)  # the old walk's order: start corner, then edge
    head_key = _cycle_min(key, nxt)
    prev = np.empty(count, dtype=np.int64)
    prev[nxt] = np.arange(count)
    position = _distance_from_head(prev, key == head_key)
    order = np.lexsort((position, head_key))
    cross = dx[prev] * dy - dy[prev] * dx  # turn at an edge's start corner (0: straight on)
    twice_area = sx * (sy + dy) - (sx + dx) * sy
    cycles, cycle_of = np.unique(head_key, return_inverse=True)
    areas = np.bincount(cycle_of, weights=twice_area, minlength=len(cycles))
    corners = np.bincount(cycle_of, weights=(cross != 0), minlength=len(cycles))
    kept = order[cross[order] != 0]
    bounds = np.searchsorted(head_key[kept], cycles, side="left")
    ox, oy = origin
    xs, ys = (sx[kept] + ox).tolist(), (sy[kept] + oy).tolist()
    polygons = []
    for index in np.flatnonzero((areas > 0) & (corners >= 3)).tolist():  # outer loops run clockwise
        lo = int(bounds[index])
        hi = lo + int(corners[index])
        polygons.append(Polygon(tuple((float(x), float(y)) for x, y in zip(xs[lo:hi], ys[lo:hi], strict=True))))
    return polygons


def _boundary_edges(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Directed unit edges between mask and non-mask pixels, the mask always on the right: start corner
    (x, y) and step (dx, dy) per edge, top edges first, then bottom, left and right, each row by row."""
    m = np.zeros((mask.shape[0] + 2, mask.shape[1] + 2), dtype=bool)  # np.pad(mask, 1), without its 20 us
    m[1:-1, 1:-1] = mask
    # In padded array coordinates the corner (x, y) of original pixels is (x+1, y+1) -> shift back.
    vertical = m[1:, :] != m[:-1, :]  # an edge on the horizontal line y = i between rows i-1, i
    top_y, top_x = np.nonzero(vertical & m[1:, :])  # pixel below is mask: its top edge, walk +x
    if not len(top_y):
        return None
    bottom_y, bottom_x = np.nonzero(vertical & m[:-1, :])  # pixel above is mask: its bottom edge, walk -x
    horizontal = m[:, 1:] != m[:, :-1]
    left_y, left_x = np.nonzero(horizontal & m[:, 1:])  # pixel right is mask: its left edge, walk -y
    right_y, right_x = np.nonzero(horizontal & m[:, :-1])  # pixel left is mask: its right edge, walk +y
    sx = np.concatenate((top_x - 1, bottom_x, left_x, right_x)).astype(np.int64)
    sy = np.concatenate((top_y, bottom_y, left_y, right_y - 1)).astype(np.int64)
    counts = (len(top_y), len(bottom_y), len(left_y), len(right_y))
    dx = np.repeat(np.array((1, -1, 0, 0), dtype=np.int64), counts)
    dy = np.repeat(np.array((0, 0, -1, 1), dtype=np.int64), counts)
    return sx, sy, dx, dy


def _successors(start: np.ndarray, end: np.ndarray, right_x: np.ndarray, right_y: np.ndarray,
                width: int) -> np.ndarray:
    """The next edge of every edge: the only edge leaving its end corner or, where two leave it (two
    pixels meeting at a corner), the one turning right; else the first of them."""
    by_start = np.argsort(start, kind="stable")
    starts = start[by_start]
    lo = np.searchsorted(starts, end, side="left")
    many = np.searchsorted(starts, end, side="right") - lo > 1
    first = by_start[lo]
    nxt = first.copy()
    if many.any():
        second = by_start[np.minimum(lo + 1, len(starts) - 1)]
        right_turn = right_y * width + right_x
        takes_second = many & (end[first] != right_turn) & (end[second] == right_turn)
        nxt[takes_second] = second[takes_second]
    return nxt


def _cycle_min(values: np.ndarray, nxt: np.ndarray) -> np.ndarray:
    """For every element of a permutation ``nxt`` (a union of cycles), the least value on its cycle."""
    low, jump, span = values.copy(), nxt.copy(), 1
    while span < len(values):
        low = np.minimum(low, low[jump])
        jump = jump[jump]
        span *= 2
    return low


def _distance_from_head(prev: np.ndarray, head: np.ndarray) -> np.ndarray:
    """Steps from its cycle's head to every element, following ``prev`` back (list ranking)."""
    back = np.where(head, np.arange(len(prev)), prev)
    distance = np.where(head, 0, 1).astype(np.int64)
    span = 1
    while span < len(prev):
        distance = distance + distance[back]
        back = back[back]
        span *= 2
    return distance
