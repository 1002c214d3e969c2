"""SC 1.0 configurable parameters <-> neutral settings (no server: the mapping rules), and the
task matching every dialect uses."""

from __future__ import annotations

import json

import pytest

from sc_importers.rest.saved_settings import load_backup_settings, settings_from_backup
from sc_importers.rest.sc_v1_settings import locate, settings_from_saved_configuration, update_bodies
from sc_importers.settings import ProjectSettings, TaskSettings


def _task_components(storage: str, iters: int, auto: bool, fixed: str = "a") -> list[dict]:
    return [
        {"entity_identifier": {"type": "HYPER_PARAMETER_GROUP", "group_name": "learning_parameters",
                               "model_storage_id": storage},
         "parameters": [{"name": "num_iters", "value": iters, "editable": True},
                        {"name": "batch_size", "value": 8}]},
        {"entity_identifier": {"type": "HYPER_PARAMETER_GROUP", "group_name": "postprocessing",
                               "model_storage_id": storage},
         "parameters": [{"name": "class_name", "value": fixed, "editable": False}]},
        {"entity_identifier": {"type": "COMPONENT_PARAMETERS", "component": "SUBSET_MANAGER", "task_id": storage},
         "parameters": [], "groups": [{"name": "subset_parameters", "type": "PARAMETER_GROUP", "parameters": [
             {"name": "test_proportion", "value": 0.2 if iters > 5 else 0.1}]}]},
        {"entity_identifier": {"type": "COMPONENT_PARAMETERS", "component": "DATASET_COUNTER", "task_id": storage},
         "parameters": [{"name": "required_images_auto_training", "value": 12},
                        {"name": "use_dynamic_required_annotations", "value": False},
                        {"name": "label_constraint_first_training", "value": True}]},
        {"entity_identifier": {"type": "COMPONENT_PARAMETERS", "component": "TASK_NODE", "task_id": storage},
         "parameters": [{"name": "auto_training", "value": auto}]},
    ]


GLOBAL = [{"entity_identifier": {"type": "COMPONENT_PARAMETERS", "component": "ACTIVE_MANAGER", "task_id": ""},
           "parameters": [{"name": "max_unseen_media", "value": 9, "editable": True}]}]


def test_keys_of_every_kind_of_parameter() -> None:
    keys = {item.key: item.value for item in locate(_task_components("s", 13, True), "x")}
    assert keys == {"iterations": 13, "learning_parameters.batch_size": 8, "postprocessing.class_name": "a",
                    "subset_parameters.test_proportion": 0.2, "min_images_per_label": 12,
                    "dynamic_required_annotations": False,
                    "dataset_counter.label_constraint_first_training": True, "auto_training": True}


def test_both_backup_shapes_give_the_same_settings() -> None:
    plain = {"global": GLOBAL, "task_chain": [{"task_title": "Detection task",
                                               "components": _task_components("s", 13, True)}]}
    ours_old = {"project": {"global": GLOBAL, "task_chain": []},
                "tasks": {"Detection task": {"components": _task_components("s", 13, True)}}}
    a = settings_from_saved_configuration(plain, {"Detection task": "detection"})
    b = settings_from_saved_configuration(ours_old, {"Detection task": "detection"})
    assert a == b
    assert a.parameters == {"active_manager.max_unseen_media": 9}
    (task,) = a.tasks
    assert (task.title, task.task_type, task.iterations, task.auto_training) == ("Detection task", "detection", 13,
                                                                                 True)
    assert "postprocessing.class_name" not in task.editable and "iterations" in task.editable
    assert ProjectSettings.from_json(json.loads(json.dumps(a.to_json()))) == a


@pytest.mark.parametrize("body, named", [
    ({"global": "x"}, "global"),
    ({"task_chain": [{"components": [{"parameters": []}]}]}, "task_chain[0].components[0]"),
    ({"something": 1}, "no 'global' or 'task_chain'"), ([], "not a JSON object"),
    ({"tasks": {"T": {"components": [{"entity_identifier": {}, "parameters": [{"value": 1}]}]}}},
     "tasks['T'].components[0].parameters[0]"),
])
def test_unknown_shapes_are_refused_naming_the_key(body, named) -> None:
    with pytest.raises(ValueError, match="configuration.json") as caught:
        settings_from_backup(body, None, {})
    assert named in str(caught.value)


def test_other_dialects_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="geti-v3"):
        settings_from_backup({"global": []}, "geti-v3", {})


def test_update_writes_only_changed_editable_values_and_reports_the_rest() -> None:
    current = locate(_task_components("new", 3, False, "a"), "x")
    wanted = {"iterations": 9, "auto_training": True, "postprocessing.class_name": "b",
              "subset_parameters.test_proportion": 0.2, "learning_parameters.batch_size": 8,
              "other.unknown": 1}
    components, not_applied, changed = update_bodies(current, wanted, frozenset({"auto_training"}), "T: ")
    assert sorted(changed) == ["iterations", "subset_parameters.test_proportion"]
    assert set(not_applied) == {"T: postprocessing.class_name", "T: other.unknown"}
    assert "not editable" in not_applied["T: postprocessing.class_name"]
    by_kind = {c["entity_identifier"].get("group_name") or c["entity_identifier"]["component"]: c for c in components}
    assert by_kind["learning_parameters"]["entity_identifier"]["model_storage_id"] == "new"
    assert by_kind["learning_parameters"]["parameters"] == [{"name": "num_iters", "value": 9}]
    assert by_kind["SUBSET_MANAGER"]["groups"][0]["parameters"] == [{"name": "test_proportion", "value": 0.2}]


def test_tasks_match_by_title_then_by_position() -> None:
    settings = ProjectSettings([TaskSettings("Detection task", "detection"), TaskSettings("Other", "classification"),
                                TaskSettings("Third", "x")])
    first, second, _third = settings.tasks
    assert settings.match_tasks(["Detection task", "Renamed"]) == [first, second]
    assert settings.match_tasks(["Renamed", "Detection task"]) == [None, first]  # position 0's title is taken


def test_seed_era_configuration_reads(shared) -> None:
    folder = shared.datasets("seed-era-backups/seed-detection")
    settings = load_backup_settings(folder, None, {"Detection task": "detection"})
    (task,) = settings.tasks
    assert task.iterations == 13 and task.auto_training is False
    assert settings.parameters["active_manager.max_unseen_media"] == 500
