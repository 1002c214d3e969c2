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
