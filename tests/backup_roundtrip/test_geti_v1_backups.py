"""A backup taken from a Geti 2.x project (manifest dialect ``geti-v1``: scenes in pixels, labels by
the old project's ids, the empty label called ``No object``) restores onto sc-server (SC 1.0) and
``--verify`` finds it identical: coordinates compared in pixels, empty labels by role."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from sc_importers.model import Annotation, Label, Rectangle
from sc_importers.project_types.base import TaskPlan


def _as_geti_backup(folder: Path) -> None:
    """Rewrite an SC 1.0 backup the way a Geti 2.x server's backup differs: pixel coordinates,
    ``No object`` for the empty label, dialect ``geti-v1``; the manifest's hashes follow."""
    manifest = json.loads((folder / "manifest.json").read_text())
    sizes = {Path(rel).stem: (info["width"], info["height"]) for rel, info in manifest["media"].items()}
    project = json.loads((folder / "project.json").read_text())
    empty = set()
    for task in project["pipeline"]["tasks"]:
        for label in task.get("labels", []):
            if label["is_empty"]:
                empty.add(label["name"])
                label["name"] = label["group"] = "No object"
    (folder / "project.json").write_text(json.dumps(project))
    for path in (folder / "annotations").glob("*.json"):
        width, height = sizes[path.stem]
        scene = json.loads(path.read_text())
        for annotation in scene["annotations"]:
            for label in annotation["labels"]:  # scene labels carry their names (sc-export writes them)
                if label.get("name") in empty:
                    label["name"] = "No object"
            shape = annotation["shape"]
            for key, scale in (("x", width), ("y", height), ("width", width), ("height", height)):
                shape[key] = shape[key] * scale
        path.write_text(json.dumps(scene))
    for relative in manifest["files"]:
        data = (folder / relative).read_bytes()
        manifest["files"][relative] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    manifest["dialect"] = "geti-v1"
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_geti_v1_backup_restores_on_sc_and_verifies(source_api, source_cli, tmp_path, unique) -> None:
    name = f"geti-like-{unique}"
    project = source_api.create_project(name, [TaskPlan("Detection", "detection", [Label("car"), Label("bus")])])
    for index, (size, shapes) in enumerate([
            ((300, 200), [Annotation(("car",), Rectangle(30, 40, 90, 60)),
                          Annotation(("bus",), Rectangle(0, 0, 10, 10))]),
            ((64, 48), [Annotation(("No Object",), Rectangle(0, 0, 64, 48))])]):
        path = tmp_path / f"img{index}.jpg"
        Image.new("RGB", size, (index * 60, 90, 30)).save(path)
        media = source_api.upload_media(project, path, "image")
        source_api.post_annotations(project, media, shapes)
    assert source_cli.sc_export(name, "--target-folder", str(tmp_path / "out")).exit_code == 0
    folder = tmp_path / "geti"
    shutil.copytree(tmp_path / "out" / name, folder)
    _as_geti_backup(folder)

    result = source_cli.sc_import(str(folder), "--format", "backup", "--project-name", f"{name}-sc", "--json")
    assert result.exit_code == 0, result.output
    verified = source_cli.sc_export(f"{name}-sc", "--verify", str(folder))
    assert verified.exit_code == 0, verified.output

    restored = source_api.find_project(f"{name}-sc")
    by_name = {m.name: m for m in source_api.list_media(restored, "image")}
    scene = source_api.get_annotation_scene(restored, by_name["img0"])
    car = next(a for a in scene["annotations"] if a["shape"]["width"] > 0.2)["shape"]
    assert (car["x"], car["width"]) == pytest.approx((0.1, 0.3))  # 30 / 300 px, restored normalized

    # the same folder read as SC 1.0 (normalized) would be wrong, and verify says so
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["dialect"] = "sc-v1"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    wrong = source_cli.sc_export(f"{name}-sc", "--verify", str(folder))
    assert wrong.exit_code == 1 and "annotations/img0.json" in wrong.output, wrong.output
