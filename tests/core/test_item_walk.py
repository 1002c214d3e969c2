"""The dry run's walk split over forked processes ends with what a walk in one process gives: the same
problems in the same order, the same report counts and conversion counts."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import overload

import pytest
from click.testing import CliRunner
from PIL import Image

from sc_importers import item_walk
from sc_importers.cli.import_cmd import build_command
from sc_importers.conversion_counts import ConversionCounts
from sc_importers.item_checks import ItemChecker, ItemVerdict
from sc_importers.item_summary import ItemSummary
from sc_importers.item_walk import processes_for, walk
from sc_importers.model import Annotation, Dataset, Label, MediaItem, Polygon, Rectangle
from sc_importers.project_types.base import BuildOptions
from sc_importers.project_types.single import Detection
from sc_importers.synthetic import make_coco_dataset
from sc_importers.validation import validate


class _Lazy(Sequence[MediaItem]):
    """Items as a reader's lazy sequence hands them out (only those are walked in processes)."""

    def __init__(self, items: list[MediaItem]) -> None:
        self._items = items

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> MediaItem: ...

    @overload
    def __getitem__(self, index: slice) -> list[MediaItem]: ...

    def __getitem__(self, index: int | slice) -> MediaItem | list[MediaItem]:
        return self._items[index]


def _dataset(folder: Path, count: int) -> Dataset:
    root = folder / "data"
    root.mkdir()
    items = []
    for i in range(count):
        path = root / f"{i % 17}" / f"{i % 20}.jpg"  # names repeat across folders: duplicate-name warnings
        path.parent.mkdir(exist_ok=True)
        Image.new("RGB", (20, 10), (i % 256, 0, 0)).save(path)
        items.append(MediaItem(path, f"{i % 17}/{i % 20}.jpg", annotations=[
            Annotation(("cat",), Rectangle(i % 30, 0, 4, 4)),  # x >= 20: off the image, an error
            Annotation(("dog" if i % 7 == 0 else "cat",), Polygon(((0, 0), (5, 5), (5, 0), (0, 5)))),  # crosses
            *([Annotation(("cat",), None)] if i % 5 == 0 else []),  # image-level: not taken by detection
        ]))
    (root / "3" / "3.jpg").write_bytes((root / "3" / "3.jpg").read_bytes()[:-40])  # cut short: unreadable
    (root / "5" / "5.jpg").unlink()
    outside = folder / "outside.jpg"
    (root / "6" / "6.jpg").rename(outside)
    (root / "6" / "6.jpg").symlink_to(outside)  # a link leading out of the dataset folder: a warning
    return Dataset("d", "test", root, labels=[Label("cat"), Label("dog")], items=_Lazy(items))


def _run(dataset: Dataset) -> tuple:
    detection = Detection()
    plan = detection.plan(dataset, BuildOptions())
    summary, counter = ItemSummary(), ConversionCounts(detection, dataset, plan, BuildOptions())
    problems = validate(dataset, tallies=[summary, counter])
    return problems, summary, counter.result(), counter.created


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Walks in 2 forked processes, chunks of 7 items, whatever the machine and the dataset's size."""
    monkeypatch.setattr(item_walk, "processes_for", lambda count: 2)
    monkeypatch.setattr(item_walk, "CHUNK", 7)


def test_the_forked_walk_ends_with_what_one_process_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dataset = _dataset(tmp_path, 60)
    alone = _run(dataset)
    problems, summary, (counts, converted_problems), created = alone
    assert {p.item for p in problems if p.severity == "error"} >= {"3/3.jpg", "5/5.jpg", "4/1.jpg", "3/0.jpg"}
    assert any(p.kind == "duplicate_name" for p in problems)  # type: ignore[attr-defined]
    assert [p.item for p in problems if p.kind == "link_outside"] == ["6/6.jpg"]  # type: ignore[attr-defined]
    assert summary.total == 60 and counts["Detection task"]["media"] > 0 and converted_problems
    monkeypatch.setattr(item_walk, "processes_for", lambda count: 2)
    monkeypatch.setattr(item_walk, "CHUNK", 7)
    assert _run(dataset) == alone


def test_a_dry_run_prints_the_same_report_forked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_coco_dataset(tmp_path, 40, ["cat", "dog"], seed=5, image_size=(64, 48), unannotated=3)
    (tmp_path / "images").joinpath(sorted(os.listdir(tmp_path / "images"))[4]).unlink()
    args = [str(tmp_path), "--format", "coco", "--type", "detection", "--dry-run", "--json"]
    alone = CliRunner().invoke(build_command(), args)
    monkeypatch.setattr(item_walk, "processes_for", lambda count: 3)
    monkeypatch.setattr(item_walk, "CHUNK", 6)
    forked = CliRunner().invoke(build_command(), args)
    assert (forked.exit_code, json.loads(forked.stdout)) == (alone.exit_code, json.loads(alone.stdout))
    assert json.loads(alone.stdout)["problems"]["errors"] == 1


