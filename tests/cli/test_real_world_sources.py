"""Sources as users have them, built from real data in a temporary folder: archives, a downloaded
repository holding the dataset folder beside a README and a LICENSE, a folder holding both CVAT's XML
and CVAT's COCO export of it, and COCO json beside an images/ folder. Dry runs only: no server."""

from __future__ import annotations

import json
import shutil
import tarfile
import zipfile
from pathlib import Path

from click.testing import CliRunner

from sc_importers.cli.import_cmd import build_command

RACCOONS = [f"raccoon-{i}" for i in range(1, 6)]
CVAT_TASK = "datumaro-test-assets/assets/cvat_dataset/for_images/export_task"


def _dry_run(source: Path, *extra: str):
    result = CliRunner().invoke(build_command(), [str(source), "--dry-run", "--type", "detection", *extra])
    report = json.loads(result.stdout[result.stdout.index("{"):]) if "--json" in extra else None
    return result, report


def _flat_voc(shared, folder: Path) -> Path:
    """The real raccoon dataset's layout (annotations/ + images/), five images."""
    raccoon = shared.datasets("voc-raccoon")
    (folder / "annotations").mkdir(parents=True)
    (folder / "images").mkdir()
    for stem in RACCOONS:
        shutil.copy(raccoon / "annotations" / f"{stem}.xml", folder / "annotations")
        shutil.copy(raccoon / "images" / f"{stem}.jpg", folder / "images")
    return folder


def _repository(shared, root: Path) -> Path:
    """What a downloaded repository looks like: the dataset folder beside README.md and LICENSE."""
    _flat_voc(shared, root / "raccoon_dataset")
    (root / "README.md").write_text("# Raccoon dataset\n")
    (root / "LICENSE").write_text("MIT\n")
    return root


def test_a_zip_archive_is_unpacked_and_detected(shared, tmp_path: Path) -> None:
    repo = _repository(shared, tmp_path / "repo")
    archive = tmp_path / "data.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for file in sorted(repo.rglob("*")):
            zf.write(file, file.relative_to(repo).as_posix())
    result, report = _dry_run(archive, "--json")
    assert result.exit_code == 0, result.output
    assert report["media"]["total"] == len(RACCOONS)
    assert report["dataset"] == "raccoon_dataset"
    assert "unpacked into a temporary folder" in result.stderr
    assert "reading" in result.stderr and "raccoon_dataset" in result.stderr


def test_a_tar_gz_archive_of_the_repository_folder(shared, tmp_path: Path) -> None:
    repo = _repository(shared, tmp_path / "raccoon_dataset-master")
    archive = tmp_path / "raccoon_dataset-master.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(repo, arcname=repo.name)
    result, report = _dry_run(archive, "--json")
    assert result.exit_code == 0, result.output
    assert report["annotations"]["per_shape"]["RECTANGLE"] >= len(RACCOONS)


def test_an_archive_member_outside_its_folder_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../outside.txt", "x")
    result, _ = _dry_run(archive)
    assert result.exit_code == 1
    assert "outside" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "outside.txt").exists()


def test_a_repository_folder_is_read_one_level_down(shared, tmp_path: Path) -> None:
    repo = _repository(shared, tmp_path / "repo")
    result, report = _dry_run(repo, "--json")
    assert result.exit_code == 0, result.output
    assert report["detection"]["path"] == str(repo / "raccoon_dataset")
    assert report["media"]["total"] == len(RACCOONS)


def test_a_folder_of_dataset_folders_is_searched_one_level_down(shared, tmp_path: Path) -> None:
    """No README-only rule here: the dataset folder sits beside a folder of notes; the detection
    finds the one folder holding a dataset and says where."""
    root = tmp_path / "download"
    _flat_voc(shared, root / "voc")
    (root / "docs").mkdir()
    (root / "docs" / "notes.json").write_text("{}")
    result, report = _dry_run(root, "--json")
    assert result.exit_code == 0, result.output
    assert report["detection"]["path"] == str(root / "voc")
    assert f"found a datumaro dataset in {root / 'voc'}" in result.stderr


def _cvat_and_coco(shared, folder: Path) -> Path:
    """CVAT's XML export and a COCO export of the same task in one folder, images under images/:
    the COCO json has the images and categories but not the box (as a COCO export made before
    annotating, or of a task whose shapes COCO cannot hold)."""
    shutil.copytree(shared.datasets(CVAT_TASK), folder)
    coco = {"images": [{"id": i + 1, "file_name": f"img{i}.jpg", "width": 8 + 2 * i, "height": 8 + 2 * i}
                       for i in range(2)],
            "annotations": [], "categories": [{"id": 1, "name": "label1"}, {"id": 2, "name": "label2"}]}
    (folder / "instances_default.json").write_text(json.dumps(coco))
    return folder


def test_cvat_xml_beside_its_coco_export_picks_the_richer(shared, tmp_path: Path) -> None:
    folder = _cvat_and_coco(shared, tmp_path / "task")
    result, report = _dry_run(folder, "--json")
    assert result.exit_code == 0, result.output
    assert report["detection"]["chosen"] == "cvat"
    assert any("read as coco: 2 media found, 0 annotated" in n for n in report["detection"]["notes"])
    assert any("read as cvat: 2 media found, 1 annotated" in n for n in report["detection"]["notes"])
    assert report["annotations"]["per_shape"] == {"RECTANGLE": 1}


def test_coco_json_beside_an_images_folder_finds_the_images(shared, tmp_path: Path) -> None:
    folder = _cvat_and_coco(shared, tmp_path / "task")
    result, report = _dry_run(folder, "--json", "--format", "coco")
    assert result.exit_code == 0, result.output
    assert report["media"]["total"] == 2
    warnings = report["problems"]["by_kind"]["reader"]["examples"]
    assert any(f"found in {folder / 'images'}" in w for w in warnings)
