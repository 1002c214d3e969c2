"""Backups of Geti 2.x projects: folders written by geti-sdk 2.13.1's ``download_project_data``
(no manifest, no configuration.json, ``.jpg`` / ``.mp4`` names whatever the format,
``<name>_<id>`` when names repeat, labels by name and color without ids, parents by name,
coordinates in pixels), built here by hand from the contract's description, and sc-export backups
whose manifest says ``geti-v1`` (pixels, label ids). They restore onto sc-server (SC 1.0, normalized
coordinates, ``No Object`` where Geti says ``No object``) and verify identical."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image
from sc_importers_backup import BackupReader

from sc_importers.formats import FormatError
from sc_importers.model import Ellipse, Polygon, Rectangle

OLD_TASK = "65f0c0ffee0000000000aaaa"  # a task id of the original server, stale here


def _label(name: str, color: str, group: str, empty: bool = False, parent: str | None = None) -> dict:
    out = {"name": name, "color": color, "group": group, "is_empty": empty, "is_anomalous": False}
    if parent:
        out["parent_id"] = parent  # geti-sdk: the parent's NAME
    return out


def _scene(*annotations: tuple[str, str, dict]) -> dict:
    return {"annotations": [{"labels": [{"probability": 1.0, "name": name, "color": color,
                                         "source": {"user_id": "u1"}}],
                             "shape": shape, "labels_to_revisit": []} for name, color, shape in annotations],
            "kind": "annotation", "labels_to_revisit_full_scene": [],
            "annotation_state_per_task": [{"task_id": OLD_TASK, "state": "annotated"}]}


def _image(path: Path, size: tuple[int, int], color: tuple[int, int, int], fmt: str = "JPEG") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    path.write_bytes(buffer.getvalue())  # always named .jpg, as geti-sdk writes it


def geti_sdk_folder(root: Path, kit, name: str) -> Path:
    """A geti-sdk 2.13.1 download of a detection project with one video, as its §4.3 describes."""
    project = {"name": name, "pipeline": {
        "tasks": [{"title": "Dataset", "task_type": "dataset"},
                  {"title": "Detection", "task_type": "detection", "labels": [
                      _label("car", "#ff0000ff", "default_detection"),
                      _label("bus", "#00ff00ff", "default_detection"),
                      _label("No object", "#000000ff", "No object", empty=True)]}],
        "connections": [{"to": "Detection", "from": "Dataset"}]},
        "datasets": [{"name": "Dataset", "use_for_training": True}],
        "performance": {"task_performances": [{"task_id": OLD_TASK}]}, "storage_info": {}}
    root.mkdir(parents=True)
    (root / "project.json").write_text(json.dumps(project))
    images = root / "images" / "Dataset"
    _image(images / "a.jpg", (200, 100), (90, 120, 150))
    _image(images / "b.jpg", (50, 40), (10, 20, 30), fmt="PNG")
    _image(images / "dup_65f0c0ffee000000000000a1.jpg", (80, 60), (200, 0, 0))
    _image(images / "dup_65f0c0ffee000000000000a2.jpg", (80, 60), (0, 0, 200))
    kit.write_video(root / "videos" / "Dataset" / "clip.mp4", frames=10)
    scenes = {
        "a": _scene(("car", "#ff0000ff", {"x": 10.0, "y": 21.0, "width": 100, "height": 50, "type": "RECTANGLE"}),
                    ("bus", "#00ff00ff", {"x": 120.0, "y": 10.0, "width": 60, "height": 30, "type": "ELLIPSE"})),
        "b": _scene(("No object", "#000000ff", {"x": 0, "y": 0, "width": 50, "height": 40, "type": "RECTANGLE"})),
        "dup_65f0c0ffee000000000000a1": _scene(("bus", "#00ff00ff", {"type": "POLYGON", "points": [
            {"x": 5.0, "y": 5.0}, {"x": 70.0, "y": 8.0}, {"x": 40.0, "y": 50.0}]})),
        "clip_frame_3": _scene(("car", "#ff0000ff", {"x": 5.0, "y": 6.0, "width": 20, "height": 10,
                                                      "type": "RECTANGLE"})),
    }
    (root / "annotations").mkdir()
    for stem, body in scenes.items():
        (root / "annotations" / f"{stem}.json").write_text(json.dumps(body))
    return root


def test_geti_sdk_folder_is_read_in_pixels(tmp_path, kit) -> None:
    dataset = BackupReader().read(geti_sdk_folder(tmp_path / "sdk", kit, "sdk-read"))
    assert dataset.errors == [] and dataset.project_type == "detection"
    assert [(lb.name, lb.is_empty) for lb in dataset.labels] == [("car", False), ("bus", False), ("No object", True)]
    by_key = {item.key: item for item in dataset.items}
    assert set(by_key) == {"images/Dataset/a.jpg", "images/Dataset/b.jpg",
                           "images/Dataset/dup_65f0c0ffee000000000000a1.jpg",
                           "images/Dataset/dup_65f0c0ffee000000000000a2.jpg", "videos/Dataset/clip.mp4"}
    a = by_key["images/Dataset/a.jpg"].annotations
    assert [(x.labels, x.shape) for x in a] == [(("car",), Rectangle(10.0, 21.0, 100.0, 50.0)),
                                                (("bus",), Ellipse(120.0, 10.0, 60.0, 30.0))]
    poly = by_key["images/Dataset/dup_65f0c0ffee000000000000a1.jpg"].annotations[0].shape
    assert poly == Polygon(((5.0, 5.0), (70.0, 8.0), (40.0, 50.0)))
    assert by_key["videos/Dataset/clip.mp4"].frames[3][0].shape == Rectangle(5.0, 6.0, 20.0, 10.0)
    assert dataset.configuration is None  # geti-sdk 2.12+ writes no configuration


def test_parent_given_by_name_and_normalized_folders_without_manifest(tmp_path, kit) -> None:
    root = tmp_path / "cls"
    root.mkdir()
    (root / "project.json").write_text(json.dumps({"name": "cls", "pipeline": {
        "tasks": [{"title": "Dataset", "task_type": "dataset"},
                  {"title": "Classification", "task_type": "classification", "labels": [
                      _label("vehicle", "#ff0000ff", "top"), _label("car", "#00ff00ff", "kind", parent="vehicle")]}],
        "connections": [{"to": "Classification", "from": "Dataset"}]}}))
    _image(root / "images" / "Dataset" / "x.jpg", (40, 20), (1, 2, 3))
    (root / "annotations").mkdir()
    (root / "annotations" / "x.json").write_text(json.dumps(_scene(("car", "#00ff00ff", {
        "x": 0.0, "y": 0.0, "width": 1.0, "height": 1.0, "type": "RECTANGLE"}))))
    dataset = BackupReader().read(root)
    assert {lb.name: lb.parent for lb in dataset.labels} == {"vehicle": None, "car": "vehicle"}
    # every coordinate <= 1: normalized, as geti-sdk decides it (the 2022 client's folders are so)
    assert dataset.items[0].annotations[0].shape == Rectangle(0.0, 0.0, 40.0, 20.0)


@pytest.mark.parametrize("dialect, expected", [("geti-v1", Rectangle(10.0, 20.0, 30.0, 40.0)),
                                               ("sc-v1", Rectangle(2000.0, 2000.0, 6000.0, 4000.0))])
def test_manifest_dialect_decides_the_scale(make_backup, kit, dialect, expected) -> None:
    root = make_backup(kit.detection_project(), images={"a.png": (200, 100)},
                       scenes={"a": kit.scene(([20], kit.rect(10, 20, 30, 40)))})
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["dialect"] = dialect
    (root / "manifest.json").write_text(json.dumps(manifest))
    (item,) = BackupReader().read(root).items
    assert item.annotations[0].shape == expected


def test_unknown_dialect_is_refused(make_backup, kit) -> None:
    root = make_backup(kit.detection_project(), images={"a.png": (20, 10)})
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["dialect"] = "geti-v9"
    (root / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(FormatError, match="not a backup I can read: .*manifest.json: 'dialect'.*geti-v9"):
        BackupReader().read(root)


def test_geti_sdk_folder_restores_onto_sc_server_and_verifies(tmp_path, kit, fresh_sc_server) -> None:
    from sc_importers.cli.export_cmd import command
    from sc_importers.cli.import_cmd import build_command
    from sc_importers.rest import connect

    folder = geti_sdk_folder(tmp_path / "sdk", kit, "from-geti")
    connection = ["--host", fresh_sc_server.url, "--username", fresh_sc_server.username,
                  "--password", fresh_sc_server.password]
    dry = CliRunner().invoke(build_command(), [str(folder), "--format", "backup", "--dry-run", *connection])
    assert dry.exit_code == 0, dry.output
    result = CliRunner().invoke(build_command(), [str(folder), "--format", "backup", "--json", *connection])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{"):])
    assert report["media_created"] == 5 and report["annotations_created"] == 5

    api = connect(fresh_sc_server.url, fresh_sc_server.username, fresh_sc_server.password)
    try:
        project = api.find_project("from-geti")
        images = {m.name: m for m in api.list_media(project, "image")}
        assert set(images) == {"a", "b", "dup_65f0c0ffee000000000000a1", "dup_65f0c0ffee000000000000a2"}
        scene = api.get_annotation_scene(project, images["a"])
        car = next(a for a in scene["annotations"] if a["shape"]["type"] == "RECTANGLE")["shape"]
        assert (car["x"], car["y"], car["width"], car["height"]) == pytest.approx((0.05, 0.21, 0.5, 0.5))
        (empty,) = api.annotations_from_scene(project, images["b"], api.get_annotation_scene(project, images["b"]))
        assert empty.labels == ("No Object",)  # Geti's "No object", matched by role
    finally:
        api.close()

    verified = CliRunner().invoke(command, ["from-geti", "--verify", str(folder), *connection])
    # no differences, but a geti-sdk folder has no manifest: never "identical", exit code 4
    assert verified.exit_code == 4 and "no differences" in verified.output, verified.output
    assert "no manifest.json" in verified.output and "are identical" not in verified.output
    moved = json.loads((folder / "annotations" / "a.json").read_text())
    moved["annotations"][0]["shape"]["x"] = 11.0  # one pixel
    (folder / "annotations" / "a.json").write_text(json.dumps(moved))
    different = CliRunner().invoke(command, ["from-geti", "--verify", str(folder), *connection])
    assert different.exit_code == 1 and "annotations/a.json" in different.output, different.output
