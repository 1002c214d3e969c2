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


def test_on_random_star_shaped_and_grid_polygons_the_sweep_agrees_with_every_pair() -> None:
    """Seeded: star-shaped (simple) polygons exercise the 'no' answer, which free points seldom give."""
    import math
    import random

    rng = random.Random(5)
    crossing = 0
    for _ in range(3000):
        n = rng.randint(3, 24)
        shape = rng.random()
        if shape < 0.4:  # random points: mostly crossing
            points = tuple((rng.uniform(0, 100), rng.uniform(0, 100)) for _ in range(n))
        elif shape < 0.8:  # star-shaped: simple
            angles = sorted(rng.uniform(0, 2 * math.pi) for _ in range(n))
            points = tuple((50 + rng.uniform(5, 40) * math.cos(a), 50 + rng.uniform(5, 40) * math.sin(a))
                           for a in angles)
        else:  # on a small grid: touching and collinear edges
            points = tuple((float(rng.randint(0, 4)), float(rng.randint(0, 4))) for _ in range(n))
        expected = every_pair_crosses(points)
        crossing += expected
        assert self_intersecting(points) == expected, points
    assert 500 < crossing < 2500  # both answers were exercised


def around_a_centre(draw: st.DrawFn) -> tuple[tuple[float, float], ...]:
    """Points at increasing angles around a centre with random radii (what many real outlines and the
    benchmark's polygons look like), angles sometimes stepping past half a turn or going around twice,
    radii sometimes zero: polygons the star-shaped shortcut says are simple and polygons it leaves to the sweep."""
    import math

    n = draw(st.integers(4, 24))
    turns = draw(st.sampled_from([1, 1, 1, 2]))
    cx, cy = draw(st.floats(-500, 500)), draw(st.floats(-500, 500))
    steps = draw(st.lists(st.one_of(st.floats(0.3, 1.2), st.floats(0.01, 3.0)), min_size=n, max_size=n))
    scale = 2 * math.pi * turns / sum(steps)
    base = draw(st.floats(1, 300))
    factors = st.one_of(st.floats(0.6, 1.0), st.floats(0.6, 1.0), st.floats(0.0, 1.0), st.just(0.0))
    radii = [base * f for f in draw(st.lists(factors, min_size=n, max_size=n))]
    angle, points = draw(st.floats(0, 6.3)), []
    for step, r in zip(steps, radii, strict=True):
        angle += step * scale
        points.append((round(cx + r * math.cos(angle), draw(st.sampled_from([2, 6, 12]))),
                       round(cy + r * math.sin(angle), 6)))
    return tuple(points)


@PROPERTY
@given(st.composite(around_a_centre)())
def test_around_a_centre_the_check_agrees_with_every_pair(points: tuple[tuple[float, float], ...]) -> None:
    from sc_importers.media_checks import _star_shaped

    crosses = every_pair_crosses(points)
    assert self_intersecting(points) == crosses
    assert not (_star_shaped(points) and crosses)
