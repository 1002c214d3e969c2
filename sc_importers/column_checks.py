"""Which items of a dataset held as arrays (:class:`~sc_importers.columns.ItemColumns`) certainly pass
every annotation check, found at numpy speed: the dry run checks only the file of those and counts
them from the arrays, and builds and checks every other item as before (:mod:`sc_importers.item_walk`).

The screen may only err one way: an item it calls clean must be one the per-item check
(:func:`sc_importers.item_checks.check_annotation`) finds nothing wrong with and whose every shape a
project type converts (:func:`sc_importers.project_types.common.has_area`); an item it calls unclean
merely costs the slower walk. So every test is the per-item one with a margin around its limit, and
where numpy's sums could round otherwise than Python's (a polygon's area, the mean of its vertices) a
value close to a limit makes the item unclean. An item is clean when

- the reader gave its width and height and reported no error on it,
- every label of every annotation is declared,
- every shape has finite coordinates, an area well above zero, and a bounding box inside the image
  (the check's own arithmetic, ``x + width <= image width``: no rounding), and
- every polygon goes once around the mean of its vertices with every edge clearly turning the same
  way (``_star_shaped`` with margins), or else :func:`~sc_importers.media_checks.self_intersecting`,
  run on that polygon only, finds that it does not cross itself.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from sc_importers.columns import IMAGE, POLYGON, RECTANGLE, ItemColumns
from sc_importers.geometry.rings import measure
from sc_importers.media_checks import self_intersecting

#: Relative margin around the limits where numpy's and Python's rounding could disagree (their
#: differences are about 1e-16 of the values involved, times the number of terms summed).
MARGIN = 1e-9


class ColumnScreen:
    """The screen of ``columns`` against the dataset's declared labels ``known``; items in
    ``reader_failed`` (keys a reader's error names) are never clean (their check differs)."""

    def __init__(self, columns: ItemColumns, known: Collection[str], reader_failed: Collection[str] = ()) -> None:
        self.columns = columns
        self.known_sets = np.array([all(n in known for n in names) for names in columns.label_sets] or [True],
                                   dtype=bool)
        self.reader_failed = reader_failed

    def clean(self, start: int, stop: int) -> np.ndarray:
        """One bool per item ``start:stop``: True when it is certainly clean (see the module)."""
        columns = self.columns
        media = columns.media[start:stop]
        clean = np.array([w is not None and h is not None and key not in self.reader_failed
                          for _, key, w, h in media], dtype=bool)
        r0, r1 = int(columns.item_rows[start]), int(columns.item_rows[stop])
        if r0 == r1:
            return clean
        rows = np.arange(r0, r1)
        kinds = columns.kinds[r0:r1]
        bad = ~self.known_sets[columns.labels[r0:r1]] | ((kinds != IMAGE) & (kinds != RECTANGLE) & (kinds != POLYGON))
        owner = columns.row_items(rows)
        sizes = np.array([(w or 0, h or 0) for _, _, w, h in media], dtype=np.float64).reshape(-1, 2)
        width, height = sizes[owner - start, 0], sizes[owner - start, 1]
        for kind, test in ((RECTANGLE, _rectangles_fit), (POLYGON, _polygons_fit)):
            chosen = kinds == kind
            if chosen.any():
                bad[chosen] |= ~test(columns, rows[chosen], width[chosen], height[chosen])
        clean[np.unique(owner[bad]) - start] = False
        return clean


def _inside(x0: np.ndarray, y0: np.ndarray, w: np.ndarray, h: np.ndarray,
            width: np.ndarray, height: np.ndarray) -> np.ndarray:
    """Boxes with an area, inside the image, as the check computes their far corner (``x + w``)."""
    x2, y2 = x0 + w, y0 + h
    with np.errstate(invalid="ignore"):
        return (w > 0) & (h > 0) & (x0 >= 0) & (y0 >= 0) & (x2 <= width) & (y2 <= height) & \
            (x2 - x0 > 0) & (y2 - y0 > 0)


def _rectangles_fit(columns: ItemColumns, rows: np.ndarray, width: np.ndarray, height: np.ndarray) -> np.ndarray:
    """Rectangles with finite numbers, an area (its 4-point outline's too) and a place in the image."""
    begins, ends = columns.begins[rows], columns.ends[rows]
    fit = ends - begins == 4
    x, y, w, h = (columns.coords[begins[fit] + i] for i in range(4))
    with np.errstate(all="ignore"):
        scale = (np.abs(x) + np.abs(w) + 1) * (np.abs(y) + np.abs(h) + 1)
        fit[fit] = np.isfinite(x + y + w + h) & (w * h > MARGIN * scale) & \
            _inside(x, y, w, h, width[fit], height[fit])
    return fit


def _polygons_fit(columns: ItemColumns, rows: np.ndarray, width: np.ndarray, height: np.ndarray) -> np.ndarray:
    """Polygons with 3 or more points, finite numbers, an area, a place in the image, and no crossing."""
    begins, ends = columns.begins[rows], columns.ends[rows]
    counts = (ends - begins) // 2
    fit = (counts >= 3) & ((ends - begins) % 2 == 0)
    if not fit.any():
        return fit
    chosen = np.flatnonzero(fit)
    counts = counts[chosen]
    heads = np.cumsum(counts) - counts
    index = np.repeat(begins[chosen] - 2 * heads, counts) + 2 * np.arange(int(counts.sum()), dtype=np.int64)
    x, y = columns.coords[index], columns.coords[index + 1]
    rings = measure(x, y, heads, counts)
    with np.errstate(all="ignore"):
        reach_y = np.maximum(np.abs(rings.y0), np.abs(rings.y1)) + 1
        scale = (np.maximum(np.abs(rings.x0), np.abs(rings.x1)) + 1) * reach_y
        ok = rings.finite & (np.abs(rings.twice_area) > MARGIN * counts * scale) & \
            _inside(rings.x0, rings.y0, rings.x1 - rings.x0, rings.y1 - rings.y0, width[chosen], height[chosen])
        star = _star_shaped(x, y, heads, counts, rings.following, scale, reach_y)
    for n in np.flatnonzero(ok & ~star).tolist():  # the per-item check's own test, on these only
        flat = columns.coords[begins[chosen[n]]:ends[chosen[n]]].tolist()
        ok[n] = not self_intersecting(tuple(zip(flat[0::2], flat[1::2], strict=True)))
    fit[chosen] = ok
    return fit


def _star_shaped(x: np.ndarray, y: np.ndarray, heads: np.ndarray, counts: np.ndarray,
                 following: np.ndarray, scale: np.ndarray, reach_y: np.ndarray) -> np.ndarray:
    """``media_checks._star_shaped`` of each polygon, True only where no sign it looks at is within
    the margin of zero (so Python's own sums, rounded otherwise, give the same signs)."""
    cx, cy = np.add.reduceat(x, heads) / counts, np.add.reduceat(y, heads) / counts
    px, py = x - np.repeat(cx, counts), y - np.repeat(cy, counts)
    cross = px * py[following] - px[following] * py
    limit = np.repeat(MARGIN * counts * scale, counts)
    turns_left = np.logical_and.reduceat(cross > limit, heads)
    turns_right = np.logical_and.reduceat(cross < -limit, heads)
    away = np.logical_and.reduceat(np.abs(py) > np.repeat(MARGIN * counts * reach_y, counts), heads)
    above = py >= 0
    crossings = np.add.reduceat((above != above[following]).astype(np.int64), heads)
    return (turns_left | turns_right) & away & (crossings == 2)

