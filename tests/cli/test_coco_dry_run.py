"""``sc-import --dry-run --json`` on a real COCO dataset: the report's counts match pycocotools."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from click.testing import CliRunner
from pycocotools.coco import COCO

from sc_importers import plugins
from sc_importers.cli.import_cmd import build_command


@pytest.fixture
def coco_only(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SC_IMPORTERS_PLUGINS", "coco")
    plugins.reset()
    yield
    plugins.reset()


def test_dry_run_json_counts_match_pycocotools(shared, coco_only) -> None:
    root = shared.datasets("labelme-examples/examples/instance_segmentation/data_dataset_coco")
    coco = COCO(str(root / "annotations.json"))
    anns = coco.loadAnns(coco.getAnnIds())
    # SC has no multi-part polygons: each polygon part of a COCO annotation becomes one polygon
    parts_per_label: Counter[str] = Counter()
    for ann in anns:
        name = coco.loadCats(ann["category_id"])[0]["name"]
        parts_per_label[name] += sum(1 for part in ann["segmentation"] if len(part) >= 6)

    result = CliRunner().invoke(build_command(), [str(root), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)

    assert report["format"] == "coco"
    assert report["media"]["total"] == len(coco.getImgIds()) == 3
    assert report["media"]["images"] == 3 and report["media"]["unannotated"] == 0
    assert set(report["labels"]["found"]) == {c["name"] for c in coco.loadCats(coco.getCatIds())}
    per_label = {label: shapes for label, shapes in report["annotations"]["per_label"].items()}
    assert per_label == {name: {"POLYGON": n} for name, n in parts_per_label.items()}
    assert report["annotations"]["total"] == sum(parts_per_label.values()) == 16
    assert len(anns) == 12
    assert report["problems"]["errors"] == 0
