"""The coco reader holds at most one copy of the annotation file in memory (issue B1).

Peak Python allocations (tracemalloc) while reading a ~2.5 MB instances file must stay well below
twice the peak of a bare ``json.load`` of it: a second copy (e.g. a pycocotools index built next to
the parsed json) would double it.
"""

from __future__ import annotations

import io
import json
import random
import tracemalloc
from pathlib import Path

from PIL import Image
from sc_importers_coco import CocoReader

IMAGES, PER_IMAGE = 400, 10


def _coco_folder(root: Path) -> Path:
    """``annotations/instances_default.json`` with IMAGES x PER_IMAGE 12-point polygons, and 1x1 images."""
    (root / "annotations").mkdir(parents=True)
    (root / "images").mkdir()
    png = io.BytesIO()
    Image.new("RGB", (1, 1)).save(png, "PNG")
    rng = random.Random(0)
    images, annotations = [], []
    for image_id in range(1, IMAGES + 1):
        images.append({"id": image_id, "file_name": f"{image_id}.png", "width": 640, "height": 480})
        (root / "images" / f"{image_id}.png").write_bytes(png.getvalue())
        for k in range(PER_IMAGE):
            x, y = rng.uniform(0, 500), rng.uniform(0, 400)
            points = [v for _ in range(12) for v in (x + rng.uniform(0, 100), y + rng.uniform(0, 70))]
            annotations.append({"id": len(annotations) + 1, "image_id": image_id, "category_id": 1 + k % 3,
                                "iscrowd": 0, "bbox": [x, y, 100, 70], "area": 1.0, "segmentation": [points]})
    json_file = root / "annotations" / "instances_default.json"
    categories = [{"id": c, "name": f"c{c}"} for c in (1, 2, 3)]
    json_file.write_text(json.dumps({"images": images, "annotations": annotations, "categories": categories}))
    return json_file


def _peak(action) -> tuple[int, object]:
    tracemalloc.start()
    try:
        result = action()
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def test_read_peak_is_about_one_parsed_copy_of_the_json(tmp_path: Path) -> None:
    json_file = _coco_folder(tmp_path)
    json_peak, _ = _peak(lambda: json.loads(json_file.read_text()))
    read_peak, dataset = _peak(lambda: CocoReader().read(tmp_path))
    assert len(dataset.items) == IMAGES
    assert sum(len(item.annotations) for item in dataset.items) == IMAGES * PER_IMAGE
    assert read_peak < 1.5 * json_peak, (read_peak, json_peak)
