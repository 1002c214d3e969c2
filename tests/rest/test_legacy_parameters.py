"""The one table of neutral keys both dialects use: a parameter that is the same thing under two
names gets one key whether SC 1.0, Geti's legacy API (read by the same code) or Geti 2.12+ answered it, and a backup
written before a parameter joined the table still restores it."""

from __future__ import annotations

import json

from sc_importers.rest import geti_v1_settings as geti
from sc_importers.rest.base import RemoteTask
from sc_importers.rest.saved_settings import load_backup_settings
from sc_importers.rest.sc_v1_settings import locate, parameters_of


def _counter(*params: tuple[str, object]) -> list[dict]:
    return [{"entity_identifier": {"type": "COMPONENT_PARAMETERS", "component": "DATASET_COUNTER", "task_id": "t"},
             "parameters": [{"name": n, "value": v} for n, v in params]},
            {"entity_identifier": {"type": "HYPER_PARAMETER_GROUP", "group_name": "learning_parameters"},
             "parameters": [{"name": "max_num_epochs", "value": 40}]},
            {"entity_identifier": {"type": "COMPONENT_PARAMETERS", "component": "TASK_NODE", "task_id": "t"},
             "parameters": [{"name": "auto_training", "value": False}]}]


def test_the_three_shapes_name_shared_parameters_alike() -> None:
    sc1 = {item.key: item.value for item in locate(_counter(("required_images_first_training", 6),
                                                            ("required_images_retraining", 3)), "sc")}
    legacy, _ = parameters_of(_counter(("required_images_auto_training", 6),
                                       ("use_dynamic_required_annotations", True)), "geti legacy")
    task = RemoteTask("t", "T", "detection", [])
    modern = geti.modern_task_settings(task, {"task_id": "t", "auto_training": [
        {"key": "enable", "value": False}, {"key": "min_images_per_label", "value": 6},
        {"key": "enable_dynamic_required_annotations", "value": True}]},
        {"task_id": "t", "training": [{"key": "max_epochs", "value": 40}]})
    shared = {"auto_training": False, "iterations": 40, "min_images_per_label": 6}
    assert sc1 == {**shared, "dataset_counter.required_images_retraining": 3}
    assert legacy == {**shared, "dynamic_required_annotations": True}
    assert modern.parameters == {**shared, "dynamic_required_annotations": True}


def test_a_settings_json_of_before_the_table_is_read_with_the_current_keys(tmp_path) -> None:
    (tmp_path / "settings.json").write_text(json.dumps({"parameters": {}, "editable": [], "tasks": [
        {"title": "T", "task_type": "detection", "editable": ["dataset_counter.required_images_first_training"],
         "parameters": {"dataset_counter.required_images_first_training": 6, "iterations": 3}}]}))
    settings = load_backup_settings(tmp_path, "sc-v1", {})
    (task,) = settings.tasks
    assert task.parameters == {"min_images_per_label": 6, "iterations": 3}
    assert task.editable == {"min_images_per_label"}
