"""The per-item check (item_checks): one function for the dry run and the import, and the dry run's
parallel loop over it, which keeps the items' order and holds a bounded number of items."""

from __future__ import annotations

import threading
from pathlib import Path

from PIL import Image

from sc_importers.item_checks import ItemChecker, checked_in_parallel
from sc_importers.model import Annotation, Dataset, Label, MediaItem, Rectangle
from sc_importers.uploader.configure import ProjectNotCreated, ProjectOnDemand
from sc_importers.validation import validate


def _items(root: Path, n: int) -> list[MediaItem]:
    items = []
    for i in range(n):
        path = root / f"{i}.png"
        Image.new("RGB", (20, 10)).save(path)
        items.append(MediaItem(path, path.name, annotations=[Annotation(("cat",), Rectangle(i, 0, 4, 4))]))
    return items


def test_validate_reports_exactly_what_the_per_item_check_finds(tmp_path: Path) -> None:
    items = _items(tmp_path, 30)
    (tmp_path / "3.png").write_bytes(b"junk")
    (tmp_path / "7.png").unlink()
    dataset = Dataset("d", "test", tmp_path, labels=[Label("cat")], items=items)
    checker = ItemChecker(dataset.labels)
    per_item = [p for item in items for p in checker(item).problems]
    assert sorted(map(str, validate(dataset))) == sorted(map(str, per_item))
    assert {item.key for item in items if checker(item).error} == {"3.png", "7.png"} | {
        f"{i}.png" for i in range(20, 30)}  # boxes starting at x >= 20 lie off the 20-pixel-wide image


def test_parallel_checks_keep_order_and_bound_what_is_in_flight(tmp_path: Path) -> None:
    items = _items(tmp_path, 100)
    pulled = 0

    def lazily():
        nonlocal pulled
        for item in items:
            pulled += 1
            yield item

    results = checked_in_parallel(lazily(), ItemChecker([Label("cat")]), workers=2)
    first, _ = next(results)
    assert first is items[0]
    assert pulled <= 4 * 2 + 1  # not the whole dataset before the first verdict
    assert [item.key for item, _ in results] == [item.key for item in items[1:]]


def test_project_on_demand_is_created_once_and_a_failure_is_kept() -> None:
    calls = []
    projects = ProjectOnDemand(lambda: calls.append(1) or "project")
    threads = [threading.Thread(target=projects.get) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [1] and projects.get() == "project"

    def refuse():
        raise ValueError("no")

    failing = ProjectOnDemand(refuse)
    for _ in range(2):
        try:
            failing.get()
        except ProjectNotCreated as exc:
            assert isinstance(exc.cause, ValueError)
        else:
            raise AssertionError("no error")
    assert failing.project is None and isinstance(failing.error, ValueError)


def _crosses_reference(points) -> bool:
    """Self-intersection the plain way: every pair of non-adjacent edges, one orientation at a time."""
    n = len(points)
    if n < 4:
        return False
    edges = [(points[i], points[(i + 1) % n]) for i in range(n)]

    def orient(a, b, c) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    for i in range(n):
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue
            (p1, p2), (q1, q2) = edges[i], edges[j]
            if orient(q1, q2, p1) * orient(q1, q2, p2) < 0 and orient(p1, p2, q1) * orient(p1, p2, q2) < 0:
                return True
    return False


def test_self_intersection_agrees_with_the_plain_pairwise_test() -> None:
    import math
    import random

    from sc_importers.media_checks import self_intersecting

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
        expected = _crosses_reference(points)
        crossing += expected
        assert self_intersecting(points) == expected, points
    assert 500 < crossing < 2500  # both answers were exercised
