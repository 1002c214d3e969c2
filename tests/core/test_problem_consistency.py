"""The same kind of problem gets the same severity, similar words and one report in every reader.

One small dataset per reader (labelme, YOLO, COCO, flat VOC through datumaro) holds the same cases:
``a`` has a box partly outside its 100x80 image, one entirely outside and one of zero area; ``b`` is
not an image file. Reader problems and :func:`validate` together must say each thing exactly once,
and an error about an item must name it by its key, since that is what the dry-run report and the
uploader skip by.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from sc_importers import plugins
from sc_importers.model import Dataset, Problem
from sc_importers.validation import skipped_items, validate

WIDTH, HEIGHT = 100, 80
#: x1, y1, x2, y2 in pixels: partly outside, entirely outside, zero width.
BOXES = [(90, 70, 120, 90), (200, 200, 300, 300), (5, 5, 5, 30)]


def _image(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (WIDTH, HEIGHT)).save(path)


def _not_an_image(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not an image")


def _labelme(root: Path) -> None:
    _image(root / "a.jpg")
    _not_an_image(root / "b.jpg")
    for name, boxes in (("a", BOXES), ("b", [(1, 1, 20, 20)])):
        shapes = [{"label": "cat", "points": [[x1, y1], [x2, y2]], "shape_type": "rectangle", "group_id": None,
                   "flags": {}} for x1, y1, x2, y2 in boxes]
        (root / f"{name}.json").write_text(json.dumps({
            "version": "5.0.0", "flags": {}, "shapes": shapes, "imagePath": f"{name}.jpg", "imageData": None,
            "imageHeight": HEIGHT, "imageWidth": WIDTH}))


def _yolo(root: Path) -> None:
    _image(root / "images" / "a.jpg")
    _not_an_image(root / "images" / "b.jpg")
    (root / "labels").mkdir(parents=True)
    lines = [f"0 {(x1 + x2) / 2 / WIDTH} {(y1 + y2) / 2 / HEIGHT} {(x2 - x1) / WIDTH} {(y2 - y1) / HEIGHT}"
             for x1, y1, x2, y2 in BOXES]
    (root / "labels" / "a.txt").write_text("\n".join(lines) + "\n")
    (root / "labels" / "b.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    (root / "data.yaml").write_text("path: .\ntrain: images\nnames: {0: cat}\n")


def _coco(root: Path) -> None:
    _image(root / "images" / "a.jpg")
    _not_an_image(root / "images" / "b.jpg")
    anns = [{"id": i + 1, "image_id": 1, "category_id": 1, "bbox": [x1, y1, x2 - x1, y2 - y1], "iscrowd": 0}
            for i, (x1, y1, x2, y2) in enumerate(BOXES)]
    anns.append({"id": 9, "image_id": 2, "category_id": 1, "bbox": [1, 1, 19, 19], "iscrowd": 0})
    (root / "annotations").mkdir(parents=True)
    (root / "annotations" / "instances_default.json").write_text(json.dumps({
        "images": [{"id": 1, "file_name": "a.jpg", "width": WIDTH, "height": HEIGHT},
                   {"id": 2, "file_name": "b.jpg", "width": WIDTH, "height": HEIGHT}],
        "categories": [{"id": 1, "name": "cat"}], "annotations": anns}))


def _flat_voc(root: Path) -> None:
    _image(root / "images" / "a.jpg")
    _not_an_image(root / "images" / "b.jpg")
    (root / "annotations").mkdir(parents=True)
    for name, boxes in (("a", BOXES), ("b", [(1, 1, 20, 20)])):
        objects = "".join(f"<object><name>cat</name><bndbox><xmin>{x1}</xmin><ymin>{y1}</ymin><xmax>{x2}</xmax>"
                          f"<ymax>{y2}</ymax></bndbox></object>" for x1, y1, x2, y2 in boxes)
        (root / "annotations" / f"{name}.xml").write_text(
            f"<annotation><filename>{name}.jpg</filename><size><width>{WIDTH}</width><height>{HEIGHT}</height>"
            f"<depth>3</depth></size>{objects}</annotation>")


BUILDERS: dict[str, Callable[[Path], None]] = {"labelme": _labelme, "yolo": _yolo, "coco": _coco, "datumaro": _flat_voc}


def _read(reader: str, tmp_path: Path) -> tuple[Dataset, list[Problem]]:
    root = tmp_path / reader
    BUILDERS[reader](root)
    dataset = plugins.format_readers()[reader].read(root)
    return dataset, validate(dataset)


def _about(problems: list[Problem], *words: str) -> list[Problem]:
    return [p for p in problems if all(w in p.message for w in words)]


@pytest.mark.parametrize("reader", sorted(BUILDERS))
def test_shape_problems_have_one_severity_and_wording(reader: str, tmp_path: Path) -> None:
    dataset, problems = _read(reader, tmp_path)
    shown = [str(p) for p in problems]
    assert len(_about(problems, "extends outside", "clipped")) == 1, shown
    assert _about(problems, "extends outside")[0].severity == "warning"
    [outside] = _about(problems, "entirely outside")
    assert outside.severity == "error" and outside.message.endswith("dropped"), shown
    [zero] = _about(problems, "zero area")
    assert zero.severity == "warning" and zero.message.endswith("dropped"), shown
    assert len(shown) == len(set(shown)), f"a problem is reported twice: {shown}"


@pytest.mark.parametrize("reader", sorted(BUILDERS))
def test_item_errors_name_the_item_key_so_it_is_skipped(reader: str, tmp_path: Path) -> None:
    dataset, problems = _read(reader, tmp_path)
    keys = {Path(item.path).name: item.key for item in dataset.items}
    [outside] = _about(problems, "entirely outside")
    assert outside.item == keys["a.jpg"], (outside.item, keys)
    assert keys["a.jpg"] in skipped_items(problems)


@pytest.mark.parametrize("reader", sorted(BUILDERS))
def test_unreadable_image_is_reported_once(reader: str, tmp_path: Path) -> None:
    dataset, problems = _read(reader, tmp_path)
    about_b = [p for p in problems if p.severity == "error" and "b.jpg" in f"{p.file} {p.item} {p.message}"]
    assert len(about_b) == 1, [str(p) for p in problems]
