"""The dry run's checks in forked processes give what the threaded checks give, item for item."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest
from PIL import Image

from sc_importers import check_processes
from sc_importers.check_processes import checked_items, processes_for
from sc_importers.item_checks import ItemChecker, checked_in_parallel
from sc_importers.model import Annotation, Dataset, Label, MediaItem, Polygon, Rectangle
from sc_importers.validation import validate


def _dataset(root: Path, count: int) -> Dataset:
    items = []
    for i in range(count):
        path = root / f"{i}.jpg"
        Image.new("RGB", (20, 10), (i % 256, 0, 0)).save(path)
        items.append(MediaItem(path, path.name, annotations=[
            Annotation(("cat",), Rectangle(i % 30, 0, 4, 4)),  # x >= 20: off the image, an error
            Annotation(("dog" if i % 7 == 0 else "cat",), Polygon(((0, 0), (5, 5), (5, 0), (0, 5)))),  # crosses
        ]))
    (root / "3.jpg").write_bytes((root / "3.jpg").read_bytes()[:-40])  # cut short: unreadable
    (root / "5.jpg").unlink()
    return Dataset("d", "test", root, labels=[Label("cat")], items=items)


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Checks in 2 forked processes, chunks of 7 items, whatever the machine and the dataset's size."""
    monkeypatch.setattr(check_processes, "processes_for", lambda count: 2)
    monkeypatch.setattr(check_processes, "CHUNK", 7)


def test_forked_checks_give_the_threaded_verdicts_in_order(tmp_path: Path, forked: None) -> None:
    dataset = _dataset(tmp_path, 60)
    checker = ItemChecker(dataset.labels)
    threaded = [(item.key, verdict) for item, verdict in checked_in_parallel(dataset.items, checker)]
    with checked_items(dataset.items, checker) as walk:
        assert [(item.key, verdict) for item, verdict in walk] == threaded
    assert {key for key, verdict in threaded if verdict.error} >= {"3.jpg", "5.jpg", "0.jpg", "20.jpg"}


def test_validate_reports_the_same_problems_forked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dataset = _dataset(tmp_path, 40)
    threaded = validate(dataset)
    monkeypatch.setattr(check_processes, "processes_for", lambda count: 1)
    monkeypatch.setattr(check_processes, "CHUNK", 6)
    assert validate(dataset) == threaded
    assert any(p.item == "3.jpg" and "unreadable" in p.message for p in threaded)


def test_a_walk_stopped_early_stops_the_processes(tmp_path: Path, forked: None) -> None:
    dataset = _dataset(tmp_path, 30)
    with checked_items(dataset.items, ItemChecker(dataset.labels)) as walk:
        next(walk)
        assert len(multiprocessing.active_children()) == 2  # the walk is running in them
    assert multiprocessing.active_children() == []


def test_small_datasets_and_single_cpus_use_threads_only(monkeypatch: pytest.MonkeyPatch) -> None:
    assert processes_for(check_processes.PROCESS_MIN_ITEMS - 1) == 0
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert processes_for(10 ** 6) == 0
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)))
    assert processes_for(10 ** 6) == check_processes.MAX_PROCESSES
