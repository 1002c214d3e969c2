"""Geti v1 configuration JSON <-> the neutral settings model (:mod:`sc_importers.settings`).

A Geti 2.x server has one of two configuration APIs (:mod:`sc_importers.rest.geti_v1` picks):

* **2.12 and later**: ``project_configuration`` (per task: ``training.constraints`` and an
  ``auto_training`` list of ``{key, value}`` entries; PATCH takes every task entry back) and
  ``training_configuration`` (per task; the number of epochs is the entry ``max_epochs``);
* **before 2.12**: the legacy "configurable parameters" (components with ``entity_identifier``s,
  the shape SC 1.0 has), read per task from ``configuration/task_chain/{task_id}``.

Well-known keys: ``auto_training`` is ``auto_training.enable`` (legacy: ``TASK_NODE``'s
``auto_training``); ``iterations`` is ``max_epochs`` (legacy: ``max_num_epochs`` or ``num_iters``
of ``learning_parameters``); ``min_images_per_label`` and ``dynamic_required_annotations`` are the
``auto_training`` entries ``min_images_per_label`` and ``enable_dynamic_required_annotations``
(legacy: ``DATASET_COUNTER``'s ``required_images_auto_training`` and
``use_dynamic_required_annotations``). Every other entry is ``"<section>.<key>"``: the top-level
part of the task configuration it sits in (``training``, ``auto_training``), or the legacy
component / parameter group, lower-cased.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sc_importers.rest.base import RemoteTask
from sc_importers.rest.sc_v1_records import ITERATION_PARAMETER_NAMES
from sc_importers.settings import (
    AUTO_TRAINING,
    DYNAMIC_REQUIRED_ANNOTATIONS,
    ITERATIONS,
    MIN_IMAGES_PER_LABEL,
    ProjectSettings,
    TaskSettings,
)

#: (section, key) of a 2.12+ configuration entry -> neutral key.
_MODERN_KEYS = {
    ("auto_training", "enable"): AUTO_TRAINING,
    ("auto_training", "enable_dynamic_required_annotations"): DYNAMIC_REQUIRED_ANNOTATIONS,
    ("auto_training", "min_images_per_label"): MIN_IMAGES_PER_LABEL,
    ("training", "max_epochs"): ITERATIONS,
}
#: (section, name) of a legacy parameter -> neutral key.
_LEGACY_KEYS = {
    ("task_node", "auto_training"): AUTO_TRAINING,
    ("dataset_counter", "required_images_auto_training"): MIN_IMAGES_PER_LABEL,
    ("dataset_counter", "use_dynamic_required_annotations"): DYNAMIC_REQUIRED_ANNOTATIONS,
    **{("learning_parameters", name): ITERATIONS for name in ITERATION_PARAMETER_NAMES},
}


# -- 2.12+: project_configuration / training_configuration ----------------------------------------
def key_value_entries(node: Any, section: str | None = None) -> Iterator[tuple[str, dict]]:
    """Every ``{key, value}`` entry of a 2.12+ configuration object with the top-level section it
    sits in (``task_id`` and other plain fields are not entries)."""
    if isinstance(node, dict):
        if section is not None and isinstance(node.get("key"), str) and "value" in node:
            yield section, node
            return
        for name, value in node.items():
            if isinstance(value, (dict, list)):
                yield from key_value_entries(value, section if section is not None else name)
    elif isinstance(node, list):
        for value in node:
            yield from key_value_entries(value, section)


def modern_key(section: str, key: str) -> str:
    return _MODERN_KEYS.get((section, key), f"{section}.{key}")


def task_entry(project_configuration: Any, task: RemoteTask) -> dict | None:
    """The ``task_configs`` entry of ``task`` (by ``task_id``), or None."""
    configs = project_configuration.get("task_configs") if isinstance(project_configuration, dict) else None
    return next((c for c in configs or [] if isinstance(c, dict) and str(c.get("task_id")) == task.id), None)


def modern_task_settings(task: RemoteTask, entry: dict | None, training: dict | None) -> TaskSettings:
    """One task's settings from its ``project_configuration`` entry and ``training_configuration``."""
    settings = TaskSettings(task.title, task.task_type)
    for source in (entry, training):
        for section, item in key_value_entries(source or {}):
            key = modern_key(section, item["key"])
            settings.parameters.setdefault(key, item["value"])
            if item.get("editable", True) is not False:
                settings.editable.add(key)
    return settings


