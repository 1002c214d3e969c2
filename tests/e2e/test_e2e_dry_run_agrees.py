"""The dry run says, per project, what the import then creates: the same media and annotation
counts, for every core project type, on real COCO data whose objects are drawn in several parts
(labelme's COCO export of VOC 2011 photos), with an unannotated image and a --labels filter."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from sc_importers.cli.import_cmd import build_command

COCO = "labelme-examples/examples/instance_segmentation/data_dataset_coco"
EXTRA_IMAGE = "labelme-examples/examples/bbox_detection/data_dataset_voc/JPEGImages/2011_000025.jpg"


@pytest.fixture
def coco_with_unannotated(shared, tmp_path: Path) -> Path:
    folder = tmp_path / "voc2011"
    shutil.copytree(shared.datasets(COCO), folder)
    data = json.loads((folder / "annotations.json").read_text())
    shutil.copy(shared.datasets(EXTRA_IMAGE), folder / "JPEGImages" / "unannotated.jpg")
    data["images"].append({"id": 99, "file_name": "JPEGImages/unannotated.jpg", "width": 500, "height": 375})
    (folder / "annotations.json").write_text(json.dumps(data))
    return folder


def _run(server, *args: str):
    login = ["--host", server.url, "--username", server.username, "--password", server.password]
    return CliRunner().invoke(build_command(), [*args, *login])


@pytest.mark.parametrize(("type_name", "extra"), [
    ("detection", []),
    ("segmentation", ["--labels", "person,car,bus"]),
    ("classification", []),
    ("detection_to_segmentation", ["--labels", "person,car,bus,sofa"]),
    ("detection_to_classification", []),
])
def test_dry_run_numbers_are_the_imports(sc_server, project_name, coco_with_unannotated, type_name, extra):
    source = str(coco_with_unannotated)
    dry = _run(sc_server, source, "--type", type_name, "--dry-run", "--json", *extra)
    assert dry.exit_code == 0, dry.output
    would = json.loads(dry.stdout)["project"]["would_create"]
    done = _run(sc_server, source, "--type", type_name, "--project-name", project_name, "--json", *extra)
    assert done.exit_code == 0, done.output
    summary = json.loads(done.stdout)
    assert (would["media"], would["annotations"]) == (summary["media_created"], summary["annotations_created"])
    # what the project type drops is in both, with the same words and counts
    dropped = [w for w in json.loads(dry.stdout)["problems"]["by_kind"].get("unused_annotations", {}).get(
        "examples", [])]
    assert all(any(d.split(": ", 1)[1] in w for w in summary["warnings"]) for d in dropped), (dropped, summary)
    if type_name == "classification":
        assert any("become the image's label" in w and "per label: person" in w for w in summary["warnings"])
    if type_name == "detection_to_segmentation":
        assert not any("have no outline" in w for w in summary["warnings"])  # COCO objects all have outlines


def test_objects_in_several_parts_are_one_box_each(coco_with_unannotated):
    """The dataset has 14 polygon parts in 12 objects: a detection project gets 12 boxes."""
    data = json.loads((coco_with_unannotated / "annotations.json").read_text())
    parts = sum(len(a["segmentation"]) for a in data["annotations"])
    dry = CliRunner().invoke(build_command(), [str(coco_with_unannotated), "--type", "detection", "--dry-run",
                                               "--json"])
    report = json.loads(dry.stdout)
    assert report["annotations"]["total"] == parts > len(data["annotations"])
    assert report["project"]["would_create"] == {"media": 4, "annotations": len(data["annotations"])}
