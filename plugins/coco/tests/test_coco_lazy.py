"""The coco reader's items are built when asked (``CocoItems``), its parser is msgspec with tolerant
fallbacks: malformed records, NaN literals and broken JSON give the same problems and errors as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from sc_importers_coco import CocoReader
from sc_importers_coco.items import CocoItems

from sc_importers.formats import FormatError
from sc_importers.labels import apply_label_options
from sc_importers.model import Dataset, Polygon, Rectangle


def _folder(root: Path, payload: str | dict, names: tuple[str, ...] = ("one.png", "two.png", "three.png")) -> Path:
    """``annotations/instances_default.json`` holding ``payload`` (text as given), 40x30 images beside."""
    (root / "annotations").mkdir(parents=True)
    (root / "images" / "default").mkdir(parents=True)
    for name in names:
        Image.new("RGB", (40, 30)).save(root / "images" / "default" / name)
    json_file = root / "annotations" / "instances_default.json"
    json_file.write_text(payload if isinstance(payload, str) else json.dumps(payload))
    return json_file


def _images(count: int = 3) -> list[dict]:
    names = ("one.png", "two.png", "three.png")
    return [{"id": n + 1, "file_name": names[n], "width": 40, "height": 30} for n in range(count)]


CATEGORIES = [{"id": 3, "name": "cat"}, {"id": 7, "name": "dog"}]


def _polygon(ann_id: int, image_id: int, points: list, category_id: int = 3) -> dict:
    return {"id": ann_id, "image_id": image_id, "category_id": category_id, "iscrowd": 0,
            "bbox": [0, 0, 1, 1], "segmentation": [points]}


def test_items_are_a_sequence_built_anew_on_each_pass(tmp_path: Path) -> None:
    annotations = [_polygon(1, 1, [1, 1, 10, 1, 10, 10]), _polygon(2, 3, [2, 2, 20, 2, 20, 20], 7),
                   _polygon(3, 1, [0, 0, 5, 0, 5, 5], 7)]
    _folder(tmp_path, {"images": _images(), "annotations": annotations, "categories": CATEGORIES})
    dataset = CocoReader().read(tmp_path)
    items = dataset.items
    assert isinstance(items, CocoItems) and len(items) == 3
    first, second = list(items), list(items)
    assert first == second and items == first  # equal on every pass ...
    assert all(a is not b for a, b in zip(first, second, strict=True))  # ... but nothing is kept
    assert [it.key for it in first] == [f"images/default/{n}" for n in ("one.png", "two.png", "three.png")]
    one = first[0]
    assert [(a.labels, a.shape) for a in one.annotations] == [
        (("cat",), Polygon(((1.0, 1.0), (10.0, 1.0), (10.0, 10.0)))),
        (("dog",), Polygon(((0.0, 0.0), (5.0, 0.0), (5.0, 5.0))))]  # file order within an image
    assert first[1].annotations == [] and first[1].width == 40
    assert items[0] == one and items[-1] == first[2] and items[1:] == first[1:]
    with pytest.raises(IndexError):
        items[3]


def test_problems_are_complete_before_any_item_is_asked_for(tmp_path: Path) -> None:
    annotations = [_polygon(1, 2, [-5, 1, 10, 1, 10, 10]), _polygon(2, 2, [1, 1, 2, 2], 7)]
    _folder(tmp_path, {"images": _images(), "annotations": annotations, "categories": CATEGORIES})
    dataset = CocoReader().read(tmp_path)
    messages = sorted((p.severity, p.item, p.message) for p in dataset.problems if p.item)
    assert messages == [
        ("warning", "images/default/two.png", "annotation id 1: polygon part 0 extends outside the 40x30 image; "
                                              "clipped"),
        ("warning", "images/default/two.png", "annotation id 2: polygon part 0 has 4 coordinates, fewer than 3 "
                                              "points; dropped"),
    ]
    two = dataset.items[1]
    # cut at the image's left edge (sc_importers.geometry.clip), not clamped onto it
    assert [a.shape for a in two.annotations] == [Polygon(((0.0, 4.0), (0.0, 1.0), (10.0, 1.0), (10.0, 10.0)))]
    list(dataset.items)
    assert len(dataset.problems) == 3  # (and "dog" is unused); walking the items adds nothing


def test_malformed_records_give_per_item_problems(tmp_path: Path) -> None:
    """Records the typed decode cannot take (an annotation or image that is not an object) and values
    of the wrong type fall back to tolerant decoding: each is a problem of its own, the rest is read."""
    images = [*_images(), 17]
    annotations = [
        "not an object",
        _polygon(2, 1, [1, "a", 10, 1, 10, 10]),
        {"id": 3, "image_id": 1, "category_id": 3, "bbox": ["x", 1, 2, 3]},
        {"id": 4, "image_id": 2, "category_id": "3", "bbox": [1, 1, 2, 3]},
        {"id": 5, "image_id": [2], "category_id": 3, "bbox": [1, 1, 2, 3]},
        {"id": 6, "image_id": 3, "category_id": 7, "bbox": [1, 1, 2, 3]},
    ]
    json_file = _folder(tmp_path, {"images": images, "annotations": annotations, "categories": CATEGORIES})
    dataset = CocoReader().read(tmp_path)
    found = {(p.severity, p.item, p.message) for p in dataset.problems}
    assert found == {
        ("error", None, "annotation #0 is not an object"),
        ("error", "image id [2]", "annotation id 5 refers to unknown image id [2]; dropped"),
        ("error", "image id ?", "image #3 has no file_name"),
        ("error", "images/default/one.png", "annotation id 2: polygon part 0 must be a flat list of numbers "
                                            "[x1, y1, x2, y2, ...]"),
        ("error", "images/default/one.png", "annotation id 3: bbox must be 4 numbers [x, y, width, height], "
                                            "got ['x', 1, 2, 3]"),
        ("error", "images/default/two.png", "annotation id 4: unknown category id '3'; dropped"),
        ("warning", None, "1 category has no annotation and is still created as label(s): cat"),
    }
    assert all(p.file == str(json_file) for p in dataset.problems if p.item)
    assert [[a.shape for a in it.annotations] for it in dataset.items] == [[], [], [Rectangle(1, 1, 2, 3)]]


def test_nan_and_infinity_literals_are_read_as_python_json_reads_them(tmp_path: Path) -> None:
    text = json.dumps({"images": _images(1), "categories": CATEGORIES, "annotations": [
        {"id": 1, "image_id": 1, "category_id": 3, "bbox": [float("nan"), 1, 2, 3]},
        _polygon(2, 1, [1, 1, float("inf"), 1, 10, 10])]})
    assert "NaN" in text and "Infinity" in text
    _folder(tmp_path, text, names=("one.png",))
    dataset = CocoReader().read(tmp_path)
    assert sorted(p.message for p in dataset.problems) == [
        "annotation id 1: bbox [nan, 1, 2, 3] has a coordinate that is not a finite number (NaN or infinity)",
        "annotation id 2: polygon part 0 has a coordinate that is not a finite number (NaN or infinity)"]
    assert dataset.items[0].annotations == []


@pytest.mark.parametrize(("text", "where"), [
    ('{"images": [\n  {"id": 1}\n  {"id": 2}]}', "expected ',' or ']' at line 3, column 3 (byte 27)"),
    ('{"images": [{"id": 1, "file_name": "one.png"}',
     "the file ends before the JSON does at line 1, column 46 (byte 45)"),
    ("", "the file is empty at line 1, column 1 (byte 0)"),
])
def test_bad_json_names_the_file_line_column_and_byte(tmp_path: Path, text: str, where: str) -> None:
    json_file = _folder(tmp_path, text, names=())
    with pytest.raises(FormatError) as info:
        CocoReader().read(json_file)
    message = str(info.value)
    assert message.startswith(f"{json_file}: not valid JSON: ") and where in message, message


def test_label_options_keep_the_items_lazy(tmp_path: Path) -> None:
    annotations = [_polygon(1, 1, [1, 1, 10, 1, 10, 10]), _polygon(2, 3, [2, 2, 20, 2, 20, 20], 7)]
    _folder(tmp_path, {"images": _images(), "annotations": annotations, "categories": CATEGORIES})
    dataset = CocoReader().read(tmp_path)
    as_list = dataset.__class__(**{**dataset.__dict__, "items": list(dataset.items)})
    assert apply_label_options(dataset, None, {}).items is dataset.items  # nothing to change: the same sequence
    for keep, label_map in ((None, {"cat": "feline"}), (["dog"], {}), (["feline"], {"cat": "feline"})):
        lazy = apply_label_options(dataset, keep, label_map).items
        eager = apply_label_options(as_list, keep, label_map).items
        assert not isinstance(lazy, list) and len(lazy) == len(eager)
        assert list(lazy) == eager and list(lazy) == list(lazy)
        assert [lazy[n] for n in range(len(lazy))] == eager


def test_items_of_several_files_index_across_them(tmp_path: Path) -> None:
    """train + val json: one sequence, indexable across the files, equal to its iteration."""
    (tmp_path / "annotations").mkdir()
    for split, names in (("train", ("a.png", "b.png")), ("val", ("c.png",))):
        (tmp_path / "images" / split).mkdir(parents=True)
        images = []
        for n, name in enumerate(names):
            Image.new("RGB", (40, 30)).save(tmp_path / "images" / split / name)
            images.append({"id": n + 1, "file_name": name, "width": 40, "height": 30})
        annotations = [_polygon(1, len(names), [1, 1, 10, 1, 10, 10], 7 if split == "val" else 3)]
        (tmp_path / "annotations" / f"instances_{split}.json").write_text(
            json.dumps({"images": images, "annotations": annotations, "categories": CATEGORIES}))
    items = CocoReader().read(tmp_path).items
    assert len(items) == 3 and [items[n] for n in range(3)] == list(items) == items[-3:]
    assert [it.key for it in items] == ["images/train/a.png", "images/train/b.png", "images/val/c.png"]
    assert [[a.labels for a in it.annotations] for it in items] == [[], [("cat",)], [("dog",)]]


def test_label_use_is_answered_from_the_packed_rows_as_a_walk_gives_it(tmp_path: Path) -> None:
    """Which labels shapes use and which only image-level annotations use, without building an item
    (the plan of a project reads it: a walk over 118,000 items costs 1.7 s)."""
    categories = [*CATEGORIES, {"id": 9, "name": "bird"}, {"id": 11, "name": "unused"}]
    label = {"id": 20, "image_id": 2, "category_id": 9}  # no bbox, no segmentation: an image-level label
    _folder(tmp_path, {"images": _images(), "categories": categories, "annotations": [
        _polygon(1, 1, [1, 1, 20, 1, 20, 20]), _polygon(2, 3, [2, 2, 9, 2, 9, 9], category_id=7),
        label, {**label, "id": 21, "image_id": 3, "category_id": 3}]})
    dataset = CocoReader().read(tmp_path)
    assert isinstance(dataset.items, CocoItems)
    walked = Dataset(dataset.name, dataset.format, dataset.root, items=list(dataset.items)).label_use()
    assert dataset.label_use() == walked == ({"cat", "dog"}, {"bird", "cat"})
