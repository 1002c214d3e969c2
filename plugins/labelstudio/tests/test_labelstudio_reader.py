"""The labelstudio reader on a Label Studio JSON export built from the real raccoon photos and their
VOC boxes: uploaded images named ``<8 hex>-<name>`` under ``upload/1/``, values in percent, every
region type Label Studio writes for images. Expected pixels come from the VOC XML."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sc_importers.cli.import_cmd import build_command
from sc_importers.model import Polygon, Rectangle

STEMS = [f"raccoon-{i}" for i in range(1, 6)]


def encode_brush(mask: np.ndarray) -> list[int]:
    """Label Studio's brush RLE of ``mask`` (RGBA, alpha 255 inside): repeat runs only, 8-bit words."""
    values = np.zeros((*mask.shape, 4), dtype=np.uint8)
    values[mask] = 255
    flat = values.reshape(-1)
    bits = format(len(flat), "032b") + format(7, "05b") + "".join(format(s - 1, "04b") for s in (4, 8, 12, 16))
    i = 0
    while i < len(flat):
        j = i
        while j < len(flat) and flat[j] == flat[i] and j - i < 1 << 16:
            j += 1
        size = next(k for k, s in enumerate((4, 8, 12, 16)) if j - i - 1 < 1 << s)
        bits += "1" + format(size, "02b") + format(j - i - 1, f"0{(4, 8, 12, 16)[size]}b") + format(flat[i], "08b")
        i = j
    bits += "0" * (-len(bits) % 8)
    return [int(bits[k:k + 8], 2) for k in range(0, len(bits), 8)]


