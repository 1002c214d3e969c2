"""Real-world sources imported into the real local server: nothing is created when no media can be
imported, a folder holding CVAT's XML and its COCO export gets the XML's annotations, and a media
folder becomes a project of unannotated videos. The dry run's numbers are the import's."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from sc_importers.cli.import_cmd import build_command

CVAT_TASK = "datumaro-test-assets/assets/cvat_dataset/for_images/export_task"


def _run(server, *args: str):
    login = ["--host", server.url, "--username", server.username, "--password", server.password]
    return CliRunner().invoke(build_command(), [*args, *login])


def test_no_media_found_creates_no_project(sc_server, api, project_name, shared, tmp_path: Path) -> None:
    folder = tmp_path / "task"
    shutil.copytree(shared.datasets(CVAT_TASK), folder)
    shutil.rmtree(folder / "images")
    dry = _run(sc_server, str(folder), "--type", "detection", "--dry-run")
    assert dry.exit_code == 1 and "no media to import" in dry.output
    result = _run(sc_server, str(folder), "--type", "detection", "--project-name", project_name)
    assert result.exit_code == 2, result.output
    assert "no media to import" in result.output
    assert project_name not in [p.name for p in api.list_projects()]


def test_cvat_xml_beside_its_coco_export_imports_the_xml(sc_server, api, project_name, shared,
                                                         tmp_path: Path) -> None:
    folder = tmp_path / "task"
    shutil.copytree(shared.datasets(CVAT_TASK), folder)
    coco = {"images": [{"id": i + 1, "file_name": f"img{i}.jpg"} for i in range(2)], "annotations": [],
            "categories": [{"id": 1, "name": "label1"}, {"id": 2, "name": "label2"}]}
    (folder / "instances_default.json").write_text(json.dumps(coco))
    dry = _run(sc_server, str(folder), "--type", "detection", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    would = json.loads(dry.stdout)["project"]["tasks"][0]["would_convert"]
    result = _run(sc_server, str(folder), "--type", "detection", "--project-name", project_name, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["media_created"] == 2
    assert summary["annotations_created"] == sum(would["labels"].values()) == 1


def test_a_folder_of_videos_becomes_a_project_to_annotate(sc_server, api, project_name, shared) -> None:
    videos = shared.datasets("videos-moviepy-media")
    result = _run(sc_server, str(videos), "--type", "detection", "--add-labels", "car,person",
                  "--project-name", project_name, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    project = api.get_project(summary["project"]["id"])
    assert sorted(m.name for m in api.list_media(project, "video")) == sorted(
        p.stem for p in videos.iterdir() if p.suffix in (".mp4", ".webm"))


def test_voc_export_with_its_own_classes_creates_them_with_every_box(sc_server, api, project_name, shared,
                                                                     tmp_path: Path) -> None:
    """A VOCdevkit without labelmap.txt (LabelImg-style) whose class is not a VOC class: the project
    gets that class and every box once, though the item is in two image lists (train, trainval)."""
    import xml.etree.ElementTree as ET

    raccoon = shared.datasets("voc-raccoon")
    voc = tmp_path / "VOC2012"
    for sub in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (voc / sub).mkdir(parents=True)
    stems = [f"raccoon-{i}" for i in range(1, 9)]
    for stem in stems:
        shutil.copy(raccoon / "annotations" / f"{stem}.xml", voc / "Annotations")
        shutil.copy(raccoon / "images" / f"{stem}.jpg", voc / "JPEGImages")
    (voc / "ImageSets/Main/train.txt").write_text("\n".join(stems[:5]) + "\n")
    (voc / "ImageSets/Main/val.txt").write_text("\n".join(stems[5:]) + "\n")
    (voc / "ImageSets/Main/trainval.txt").write_text("\n".join(stems) + "\n")
    boxes = sum(len(ET.parse(x).getroot().findall("object/bndbox")) for x in (voc / "Annotations").glob("*.xml"))
    result = _run(sc_server, str(voc), "--type", "detection", "--project-name", project_name, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["media_created"], summary["annotations_created"]) == (len(stems), boxes)
    project = api.get_project(summary["project"]["id"])
    names = [lb.name for task in project.trainable_tasks for lb in task.labels if not lb.is_empty]
    assert names == ["raccoon"]
