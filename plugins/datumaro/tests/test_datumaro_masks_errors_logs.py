"""Thin masks become polygons, import errors show their cause, detection keeps Datumaro quiet,
and YOLO pose folders are described truthfully: the datumaro reader on real fixtures under /work/shared.

Expected values come from the raw files (annotation PNG pixels, label lines), never from Datumaro.
"""

from __future__ import annotations

import itertools
import logging

import numpy as np
import pytest
from PIL import Image
from sc_importers_datumaro import DatumaroReader

from sc_importers.formats import FormatError
from sc_importers.geometry.masks import mask_to_polygons
from sc_importers.model import Polygon

CAMVID = "datumaro-test-assets/assets/camvid_dataset"
POSE = "datumaro-cvatfork-test-assets/assets/yolo_dataset/yolov8_pose"


def _bounds(polygon: Polygon) -> tuple[float, float, float, float]:
    xs, ys = [x for x, _ in polygon.points], [y for _, y in polygon.points]
    return min(xs), min(ys), max(xs), max(ys)


def test_camvid_one_pixel_high_masks_become_polygons_of_their_pixels(shared) -> None:
    """CamVid's annotation PNGs are 5x1 colour images: every run of one colour (black is Void, no
    object) is a region one pixel high, which centre-line tracing turned into zero-area nothing."""
    root = shared.datasets(CAMVID)
    expected = []  # (item key, x0, x1): one region per run of a non-black colour, pixels x0..x1-1 of row 0
    for annot in sorted(root.glob("*annot/*.png")):
        with Image.open(annot) as image:
            assert image.height == 1
            pixels = [tuple(int(v) for v in px) for px in np.asarray(image.convert("RGB"))[0]]
        x = 0
        for colour, run in itertools.groupby(pixels):
            n = len(list(run))
            if colour != (0, 0, 0):
                expected.append((f"{annot.parent.name.removesuffix('annot')}/{annot.name}", x, x + n))
            x += n
    assert len(expected) == 11
    ds = DatumaroReader().read(root, datumaro_format="camvid")
    got = []
    for item in ds.items:
        for ann in item.annotations:
            x0, y0, x1, y1 = _bounds(ann.shape)
            assert (y0, y1) == (0.0, 1.0)
            assert ann.shape.area == x1 - x0  # the polygon covers exactly the run's pixels
            got.append((item.key, int(x0), int(x1)))
    assert sorted(got) == sorted(expected)
    assert not [p for p in ds.problems if "mask" in p.message], [str(p) for p in ds.problems]


def test_corner_grid_tracing_of_small_masks() -> None:
    single = np.zeros((4, 6), np.uint8)
    single[2, 3] = 1
    assert [p.points for p in mask_to_polygons(single)] == [((3.0, 2.0), (4.0, 2.0), (4.0, 3.0), (3.0, 3.0))]
    diagonal = np.eye(3, dtype=np.uint8)  # pixels touching at corners only: separate regions
    assert sorted(_bounds(p) for p in mask_to_polygons(diagonal)) == [(i, i, i + 1, i + 1) for i in range(3)]
    ring = np.ones((3, 3), np.uint8)
    ring[1, 1] = 0  # SC polygons have no holes: the outline of the ring, hole filled
    assert [(_bounds(p), p.area) for p in mask_to_polygons(ring)] == [((0, 0, 3, 3), 9.0)]
    line = np.zeros((5, 5), bool)
    line[1:4, 2] = True  # a vertical line one pixel wide
    assert [(_bounds(p), p.area) for p in mask_to_polygons(line)] == [((2, 1, 3, 4), 3.0)]
    assert mask_to_polygons(np.zeros((3, 3), np.uint8)) == []


def test_import_error_shows_its_cause(shared) -> None:
    """Datumaro's coco_panoptic importer wraps "an images/ directory is expected" in a generic error."""
    root = shared.datasets("coco128-yolo-lightly/panoptic_segmentation")
    assert not (root / "images").exists()
    with pytest.raises(FormatError) as caught:
        DatumaroReader().read(root, datumaro_format="coco_panoptic")
    message = str(caught.value)
    assert "Failed to import dataset" in message
    assert f"caused by: DatasetImportError: We found the rootpath ({root}/)" in message
    assert f"there should exist a directory for images as {root}/images" in message
    assert message.count("Failed to import dataset") == 1


def test_detection_keeps_datumaro_warnings_at_debug(shared, caplog: pytest.LogCaptureFixture) -> None:
    """The coco fixture has several COCO tasks; Datumaro warns about it while merely detecting."""
    root = shared.datasets("datumaro-test-assets/assets/coco_dataset/coco")
    caplog.set_level(logging.DEBUG)
    verdict = DatumaroReader().detect(root)
    assert verdict.confidence == 0.5 and "coco" in verdict.reasons[0]
    datumaro_records = [r for r in caplog.records if "Multiple COCO tasks" in r.getMessage()]
    assert datumaro_records, "Datumaro's detection said nothing: the test no longer exercises the quieting"
    assert all(r.levelno == logging.DEBUG for r in datumaro_records), [(r.levelname, r.name) for r in datumaro_records]
    assert logging.getLogger("datumaro").propagate  # restored after detection


def test_yolo_pose_folder_is_described_truthfully(shared) -> None:
    root = shared.datasets(POSE)
    assert "kpt_shape" in (root / "data.yaml").read_text()
    verdict = DatumaroReader().detect(root)
    text = "; ".join(verdict.reasons)
    assert "not named data.yaml" not in text
    assert "kpt_shape" in text and verdict.confidence < 0.5
    with pytest.raises(FormatError) as caught:
        DatumaroReader().read(root, datumaro_format="yolo")
    assert "segmentation polygons" not in str(caught.value)
    assert f"{root / 'data.yaml'}: a YOLO pose dataset (kpt_shape [3, 3])" in str(caught.value)

