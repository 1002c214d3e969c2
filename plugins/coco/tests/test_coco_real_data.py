"""The coco reader on real/published COCO files; expected counts come from the same json via plain json."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from pycocotools import mask as mask_utils
from sc_importers_coco import CocoReader

from sc_importers import plugins
from sc_importers.formats import FormatError
from sc_importers.model import Polygon

COCO_ASSETS = "datumaro-test-assets/assets/coco_dataset"


def _expected(json_files: list[Path]) -> tuple[Counter, int, float]:
    """(label, shape type) counts without RLE masks, the number of images, the RLE mask area."""
    counts: Counter = Counter()
    images = 0
    rle_area = 0.0
    for path in json_files:
        data = json.loads(path.read_text())
        names = {c["id"]: c["name"] for c in data["categories"]}
        images += len(data["images"])
        image_labels = set()
        for ann in data["annotations"]:
            name = names[ann["category_id"]]
            seg = ann.get("segmentation")
            if isinstance(seg, dict):
                rle = mask_utils.frPyObjects(seg, *seg["size"]) if isinstance(seg["counts"], list) else seg
                rle_area += float(mask_utils.area(rle))
            elif seg:
                counts[(name, "POLYGON")] += len(seg)
            elif ann.get("bbox"):
                counts[(name, "RECTANGLE")] += 1
            else:
                image_labels.add((ann["image_id"], name))
        for _, name in image_labels:
            counts[(name, "IMAGE")] += 1
    return counts, images, rle_area


def _read_and_compare(root: Path, json_files: list[Path]):
    """Read ``root``; check the item count and that polygons traced from RLE masks have the masks' area."""
    dataset = CocoReader().read(root)
    expected, images, rle_area = _expected(json_files)
    assert len(dataset.items) == images
    assert all(item.path.is_file() for item in dataset.items)
    polygons_from_rle = [
        a.shape for item in dataset.items for a in item.annotations
        if isinstance(a.shape, Polygon) and not _is_listed_polygon(a.shape, json_files)
    ]
    assert sum(p.area for p in polygons_from_rle) == pytest.approx(rle_area)
    return dataset, expected, dataset.annotation_counts(), polygons_from_rle


def _is_listed_polygon(shape: Polygon, json_files: list[Path]) -> bool:
    flat = [c for point in shape.points for c in point]
    for path in json_files:
        for ann in json.loads(path.read_text())["annotations"]:
            seg = ann.get("segmentation")
            if isinstance(seg, list) and any([float(v) for v in part] == flat for part in seg):
                return True
    return False


@pytest.mark.parametrize(
    ("variant", "pattern"),
    [
        ("coco_instances", "annotations/instances_*.json"),
        ("mmdet_coco", "annotations/instances_*.json"),
        ("coco_roboflow", "*/_annotations.coco.json"),
        ("coco_person_keypoints", "annotations/person_keypoints_*.json"),
        ("coco_stuff", "annotations/stuff_*.json"),
        ("coco_labels", "annotations/labels_*.json"),
        ("coco_image_info", "annotations/image_info_*.json"),
    ],
)
def test_datumaro_coco_variants(shared, variant: str, pattern: str) -> None:
    root = shared.datasets(f"{COCO_ASSETS}/{variant}")
    json_files = sorted(root.glob(pattern))
    assert len(json_files) == 2  # train + val, both read into one dataset
    assert CocoReader().detect(root).confidence >= 0.8
    dataset, expected, got, from_rle = _read_and_compare(root, json_files)
    rle_labels = Counter()
    traced = set(from_rle)  # items are built anew on each pass: equal polygons, not the same objects
    for item in dataset.items:
        for a in item.annotations:
            if a.shape in traced:
                rle_labels[(a.labels[0], "POLYGON")] += 1
    assert got - rle_labels == expected
    assert len({item.key for item in dataset.items}) == len(dataset.items)
    categories = {c["name"] for f in json_files for c in json.loads(f.read_text())["categories"]}
    assert {label.name for label in dataset.labels} == categories
    assert dataset.errors == []


def test_non_contiguous_category_ids_and_sizes_from_json(shared) -> None:
    root = shared.datasets(f"{COCO_ASSETS}/coco_instances")
    dataset = CocoReader().read(root)
    by_key = {item.key: item for item in dataset.items}
    # instances_train.json: image 5 (10x5), one box of category id 2 ("b"); ids are 1, 2, 4
    train = by_key["images/train/a.jpg"]
    assert (train.width, train.height) == (10, 5)
    assert [(a.labels, a.shape.x, a.shape.y, a.shape.width, a.shape.height) for a in train.annotations] == [
        (("b",), 2.0, 2.0, 3.0, 1.0)
    ]
    assert [label.name for label in dataset.labels] == ["a", "b", "c"]
    assert all(label.group is None and label.color is None for label in dataset.labels)
    unused = [p for p in dataset.problems if "no annotation" in p.message]
    assert len(unused) == 1 and "c" in unused[0].message


