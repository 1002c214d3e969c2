"""RLE masks to polygons: exact pixel coverage, holes, corner-touching pixels, both RLE encodings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils
from sc_importers_coco import CocoReader
from sc_importers_coco.masks import decode_rle

from sc_importers.geometry.masks import mask_to_polygons
from sc_importers.model import Polygon


def _compressed(mask: np.ndarray) -> dict:
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"counts": rle["counts"].decode("ascii"), "size": list(rle["size"])}


def _uncompressed(mask: np.ndarray) -> dict:
    flat = mask.astype(np.uint8).flatten(order="F")
    counts, current, run = [], 0, 0
    for value in flat:
        if value != current:
            counts.append(run)
            current, run = value, 0
        run += 1
    counts.append(run)
    return {"counts": counts, "size": list(mask.shape)}


def test_thin_column_keeps_its_full_area() -> None:
    mask = np.zeros((10, 5), dtype=bool)
    mask[:, 0:2] = True
    polygons = mask_to_polygons(mask)
    assert len(polygons) == 1
    assert polygons[0].area == 20
    assert set(polygons[0].points) == {(0.0, 0.0), (2.0, 0.0), (2.0, 10.0), (0.0, 10.0)}


def test_hole_is_dropped_and_corner_touching_pixels_are_separate() -> None:
    ring = np.ones((5, 5), dtype=bool)
    ring[2, 2] = False
    assert [p.area for p in mask_to_polygons(ring)] == [25.0]
    diagonal = np.zeros((3, 3), dtype=bool)
    diagonal[0, 0] = diagonal[1, 1] = True
    assert sorted(p.area for p in mask_to_polygons(diagonal)) == [1.0, 1.0]
    assert mask_to_polygons(np.zeros((4, 4), dtype=bool)) == []


@pytest.mark.parametrize("encode", [_compressed, _uncompressed], ids=["compressed", "uncompressed"])
def test_both_rle_encodings_decode_to_the_same_mask(encode) -> None:
    rng = np.random.default_rng(7)
    mask = rng.random((23, 31)) > 0.6
    region = decode_rle(encode(mask), None, None)
    decoded = np.zeros(region.size, dtype=bool)
    decoded[region.top:region.top + region.mask.shape[0], region.left:region.left + region.mask.shape[1]] = region.mask
    assert region.size == mask.shape
    assert (decoded == mask).all()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pycocotools 2.0.x under numpy 2
@pytest.mark.parametrize("seed", range(6))
def test_uncompressed_runs_decode_as_pycocotools_does_into_the_columns_they_span(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(200):
        h, w = (int(v) for v in rng.integers(1, 40, 2))
        mask = np.zeros((h, w), dtype=bool)
        top, left = int(rng.integers(0, h)), int(rng.integers(0, w))
        mask[top:top + int(rng.integers(1, h + 1)), left:left + int(rng.integers(1, w + 1))] = True
        mask &= rng.random((h, w)) > rng.random() * 0.5  # ragged regions, runs across column ends
        rle = _uncompressed(mask)
        full = mask_utils.decode(mask_utils.frPyObjects(rle, h, w)).astype(bool)
        region = decode_rle(rle, None, None)
        rows, columns = np.flatnonzero(full.any(axis=1)), np.flatnonzero(full.any(axis=0))
        assert (region.top, region.left) == ((rows[0], columns[0]) if columns.size else (0, 0))
        box = full[region.top:region.top + region.mask.shape[0], region.left:region.left + region.mask.shape[1]]
        assert (region.mask == box).all() and box.sum() == full.sum()
        assert mask_to_polygons(region.mask, origin=(region.left, region.top)) == mask_to_polygons(full)


def test_zero_length_runs_and_empty_masks() -> None:
    region = decode_rle({"counts": [0, 2, 0, 3, 4], "size": [3, 3]}, None, None)  # two runs that touch
    assert region.left == 0 and region.mask.astype(int).tolist() == [[1, 1], [1, 1], [1, 0]]
    empty = decode_rle({"counts": [9], "size": [3, 3]}, None, None)
    assert empty.mask.size == 0 and mask_to_polygons(empty.mask) == []
    with pytest.raises(ValueError, match="negative"):
        decode_rle({"counts": [10, -1], "size": [3, 3]}, None, None)


def test_malformed_uncompressed_rle_is_an_error() -> None:
    with pytest.raises(ValueError, match="counts sum"):
        decode_rle({"counts": [0, 5], "size": [3, 3]}, None, None)


def test_crowd_polygons_cover_the_mask_area(tmp_path: Path) -> None:
    """A crowd RLE read through the reader: polygon areas match the mask area (pycocotools) within 10%."""
    h, w = 120, 160
    yy, xx = np.mgrid[:h, :w]
    mask = (((xx - 50) ** 2 + (yy - 60) ** 2) < 35**2) | ((xx > 110) & (xx < 150) & (yy > 20) & (yy < 100))
    mask[55:65, 45:55] = False  # a hole: dropped, so the polygons cover it too
    rle = _compressed(mask)
    expected = float(mask_utils.area({"counts": rle["counts"].encode(), "size": rle["size"]}))
    Image.new("RGB", (w, h)).save(tmp_path / "img.png")
    coco = {
        "images": [{"id": 1, "file_name": "img.png", "width": w, "height": h}],
        "categories": [{"id": 3, "name": "crowd"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 3, "iscrowd": 1, "segmentation": rle,
                         "bbox": [15, 20, 135, 80]}],
    }
    (tmp_path / "coco.json").write_text(json.dumps(coco))
    dataset = CocoReader().read(tmp_path)
    shapes = [a.shape for a in dataset.items[0].annotations]
    assert len(shapes) == 2 and all(isinstance(s, Polygon) for s in shapes)
    total = sum(s.area for s in shapes)
    assert abs(total - expected) / expected < 0.10
    assert total >= expected  # the hole is filled, nothing is lost

    skipped = CocoReader().read(tmp_path, crowd="skip")
    assert skipped.items[0].annotations == []
