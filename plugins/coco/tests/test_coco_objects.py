"""A COCO annotation is one object however many parts it is drawn in: one box for detection,
one box with every part inside it for detection_to_segmentation, every part for segmentation.

Expected numbers come from the raw json. Before, each polygon part became a box of its own
(mmpose's test_coco.json: 17 boxes for 14 persons; labelme's COCO export: 16 boxes for 12 objects).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils
from sc_importers_coco import CocoReader

from sc_importers import plugins
from sc_importers.model import Dataset, Polygon, Rectangle
from sc_importers.project_types.base import BuildOptions


def _convert(type_name: str, dataset: Dataset) -> list:
    builder = plugins.project_types()[type_name]
    plan = builder.plan(dataset, BuildOptions())
    return [builder.convert(item, item.annotations, plan, BuildOptions()) for item in dataset.items]


def _inside(points, box: Rectangle, tol: float = 1e-9) -> bool:
    return all(box.x - tol <= x <= box.x + box.width + tol and box.y - tol <= y <= box.y + box.height + tol
               for x, y in points)


def _polygon_annotations(json_file: Path) -> dict[str, list[dict]]:
    """Raw COCO annotations with a polygon segmentation, per image file name, in file order."""
    data = json.loads(json_file.read_text())
    names = {img["id"]: img["file_name"] for img in data["images"]}
    out: dict[str, list[dict]] = {name: [] for name in names.values()}
    for ann in data["annotations"]:
        if isinstance(ann.get("segmentation"), list) and ann["segmentation"]:
            out[names[ann["image_id"]]].append(ann)
    return out


def _raw_union(ann: dict, width: float, height: float) -> tuple[float, float, float, float]:
    """Box around every part of the raw polygon, clipped to the image as the reader clips."""
    xs = [min(max(v, 0.0), width) for part in ann["segmentation"] for v in part[0::2]]
    ys = [min(max(v, 0.0), height) for part in ann["segmentation"] for v in part[1::2]]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def test_synthetic_multi_part_polygon_and_crowd_mask_are_one_object_each(tmp_path: Path) -> None:
    h, w = 100, 200
    mask = np.zeros((h, w), dtype=bool)
    mask[10:20, 120:130] = True
    mask[60:90, 160:190] = True  # two components: traced into two polygons
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    Image.new("RGB", (w, h)).save(tmp_path / "img.png")
    two_parts = [[10, 10, 30, 10, 30, 60, 10, 60], [40, 20, 70, 20, 70, 80]]
    coco = {
        "images": [{"id": 1, "file_name": "img.png", "width": w, "height": h}],
        "categories": [{"id": 1, "name": "person"}],
        "annotations": [  # the same "id" twice: still two objects
            {"id": 7, "image_id": 1, "category_id": 1, "segmentation": two_parts, "bbox": [10, 10, 60, 70]},
            {"id": 7, "image_id": 1, "category_id": 1, "segmentation": two_parts, "bbox": [10, 10, 60, 70]},
            {"id": 8, "image_id": 1, "category_id": 1, "segmentation": [[80, 10, 100, 10, 90, 30]]},
            {"id": 9, "image_id": 1, "category_id": 1, "iscrowd": 1,
             "segmentation": {"counts": rle["counts"].decode(), "size": [h, w]}},
        ],
    }
    (tmp_path / "coco.json").write_text(json.dumps(coco))
    dataset = CocoReader().read(tmp_path)
    ids = [a.object_id for a in dataset.items[0].annotations]
    assert len(ids) == 7 and ids[0] == ids[1] and ids[2] == ids[3] and ids[5] == ids[6]
    assert ids[4] is None and len({ids[0], ids[2], ids[5]}) == 3

    (boxes,) = _convert("detection", dataset)
    assert [a.shape for a in boxes] == [Rectangle(10, 10, 60, 70), Rectangle(10, 10, 60, 70),
                                        Rectangle(80, 10, 20, 20), Rectangle(120, 10, 70, 80)]
    (polygons,) = _convert("segmentation", dataset)
    assert len(polygons) == 7
    (chain,) = _convert("detection_to_segmentation", dataset)
    assert [a.shape for a in chain if isinstance(a.shape, Rectangle)] == [a.shape for a in boxes]
    assert sum(isinstance(a.shape, Polygon) for a in chain) == 7


@pytest.mark.parametrize("folder, annotation_file, objects, parts", [
    ("mmpose-tests-keypoints/tests/data/coco", "test_coco.json", 14, 17),
    ("labelme-examples/examples/instance_segmentation/data_dataset_coco", "annotations.json", 12, 16),
])
def test_real_coco_detection_gives_one_box_per_annotation(shared, folder, annotation_file, objects, parts) -> None:
    root = shared.datasets(folder)
    raw = _polygon_annotations(root / annotation_file)
    assert sum(len(a) for a in raw.values()) == objects
    assert sum(len(ann["segmentation"]) for a in raw.values() for ann in a) == parts
    dataset = CocoReader().read(root, annotation_file=annotation_file)

    for item, boxes in zip(dataset.items, _convert("detection", dataset), strict=True):
        anns = raw[next(name for name in raw if name.split("/")[-1] == item.path.name)]
        assert len(boxes) == len(anns), item.key
        for box, ann in zip(boxes, anns, strict=True):
            # the union of the parts; COCO's bbox agrees within labelme's whole-pixel rounding
            assert (box.shape.x, box.shape.y, box.shape.width, box.shape.height) == pytest.approx(
                _raw_union(ann, item.width, item.height))
            assert (box.shape.x, box.shape.y) == pytest.approx(tuple(ann["bbox"][:2]), abs=1.0)
    assert sum(len(b) for b in _convert("detection", dataset)) == objects
    assert sum(len(s) for s in _convert("segmentation", dataset)) == parts

    chains = _convert("detection_to_segmentation", dataset)
    for item, chain in zip(dataset.items, chains, strict=True):
        box = None
        for ann in chain:  # each object's box comes first, then its parts: all inside that box
            if ann.labels == ("object",):
                box = ann.shape
            else:
                assert box is not None and _inside(ann.shape.points, box), item.key
    assert sum(1 for c in chains for a in c if a.labels == ("object",)) == objects
    assert sum(1 for c in chains for a in c if a.labels != ("object",)) == parts
