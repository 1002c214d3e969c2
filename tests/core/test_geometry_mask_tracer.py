"""The vectorized mask tracer gives exactly the polygons of the pixel-by-pixel tracer it replaced (same
corners, same starting corner, same order of polygons) on random masks full of holes, diagonal touches and
one-pixel strips; the reference tracer below is that earlier implementation, kept here as the oracle."""

from __future__ import annotations

import numpy as np
import pytest

from sc_importers.geometry.masks import mask_to_polygons

Point = tuple[int, int]


def reference_polygons(mask: np.ndarray) -> list[tuple[tuple[float, float], ...]]:
    polygons = []
    for loop in _trace_loops(np.asarray(mask, dtype=bool)):
        corners = _drop_collinear(loop)
        if len(corners) >= 3 and _signed_area(corners) > 0:
            polygons.append(tuple((float(x), float(y)) for x, y in corners))
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


@pytest.mark.parametrize("seed", range(6))
def test_vectorized_tracer_matches_the_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(60):
        height, width = rng.integers(1, 25, 2)
        mask = rng.random((height, width)) > rng.uniform(0.2, 0.8)
        assert [p.points for p in mask_to_polygons(mask)] == reference_polygons(mask)


def test_saddles_and_nested_rings() -> None:
    mask = np.zeros((9, 9), dtype=bool)
    mask[1:8, 1:8] = True
    mask[2:7, 2:7] = False  # a ring ...
    mask[3:6, 3:6] = True  # ... around an island
    mask[0, 0] = mask[8, 8] = True  # corner-touching pixels
    mask[7, 8] = False
    polygons = mask_to_polygons(mask)
    assert [p.points for p in polygons] == reference_polygons(mask)
    assert sorted(p.area for p in polygons) == [1.0, 1.0, 9.0, 49.0]


def test_a_small_region_of_a_large_image_is_traced_in_place() -> None:
    rng = np.random.default_rng(11)
    for _ in range(20):
        canvas = np.zeros((60, 80), dtype=bool)
        top, left = rng.integers(0, 45), rng.integers(0, 65)
        canvas[top:top + 15, left:left + 15] = rng.random((15, 15)) > 0.5
        assert [p.points for p in mask_to_polygons(canvas)] == reference_polygons(canvas)
