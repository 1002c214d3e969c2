"""The yolo reader through ``sc-import`` (auto-detection, dry run) and through the uploader to a local sc-server."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from click.testing import CliRunner
from PIL import Image
from sc_importers_yolo import YoloReader

import sc_importers.rest
from sc_importers.cli.import_cmd import build_command
from sc_importers.project_types.base import BuildOptions
from sc_importers.uploader import import_dataset


def test_dry_run_auto_detects_yolo_on_the_segmentation_variant(shared) -> None:
    root = shared.datasets("coco128-yolo-lightly/instance_segmentation")
    polygons = sum(1 for label_file in (root / "labels").rglob("*.txt")
                   for line in label_file.read_text().splitlines() if len(line.split()) > 5)
    assert polygons == 746 + 712

    result = CliRunner().invoke(build_command(), [str(root), "--dry-run", "--json", "--type", "segmentation"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["format"] == "yolo"
    assert report["detection"]["chosen"] == "yolo"
    verdicts = report["detection"]["verdicts"]
    assert verdicts["yolo"]["confidence"] > verdicts["datumaro"]["confidence"]
    assert report["annotations"]["per_shape"] == {"POLYGON": polygons}
    assert report["annotations"]["total"] == polygons
    assert report["media"]["total"] == 200 and report["media"]["unannotated"] == 2
    assert report["problems"]["errors"] == 0


#: Normalized polygons per image (file stem, size): what the server must hold after the upload.
POLYGONS = {
    ("wide", (120, 80)): [(0, [(0.1, 0.1), (0.5, 0.125), (0.3, 0.7)]),
                          (1, [(0.6, 0.2), (0.9, 0.2), (0.95, 0.9), (0.55, 0.8)])],
    ("tall", (48, 64)): [(1, [(0.0, 0.0), (1.0, 0.0), (0.333333, 0.777777)])],
    ("empty", (32, 32)): [],
}


def _write_seg_dataset(root: Path) -> None:
    for (stem, size), polygons in POLYGONS.items():
        image = root / "images" / "train" / f"{stem}.png"
        image.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", size, "white").save(image)
        label = root / "labels" / "train" / f"{stem}.txt"
        label.parent.mkdir(parents=True, exist_ok=True)
        label.write_text("".join(f"{cls} " + " ".join(f"{x} {y}" for x, y in points) + "\n"
                                 for cls, points in polygons))
    (root / "data.yaml").write_text("path: .\ntrain: images/train\nnames:\n  0: leaf\n  1: stem\n")


def test_upload_of_a_yolo_seg_dataset_keeps_polygons(sc_server, tmp_path: Path) -> None:
    _write_seg_dataset(tmp_path / "seg")
    dataset = YoloReader().read(tmp_path / "seg")
    assert dataset.problems == [] and len(dataset.items) == 3
    api = sc_importers.rest.connect(sc_server.url, sc_server.username, sc_server.password)
    name = f"yolo-seg-{uuid.uuid4().hex[:8]}"
    try:
        report = import_dataset(api, dataset, "segmentation", BuildOptions(), name, workers=4)
        assert report.exit_code() == 0, report.render()
        assert report.media_created == 3
        project = api.get_project(report.project_id)
        names = {label.id: label.name for label in project.labels}
        media = {m.name: m for m in api.list_media(project, "image")}
        assert set(media) == {stem for stem, _ in POLYGONS}
        for (stem, _), expected in POLYGONS.items():
            scene = api.get_annotation_scene(project, media[stem])
            if not expected:
                assert scene is None, stem  # uploaded unannotated, as the empty label file says
                continue
            got = [(names[a["labels"][0]["id"]], [(p["x"], p["y"]) for p in a["shape"]["points"]])
                   for a in scene["annotations"]]
            want = [({0: "leaf", 1: "stem"}[cls], points) for cls, points in expected]
            assert [label for label, _ in got] == [label for label, _ in want], stem
            for (_, got_points), (_, want_points) in zip(got, want, strict=True):
                assert len(got_points) == len(want_points)
                for (gx, gy), (wx, wy) in zip(got_points, want_points, strict=True):
                    assert abs(gx - wx) < 1e-6 and abs(gy - wy) < 1e-6, (stem, got_points, want_points)
    finally:
        found = api.find_project(name)
        if found is not None:
            api.delete_project(found)
        api.close()
