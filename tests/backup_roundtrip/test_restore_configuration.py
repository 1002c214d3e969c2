"""How a backed-up task configuration is carried onto a new task (no server: pure mapping rules)."""

from __future__ import annotations

from sc_importers.rest.base import RemoteProject, RemoteTask
from sc_importers.uploader.restore import (
    backed_up_auto_training,
    backed_up_project_components,
    backed_up_task_configs,
    configuration_update,
    match_tasks,
)


def _config(storage: str, iters: int, auto: bool, fixed: str = "a") -> dict:
    return {"components": [
        {"entity_identifier": {"type": "HYPER_PARAMETER_GROUP", "group_name": "learning_parameters",
                               "model_storage_id": storage},
         "parameters": [{"name": "num_iters", "value": iters, "editable": True},
                        {"name": "class_name", "value": fixed, "editable": False}]},
        {"entity_identifier": {"type": "COMPONENT_PARAMETERS", "component": "SUBSET_MANAGER", "task_id": storage},
         "parameters": [], "groups": [{"name": "subset_parameters", "type": "PARAMETER_GROUP", "parameters": [
             {"name": "test_proportion", "value": 0.2 if iters > 5 else 0.1}]}]},
        {"entity_identifier": {"type": "COMPONENT_PARAMETERS", "component": "TASK_NODE", "task_id": storage},
         "parameters": [{"name": "auto_training", "value": auto}]},
    ]}


def test_values_move_onto_the_new_ids_without_auto_training_or_read_only_parameters():
    new, old = _config("new", 3, False, "a"), _config("old", 9, True, "b")
    body, count = configuration_update(new, old)
    assert count == 2
    by_kind = {c["entity_identifier"].get("group_name") or c["entity_identifier"]["component"]: c
               for c in body["components"]}
    assert set(by_kind) == {"learning_parameters", "SUBSET_MANAGER"}  # TASK_NODE: auto-training is set last
    assert by_kind["learning_parameters"]["entity_identifier"]["model_storage_id"] == "new"
    assert by_kind["learning_parameters"]["parameters"] == [{"name": "num_iters", "value": 9}]
    assert by_kind["SUBSET_MANAGER"]["groups"][0]["parameters"] == [{"name": "test_proportion", "value": 0.2}]
    assert backed_up_auto_training(old) is True and backed_up_auto_training({}) is None


def test_tasks_match_by_title_then_by_position():
    tasks = [RemoteTask("d", "Dataset", "dataset"), RemoteTask("a", "Detection task", "detection"),
             RemoteTask("c", "Crop", "crop"), RemoteTask("b", "Renamed", "classification")]
    project = RemoteProject("p", "p", "ds", tasks)
    first, second = _config("1", 1, False), _config("2", 2, False)
    sdk_body = {"global": [], "task_chain": [{"task_title": "Detection task", **first},
                                             {"task_title": "Other", **second}]}
    configs = backed_up_task_configs(sdk_body)
    assert [title for title, _ in configs] == ["Detection task", "Other"]
    matched = match_tasks(project, configs)
    assert matched["a"]["components"] == first["components"]  # by title
    assert matched["b"]["components"] == second["components"]  # second trainable task: position 1
    export_body = {"project": {}, "tasks": {"Detection task": first}}
    assert match_tasks(project, backed_up_task_configs(export_body)) == {"a": first}
    assert backed_up_task_configs(None) == [] and backed_up_task_configs({"x": 1}) == []


def test_project_level_components_come_from_either_backup_shape():
    component = {"entity_identifier": {"type": "COMPONENT_PARAMETERS", "component": "ACTIVE_MANAGER",
                                       "project_id": "old", "task_id": ""},
                 "parameters": [{"name": "max_unseen_media", "value": 9, "editable": True}]}
    export_body = {"project": {"global": [component], "task_chain": []}, "tasks": {}}
    sdk_body = {"global": [component], "task_chain": []}
    assert backed_up_project_components(export_body) == [component]
    assert backed_up_project_components(sdk_body) == [component]
    assert backed_up_project_components({"tasks": {}}) == [] and backed_up_project_components(None) == []
    new = {**component, "entity_identifier": {**component["entity_identifier"], "project_id": "new"},
           "parameters": [{"name": "max_unseen_media", "value": 500, "editable": True}]}
    body, count = configuration_update({"components": [new]}, {"components": [component]}, skip=frozenset())
    assert count == 1
    assert body["components"] == [{"entity_identifier": new["entity_identifier"],
                                   "parameters": [{"name": "max_unseen_media", "value": 9}]}]
