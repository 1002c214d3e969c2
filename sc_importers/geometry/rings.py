"""Polygons held as flat arrays (the points of each ring one after the other), measured at numpy speed:
what the coco reader's bulk path and the dry run's screen both ask of many polygons at once.

Ring ``k`` is the points ``heads[k]:heads[k] + counts[k]`` of ``xs``/``ys`` (every ring has 1 or more
points, so no reduction range is empty). NaN and infinite coordinates give NaN results and no warning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Rings:
    """Per ring: whether every coordinate is finite, its bounding box, the sum of its shoelace terms
    ``x[i] * y[i+1] - x[i+1] * y[i]`` (twice its signed area) and the sum of their sizes (what that sum
    can round by is a tiny fraction of it); ``following`` gives each point's next one around its ring."""

    finite: np.ndarray
    x0: np.ndarray
    x1: np.ndarray
    y0: np.ndarray
    y1: np.ndarray
    twice_area: np.ndarray
    term_sizes: np.ndarray
    following: np.ndarray


def measure(xs: np.ndarray, ys: np.ndarray, heads: np.ndarray, counts: np.ndarray) -> Rings:
    """The :class:`Rings` of the rings ``heads``/``counts`` of the points ``xs``/``ys``."""
    following = np.arange(1, len(xs) + 1)
    following[heads + counts - 1] = heads  # a ring's last point is followed by its first
    with np.errstate(all="ignore"):
        terms = xs * ys[following] - xs[following] * ys
        return Rings(
            np.logical_and.reduceat(np.isfinite(xs) & np.isfinite(ys), heads),
            np.minimum.reduceat(xs, heads), np.maximum.reduceat(xs, heads),
            np.minimum.reduceat(ys, heads), np.maximum.reduceat(ys, heads),
            np.add.reduceat(terms, heads), np.add.reduceat(np.abs(terms), heads), following)