def test_full_coco_folder_reads_instances_and_names_the_rest(shared) -> None:
    root = shared.datasets(f"{COCO_ASSETS}/coco")
    dataset = CocoReader().read(root)
    instances = sorted(root.glob("annotations/instances_*.json"))
    expected, images, _ = _expected(instances)
    assert len(dataset.items) == images
    skipped = [p for p in dataset.problems if "not read" in p.message]
    assert len(skipped) == 1
    for other in sorted(root.glob("annotations/*.json")):
        assert (other.name in skipped[0].message) == (not other.name.startswith("instances_"))
    only_keypoints = CocoReader().read(root, annotation_file="annotations/person_keypoints_val.json")
    assert [item.key for item in only_keypoints.items] == ["images/val/b.jpg"]


@pytest.mark.parametrize("variant", ["coco_panoptic", "coco_captions"])
def test_panoptic_and_captions_are_not_claimed(shared, variant: str) -> None:
    root = shared.datasets(f"{COCO_ASSETS}/{variant}")
    assert CocoReader().detect(root).confidence < 0.5
    with pytest.raises(FormatError, match="panoptic/captions"):
        CocoReader().read(root)
    panoptic_json = shared.datasets(f"{COCO_ASSETS}/coco_panoptic/annotations/panoptic_val.json")
    assert CocoReader().detect(panoptic_json).confidence < 0.5


def test_labelme_coco_export_with_subfolder_file_names(shared) -> None:
    root = shared.datasets("labelme-examples/examples/instance_segmentation/data_dataset_coco")
    json_file = root / "annotations.json"
    data = json.loads(json_file.read_text())
    assert CocoReader().detect(root).confidence >= 0.5
    assert CocoReader().detect(json_file).confidence >= 0.5
    dataset = CocoReader().read(root)
    assert sorted(item.key for item in dataset.items) == sorted(img["file_name"] for img in data["images"])
    assert all(item.key.startswith("JPEGImages/") and item.path.is_file() for item in dataset.items)
    expected, _, _ = _expected([json_file])
    assert dataset.annotation_counts() == expected
    assert sum(expected.values()) > len(data["annotations"])  # some annotations are multi-part polygons
    assert [label.name for label in dataset.labels] == [c["name"] for c in data["categories"]]
    assert dataset.errors == []
    # one polygon of 2011_000006 reaches past the image border: clipped, with a warning naming it
    clipped = [p for p in dataset.problems if "clipped" in p.message]
    assert clipped and all(p.file == str(json_file) and p.item for p in clipped)
    for item in dataset.items:
        for a in item.annotations:
            xs = [x for x, _ in a.shape.points]
            ys = [y for _, y in a.shape.points]
            assert 0 <= min(xs) and max(xs) <= item.width and 0 <= min(ys) and max(ys) <= item.height


def test_mmpose_person_keypoints(shared) -> None:
    folder = shared.datasets("mmpose-tests-keypoints/tests/data/coco")
    with pytest.raises(FormatError) as info:
        CocoReader().read(folder)
    for name in ("test_coco.json", "test_coco_wholebody.json"):
        assert name in str(info.value)
    json_file = folder / "test_coco.json"
    data = json.loads(json_file.read_text())
    dataset = CocoReader().read(folder, annotation_file="test_coco.json")
    direct = CocoReader().read(json_file)
    assert [i.key for i in direct.items] == [i.key for i in dataset.items]
    assert len(dataset.items) == len(data["images"])
    expected, _, _ = _expected([json_file])
    assert dataset.annotation_counts() == expected
    keypoint_warnings = [p for p in dataset.problems if "keypoints" in p.message]
    assert len(keypoint_warnings) == 1 and "test_coco.json" in keypoint_warnings[0].file
    assert dataset.errors == []


def test_registered_through_the_entry_point(monkeypatch) -> None:
    monkeypatch.setenv("SC_IMPORTERS_PLUGINS", "coco")
    plugins.reset()
    try:
        readers = plugins.format_readers()
        assert isinstance(readers["coco"], CocoReader)
        assert set(readers["coco"].options) >= {"annotation_file", "images_dir", "crowd"}
    finally:
        plugins.reset()


def test_posetrack18_coco_json_under_another_name_in_annotations(shared) -> None:
    """annotations/ holds test_posetrack18_val.json (COCO keys) and a detections list: the one
    COCO-shaped file is found and read; 14 person boxes on 3 images, as in the raw JSON."""
    import json

    from sc_importers.plugins import format_readers

    root = shared.datasets("mmpose-tests-keypoints/tests/data/posetrack18")
    reader = format_readers()["coco"]
    assert reader.detect(root).confidence >= 0.8
    dataset = reader.read(root)
    raw = json.loads((root / "annotations" / "test_posetrack18_val.json").read_text())
    with_box = [a for a in raw["annotations"] if a.get("bbox")]
    assert len(dataset.items) == len({a["image_id"] for a in raw["annotations"]}) == 3
    assert sum(len(i.annotations) for i in dataset.items) == len(with_box) == 14
