"""The dry run's self-intersection check (a sweep over edges sorted by their left end) says what
testing every pair of non-adjacent edges says, on polygons that cross, touch and repeat points."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from prop_shapes import PROPERTY

from sc_importers.media_checks import self_intersecting


def every_pair_crosses(points: tuple[tuple[float, float], ...]) -> bool:
    """The reference: every pair of non-adjacent edges, both ends strictly on either side."""
    n = len(points)
    if n < 4:
        return False

    def orient(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    edges = [(points[i], points[(i + 1) % n]) for i in range(n)]
    for i in range(n):
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue
            (p1, p2), (q1, q2) = edges[i], edges[j]
            if orient(q1, q2, p1) * orient(q1, q2, p2) < 0 and orient(p1, p2, q1) * orient(p1, p2, q2) < 0:
                return True
    return False


GRID = st.tuples(st.integers(0, 6).map(float), st.integers(0, 6).map(float))  # collinear and repeated points
FREE = st.tuples(st.floats(-1e3, 1e3, allow_nan=False), st.floats(-1e3, 1e3, allow_nan=False))


@PROPERTY
@given(st.lists(GRID, min_size=4, max_size=24).map(tuple))
def test_on_a_small_grid_the_sweep_agrees_with_every_pair(points: tuple[tuple[float, float], ...]) -> None:
    assert self_intersecting(points) == every_pair_crosses(points)


@PROPERTY
@given(st.lists(FREE, min_size=4, max_size=40).map(tuple))
def test_on_free_points_the_sweep_agrees_with_every_pair(points: tuple[tuple[float, float], ...]) -> None:
    assert self_intersecting(points) == every_pair_crosses(points)


def test_a_bow_tie_crosses_and_a_square_does_not() -> None:
    assert self_intersecting(((0.0, 0.0), (2.0, 2.0), (2.0, 0.0), (0.0, 2.0)))
    assert not self_intersecting(((0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)))
