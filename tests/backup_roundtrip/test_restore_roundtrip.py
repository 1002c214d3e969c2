"""Backup and restore over real HTTP: a project made from a real dataset plus a real video with
frame annotations is downloaded with ``sc-export``, restored under a new name with ``sc-import
--format backup --project-name NEW``, downloaded again, and the two backups must agree on
everything a user sees: media bytes, annotations, labels, configuration."""

from __future__ import annotations

import dataclasses
import json

import pytest
from PIL import Image

from sc_importers.model import Annotation, Dataset, Label, MediaItem, Polygon, Rectangle
from sc_importers.plugins import format_readers
from sc_importers.project_types.base import BuildOptions
from sc_importers.settings import ProjectSettings, TaskSettings
from sc_importers.uploader import import_dataset

#: Every test here runs against the SC 1.0 and the Geti 2.x dialect of the local server.
pytestmark = pytest.mark.both_dialects

#: Settings the source project gets away from their defaults, per dialect: (task-level, project-level). SC 1.0
#: has the whole configurable parameters; Geti 2.12+ (the local server says 2.13) configures what its
#: project_configuration / training_configuration hold, and nothing project-level.
CHANGED = {
    "sc-v1": ({"learning_parameters.learning_rate": 0.0123},
              {"active_manager.max_unseen_media": 123, "pipeline_dataset_manager.use_ndr": True}),
    "geti-v1": ({"min_images_per_label": 5, "dynamic_required_annotations": False,
                 "training.min_images_per_label": 2}, {}),
}

#: Colours and hotkeys given to the labels of the source project, so defaults cannot pass by accident.
LOOKS = [("#ff0000ff", "ctrl+1"), ("#00ff00ff", "ctrl+2"), ("#0000ffff", "ctrl+3"), ("#aa5500ff", "ctrl+4")]


def _make_source_project(api, shared, name: str, dialect: str = "sc1"):
    """Segmentation project from labelme-examples' COCO instances, plus chaplin.mp4 with polygons
    on frames 0 and 120 (Geti 3: frames 1 and 120, it cannot write frame 0); iterations 7, auto-training
    on and the dialect's :data:`CHANGED` settings (through the neutral model; Geti 3 has no per-project
    configuration)."""
    root = shared.datasets("labelme-examples/examples/instance_segmentation/data_dataset_coco")
    dataset = format_readers()["coco"].read(root)
    assert dataset.items and not dataset.errors
    named = [lb for lb in dataset.labels if not lb.is_empty]
    dataset.labels = [dataclasses.replace(lb, color=LOOKS[i % 4][0], hotkey=LOOKS[i % 4][1]) if i < 4 else lb
                      for i, lb in enumerate(named)]
    report = import_dataset(api, dataset, "segmentation", BuildOptions(), name, workers=4, show_progress=False)
    assert report.exit_code() == 0, report.render()
    project = api.get_project(report.project_id)
    label = named[0].name
    video = api.upload_media(project, shared.datasets("videos-moviepy-media/chaplin.mp4"), "video")
    api.post_annotations(project, video, [Annotation((label,), Polygon(((10.5, 10.25), (200, 20), (100, 300))))],
                         frame=1 if dialect == "geti3" else 0)
    api.post_annotations(project, video, [Annotation((label,), Polygon(((300, 50), (600, 60), (500, 340)))),
                                          Annotation((label,), Polygon(((1, 1), (50, 2), (30, 40))))], frame=120)
    (task,) = project.trainable_tasks
    if dialect == "geti3":
        return project, dataset
    api.set_iterations(project, task, 7)
    task_changes, project_changes = CHANGED[api.dialect]
    result = api.apply_settings(project, ProjectSettings([TaskSettings(task.title, task.task_type, task_changes)],
                                                         project_changes))
    assert result.not_applied == {} and result.changed == len(task_changes) + len(project_changes)
    api.set_auto_training(project, task, True)
    return project, dataset


