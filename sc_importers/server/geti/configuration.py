"""Configuration in the Geti 2.x dialect, on the configuration the store keeps per project (the SC
dialect's configurable-parameter components, see :mod:`sc_importers.server.configuration`).

* Legacy API: ``/configuration``, ``/configuration/global``, ``/configuration/task_chain`` and
  ``/configuration/task_chain/{task_id}``, the same component shapes, updated by the same code.
* Geti 2.12+ API: ``project_configuration`` (auto-training per task) and ``training_configuration``
  (``max_epochs``), key/value views mapped onto stored parameters:

  ======================================  =====================================================
  Geti 2.12+ key                           stored parameter
  ======================================  =====================================================
  ``auto_training.enable``                 ``TASK_NODE.auto_training``
  ``auto_training.min_images_per_label``   ``DATASET_COUNTER.required_images_auto_training``
                                           (SC-created projects: ``required_images_first_training``)
  ``auto_training.enable_dynamic_...``     ``DATASET_COUNTER.use_dynamic_required_annotations``
  ``training.constraints.min_images...``   kept in the meta table per task (no legacy parameter)
  ``training.max_epochs``                  ``learning_parameters.max_num_epochs`` or ``num_iters``
  ======================================  =====================================================
"""

from __future__ import annotations

import copy
from typing import TypeVar

from sc_importers.server.configuration import build_configuration
from sc_importers.server.project_builder import trainable_tasks

T = TypeVar("T")

#: Geti 2.x's DATASET_COUNTER parameters (replacing SC 1.0's in projects the Geti dialect creates).
_GETI_COUNTER = (
    ("label_constraint_first_training", "boolean", False, "Require every label before the first training",
     "When on, the first training round waits until each label has the required number of annotations."),
    ("use_dynamic_required_annotations", "boolean", True, "Dynamic required annotations",
     "When on, the number of annotations required for auto-training grows with the dataset."),
    ("required_images_auto_training", "integer", 12, "Number of images required for auto-training",
     "Annotated images needed before auto-training starts a round."),
)
EPOCH_PARAMETERS = ("max_num_epochs", "num_iters")


def counter_parameter(name: str) -> dict:
    """The definition of one Geti 2.x DATASET_COUNTER parameter, at its default value."""
    _, kind, default, header, description = next(p for p in _GETI_COUNTER if p[0] == name)
    param = {"data_type": kind, "default_value": default, "description": description, "editable": True,
             "header": header, "name": name, "template_type": "input", "ui_rules": {}, "value": default,
             "warning": None}
    if kind == "integer":
        param.update(min_value=3, max_value=10000)
    return param


def geti_configuration(project: dict, workspace_id: str) -> dict:
    """The default configuration of a project created through the Geti dialect: the SC dialect's,
    with Geti 2.x's DATASET_COUNTER parameters."""
    config = build_configuration(project, workspace_id, trainable_tasks(project))
    for entry in config["task_chain"]:
        for component in entry["components"]:
            if component["entity_identifier"].get("component") == "DATASET_COUNTER":
                component["parameters"] = [counter_parameter(p[0]) for p in _GETI_COUNTER]
    return config


def component(entry: dict, name: str) -> dict | None:
    return next((c for c in entry["components"] if c["entity_identifier"].get("component") == name), None)


def parameter(comp: dict | None, *names: str) -> dict | None:
    """The first parameter of ``comp`` named one of ``names``."""
    if comp is None:
        return None
    for name in names:
        found = next((p for p in comp.get("parameters", []) if p["name"] == name), None)
        if found is not None:
            return found
    return None


def epochs_parameter(entry: dict) -> dict | None:
    """The epoch/iteration count of the task's learning parameters."""
    groups = [c for c in entry["components"] if c["entity_identifier"].get("group_name") == "learning_parameters"]
    return next((p for g in groups for p in [parameter(g, *EPOCH_PARAMETERS)] if p is not None), None)


def with_geti_workspace(config: T, geti_workspace_id: str) -> T:
    """A copy of a configuration body whose entity identifiers name the Geti workspace id."""
    config = copy.deepcopy(config)

    def walk(node: object) -> None:
        if isinstance(node, dict):
            ident = node.get("entity_identifier")
            if isinstance(ident, dict) and "workspace_id" in ident:
                ident["workspace_id"] = geti_workspace_id
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(config)
    return config
