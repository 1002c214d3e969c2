"""The coco items as arrays (``CocoItems.columns``, what the dry run screens and counts) hold what the
items hold; and a dry run that screens them prints the report a dry run building every item prints."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sc_importers_coco import CocoReader

import sc_importers.columns
from sc_importers import item_walk
from sc_importers.cli.import_cmd import build_command
from sc_importers.columns import KINDS, ItemColumns
from sc_importers.model import Dataset, Polygon, Rectangle, shape_type_name
from sc_importers.synthetic import make_coco_dataset

from .test_coco_bulk import EDGE_CASES, _dataset, write_split


def _holds_the_items(dataset: Dataset) -> ItemColumns:
    """Assert that every item's file, size, annotations (labels, kind, numbers, parts of one object)
    are in the arrays."""
    columns = dataset.items.columns()
    assert len(columns) == len(dataset.items)
    for n, item in enumerate(dataset.items):
        assert columns.media[n] == (str(item.path), item.key, item.width, item.height)
        rows = range(columns.item_rows[n], columns.item_rows[n + 1])
        assert len(rows) == len(item.annotations)
        for r, ann in zip(rows, item.annotations, strict=True):
            assert columns.label_sets[columns.labels[r]] == ann.labels
            assert KINDS[columns.kinds[r]] == shape_type_name(ann.shape)
            numbers = columns.coords[columns.begins[r]:columns.ends[r]].tolist()
            if isinstance(ann.shape, Polygon):
                assert numbers == [v for p in ann.shape.points for v in p]
            elif isinstance(ann.shape, Rectangle):
                assert numbers == [ann.shape.x, ann.shape.y, ann.shape.width, ann.shape.height]
        parts = [ann.object_id for ann in item.annotations]
        codes = columns.objects[rows.start:rows.stop].tolist()
        assert [c < 0 for c in codes] == [p is None for p in parts]
        assert all((codes[i] == codes[j]) == (parts[i] == parts[j]) for i in range(len(codes))
                   for j in range(len(codes)) if codes[i] >= 0 and codes[j] >= 0)
    return columns


def test_one_files_items_as_arrays(tmp_path: Path) -> None:
    images = [{"id": n, "file_name": f"{n}.jpg", "width": 100, "height": 80} for n in range(1, 6)]
    images += [{"id": 6, "file_name": "6.jpg"}, {"id": 7, "file_name": "7.jpg", "width": 100, "height": 80}]
    columns = _holds_the_items(CocoReader().read(_dataset(tmp_path, [dict(a) for a in EDGE_CASES], images)))
    assert set(np.unique(columns.kinds).tolist()) == {0, 1, 2}  # image-level labels, boxes and polygons


def test_several_files_items_as_arrays(tmp_path: Path) -> None:
    for split, offset in (("train", 0), ("val", 10)):
        annotations = [{"id": n, "image_id": offset + n % 4, "category_id": 1 + (n + offset) % 3,
                        "segmentation": [[10, 10, 50, 10, 50, 50 + n]]} for n in range(9)]
        annotations.append({"id": 50, "image_id": offset, "category_id": 2, "bbox": [1, 1, 5, 5]})
        write_split(tmp_path, split, offset, annotations,
                    [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}, {"id": 3, "name": split}])
    columns = _holds_the_items(CocoReader().read(tmp_path))
    assert {names for names in columns.label_sets} >= {("train",), ("val",), ("cat",)}


def _problems_everywhere(root: Path) -> None:
    """A generated coco dataset with something wrong here and there: shapes off or partly off the image,
    a polygon crossing itself, a box without area, an unknown category, image-level labels, an object in
    two parts, a missing file, a file of another size, an image without annotations."""
    make_coco_dataset(root, 70, ["cat", "dog", "owl"], seed=3, image_size=(64, 48), unannotated=4)
    data = json.loads((root / "annotations" / "instances_default.json").read_text())
    cat, dog, owl = (c["id"] for c in data["categories"])
    extra = [
        {"image_id": 3, "category_id": cat, "segmentation": [[50, 10, 70, 10, 70, 30]]},  # partly off: clipped
        {"image_id": 9, "category_id": dog, "segmentation": [[80, 60, 90, 60, 90, 70]]},  # off: an error
        {"image_id": 12, "category_id": cat, "segmentation": [[5, 5, 25, 25, 25, 5, 5, 20]]},  # crosses itself
        {"image_id": 20, "category_id": owl, "bbox": [5, 5, 0, 4]},  # no area
        {"image_id": 25, "category_id": 77, "bbox": [5, 5, 4, 4]},  # unknown category
        {"image_id": 30, "category_id": dog},  # an image-level label
        {"image_id": 31, "category_id": owl, "segmentation": [[1, 1, 9, 1, 9, 9], [20, 20, 30, 20, 30, 30]]},
        {"image_id": 33, "category_id": cat, "bbox": [2, 2, 20, 10]},
        {"image_id": 34, "category_id": cat, "segmentation": [[0, 0, 64, 0, 64, 48, 0, 48]]},  # the whole image
    ]
    for n, ann in enumerate(extra, len(data["annotations"]) + 1):
        data["annotations"].append({"id": n, "iscrowd": 0, **ann})
    data["images"][40]["width"] = 48  # declared 48x48: the file is 64x48
    (root / "annotations" / "instances_default.json").write_text(json.dumps(data))
    os.unlink(root / "images" / data["images"][44]["file_name"])


@pytest.mark.parametrize("args", [
    ["--type", "detection"], ["--type", "segmentation", "--empty-label-for-unannotated"],
    ["--type", "classification"], ["--type", "detection_to_segmentation"],
])
def test_a_screened_dry_run_prints_what_a_walk_of_every_item_prints(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    _problems_everywhere(tmp_path / "d")
    command = [str(tmp_path / "d"), "--format", "coco", "--dry-run", "--json", *args]
    monkeypatch.setattr(item_walk, "processes_for", lambda count: 2)  # the screen is used in processes
    monkeypatch.setattr(item_walk, "CHUNK", 9)
    bare = tmp_path / "bare.txt"
    bare_item = ItemColumns.bare_item

    def noted(self: ItemColumns, n: int):  # type: ignore[no-untyped-def]
        with open(bare, "a") as out:  # written from the walking processes
            out.write(f"{n}\n")
        return bare_item(self, n)

    monkeypatch.setattr(ItemColumns, "bare_item", noted)
    screened = CliRunner().invoke(build_command(), command)
    with monkeypatch.context() as patch:
        patch.setattr(sc_importers.columns, "columns_of", lambda items: None)
        walked = CliRunner().invoke(build_command(), command)
    assert (screened.exit_code, screened.stdout) == (walked.exit_code, walked.stdout)
    report = json.loads(screened.stdout)
    kinds = report["problems"]["by_kind"]
    assert set(kinds) == {"reader", "self_intersecting", "size_mismatch", "unused_annotations"}, kinds
    # most items are screened clean, not those with something to report (classification counts them
    # item by item, but their annotations are not checked again either)
    assert 50 < len(set(bare.read_text().split())) < 70
