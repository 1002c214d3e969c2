"""Layouts the yolo reader used to misjudge, on real fixtures under /work/shared:

- a Roboflow export whose YAML says ``val: ../valid/images`` while the folder is ``val/``: the reader
  cannot read it whole, so it must not win detection over Datumaro's ``roboflow_yolo`` importer, and
  when asked anyway it says which path it used for ``../train/images`` and where it looked for val;
- an Ultralytics pose dataset (``kpt_shape``): its boxes are imported, with a warning about keypoints.

Expected values come from the label files and images with plain Python.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from sc_importers_yolo import YoloReader

from sc_importers.formats import choose_format
from sc_importers.model import Rectangle
from sc_importers.plugins import format_readers

ROBOFLOW = "datumaro-test-assets/assets/roboflow_dataset/yolo"
POSE = "datumaro-cvatfork-test-assets/assets/yolo_dataset/yolov8_pose"


def _lines(files: list[Path]) -> list[list[float]]:
    return [[float(v) for v in line.split()] for f in files for line in f.read_text().splitlines() if line.strip()]


def test_roboflow_export_with_a_misnamed_split_goes_to_datumaro(shared) -> None:
    root = shared.datasets(ROBOFLOW)
    assert "val: ../valid/images" in (root / "data.yaml").read_text()
    assert not (root / "valid").exists() and (root / "val" / "images").is_dir()
    images = sorted(root.glob("*/images/*.jpg"))
    boxes = _lines(sorted(root.glob("*/labels/*.txt")))
    assert (len(images), len(boxes)) == (3, 4)

    verdict = YoloReader().detect(root)
    assert verdict.confidence < 0.6
    assert "val: ../valid/images does not exist" in verdict.reasons[0]
    choice = choose_format(root, list(format_readers().values()))
    assert choice.reader.name == "datumaro"
    ds = choice.reader.read(root)
    assert ds.format == "datumaro:roboflow_yolo"
    assert sorted(item.path for item in ds.items) == images
    assert sum(len(item.annotations) for item in ds.items) == len(boxes)
    assert not ds.errors, [str(p) for p in ds.errors]


def test_roboflow_paths_read_by_the_yolo_reader_say_which_path_was_used(shared) -> None:
    root = shared.datasets(ROBOFLOW)
    ds = YoloReader().read(root)
    yaml_file = str(root / "data.yaml")
    used = [p for p in ds.problems if p.severity == "warning" and p.file == yaml_file]
    assert [p.message for p in used] == [
        f"train: ../train/images does not exist as written; read {root / 'train/images'} instead "
        "(Roboflow exports write paths one level off)"
    ]
    [missing] = [p for p in ds.errors if p.file == yaml_file]
    assert missing.message.startswith("val: ../valid/images is neither a folder nor a file (tried ")
    assert str(root / "valid/images") in missing.message and str(root / "../valid/images") in missing.message
    assert sorted(item.path for item in ds.items) == sorted(root.glob("train/images/*.jpg"))


def test_yolov8_pose_boxes_are_imported_and_keypoints_reported(shared) -> None:
    root = shared.datasets(POSE)
    config = (root / "data.yaml").read_text()
    assert "kpt_shape: [3, 3]" in config
    label_files = sorted((root / "labels").glob("*/*.txt"))
    rows = _lines(label_files)
    assert rows and all(len(row) == 5 + 3 * 3 for row in rows)

    verdict = YoloReader().detect(root)
    assert verdict.confidence == 0.8 and "keypoints are not imported" in verdict.reasons[0]
    assert choose_format(root, list(format_readers().values())).reader.name == "yolo"
    ds = YoloReader().read(root)
    assert not ds.errors, [str(p) for p in ds.errors]
    [warning] = ds.problems
    assert warning.file == str(root / "data.yaml")
    assert "pose dataset (kpt_shape [3, 3])" in warning.message and "3 keypoints are not" in warning.message
    assert [lb.name for lb in ds.labels] == ["skeleton_label"]
    expected = []
    for txt in label_files:
        with Image.open(root / "images" / txt.parent.name / f"{txt.stem}.jpg") as image:
            w, h = image.size
        for _, cx, cy, bw, bh, *_ in _lines([txt]):
            expected.append(((cx - bw / 2) * w, (cy - bh / 2) * h, bw * w, bh * h))
    got = [a.shape for item in ds.items for a in item.annotations]
    assert all(isinstance(s, Rectangle) for s in got)
    # abs: the exporter's rounding puts the box edge 1e-6 outside the image, clipped silently
    assert [(s.x, s.y, s.width, s.height) for s in got] == [pytest.approx(e, abs=1e-4) for e in expected]


def test_pose_line_with_the_wrong_number_of_keypoint_values_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    Image.new("RGB", (20, 10)).save(tmp_path / "images" / "a.jpg")
    (tmp_path / "labels" / "a.txt").write_text("0 0.5 0.5 0.2 0.2 0.1 0.1 2\n0 0.5 0.5 0.2 0.2 0.1 0.1\n")
    (tmp_path / "data.yaml").write_text("names: [p]\nkpt_shape: [1, 3]\ntrain: images\n")
    ds = YoloReader().read(tmp_path)
    assert [str(p) for p in ds.errors] == [
        f"error: {tmp_path / 'labels/a.txt'}, item images/a.jpg: line 2: 7 numbers; a pose line needs 8 "
        "(class, a box, 3 keypoint values as kpt_shape says)"
    ]
    (tmp_path / "data.yaml").write_text("names: [p]\nkpt_shape: [1, 4]\ntrain: images\n")
    with pytest.raises(Exception, match=r"kpt_shape must be \[number of keypoints, 2 or 3\], got \[1, 4\]"):
        YoloReader().read(tmp_path)
