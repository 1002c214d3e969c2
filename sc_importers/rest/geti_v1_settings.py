"""Geti v1 configuration JSON <-> the neutral settings model (:mod:`sc_importers.settings`).

A Geti 2.x server has one of two configuration APIs (:mod:`sc_importers.rest.geti_v1` picks):

* **2.12 and later**: ``project_configuration`` (per task: ``training.constraints`` and an
  ``auto_training`` list of ``{key, value}`` entries; PATCH takes every task entry back) and
  ``training_configuration`` (per task; the number of epochs is the entry ``max_epochs``);
* **before 2.12**: the legacy "configurable parameters" (components with ``entity_identifier``s,
  the shape SC 1.0 has), read per task from ``configuration/task_chain/{task_id}`` and converted by
  the same code as SC 1.0's (:mod:`sc_importers.rest.sc_v1_settings`).

The parameters Geti shares with SC 1.0 get the key of the one table in
:mod:`sc_importers.rest.legacy_parameters` (``auto_training`` is ``auto_training.enable``, legacy
``TASK_NODE.auto_training``; ``iterations`` is ``max_epochs``, legacy ``max_num_epochs`` or
``num_iters``; ...). Every other entry is ``"<section>.<key>"``: the top-level part of the task
configuration it sits in (``training``, ``auto_training``), or the legacy component / parameter
group, lower-cased.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sc_importers.rest.base import RemoteTask
from sc_importers.rest.legacy_parameters import modern_key
from sc_importers.settings import TaskSettings

__all__ = ["modern_key"]  # re-exported: geti_v1_config matches entries by it


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
