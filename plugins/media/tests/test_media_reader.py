"""The media reader on real videos and photos: folders of unannotated media become a project of
media to annotate (labels from --add-labels); ImageNet class folders are auto-detected."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from sc_importers.cli.import_cmd import build_command


def _dry_run(source: Path, *extra: str) -> tuple[int, dict]:
    result = CliRunner().invoke(build_command(), [str(source), "--dry-run", "--json", *extra])
    return result.exit_code, json.loads(result.output[result.output.index("{"):])


def test_a_folder_of_plain_videos_is_detected_and_needs_add_labels(shared) -> None:
    videos = shared.datasets("videos-moviepy-media")
    code, report = _dry_run(videos, "--type", "detection", "--add-labels", "car,person")
    assert code == 0, report
    assert report["format"] == "media"
    assert report["media"] == {**report["media"], "total": 4, "videos": 4, "images": 0, "unannotated": 4}
    assert report["project"]["tasks"][0]["labels"] == ["car", "person"]
    code, report = _dry_run(videos, "--type", "detection")
    assert code == 1 and "no labels to import" in report["blockers"]


def test_images_and_videos_in_sub_folders_are_read_recursively(shared, tmp_path: Path) -> None:
    folder = tmp_path / "to-annotate"
    (folder / "day1").mkdir(parents=True)
    (folder / "day2" / "clips").mkdir(parents=True)
    raccoon = shared.datasets("voc-raccoon/images")
    for i in (1, 2, 3):
        shutil.copy(raccoon / f"raccoon-{i}.jpg", folder / "day1")
    shutil.copy(raccoon / "raccoon-4.jpg", folder / "day2" / "raccoon-1.jpg")  # same name, other folder
    shutil.copy(shared.datasets("videos-moviepy-media") / "smpte-2997.mp4", folder / "day2" / "clips")
    (folder / "day2" / "clips" / "broken.mp4").write_bytes(b"not a video")
    (folder / "README.md").write_text("photos of the week\n")
    code, report = _dry_run(folder, "--type", "classification", "--add-labels", "raccoon,empty")
    assert code == 0, report
    assert report["format"] == "media"
    assert (report["media"]["images"], report["media"]["videos"]) == (4, 1)
    errors = report["problems"]["by_kind"]["reader"]["examples"]
    assert any("broken.mp4" in e and "unreadable video" in e for e in errors)


def test_imagenet_class_folders_are_auto_detected(shared, tmp_path: Path) -> None:
    root = tmp_path / "pets"
    (root / "raccoon").mkdir(parents=True)
    (root / "street").mkdir()
    for i in (1, 2, 3):
        shutil.copy(shared.datasets("voc-raccoon/images") / f"raccoon-{i}.jpg", root / "raccoon")
    voc = shared.datasets("labelme-examples/examples/bbox_detection/data_dataset_voc/JPEGImages")
    for image in sorted(voc.glob("*.jpg"))[:2]:
        shutil.copy(image, root / "street")
    code, report = _dry_run(root, "--type", "classification")
    assert code == 0, report
    assert report["format"] == "datumaro:imagenet"
    assert sorted(report["labels"]["found"]) == ["raccoon", "street"]
    conv = report["project"]["tasks"][0]["would_convert"]
    assert conv == {"media": 5, "labels": {"raccoon": 3, "street": 2}}

