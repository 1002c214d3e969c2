"""The labelme reader on labelme's own examples; expected counts come from the same files via plain json."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from sc_importers_labelme import LabelmeReader

from sc_importers import plugins
from sc_importers.model import Polygon, Rectangle

EXAMPLES = "labelme-examples/examples"
RESERVED = {"__ignore__", "_background_"}
SHAPE_NAMES = {"rectangle": "RECTANGLE", "polygon": "POLYGON", "circle": "ELLIPSE"}


def _expected(folder: Path) -> tuple[int, Counter, int]:
    """(json files, (label, shape type) counts of importable shapes, shapes with reserved labels)."""
    files = sorted(folder.glob("*.json"))
    counts: Counter = Counter()
    reserved = 0
    for path in files:
        data = json.loads(path.read_text())
        for shape in data["shapes"]:
            if shape["label"] in RESERVED:
                reserved += 1
            else:
                counts[(shape["label"], SHAPE_NAMES[shape["shape_type"]])] += 1
        for flag, value in data["flags"].items():
            if value and flag not in RESERVED:
                counts[(flag, "IMAGE")] += 1
    return len(files), counts, reserved


@pytest.mark.parametrize(
    ("example", "images", "shapes", "kind"),
    [
        ("bbox_detection", 3, 9, "RECTANGLE"),
        ("instance_segmentation", 3, 18, "POLYGON"),
        ("semantic_segmentation", 3, 18, "POLYGON"),
        ("video_annotation", 5, 15, "POLYGON"),
    ],
)
def test_shape_examples_match_the_files(shared, example: str, images: int, shapes: int, kind: str) -> None:
    folder = shared.datasets(f"{EXAMPLES}/{example}/data_annotated")
    files, expected, reserved = _expected(folder)
    assert (files, sum(expected.values()) + reserved) == (images, shapes)  # the counts SOURCE.txt gives
    assert LabelmeReader().detect(folder).confidence == 0.9
    dataset = LabelmeReader().read(folder)
    assert len(dataset.items) == images
    assert all(item.path.is_file() and item.key == item.path.name for item in dataset.items)
    assert dataset.annotation_counts() == expected
    assert {shape for _, shape in expected} == {kind}
    assert dataset.errors == []
    ignored = [p for p in dataset.problems if "__ignore__" in p.message]
    assert len(ignored) == (1 if reserved else 0)
    if reserved:
        assert f"{reserved} shape(s)" in ignored[0].message
    listed = [line for line in (folder.parent / "labels.txt").read_text().splitlines() if line not in RESERVED]
    assert [label.name for label in dataset.labels] == listed
    assert all(label.group is None for label in dataset.labels)


def test_rectangles_in_pixels_with_corners_normalised(shared) -> None:
    folder = shared.datasets(f"{EXAMPLES}/bbox_detection/data_annotated")
    data = json.loads((folder / "2011_000006.json").read_text())
    item = next(i for i in LabelmeReader().read(folder).items if i.key == "2011_000006.jpg")
    assert (item.width, item.height) == (data["imageWidth"], data["imageHeight"]) == (500, 375)
    assert len(item.annotations) == len(data["shapes"]) == 4
    for ann, shape in zip(item.annotations, data["shapes"], strict=True):
        (x1, y1), (x2, y2) = shape["points"]
        assert ann.labels == (shape["label"],)
        assert ann.shape == Rectangle(min(x1, x2), min(y1, y2), abs(x2 - x1), abs(y2 - y1))


def test_polygons_in_pixels_and_clipped_at_the_border(shared) -> None:
    folder = shared.datasets(f"{EXAMPLES}/instance_segmentation/data_annotated")
    data = json.loads((folder / "2011_000025.json").read_text())
    dataset = LabelmeReader().read(folder)
    item = next(i for i in dataset.items if i.key == "2011_000025.jpg")
    first = data["shapes"][0]
    assert item.annotations[0].labels == (first["label"],)
    assert item.annotations[0].shape == Polygon(tuple((float(x), float(y)) for x, y in first["points"]))
    # 2011_000006: the chair polygon (shape 3) reaches past the 500x375 image
    chair = json.loads((folder / "2011_000006.json").read_text())["shapes"][3]
    assert chair["label"] == "chair" and max(y for _, y in chair["points"]) > 375
    (clipped,) = [p for p in dataset.problems if "clipped" in p.message]
    assert clipped.severity == "warning" and clipped.item == "2011_000006.jpg"
    assert clipped.file == str(folder / "2011_000006.json") and "shape 3 (polygon 'chair')" in clipped.message
    for it in dataset.items:
        for ann in it.annotations:
            assert all(0 <= x <= it.width and 0 <= y <= it.height for x, y in ann.shape.points)


def test_group_ids_stay_separate_polygons(shared) -> None:
    folder = shared.datasets(f"{EXAMPLES}/instance_segmentation/data_annotated")
    data = json.loads((folder / "2011_000006.json").read_text())
    grouped = [s for s in data["shapes"] if s["group_id"] is not None]
    assert len(grouped) == 4 and {s["label"] for s in grouped} == {"sofa"}
    item = next(i for i in LabelmeReader().read(folder).items if i.key == "2011_000006.jpg")
    assert sum(1 for a in item.annotations if a.labels == ("sofa",)) == 4


def test_classification_flags_are_multi_label(shared) -> None:
    folder = shared.datasets(f"{EXAMPLES}/classification/data_annotated")
    files, expected, _ = _expected(folder)
    dataset = LabelmeReader().read(folder)
    assert len(dataset.items) == files == 2
    assert dataset.annotation_counts() == expected == Counter({("cat", "IMAGE"): 1, ("dog", "IMAGE"): 1})
    for item in dataset.items:
        flags = json.loads((folder / f"{item.path.stem}.json").read_text())["flags"]
        assert [a.labels for a in item.annotations] == [(n,) for n, v in flags.items() if v and n not in RESERVED]
        assert all(a.shape is None for a in item.annotations)
    flag_names = [n for n in (folder.parent / "flags.txt").read_text().split() if n not in RESERVED]
    assert [(lb.name, lb.group) for lb in dataset.labels] == [(n, f"flags: {n}") for n in flag_names]
    assert dataset.problems == []


def test_example_root_reads_data_annotated_and_names_the_coco_export(shared) -> None:
    root = shared.datasets(f"{EXAMPLES}/instance_segmentation")
    assert LabelmeReader().detect(root).confidence == 0.9
    dataset = LabelmeReader().read(root)
    assert sorted(i.key for i in dataset.items) == sorted(
        f"data_annotated/{p.stem}.jpg" for p in (root / "data_annotated").glob("*.json"))
    (skipped,) = [p for p in dataset.problems if "not labelme annotations" in p.message]
    assert "data_dataset_coco/annotations.json" in skipped.message


def test_other_formats_are_not_claimed(shared) -> None:
    assert LabelmeReader().detect(shared.datasets(f"{EXAMPLES}/instance_segmentation/data_dataset_coco")
                                  ).confidence == 0
    assert LabelmeReader().detect(shared.datasets(f"{EXAMPLES}/bbox_detection/data_dataset_voc")).confidence == 0


def test_registered_through_the_entry_point(monkeypatch) -> None:
    monkeypatch.setenv("SC_IMPORTERS_PLUGINS", "labelme")
    plugins.reset()
    try:
        assert isinstance(plugins.format_readers()["labelme"], LabelmeReader)
    finally:
        plugins.reset()

