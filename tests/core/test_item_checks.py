"""The per-item check (item_checks): one function for the dry run and the import, and the dry run's
parallel loop over it, which keeps the items' order and holds a bounded number of items."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
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


def test_link_check_listing_a_folder_finds_what_looking_at_each_file_finds(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Past LinkCheck.LIST_AFTER files of one folder the folder is listed: links out (to a file, a folder,
    nowhere), a link inside, plain files and missing ones are told apart as before."""
    from sc_importers.media_checks import LinkCheck

    root, outside = tmp_path / "d", tmp_path / "elsewhere"
    (root / "img").mkdir(parents=True)
    outside.mkdir()
    (outside / "x.jpg").write_bytes(b"x")
    files = []
    for n in range(12):
        path = root / "img" / f"{n}.jpg"
        if n % 4 == 0:
            path.symlink_to(outside / "x.jpg")
        elif n % 4 == 1:
            path.symlink_to(root / "img" / "2.jpg")  # inside: no warning
        elif n == 3:
            path.symlink_to(outside / "gone.jpg")  # broken
        elif n != 7:  # 7 is missing
            path.write_bytes(b"x")
        files.append(str(path))
    files += [str(root / "img" / "0.jpg"), str(tmp_path / "elsewhere" / "x.jpg")]  # again; outside the root

    def found(check: LinkCheck) -> list[str | None]:
        return [None if (p := check.check(f, f)) is None else p.message for f in files]

    one_by_one = found(LinkCheck(root))
    monkeypatch.setattr(LinkCheck, "LIST_AFTER", 2)
    listed = LinkCheck(root)
    assert found(listed) == one_by_one
    assert listed._links  # the folder was listed
    assert sum(m is not None for m in one_by_one) == 5  # 0, 4, 8, 0 again and the broken 3