class _Failing:
    """A tally whose merge fails on the second chunk."""

    def __init__(self) -> None:
        self.merged = 0

    def tally(self, item: MediaItem, verdict: ItemVerdict) -> None:
        pass

    def fresh(self) -> _Failing:
        return _Failing()

    def partial(self) -> None:
        return None

    def merge(self, partial: None) -> None:
        self.merged += 1
        if self.merged == 2:
            assert len(multiprocessing.active_children()) == 2  # the walk runs in them
            raise RuntimeError("stop")


def test_a_walk_that_fails_stops_its_processes(tmp_path: Path, forked: None) -> None:
    dataset = _dataset(tmp_path, 30)
    with pytest.raises(RuntimeError, match="stop"):
        walk(dataset.items, ItemChecker(dataset.labels), [_Failing()])
    assert multiprocessing.active_children() == []


def test_items_held_in_a_list_are_walked_in_this_process(tmp_path: Path, forked: None) -> None:
    """Forked processes would copy every page of a list's items they touch (908 MB against 422 MB for
    20,000 CVAT items): a list is walked here, whatever the number of CPUs."""
    dataset = _dataset(tmp_path, 20)
    items = list(dataset.items)
    checker = ItemChecker(dataset.labels)

    def here_only(item: MediaItem) -> ItemVerdict:
        assert multiprocessing.parent_process() is None  # not in a forked process
        return checker(item)

    summary = ItemSummary()
    walk(items, here_only, [summary])
    assert summary.total == 20


def test_small_datasets_and_single_cpus_walk_in_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    assert processes_for(item_walk.PROCESS_MIN_ITEMS - 1) == 0
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert processes_for(10 ** 6) == 0
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    assert processes_for(10 ** 6) == 2
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)))
    assert processes_for(10 ** 6) == item_walk.MAX_PROCESSES


def test_a_walking_process_that_dies_fails_the_walk_instead_of_hanging(tmp_path: Path, forked: None) -> None:
    dataset = _dataset(tmp_path, 30)
    checker = ItemChecker(dataset.labels)

    def dies_on_item_9(item: MediaItem) -> ItemVerdict:
        if item.key == "9/9.jpg":
            os._exit(3)  # as the kernel's out-of-memory killer would end it
        return checker(item)

    with pytest.raises(item_walk.WalkFailed, match="ended without finishing"):
        walk(dataset.items, dies_on_item_9, [ItemSummary()])
    assert multiprocessing.active_children() == []


class _Heavy:
    """A tally whose sums are large (a walking process spends its time sending them); its merge fails
    on the third chunk, as Ctrl-C would stop the walk."""

    def __init__(self) -> None:
        self.merged = 0

    def tally(self, item: MediaItem, verdict: ItemVerdict) -> None:
        pass

    def fresh(self) -> _Heavy:
        return _Heavy()

    def partial(self) -> bytes:
        return b"x" * 4_000_000

    def merge(self, partial: bytes) -> None:
        self.merged += 1
        if self.merged == 3:
            raise KeyboardInterrupt


def test_a_walk_stopped_while_its_processes_send_their_sums_ends(tmp_path: Path, forked: None) -> None:
    """Killing the processes at once could cut one in the middle of sending a chunk's sums: the pool then
    waited forever for the rest of the message (Ctrl-C during a full-size dry run hung). They stop at
    their next item instead."""
    dataset = _dataset(tmp_path, 60)
    ended: list[BaseException] = []

    def run() -> None:
        try:
            walk(dataset.items, ItemChecker(dataset.labels), [_Heavy()])
        except BaseException as exc:  # noqa: BLE001 - the KeyboardInterrupt is what is expected
            ended.append(exc)

    for _ in range(3):
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        thread.join(30)
        if thread.is_alive():
            for child in multiprocessing.active_children():
                child.kill()
            pytest.fail("the stopped walk did not end")
    assert [type(e) for e in ended] == [KeyboardInterrupt] * 3
    assert multiprocessing.active_children() == []


def test_a_process_stuck_on_one_item_is_ended_when_the_walk_stops(tmp_path: Path, forked: None,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that does not reach its next item (a file on a disk that does not answer) is ended
    STOP_SECONDS after the walk was stopped, so Ctrl-C still ends the dry run."""
    monkeypatch.setattr(item_walk, "STOP_SECONDS", 0.5)
    dataset = _dataset(tmp_path, 60)
    checker = ItemChecker(dataset.labels)

    def stuck_on_item_9(item: MediaItem) -> ItemVerdict:
        if item.key == "9/9.jpg":
            time.sleep(60)
        return checker(item)

    started = time.monotonic()
    ctrl_c = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))  # while item 9 holds its process
    ctrl_c.start()
    with pytest.raises(KeyboardInterrupt):
        walk(dataset.items, stuck_on_item_9, [ItemSummary()])
    ctrl_c.join()
    assert time.monotonic() - started < 20
    assert multiprocessing.active_children() == []
