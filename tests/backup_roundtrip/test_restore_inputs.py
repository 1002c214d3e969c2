"""What ``sc-import DIR --format backup`` accepts and refuses, against the local server: a folder
made by hand the way geti-sdk's ``download_project_data`` writes it (no manifest, plain ``GET
/configuration`` body), ``--all`` over a folder of backups with a stray folder next to them, and
damaged backups, which must be refused with a clear message before any project is created."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

#: Every test here runs against the SC 1.0 and the Geti 2.x dialect of the local server.
pytestmark = pytest.mark.both_dialects


def _write_json(path: Path, body: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body), encoding="utf-8")


def geti_sdk_folder(folder: Path, name: str, task_type: str = "detection") -> Path:
    """A backup as geti-sdk lays it out: project.json, configuration.json (the plain GET
    /configuration body), images/<dataset name>/, annotations/ and no manifest."""
    labels = [
        {"id": "l-car", "name": "car", "color": "#ff0000ff", "group": "vehicles", "hotkey": "c",
         "parent_id": None, "is_empty": False},
        {"id": "l-bus", "name": "bus", "color": "#00ff00ff", "group": "vehicles", "hotkey": "b",
         "parent_id": None, "is_empty": False},
        {"id": "l-none", "name": "No Object", "color": "#000000ff", "group": "No Object", "hotkey": "",
         "parent_id": None, "is_empty": True},
    ]
    _write_json(folder / "project.json", {
        "id": "old-project", "name": name, "datasets": [{"id": "old-ds", "name": "Dataset"}],
        "pipeline": {"tasks": [{"id": "t0", "title": "Dataset", "task_type": "dataset"},
                               {"id": "t1", "title": "Detection task", "task_type": task_type, "labels": labels}],
                     "connections": [{"from": "t0", "to": "t1"}]},
    })
    _write_json(folder / "configuration.json", {"global": [], "task_chain": [{
        "task_id": "t1", "task_title": "Detection task", "components": [
            {"entity_identifier": {"type": "HYPER_PARAMETER_GROUP", "group_name": "learning_parameters",
                                   "model_storage_id": "old-ms", "workspace_id": "old-ws"},
             "parameters": [{"name": "num_iters", "value": 9, "editable": True}]},
            {"entity_identifier": {"type": "COMPONENT_PARAMETERS", "component": "TASK_NODE",
                                   "project_id": "old-project", "task_id": "t1", "workspace_id": "old-ws"},
             "parameters": [{"name": "auto_training", "value": True, "editable": True}]},
        ]}]})
    for index, (stem, label) in enumerate((("road", "l-car"), ("depot", "l-bus"), ("empty", None))):
        image = folder / "images" / "Dataset" / f"{stem}.jpg"
        image.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (200, 100), (index * 80, 120, 40)).save(image, "JPEG")
        if label:
            _write_json(folder / "annotations" / f"{stem}.json", {"annotations": [
                {"labels": [{"id": label, "name": "ignored"}],
                 "shape": {"type": "RECTANGLE", "x": 0.125, "y": 0.25, "width": 0.5, "height": 0.375}}]})
    return folder


def test_geti_sdk_folder_without_manifest_is_restored(source_api, source_cli, tmp_path, unique, dialect):
    folder = geti_sdk_folder(tmp_path / "geti", f"geti-{unique}")
    result = source_cli.sc_import(str(folder), "--format", "backup")  # default name: project.json's
    assert result.exit_code == 0, result.output
    project = source_api.find_project(f"geti-{unique}")
    assert project is not None
    labels = {lb.name: lb for lb in project.labels}
    if dialect == "geti3":  # #RRGGBB (alpha dropped), no label groups: the stated mappings
        assert (labels["car"].color, labels["car"].hotkey) == ("#FF0000", "c")
    else:
        assert (labels["car"].color, labels["car"].group, labels["car"].hotkey) == ("#ff0000ff", "vehicles", "c")
    assert labels["bus"].hotkey == "b"
    assert [lb.name for lb in project.labels if lb.is_empty] == [
        {"sc1": "No Object", "geti": "No object", "geti3": "No object"}[dialect]]
    images = {m.name: m for m in source_api.list_media(project, "image")}
    assert sorted(images) == ["depot", "empty", "road"]
    scene = source_api.get_annotation_scene(project, images["road"])
    (annotation,) = scene["annotations"]
    assert [lb["id"] for lb in annotation["labels"]] == [labels["car"].id]
    shape = annotation["shape"]
    # the 200 x 100 image's box: normalized on SC 1.0, whole pixels on Geti
    expected = {"sc1": ([0.125, 0.25, 0.5, 0.375], 1e-6), "geti": ([25, 25, 100, 37.5], 0.5 + 1e-6),
                "geti3": ([25, 25, 100, 37.5], 0.5 + 1e-6)}[dialect]
    assert [shape[k] for k in ("x", "y", "width", "height")] == pytest.approx(expected[0], abs=expected[1])
    assert source_api.get_annotation_scene(project, images["empty"]) is None
    (task,) = project.trainable_tasks
    if dialect == "geti3":  # no per-project settings: each is listed as not restored, none is dropped silently
        assert source_api.get_iterations(project, task) is None
        assert "not restored" in result.output and "iterations" in result.output
        return
    assert source_api.get_iterations(project, task) == 9  # mapped by task title from the plain body
    assert source_api.get_auto_training(project, task) is True


def test_all_restores_every_backup_folder_and_skips_stray_folders(fresh_sc_server, tmp_path, kit):
    root = tmp_path / "backups"
    geti_sdk_folder(root / "one", "first")
    geti_sdk_folder(root / "nested" / "two", "second")
    (root / "notes").mkdir()
    (root / "notes" / "readme.txt").write_text("not a backup")
    cli = kit.cli_for(fresh_sc_server)
    result = cli.sc_import(str(root), "--format", "backup", "--all", "--json")
    assert result.exit_code == 0, result.output
    reports = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert sorted(r["project"]["name"] for r in reports) == ["first", "second"]
    api = kit.open_api(fresh_sc_server)
    try:
        assert sorted(p.name for p in api.list_projects()) == ["first", "second"]
    finally:
        api.close()
    result = cli.sc_import(str(root), "--format", "backup", "--all", "--project-name", "x")
    assert result.exit_code == 2 and "--all" in result.output


# -- damaged backups: refused before anything is created ------------------------------------------
@pytest.fixture(scope="module")
def good_backup(source_cli, source_api, tmp_path_factory) -> Path:
    """A complete sc-export backup (with manifest) of a small detection project."""
    base = tmp_path_factory.mktemp("good")
    name = f"good-{base.name}"
    result = source_cli.sc_import(str(geti_sdk_folder(base / "src", name)), "--format", "backup")
    assert result.exit_code == 0, result.output
    result = source_cli.sc_export(name, "--target-folder", str(base / "out"))
    assert result.exit_code == 0, result.output
    return base / "out" / name


def _media_file(folder: Path) -> Path:
    return next(p for p in (folder / "images").rglob("*.jpg"))


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def _missing_media(folder: Path) -> str:
    path = _media_file(folder)
    path.unlink()
    return "missing"


def _corrupt_annotation(folder: Path) -> str:
    next((folder / "annotations").glob("*.json")).write_text("{not json", encoding="utf-8")
    return "do not match the manifest"


def _changed_media(folder: Path) -> str:
    path = _media_file(folder)
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    return "SHA-256"


def _escaping_path(folder: Path) -> str:
    manifest = _manifest(folder)
    manifest["files"]["../outside.jpg"] = {"size": 1, "sha256": "0" * 64}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return "leaves the backup folder"


def _unknown_type(folder: Path) -> str:
    project = json.loads((folder / "project.json").read_text(encoding="utf-8"))
    for task in project["pipeline"]["tasks"] if "pipeline" in project else [project["task"]]:  # Geti 3: one
        if task["task_type"] == "detection":
            task["task_type"] = "keypoint_detection"
    (folder / "project.json").write_text(json.dumps(project), encoding="utf-8")
    (folder / "manifest.json").unlink()  # so the type check itself is what refuses
    return "unknown project type"


def _corrupt_scene_without_manifest(folder: Path) -> str:
    (folder / "manifest.json").unlink()
    next((folder / "annotations").glob("*.json")).write_text("{not json", encoding="utf-8")
    return "nothing was created"


def _extra_media(folder: Path) -> str:
    """A file added to the backup after the download (not in the manifest) would be restored as an
    extra media."""
    path = _media_file(folder)
    shutil.copy(path, path.with_name("extra.jpg"))
    return f"{path.relative_to(folder).parent.as_posix()}/extra.jpg"


@pytest.mark.parametrize("damage", [_missing_media, _corrupt_annotation, _changed_media, _escaping_path,
                                    _unknown_type, _corrupt_scene_without_manifest, _extra_media],
                         ids=lambda f: f.__name__.strip("_"))
def test_damaged_backup_is_refused_before_anything_is_created(damage, good_backup, source_api, source_cli,
                                                             tmp_path, unique):
    folder = tmp_path / "damaged"
    shutil.copytree(good_backup, folder)
    expected = damage(folder)
    before = sorted(p.id for p in source_api.list_projects())
    name = f"damaged-{unique}"
    result = source_cli.sc_import(str(folder), "--format", "backup", "--project-name", name)
    assert result.exit_code != 0, result.output
    assert expected in result.output, result.output
    assert source_api.find_project(name) is None
    assert sorted(p.id for p in source_api.list_projects()) == before
