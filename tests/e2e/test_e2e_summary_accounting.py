"""The import summary accounts for every item and every error the dry run reports: an image listed
in the annotation file but missing on disk, items removed by ``--labels``, annotations the project
type cannot hold. Real CLI, real local server; counts computed from the files the test wrote."""

from __future__ import annotations

import json

from click.testing import CliRunner

from sc_importers.cli.import_cmd import build_command
from sc_importers.synthetic import make_coco_dataset


def _sc_import(server, *args: str):
    return CliRunner().invoke(build_command(), [*args, "--host", server.url, "--username", server.username,
                                                "--password", server.password])


def _json(result) -> dict:
    return json.loads(result.stdout[result.stdout.index("{"):])


def test_an_image_missing_on_disk_is_an_error_in_the_summary_and_exit_1(sc_server, tmp_path, project_name):
    folder = tmp_path / "coco"
    truth = make_coco_dataset(folder, 6, ["dog", "cat"], seed=31, image_size=(96, 72))
    missing = truth.items[2]
    missing.path.unlink()

    dry = _sc_import(sc_server, str(folder), "--format", "coco", "--type", "detection", "--dry-run", "--json")
    would_upload = _json(dry)["media"]["total"] - _json(dry)["media"]["skipped"]

    result = _sc_import(sc_server, str(folder), "--format", "coco", "--type", "detection",
                        "--project-name", project_name, "--json")
    assert result.exit_code == 1, result.output
    summary = _json(result)
    assert summary["media_created"] == would_upload == len(truth.items) - 1
    assert summary["failed"] == [] and len(summary["dataset_errors"]) == 1
    assert missing.path.name in summary["dataset_errors"][0]

    human = _sc_import(sc_server, str(folder), "--format", "coco", "--type", "detection",
                       "--project-name", f"{project_name}-2")
    assert human.exit_code == 1
    assert "1 dataset error(s) (not imported):" in human.output and missing.path.name in human.output


def test_items_removed_by_labels_are_counted_as_filtered(sc_server, tmp_path, project_name):
    folder = tmp_path / "coco"
    truth = make_coco_dataset(folder, 12, ["dog", "cat", "horse"], seed=32, image_size=(96, 72),
                              objects_per_image=(1, 1), unannotated=2)
    with_dog = [i for i in truth.items if any("dog" in a.labels for a in i.annotations)]
    assert 0 < len(with_dog) < 10

    result = _sc_import(sc_server, str(folder), "--format", "coco", "--type", "detection", "--labels", "dog",
                        "--project-name", project_name, "--json")
    assert result.exit_code == 0, result.output
    summary = _json(result)
    assert summary["media_created"] == len(with_dog)
    assert summary["filtered_out"] == len(truth.items) - len(with_dog)  # other labels, and the 2 unannotated


def test_image_level_labels_a_detection_project_cannot_hold_are_warned(sc_server, tmp_path, project_name):
    from PIL import Image

    folder = tmp_path / "cls"
    for label in ("cat", "dog"):
        (folder / label).mkdir(parents=True)
        for i in range(2):
            Image.new("RGB", (32, 24), (i * 90, 40, 60)).save(folder / label / f"{label}{i}.jpg")
    result = _sc_import(sc_server, str(folder), "--format", "datumaro", "--datumaro-format", "imagenet",
                        "--type", "detection", "--project-name", project_name, "--json")
    assert result.exit_code == 0, result.output
    summary = _json(result)
    assert summary["media_created"] == 4 and summary["annotations_created"] == 0
    (warning,) = [w for w in summary["warnings"] if "not imported" in w]
    assert "4 image-level label(s) on 4 image(s)" in warning, warning