def _voc(raccoon: Path, stem: str) -> tuple[int, int, list[tuple[float, float, float, float]]]:
    root = ET.parse(raccoon / "annotations" / f"{stem}.xml").getroot()
    w, h = int(root.findtext("size/width")), int(root.findtext("size/height"))
    boxes = [tuple(float(b.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax")) for b in root.iter("bndbox")]
    return w, h, boxes


def make_export(raccoon: Path, folder: Path) -> Path:
    """export.json + upload/1/<hex>-<name>.jpg; raccoon-5 is listed but not on disk."""
    (folder / "upload" / "1").mkdir(parents=True)
    tasks = []
    for n, stem in enumerate(STEMS, 1):
        upload_name = f"{n:08x}-{stem}.jpg"
        if stem != "raccoon-5":
            shutil.copy(raccoon / "images" / f"{stem}.jpg", folder / "upload" / "1" / upload_name)
        w, h, boxes = _voc(raccoon, stem)
        result = [{"id": f"r{n}{k}", "type": "rectanglelabels", "original_width": w, "original_height": h,
                   "value": {"x": x1 * 100 / w, "y": y1 * 100 / h, "width": (x2 - x1) * 100 / w,
                             "height": (y2 - y1) * 100 / h, "rotation": 0, "rectanglelabels": ["raccoon"]}}
                  for k, (x1, y1, x2, y2) in enumerate(boxes)]
        result.append({"type": "choices", "value": {"choices": ["outdoor"]}})
        if n == 1:
            result.append({"type": "polygonlabels", "original_width": w, "original_height": h,
                           "value": {"points": [[10, 10], [50, 10], [30, 40]], "polygonlabels": ["face"]}})
            result.append({"type": "keypointlabels", "original_width": w, "original_height": h,
                           "value": {"x": 20, "y": 20, "width": 0.5, "keypointlabels": ["nose"]}})
            mask = np.zeros((h, w), dtype=bool)
            mask[10:30, 20:60] = True
            mask[50:70, 100:130] = True
            result.append({"type": "brushlabels", "original_width": w, "original_height": h,
                           "value": {"format": "rle", "rle": encode_brush(mask), "brushlabels": ["fur"]}})
        annotations = [{"id": n, "result": result, "was_cancelled": False}]
        if n == 2:
            annotations.append({"id": 99, "result": [], "was_cancelled": False})
        tasks.append({"id": n, "data": {"image": f"/data/upload/1/{upload_name}"}, "annotations": annotations,
                      "predictions": [{"result": []}] if n == 3 else []})
    (folder / "project-1-at-2024-01-01-00-00-0f1e2d3c.json").write_text(json.dumps(tasks))
    return folder


def test_labelstudio_export_is_read_with_pixels_from_percent(shared, tmp_path: Path) -> None:
    from sc_importers_labelstudio import LabelStudioReader

    raccoon = shared.datasets("voc-raccoon")
    ds = LabelStudioReader().read(make_export(raccoon, tmp_path / "ls"))
    assert len(ds.items) == 4
    assert [e.item for e in ds.errors] == ["/data/upload/1/00000005-raccoon-5.jpg"]
    assert {lb.name for lb in ds.labels} == {"raccoon", "outdoor", "face", "fur"}
    for item in ds.items:
        stem = item.path.name[9:-4]
        _, _, boxes = _voc(raccoon, stem)
        rects = [a.shape for a in item.annotations if isinstance(a.shape, Rectangle)]
        got = [v for r in rects for v in (r.x, r.y, r.x + r.width, r.y + r.height)]
        assert got == pytest.approx([v for box in boxes for v in box])
        assert item.annotations[0].labels == ("outdoor",) and item.annotations[0].shape is None
    first = next(i for i in ds.items if i.path.name.endswith("raccoon-1.jpg"))
    fur = [a for a in first.annotations if a.labels == ("fur",)]
    assert len(fur) == 2 and fur[0].object_id == fur[1].object_id is not None
    # traced on the pixel-corner grid: each polygon has the area of its pixels (through pixel centres,
    # before sc_importers.geometry.masks, they had 19 x 29 and 19 x 39)
    assert sorted(a.shape.area for a in fur) == [20 * 30, 20 * 40]
    face = next(a for a in first.annotations if a.labels == ("face",))
    assert isinstance(face.shape, Polygon) and face.shape.points[0] == pytest.approx((first.width / 10,
                                                                                       first.height / 10))
    messages = " | ".join(p.message for p in ds.problems)
    assert "1 regions have no SC 1.0 equivalent and are not imported (keypointlabels of 'nose': 1)" in messages
    assert "1 further annotations" in messages and "1 predictions are not imported" in messages


def test_labelstudio_export_is_auto_detected_one_level_down(shared, tmp_path: Path) -> None:
    """A downloaded folder holding the export folder beside a README: found, and the dry run counts."""
    make_export(shared.datasets("voc-raccoon"), tmp_path / "download" / "export")
    (tmp_path / "download" / "README.md").write_text("raccoons\n")
    result = CliRunner().invoke(build_command(), [str(tmp_path / "download"), "--dry-run", "--json",
                                                  "--type", "detection"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["format"] == "labelstudio"
    boxes = sum(len(_voc(shared.datasets("voc-raccoon"), s)[2]) for s in STEMS[:4])
    assert report["annotations"]["per_shape"]["RECTANGLE"] == boxes


def test_dry_run_counts_what_each_project_type_drops(shared, tmp_path: Path) -> None:
    """Real boxes and image choices: detection does not create the label only choices use, and a
    detection -> segmentation chain says its segmentation task gets nothing for the plain boxes."""
    raccoon = shared.datasets("voc-raccoon")
    folder = make_export(raccoon, tmp_path / "ls")
    boxes = sum(len(_voc(raccoon, s)[2]) for s in STEMS[:4])

    def dry(type_name: str) -> list[str]:
        result = CliRunner().invoke(build_command(), [str(folder), "--dry-run", "--json", "--type", type_name])
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert "outdoor" not in [lb for t in report["project"]["tasks"] for lb in t["labels"]]
        return report["problems"]["by_kind"]["unused_annotations"]["examples"]

    detection = dry("detection")
    assert any("4 image-level label(s) on 4 image(s) are not imported" in m and "(per label: outdoor 4)" in m
               for m in detection)
    assert any("label(s) are not created: only image-level labels use them" in m and m.endswith("outdoor")
               for m in detection)
    chain = dry("detection_to_segmentation")
    assert any(f"{boxes} shapes (box(es) {boxes}) on 4 image(s) have no outline" in m
               and f"(per label: raccoon {boxes})" in m for m in chain)
