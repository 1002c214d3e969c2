"""The reader's bulk path (bulk.py) gives what the per-annotation path gives: the same items, in the same
order, with the same annotations, object ids and problems, on edge cases and on real files.

And the streaming read (``CocoReader.read_streaming``, what a real ``sc-import`` uses), which packs the
last file's batches in a thread: it hands out each item only when the item's batch and problems are in
place, and, finished, equals the whole read (items, problems in order, label use)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
import sc_importers_coco.bulk as bulk
import sc_importers_coco.file_read as file_read
from sc_importers_coco import CocoReader
from sc_importers_coco.items import IndexedFile
from sc_importers_coco.pending import Packing

from sc_importers.model import Dataset

SQUARE = [10, 10, 50, 10, 50, 50, 10, 50]


def _read(root: Path, use_bulk: bool, monkeypatch: pytest.MonkeyPatch, **options: str) -> tuple[Dataset, int]:
    """The dataset read with or without the bulk path, and how many images were produced one by one."""
    produced = 0
    produce = IndexedFile.produce

    def counted(self: IndexedFile, n: int, crowd: str, known=None):  # type: ignore[no-untyped-def]
        nonlocal produced
        produced += 1
        return produce(self, n, crowd, known)  # type: ignore[arg-type]

    with monkeypatch.context() as patch:
        patch.setattr(file_read, "BULK", use_bulk)
        patch.setattr(IndexedFile, "produce", counted)
        return CocoReader().read(root, **options), produced


def _same(root: Path, monkeypatch: pytest.MonkeyPatch, **options: str) -> tuple[Dataset, int]:
    """Read ``root`` both ways, assert the results equal; the bulk read and its one-by-one count."""
    fast, produced = _read(root, True, monkeypatch, **options)
    slow, every = _read(root, False, monkeypatch, **options)
    assert every == len(slow.items)
    assert list(fast.items) == list(slow.items)
    assert [str(p) for p in fast.problems] == [str(p) for p in slow.problems]
    assert fast.labels == slow.labels
    assert fast.items.label_use() == slow.items.label_use()
    return fast, produced


def _dataset(tmp_path: Path, annotations: list[dict], images: list[dict] | None = None) -> Path:
    images = images or [{"id": n, "file_name": f"{n}.jpg", "width": 100, "height": 80} for n in range(1, 7)]
    for image in images:
        (tmp_path / image["file_name"]).write_bytes(b"not read here")
    for n, ann in enumerate(annotations, 1):
        ann.setdefault("id", n)
        ann.setdefault("category_id", 1)
    (tmp_path / "instances.json").write_text(json.dumps({
        "images": images, "annotations": annotations,
        "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}, {"id": 3, "name": "cat"}]}))
    return tmp_path


EDGE_CASES = [
    # image 1: only plain polygons (one closed by repeating its first point, one in two parts): the bulk path
    {"image_id": 1, "segmentation": [SQUARE]},
    {"image_id": 1, "segmentation": [SQUARE + SQUARE[:2]], "category_id": 2},
    {"image_id": 1, "segmentation": [SQUARE, [60, 10, 90, 10, 90, 40]], "category_id": 3},
    # image 2: a polygon to clip, one entirely outside, integers, a box only
    {"image_id": 2, "segmentation": [[-10, 10, 50, 10, 50, 50]]},
    {"image_id": 2, "segmentation": [[200, 200, 300, 200, 300, 300]]},
    {"image_id": 2, "segmentation": [[1, 1, 9, 1, 9, 9]], "category_id": 2},
    {"image_id": 2, "bbox": [5, 5, 10, 10]},
    # image 3: zero area (collinear), a closed triangle left with 2 points, an odd count, too few numbers
    {"image_id": 3, "segmentation": [[0, 0, 10, 10, 20, 20]]},
    {"image_id": 3, "segmentation": [[0, 0, 10, 0, 0, 10, 0, 0]]},
    {"image_id": 3, "segmentation": [[0, 0, 10, 0, 0, 10, 5]]},
    {"image_id": 3, "segmentation": [[0, 0, 10, 0]]},
    # image 4: an RLE mask, an unknown category, keypoints, an empty segmentation with a box, an empty part
    {"image_id": 4, "segmentation": {"size": [80, 100], "counts": [100, 20, 7880]}, "iscrowd": 1},
    {"image_id": 4, "segmentation": [SQUARE], "category_id": 99},
    {"image_id": 4, "segmentation": [SQUARE], "keypoints": [20, 20, 2]},
    {"image_id": 4, "segmentation": [], "bbox": [1, 1, 5, 5]},
    {"image_id": 4, "segmentation": [[]]},
    # image 5: strings among the numbers, an area of 5e-13 (left to the slow path), a labels-file record
    {"image_id": 5, "segmentation": [["10", 10, 50, 10, 50, 50]]},
    {"image_id": 5, "segmentation": [[10, 10, 10 + 1e-6, 10, 10, 10 + 1e-6]]},
    {"image_id": 5},
    # image 6, of unknown size: nothing is clipped, so these plain polygons take the bulk path
    {"image_id": 6, "segmentation": [[500, 500, 900, 500, 900, 900]]},
    {"image_id": 6, "segmentation": [SQUARE, [60, 10, 90, 10, 90, 40]], "category_id": 2},
    {"image_id": 1, "segmentation": [[95, 5, 100, 5, 100, 80]]},  # image 1 again, later in the file: still bulk
    {"image_id": 7, "segmentation": [[10, 10, 50, 10, 50, 80.5]]},  # half a pixel below the image: clipped
]


def test_edge_cases_equal_the_per_annotation_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    images = [{"id": n, "file_name": f"{n}.jpg", "width": 100, "height": 80} for n in range(1, 6)]
    images += [{"id": 6, "file_name": "6.jpg"}, {"id": 7, "file_name": "7.jpg", "width": 100, "height": 80}]
    dataset, produced = _same(_dataset(tmp_path, EDGE_CASES, images), monkeypatch)
    assert produced == 5  # images 1 and 6 took the bulk path; the others have something to report or convert
    assert [a.object_id for a in dataset.items[5].annotations] == [None, "coco annotation #1", "coco annotation #1"]
    first = dataset.items[0]
    assert [(a.labels, a.object_id) for a in first.annotations] == [
        (("cat",), None), (("dog",), None), (("cat",), "coco annotation #2"), (("cat",), "coco annotation #2"),
        (("cat",), None)]
    assert len(first.annotations[1].shape.points) == 4  # the closing point dropped


def test_unknown_sizes_and_batches_splitting_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    images = [{"id": n, "file_name": f"{n}.jpg"} if n % 3 else {"id": n, "file_name": f"{n}.jpg", "width": 40,
                                                                 "height": 40} for n in range(1, 30)]
    annotations = [{"image_id": 1 + (n * 7) % 29, "segmentation": [[n, 1, n + 30, 1, n + 30, 30 + n % 5]]}
                   for n in range(120)]
    monkeypatch.setattr(bulk, "_BATCH", 7)  # images spread over many batches, one image larger than a batch
    annotations += [{"image_id": 2, "segmentation": [SQUARE]} for _ in range(12)]
    dataset, produced = _same(_dataset(tmp_path, annotations, images), monkeypatch)
    assert 0 < produced < len(dataset.items)  # some images of size 40x40 need clipping, the rest are bulk


def test_a_file_read_record_by_record_still_takes_the_bulk_path(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    root = _dataset(tmp_path, [{"image_id": 1, "segmentation": [SQUARE]}, {"image_id": 2, "segmentation": [SQUARE]}])
    data = json.loads((root / "instances.json").read_text())
    data["annotations"].append(7)  # not an object: the file is decoded record by record (parse._tolerant)
    data["annotations"].append({"id": 9, "image_id": 3, "category_id": 1, "segmentation": {"size": 3}})
    (root / "instances.json").write_text(json.dumps(data))
    dataset, produced = _same(root, monkeypatch)
    assert any("not an object" in p.message for p in dataset.problems)
    assert produced == 1  # image 3: its bad RLE is reported; the records of images 1 and 2 took the bulk path


ASSETS = "datumaro-test-assets/assets/coco_dataset"


@pytest.mark.parametrize("folder", [
    f"{ASSETS}/coco", f"{ASSETS}/coco_instances", f"{ASSETS}/coco_person_keypoints", f"{ASSETS}/coco_stuff",
    f"{ASSETS}/coco_labels", f"{ASSETS}/coco_roboflow", f"{ASSETS}/mmdet_coco",
    "labelme-examples/examples/instance_segmentation/data_dataset_coco",
    "mmpose-tests-keypoints/tests/data/coco",
])
def test_real_files_equal_the_per_annotation_path(shared, folder: str, monkeypatch: pytest.MonkeyPatch) -> None:
    root = shared.datasets(folder)
    options = {"annotation_file": "test_coco.json"} if folder.endswith("data/coco") else {}
    _same(root, monkeypatch, **options)


# the streaming read


def _same_when_finished(root: Path, **options: str) -> Dataset:
    whole = CocoReader().read(root, **options)
    streamed = CocoReader().read_streaming(root, **options)
    items = list(streamed.items)  # walked while the thread packs
    streamed.finish_reading()
    assert items == list(whole.items)
    assert [str(p) for p in streamed.problems] == [str(p) for p in whole.problems]
    assert streamed.labels == whole.labels
    assert streamed.label_use() == whole.label_use()
    assert streamed.image_only_labels() == whole.image_only_labels()
    return streamed


@pytest.mark.parametrize("use_bulk", [True, False])
def test_edge_cases_equal_the_whole_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_bulk: bool) -> None:
    monkeypatch.setattr(file_read, "BULK", use_bulk)
    monkeypatch.setattr(bulk, "_BATCH", 3)  # several batches, each published on its own
    images = [{"id": n, "file_name": f"{n}.jpg", "width": 100, "height": 80} for n in range(1, 6)]
    images += [{"id": 6, "file_name": "6.jpg"}, {"id": 7, "file_name": "7.jpg", "width": 100, "height": 80},
               {"id": 8, "file_name": "missing.jpg"}]  # an image problem, reported among the items' own
    root = _dataset(tmp_path, [dict(ann) for ann in EDGE_CASES], images)
    (root / "missing.jpg").unlink()
    dataset = _same_when_finished(root)
    assert any("image file not found" in p.message for p in dataset.problems)
    assert dataset.image_only_labels() == set()  # image 5's labels-file record: "cat" has shapes too


def write_split(root: Path, split: str, offset: int, annotations: list[dict], categories: list[dict]) -> None:
    """``annotations/instances_<split>.json`` of 4 images 100x80 with ids from ``offset``, in
    ``images/<split>/`` (files that are not images: the reader does not open them)."""
    folder = root / "images" / split
    folder.mkdir(parents=True)
    images = [{"id": n, "file_name": f"{n}.jpg", "width": 100, "height": 80} for n in range(offset, offset + 4)]
    for image in images:
        (folder / image["file_name"]).write_bytes(b"x")
    (root / "annotations").mkdir(exist_ok=True)
    (root / "annotations" / f"instances_{split}.json").write_text(json.dumps({
        "images": images, "annotations": annotations, "categories": categories}))


def test_the_last_of_several_files_is_streamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "_BATCH", 2)
    for split, offset in (("train", 0), ("val", 10)):
        annotations = [{"id": n, "image_id": offset + n % 4, "category_id": 1 + n % 2, "segmentation": [SQUARE]}
                       for n in range(9)]
        annotations.append({"id": 99, "image_id": offset + 1, "category_id": 7, "bbox": [1, 1, 5, 5]})  # unknown
        write_split(tmp_path, split, offset, annotations, [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}])
    dataset = _same_when_finished(tmp_path)
    assert len(dataset.items) == 8
    assert sum("unknown category id 7" in p.message for p in dataset.problems) == 2


def test_an_item_comes_after_its_problems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An import decides from ``dataset.problems`` whether an item has a reader error when it reaches
    the item: every problem naming the item must be there by then."""
    monkeypatch.setattr(bulk, "_BATCH", 4)
    images = [{"id": n, "file_name": f"{n}.jpg", "width": 100, "height": 80} for n in range(1, 41)]
    annotations = [{"image_id": n, "segmentation": [SQUARE]} for n in range(1, 41)]
    annotations += [{"image_id": n, "segmentation": [SQUARE], "category_id": 9} for n in range(5, 41, 5)]
    root = _dataset(tmp_path, annotations, images)
    whole = CocoReader().read(root)
    naming: dict[str, set[str]] = {}
    for problem in whole.problems:
        if problem.item is not None:
            naming.setdefault(problem.item, set()).add(str(problem))
    assert len(naming) == 8  # images 5, 10 ... 40
    publish = Packing.publish

    def lingering(self: Packing, ready: int) -> None:  # the reader of the items gets time to go ahead
        publish(self, ready)
        time.sleep(0.02)

    monkeypatch.setattr(Packing, "publish", lingering)
    streamed = CocoReader().read_streaming(root)
    for item in streamed.items:
        assert naming.get(item.key, set()) <= {str(p) for p in streamed.problems}, item.key
    streamed.finish_reading()