def modern_patch(project_configuration: dict, changes: dict[str, dict[str, Any]]) -> dict:
    """The ``PATCH project_configuration`` body: every task entry, each with only ``key``/``value``
    pairs of its sections, ``changes`` (task id -> {neutral key: value}) written in."""
    task_configs = []
    for entry in project_configuration.get("task_configs") or []:
        wanted = changes.get(str(entry.get("task_id")), {})
        out: dict = {"task_id": entry.get("task_id")}
        for name, value in entry.items():
            if name == "task_id" or not isinstance(value, (dict, list)):
                continue
            out[name] = _values_only(value, name, wanted)
        task_configs.append(out)
    return {"task_configs": task_configs}


def _values_only(node: Any, section: str, wanted: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if isinstance(node.get("key"), str) and "value" in node:
            key = modern_key(section, node["key"])
            return {"key": node["key"], "value": wanted.get(key, node["value"])}
        return {k: _values_only(v, section, wanted) for k, v in node.items() if isinstance(v, (dict, list))}
    return [_values_only(v, section, wanted) for v in node]


def training_patch(training: dict, values: dict[str, Any]) -> dict:
    """The ``PATCH training_configuration`` body writing ``values`` (neutral key -> value): only the
    changed entries, in the sections they came from."""
    body: dict = {"task_id": training.get("task_id")} if "task_id" in training else {}
    for section, item in key_value_entries(training):
        key = modern_key(section, item["key"])
        if key in values:
            body.setdefault(section, []).append({"key": item["key"], "value": values[key]})
    return body


# -- before 2.12: configurable parameters ----------------------------------------------------------
def legacy_parameters(node: Any, section: str = "") -> Iterator[tuple[str, dict, dict]]:
    """Every (section, component, parameter) of a legacy configuration: the section is the group a
    parameter sits in, else its component (``TASK_NODE``) or parameter group (``learning_parameters``)."""
    if isinstance(node, list):
        for value in node:
            yield from legacy_parameters(value, section)
        return
    if not isinstance(node, dict):
        return
    ident = node.get("entity_identifier")
    if isinstance(ident, dict):
        section = str(ident.get("component") or ident.get("group_name") or node.get("name") or "").lower()
    elif isinstance(node.get("name"), str) and "parameters" in node:
        section = node["name"].lower()
    for param in node.get("parameters") or []:
        if isinstance(param, dict) and "name" in param and "value" in param:
            yield section, node, param
    for key, value in node.items():
        if key not in ("parameters", "entity_identifier", "ui_rules") and isinstance(value, (dict, list)):
            yield from legacy_parameters(value, section)


def legacy_key(section: str, name: str) -> str:
    return _LEGACY_KEYS.get((section, name), f"{section}.{name}")


def legacy_settings(node: Any, settings: TaskSettings | ProjectSettings) -> None:
    """Fill ``settings`` (parameters, editable keys) from a legacy configuration ``node``."""
    for section, _component, param in legacy_parameters(node):
        key = legacy_key(section, param["name"])
        if key in settings.parameters:
            continue
        settings.parameters[key] = param["value"]
        if param.get("editable", True) is not False:
            settings.editable.add(key)


def legacy_update(config: dict, values: dict[str, Any]) -> dict | None:
    """A ``configuration/task_chain/{task}`` (or ``/configuration/global``) POST body setting
    ``values`` (neutral key -> value): per component its identifier and the changed parameters,
    grouped parameters inside their group. None when nothing is to change."""
    components: list[dict] = []
    for component in config.get("components", config.get("global", [])) or []:
        if not isinstance(component, dict) or "entity_identifier" not in component:
            continue
        entry: dict = {"entity_identifier": component["entity_identifier"]}
        own = [{"name": p["name"], "value": values[k]} for s, _c, p in legacy_parameters(
            {"parameters": component.get("parameters") or []}, _section_of(component))
            if (k := legacy_key(s, p["name"])) in values]
        groups = []
        for group in component.get("groups") or []:
            params = [{"name": p["name"], "value": values[k]} for s, _c, p in legacy_parameters(group)
                      if (k := legacy_key(s, p["name"])) in values]
            if params:
                groups.append({"name": group.get("name"), "type": group.get("type"), "parameters": params})
        if own:
            entry["parameters"] = own
        if groups:
            entry["groups"] = groups
        if own or groups:
            components.append(entry)
    return {"components": components} if components else None


def _section_of(component: dict) -> str:
    ident = component.get("entity_identifier") or {}
    return str(ident.get("component") or ident.get("group_name") or component.get("name") or "").lower()
