"""A restore carries a backup's settings through the neutral model: ``settings.json`` first, else
``configuration.json`` of either shape; what the target cannot hold or edit is reported in the
summary, never dropped. Against a real sc-server."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sc_importers.model import Label
from sc_importers.project_types.base import TaskPlan
from sc_importers.settings import ITERATIONS


def _backup(source_api, source_cli, tmp_path: Path, name: str) -> Path:
    project = source_api.create_project(name, [TaskPlan("Segmentation task", "segmentation", [Label("blob")])])
    (task,) = project.trainable_tasks
    source_api.set_iterations(project, task, 11)
    result = source_cli.sc_export(name, "--target-folder", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    folder = tmp_path / "copy"
    shutil.copytree(tmp_path / "out" / name, folder)
    (folder / "manifest.json").unlink()  # the copy is edited below
    return folder


def _restore(source_cli, folder: Path, name: str) -> dict:
    result = source_cli.sc_import(str(folder), "--format", "backup", "--project-name", name, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output[result.output.index("{"):])


def test_settings_json_wins_and_what_cannot_be_applied_is_reported(source_api, source_cli, tmp_path, unique):
    folder = _backup(source_api, source_cli, tmp_path, f"settings-{unique}")
    settings = json.loads((folder / "settings.json").read_text())
    (task,) = settings["tasks"]
    assert task["parameters"][ITERATIONS] == 11 and "postprocessing.class_name" not in task["editable"]
    task["parameters"][ITERATIONS] = 17
    task["parameters"]["postprocessing.class_name"] = "something_else"  # read-only on SC
    task["parameters"]["geti_only.tiling"] = True  # a parameter this server does not have
    settings["parameters"]["active_manager.max_unseen_media"] = 77
    settings["tasks"].append({"title": "Ghost", "task_type": "detection", "parameters": {ITERATIONS: 5},
                              "editable": [ITERATIONS]})  # a task the restored project does not have
    (folder / "settings.json").write_text(json.dumps(settings))

    report = _restore(source_cli, folder, f"settings-restored-{unique}")
    not_applied = report["settings_not_applied"]
    assert set(not_applied) == {"Segmentation task: postprocessing.class_name", "Segmentation task: geti_only.tiling",
                                "Ghost: *"}
    assert "not editable" in not_applied["Segmentation task: postprocessing.class_name"]
    assert "no such parameter" in not_applied["Segmentation task: geti_only.tiling"]
    assert any("geti_only.tiling" in w for w in report["warnings"])
    assert report["project_parameters_restored"] == 1
    assert report["configuration"]["Segmentation task"]["restored_parameters"] == 1

    restored = source_api.find_project(f"settings-restored-{unique}")
    (remote_task,) = restored.trainable_tasks
    assert source_api.get_iterations(restored, remote_task) == 17  # settings.json, not configuration.json (11)
    live = source_api.get_settings(restored)
    assert live.parameters["active_manager.max_unseen_media"] == 77
    assert live.tasks[0].parameters["postprocessing.class_name"] == "blur_segmentation"


def test_configuration_json_of_either_shape_restores_without_settings_json(source_api, source_cli, tmp_path,
                                                                          unique):
    folder = _backup(source_api, source_cli, tmp_path, f"config-{unique}")
    (folder / "settings.json").unlink()
    written = json.loads((folder / "configuration.json").read_text())  # kept for older tools
    assert set(written) >= {"global", "task_chain"}
    # what earlier sc-export versions (and the 2022 client) wrote: the server's raw GET /configuration
    plain = source_api._configuration(source_api.find_project(f"config-{unique}"))
    (folder / "configuration.json").write_text(json.dumps(plain))
    report = _restore(source_cli, folder, f"config-plain-{unique}")
    assert report["settings_not_applied"] == {}
    restored = source_api.find_project(f"config-plain-{unique}")
    assert source_api.get_iterations(restored, restored.trainable_tasks[0]) == 11

    # sc-export's older form: {"project": GET /configuration, "tasks": {title: task configuration}}
    (entry,) = plain["task_chain"]
    (folder / "configuration.json").write_text(json.dumps({"project": plain, "tasks": {
        entry["task_title"]: {"task_id": entry["task_id"], "components": entry["components"]}}}))
    report = _restore(source_cli, folder, f"config-old-{unique}")
    assert report["settings_not_applied"] == {}
    restored = source_api.find_project(f"config-old-{unique}")
    assert source_api.get_iterations(restored, restored.trainable_tasks[0]) == 11