def _held(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Hold the packing thread at its first batch until the returned event is set."""
    go = threading.Event()
    check = bulk._Batch.check.__func__  # type: ignore[attr-defined]

    def held(cls, *args):  # type: ignore[no-untyped-def]
        assert go.wait(20), "the test never let the packing go on"
        return check(cls, *args)

    monkeypatch.setattr(bulk._Batch, "check", classmethod(held))
    return go


def test_a_project_of_shapes_is_planned_before_the_file_is_packed(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    root = _dataset(tmp_path, [{"image_id": n, "segmentation": [SQUARE], "bbox": [10, 10, 40, 40]}
                               for n in range(1, 7)])
    go = _held(monkeypatch)
    dataset = CocoReader().read_streaming(root)
    try:
        assert len(dataset.items) == 6
        assert dataset.image_only_labels() == set()  # every record has a box: none can label a whole image
        assert not dataset.items._packing.done  # type: ignore[attr-defined]
    finally:
        go.set()
    dataset.finish_reading()
    assert dataset.image_only_labels() == set()


def test_a_record_without_a_box_waits_for_the_packing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _dataset(tmp_path, [{"image_id": 1, "segmentation": [SQUARE], "bbox": [10, 10, 40, 40]},
                               {"image_id": 2, "category_id": 2, "bbox": []}])  # an image-level "dog"
    go = _held(monkeypatch)
    dataset = CocoReader().read_streaming(root)
    answer: list[set[str]] = []
    asking = threading.Thread(target=lambda: answer.append(dataset.image_only_labels()))
    asking.start()
    asking.join(0.3)
    assert asking.is_alive() and not answer  # the answer needs the packed rows
    go.set()
    asking.join(20)
    assert answer == [{"dog"}]


def test_a_failure_while_packing_reaches_the_reader_of_the_items(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "_BATCH", 2)
    root = _dataset(tmp_path, [{"image_id": n, "segmentation": [SQUARE]} for n in range(1, 7)])

    def broken(cls, *args):  # type: ignore[no-untyped-def]
        raise MemoryError("no memory left")

    monkeypatch.setattr(bulk._Batch, "check", classmethod(broken))
    dataset = CocoReader().read_streaming(root)
    with pytest.raises(MemoryError, match="no memory left"):
        dataset.items[0]
    with pytest.raises(MemoryError):
        dataset.finish_reading()
