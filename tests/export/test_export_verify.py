"""``sc-export --verify``: each deliberate change to a backup (or to the project on the server)
shows up as its own difference line, and the exit code is 1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sc_importers.settings import ProjectSettings

#: Every test here runs against the SC 1.0 and the Geti 2.x dialect of the local server.
pytestmark = pytest.mark.both_dialects


@pytest.fixture
def backed_up(export_api, exporter, kit, tmp_path, unique):
    """A small detection project and a fresh, verified backup of it."""
    uploaded = kit.upload(export_api, f"verify-{unique}", "detection", ["car", "person"],
                          kit.box_items(tmp_path / "src", 4), iterations=5)
    result = exporter.run(uploaded.name, "--target-folder", str(tmp_path / "b"))
    assert result.exit_code == 0, result.output
    folder = tmp_path / "b" / uploaded.name
    clean = exporter.run("--verify", str(folder), uploaded.name)
    assert clean.exit_code == 0 and "identical" in clean.output, clean.output
    return uploaded, folder


def _copy(folder: Path, name: str) -> Path:
    copy = folder.parent / name
    shutil.copytree(folder, copy)
    return copy


def _differences(result) -> list[str]:
    assert result.exit_code == 1, result.output
    return [line.strip() for line in result.output.splitlines()[1:]
            if line.strip() and not line.startswith("View it in a browser: ")
            and not line.strip().startswith("note: ")]  # the viewer link of a local server


def test_changed_coordinate(backed_up, exporter, kit):
    uploaded, folder = backed_up
    copy = _copy(folder, "coordinate")
    annotation = copy / "annotations" / "img0001.json"
    scene = json.loads(annotation.read_text())
    scene["annotations"][0]["shape"]["x"] += 0.01
    annotation.write_text(json.dumps(scene))
    (diff,) = _differences(exporter.run("--verify", str(copy), uploaded.name))
    assert diff.startswith("annotations: annotations/img0001.json") and "'img0001'" in diff
    assert "only in the backup: RECTANGLE car" in diff and "only on the server: RECTANGLE car" in diff


def test_deleted_media_file(backed_up, exporter, kit):
    uploaded, folder = backed_up
    copy = _copy(folder, "deleted")
    (media,) = [rel for rel in kit.read_manifest(copy)["media"] if rel.endswith("/img0002.jpg")]
    (copy / media).unlink()
    diffs = _differences(exporter.run("--verify", str(copy), uploaded.name))
    assert diffs == [f"media: {media} is listed in manifest.json but missing from the folder"]


def test_deleted_media_file_without_manifest(backed_up, exporter, kit):
    """A folder without manifest (e.g. geti-sdk's): the server's media has no file."""
    uploaded, folder = backed_up
    copy = _copy(folder, "deleted-no-manifest")
    (media,) = [rel for rel in kit.read_manifest(copy)["media"] if rel.endswith("/img0002.jpg")]
    (copy / media).unlink()
    (copy / "manifest.json").unlink()
    diffs = _differences(exporter.run("--verify", str(copy), uploaded.name))
    assert diffs == ["media: image 'img0002' on the server has no identical file in the backup"]


def test_changed_label_color(backed_up, exporter):
    uploaded, folder = backed_up
    copy = _copy(folder, "color")
    project = json.loads((copy / "project.json").read_text())
    tasks = project["pipeline"]["tasks"] if "pipeline" in project else [project["task"]]  # Geti 3: one task
    label = next(lb for t in tasks for lb in t.get("labels", []) if lb["name"] == "car")
    old_color, label["color"] = label["color"], "#123456ff"
    (copy / "project.json").write_text(json.dumps(project))
    (diff,) = _differences(exporter.run("--verify", str(copy), uploaded.name))
    assert diff == (f"labels: task 1 (detection): label 'car': color is {old_color!r} on the server, "
                    f"'#123456ff' in the backup")


@pytest.mark.not_geti3("it has no per-project training iterations")
def test_changed_iterations_on_the_server(backed_up, exporter, export_api):
    uploaded, folder = backed_up
    (task,) = uploaded.project.trainable_tasks
    export_api.set_iterations(uploaded.project, task, 9)
    result = exporter.run("--verify", str(folder), uploaded.name, "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["identical"] is False
    (diff,) = report["differences"]
    assert diff.startswith(f"configuration: {task.title}: ") and "is 9 on the server, 5 in the backup" in diff


@pytest.mark.not_geti3("it has no project configuration")
def test_changed_project_level_parameter_on_the_server(backed_up, exporter, export_api):
    uploaded, folder = backed_up
    key = "active_manager.max_unseen_media"
    settings = export_api.get_settings(uploaded.project)
    if export_api.dialect == "geti-v1":
        assert settings.parameters == {}  # Geti 2.12+ has no project-level settings: nothing to change
        return
    value = settings.parameters[key]
    assert export_api.apply_settings(uploaded.project, ProjectSettings(parameters={key: value + 7})).changed == 1
    (diff,) = _differences(exporter.run("--verify", str(folder), uploaded.name))
    assert diff == f"configuration: project: {key} is {value + 7} on the server, {value} in the backup"


def test_a_long_polygon_is_summarized_so_a_difference_stays_one_short_line():
    from sc_importers.export.verify_media import _describe

    text = _describe((("dog",), "POLYGON", tuple(float(i) for i in range(200))))
    assert text == "POLYGON dog (0, 1, 2, 3, 4, 5, 6, 7, ... (100 points))"
    assert _describe((("car",), "RECTANGLE", (0.1, 0.2, 0.3, 0.4))) == "RECTANGLE car (0.1, 0.2, 0.3, 0.4)"