def test_restore_under_a_new_name_is_identical(source_api, source_cli, shared, tmp_path, unique, kit, dialect):
    project, dataset = _make_source_project(source_api, shared, f"labelme-{unique}", dialect)
    geti3 = dialect == "geti3"  # no per-project configuration to back up or restore
    result = source_cli.sc_export(project.name, "--target-folder", str(tmp_path / "first"))
    assert result.exit_code == 0, result.output
    backup = tmp_path / "first" / project.name

    new_name = f"restored-{unique}"
    result = source_cli.sc_import(str(backup), "--format", "backup", "--project-name", new_name, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{"):])
    assert report["media_created"] == len(dataset.items) + 1
    (task_report,) = report["configuration"].values()
    restored = source_api.find_project(new_name)
    assert restored is not None and restored.id != project.id
    (task,) = restored.trainable_tasks
    if not geti3:
        assert source_api.get_auto_training(restored, task) is True
        assert source_api.get_iterations(restored, task) == 7
        task_changes, project_changes = CHANGED[source_api.dialect]
        assert report["project_parameters_restored"] == len(project_changes)
        after = source_api.get_settings(restored)
        assert after.parameters == project_changes
        assert {k: after.tasks[0].parameters.get(k) for k in task_changes} == task_changes

    result = source_cli.sc_export(new_name, "--target-folder", str(tmp_path / "second"))
    assert result.exit_code == 0, result.output
    first, second = kit.backup_view(backup), kit.backup_view(tmp_path / "second" / new_name)
    assert len(first["media"]) == len(dataset.items) + 1
    assert {f for (_, name, _, f) in first["annotations"] if name == "chaplin"} == {1 if geti3 else 0, 120}
    labels = {n: lb for n, lb in first["labels"].items() if not lb["is_empty"]}
    # Geti 3 keeps #RRGGBB colours (the alpha is the stated mapping) and upper-cases them
    looks = [(c[:7].upper(), k) for c, k in LOOKS] if geti3 else LOOKS
    assert {(lb["color"], lb["hotkey"]) for lb in labels.values()} >= set(looks[:min(4, len(labels))])
    if not geti3:
        params = first["configuration"][task.title]
        assert params["iterations"] == 7 and params["auto_training"] is True
        assert {k: params[k] for k in task_changes} == task_changes and first["configuration"][""] == project_changes
    kit.assert_same_backup(first, second)

    # the downloader's own check: the new backup is complete and the same as the restored project
    result = source_cli.sc_export("--verify", str(tmp_path / "second" / new_name), new_name)
    assert result.exit_code == 0, result.output
    assert "identical" in result.output
    # the original backup against the restored project: identical too (an empty label's colour,
    # which the server chooses, is not compared)
    result = source_cli.sc_export("--verify", str(backup), new_name, "--json")
    assert json.loads(result.output)["differences"] == [], result.output
    assert result.exit_code == 0


@pytest.mark.not_geti3("it has no auto-training and no per-project iterations to override")
def test_explicit_options_override_the_backup(source_api, source_cli, tmp_path, unique, kit):
    """``--no-auto-train --iterations 3`` win over the backed-up auto-training on / 7 iterations;
    restoring under the backed-up name (the default) is refused while that project exists."""
    image = tmp_path / "src" / "one.png"
    image.parent.mkdir()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(image)
    item = MediaItem(image, "one.png", annotations=[Annotation(("thing",), Rectangle(1, 2, 30, 20))])
    dataset = Dataset(name="x", format="test", root=image.parent, labels=[Label("thing")], items=[item])
    name = f"override-{unique}"
    report = import_dataset(source_api, dataset, "detection", BuildOptions(), name, workers=2,
                            auto_train=True, iterations=7, show_progress=False)
    assert report.exit_code() == 0, report.render()
    assert source_cli.sc_export(name, "--target-folder", str(tmp_path / "b")).exit_code == 0
    before = {p.name for p in source_api.list_projects()}

    result = source_cli.sc_import(str(tmp_path / "b" / name), "--format", "backup")
    assert result.exit_code == 2, result.output
    assert "already exists" in result.output
    assert {p.name for p in source_api.list_projects()} == before

    new_name = f"override-new-{unique}"
    result = source_cli.sc_import(str(tmp_path / "b" / name), "--format", "backup", "--project-name", new_name,
                                  "--no-auto-train", "--iterations", "3")
    assert result.exit_code == 0, result.output
    restored = source_api.find_project(new_name)
    (task,) = restored.trainable_tasks
    assert source_api.get_auto_training(restored, task) is False
    assert source_api.get_iterations(restored, task) == 3
