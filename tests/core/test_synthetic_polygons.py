"""The synthetic datasets (demo, tests, benchmarks) hold only simple polygons: the demo's first run showed
"polygon ... crosses itself" warnings about the project's own sample data."""

from __future__ import annotations

import json
from pathlib import Path

from shapely.geometry import Polygon

from sc_importers.synthetic import make_coco_dataset


def test_every_generated_polygon_is_simple(tmp_path: Path):
    make_coco_dataset(tmp_path / "d", 300, ["dog", "cat"], seed=1, image_size=(160, 120))
    coco = json.loads(next((tmp_path / "d").rglob("*.json")).read_text())
    crossing = [a["id"] for a in coco["annotations"]
                if not Polygon(list(zip(a["segmentation"][0][::2], a["segmentation"][0][1::2], strict=True))).is_valid]
    assert len(coco["annotations"]) > 300 and crossing == [], crossing
