"""The yolo reader on LightlyTrain's coco128 (real COCO photos): detection boxes and segmentation polygons.

Expected counts are taken from the label files with plain Python (no reader code), so a reader that
drops unannotated images (as Datumaro does), trips over the orphan label files, misses the text-file
``images`` link or the ``config.yaml`` name, or mis-reads non-contiguous class ids fails here.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from sc_importers_yolo import YoloReader

from sc_importers.model import Polygon, Rectangle

SPLITS = ("train2017", "val2017")


def _expected(variant: Path, pool: Path) -> dict:
    """Counts straight from the files: images per split, label files with/without image, shape lines."""
    out = {"images": 0, "no_label_file": 0, "empty_label_file": 0, "boxes": 0, "polygons": 0, "orphans": [],
           "per_class": Counter()}
    for split in SPLITS:
        images = {p.stem for p in (pool / split).iterdir() if p.suffix == ".jpg"}
        labels = {p.stem: p for p in (variant / "labels" / split).glob("*.txt")}
        out["images"] += len(images)
        out["no_label_file"] += len(images - labels.keys())
        out["orphans"] += sorted(str(labels[s]) for s in labels.keys() - images)
        for stem in images & labels.keys():
            lines = [ln.split() for ln in labels[stem].read_text().splitlines() if ln.strip()]
            out["empty_label_file"] += not lines
            out["boxes"] += sum(1 for fields in lines if len(fields) == 5)
            out["polygons"] += sum(1 for fields in lines if len(fields) > 5)
            out["per_class"].update(int(fields[0]) for fields in lines)
    return out


def _names(config: Path) -> dict[int, str]:
    """``names:`` of the config, parsed by hand (``  12: stop sign`` lines)."""
    names, inside = {}, False
    for line in config.read_text().splitlines():
        if line.startswith("names:"):
            inside = True
        elif inside and line.startswith("  ") and ":" in line:
            key, name = line.strip().split(":", 1)
            names[int(key)] = name.strip()
    return names


@pytest.fixture
def coco128(shared) -> Path:
    return shared.datasets("coco128-yolo-lightly")


def _detection_variant(coco128: Path, folder: Path, layout: str) -> Path:
    """The detection variant rebuilt under ``folder`` (its config and labels copied), with its ``images``
    link to the shared image pool written as ``layout`` says: a text file holding ``../images`` (how git
    stores a link on a system without them, and how the shared copy may hold it) or a real symbolic link
    (what a user who copies the data gets). The shared folder itself is never written to."""
    shutil.copytree(coco128 / "object_detection" / "labels", folder / "object_detection" / "labels")
    shutil.copy2(coco128 / "object_detection" / "config.yaml", folder / "object_detection" / "config.yaml")
    (folder / "images").symlink_to(coco128 / "images", target_is_directory=True)
    link = folder / "object_detection" / "images"
    if layout == "text-file link":
        link.write_text("../images\n")
    else:
        link.symlink_to("../images", target_is_directory=True)
    return folder / "object_detection"


def test_the_shared_detection_variant_links_its_images_either_way(coco128: Path) -> None:
    """The shared copy holds ``object_detection/images`` as a text file or as a real link; both are read
    (the test below checks each layout on a copy)."""
    link = coco128 / "object_detection" / "images"
    if link.is_symlink():
        assert link.resolve() == (coco128 / "images").resolve()
    else:
        assert link.is_file() and link.read_text().strip() == "../images"


@pytest.mark.parametrize("layout", ["text-file link", "symbolic link"])
def test_detection_variant_counts_unannotated_orphans_and_link(coco128: Path, tmp_path: Path, layout: str) -> None:
    root = _detection_variant(coco128, tmp_path, layout)
    assert (root / "config.yaml").is_file() and not (root / "data.yaml").exists()
    expected = _expected(root, coco128 / "images")
    assert expected["images"] == 256 and expected["no_label_file"] == 2 and len(expected["orphans"]) == 2
    assert expected["polygons"] == 0

    dataset = YoloReader().read(root)

    assert len(dataset.items) == expected["images"]
    unannotated = sorted(i.key for i in dataset.items if not i.is_annotated)
    assert len(unannotated) == expected["no_label_file"] + expected["empty_label_file"]
    assert unannotated == ["images/train2017/000000000250.jpg", "images/train2017/000000000508.jpg"]
    counts = dataset.annotation_counts()
    assert sum(counts.values()) == expected["boxes"] == 1827  # 941 + 898 lines, minus the 12 in orphan files
    assert {shape for _, shape in counts} == {"RECTANGLE"}
    assert [lb.name for lb in dataset.labels] == list(_names(root / "config.yaml").values())
    assert dataset.errors == []
    orphans = sorted(p.file for p in dataset.problems if "label file with no image" in p.message)
    assert orphans == expected["orphans"]
    link_notes = [p for p in dataset.problems if p.file == str(root / "images") and "symlink" in p.message]
    assert len(link_notes) == (1 if layout == "text-file link" else 0), [str(p) for p in dataset.problems]
    assert all(item.path.is_file() and item.width and item.height for item in dataset.items)


def test_segmentation_variant_non_contiguous_ids_and_skip_flag(coco128: Path) -> None:
    root = coco128 / "instance_segmentation"
    names = _names(root / "config.yaml")
    assert len(names) == 80 and max(names) == 90  # COCO thing ids, with gaps
    assert "skip_if_label_file_missing: true" in (root / "config.yaml").read_text()
    expected = _expected(root, coco128 / "images")
    assert expected["boxes"] == 0 and expected["polygons"] == 746 + 712

    dataset = YoloReader().read(root)  # the config asks to skip images without a label file
    labelled = expected["images"] - expected["no_label_file"]
    assert len(dataset.items) == labelled == 200
    assert sum(not i.is_annotated for i in dataset.items) == expected["empty_label_file"] == 2
    counts = dataset.annotation_counts()
    assert sum(counts.values()) == expected["polygons"]
    assert {shape for _, shape in counts} == {"POLYGON"}
    assert [lb.name for lb in dataset.labels] == list(names.values())
    per_name = {(names[class_id], "POLYGON"): n for class_id, n in expected["per_class"].items()}
    assert dict(counts) == per_name
    assert max(expected["per_class"]) > 80  # ids past the contiguous 0-79 range are in use
    assert dataset.errors == []
    skipped = [p for p in dataset.problems if "without a label file are not imported" in p.message]
    assert len(skipped) == 1 and f"{expected['no_label_file']} image(s)" in skipped[0].message

    kept = YoloReader().read(root, unlabelled_images="keep")
    assert len(kept.items) == expected["images"] == 256
    assert sum(not i.is_annotated for i in kept.items) == expected["no_label_file"] + 2


def test_exact_pixels_of_one_box_and_one_polygon(coco128: Path) -> None:
    key = "images/train2017/000000000009.jpg"  # 640 x 480
    det = YoloReader().read(coco128 / "object_detection")
    item = next(i for i in det.items if i.key == key)
    assert item.size() == (640, 480)
    # first line: "45 0.479492 0.688771 0.955609 0.5955" (45 = bowl in the 0-79 numbering)
    first = item.annotations[0]
    assert first.labels == ("bowl",)
    assert isinstance(first.shape, Rectangle)
    box = first.shape
    assert (box.x, box.y, box.width, box.height) == pytest.approx((1.08, 187.69008, 611.58976, 285.84), abs=1e-9)

    seg = YoloReader().read(coco128 / "instance_segmentation")
    item = next(i for i in seg.items if i.key == key)
    polygon = item.annotations[0]
    assert polygon.labels == ("bowl",)  # 51 = bowl among COCO thing ids
    assert isinstance(polygon.shape, Polygon) and len(polygon.shape.points) == 32
    # "51 0.284375 0.108333 0.200000 0.145833 0.103125 0.200000 ..." scaled by 640 x 480
    flat = [c for point in polygon.shape.points[:3] for c in point]
    assert flat == pytest.approx([182.0, 51.99984, 128.0, 69.99984, 66.0, 96.0], abs=1e-9)


def test_detects_both_variants_above_datumaro(coco128: Path) -> None:
    for variant in ("object_detection", "instance_segmentation"):
        verdict = YoloReader().detect(coco128 / variant)
        assert verdict.confidence == 0.8, verdict.reasons
        assert "config.yaml" in verdict.reasons[0]
    assert YoloReader().detect(coco128 / "panoptic_segmentation").confidence < 0.5
