"""SC 1.0 configurable parameters <-> the neutral settings model (:mod:`sc_importers.settings`).

SC 1.0 (and the legacy configuration API of Geti 2.x, which has the same shape) describes a
project's settings as components: ``GET /configuration`` answers ``{"global": [component, ...],
"task_chain": [{"task_id", "task_title", "components": [...]}, ...]}``. A component is named by its
``entity_identifier`` (``COMPONENT_PARAMETERS`` with a ``component`` such as ``TASK_NODE``, or a
``HYPER_PARAMETER_GROUP`` with a ``group_name`` such as ``learning_parameters``) and holds
``parameters`` and nested ``groups`` of parameters.

Neutral keys: the parameters SC 1.0 shares with Geti 2.x get the key of the one table in
:mod:`sc_importers.rest.legacy_parameters` (``auto_training``, ``iterations``,
``min_images_per_label``: SC's ``DATASET_COUNTER.required_images_first_training``, ...); every other
parameter ``"<section>.<name>"``, the section being the lower-cased component or group name (a
parameter of a nested group: that group's name, e.g. ``subset_parameters.test_proportion``).

Parsing never trusts its input: a body of the wrong shape raises ``ValueError`` naming the key.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sc_importers.rest.legacy_parameters import LEGACY_KEYS, is_iteration_parameter
from sc_importers.settings import ITERATIONS, ProjectSettings, TaskSettings, same_value


@dataclass
class Located:
    """One parameter of a configuration: its neutral key, where it lives (the component's
    identifier, the nested group's name or None, the parameter name), value and editability."""

    key: str
    identifier: dict
    group: str | None
    name: str
    value: Any
    editable: bool


def _section(identifier: dict) -> str:
    if identifier.get("type") == "HYPER_PARAMETER_GROUP":
        return str(identifier.get("group_name") or "").lower()
    return str(identifier.get("component") or "").lower()


def _parameters(node: dict, where: str) -> Iterator[dict]:
    params = node.get("parameters") or []
    if not isinstance(params, list):
        raise ValueError(f"{where}: 'parameters' is not a list")
    for index, param in enumerate(params):
        if not isinstance(param, dict) or not isinstance(param.get("name"), str):
            raise ValueError(f"{where}.parameters[{index}]: not a parameter with a 'name'")
        if "value" in param:
            yield param


def locate(components: object, where: str) -> list[Located]:
    """Every parameter of a list of components, with its neutral key; ``where`` names the list in
    errors (e.g. ``configuration.json: task_chain[0].components``)."""
    if not isinstance(components, list):
        raise ValueError(f"{where}: not a list of components")
    found: list[Located] = []
    iterations_taken = False
    for index, component in enumerate(components):
        at = f"{where}[{index}]"
        if not isinstance(component, dict) or not isinstance(component.get("entity_identifier"), dict):
            raise ValueError(f"{at}: not a component with an 'entity_identifier'")
        identifier = component["entity_identifier"]
        section = _section(identifier)
        nodes: list[tuple[str | None, dict, str]] = [(None, component, at)]
        groups = component.get("groups") or []
        if not isinstance(groups, list):
            raise ValueError(f"{at}: 'groups' is not a list")
        for g_index, group in enumerate(groups):
            if not isinstance(group, dict) or not isinstance(group.get("name"), str):
                raise ValueError(f"{at}.groups[{g_index}]: not a group with a 'name'")
            nodes.append((group["name"], group, f"{at}.groups[{g_index}]"))
        for group_name, node, node_at in nodes:
            for param in _parameters(node, node_at):
                name = param["name"]
                key = LEGACY_KEYS.get((section, name)) if group_name is None else None
                if (key is None and group_name is None and is_iteration_parameter(section, name)
                        and not iterations_taken):
                    key, iterations_taken = ITERATIONS, True
                if key is None:
                    key = f"{(group_name or section).lower()}.{name}"
                found.append(Located(key, identifier, group_name, name, param["value"],
                                     bool(param.get("editable", True))))
    return found


def _values(located: list[Located]) -> tuple[dict[str, Any], set[str]]:
    values: dict[str, Any] = {}
    editable: set[str] = set()
    for item in located:
        values.setdefault(item.key, item.value)
        if item.editable:
            editable.add(item.key)
    return values, editable


def parameters_of(components: object, where: str) -> tuple[dict[str, Any], set[str]]:
    """The values (by neutral key) and editable keys of a list of components (a task's
    ``components`` or the project's ``global``); ``where`` names the list in errors."""
    return _values(locate(components, where))


def settings_from_configuration(config: object, task_types: dict[str, str] | None = None,
                                source: str = "configuration") -> ProjectSettings:
    """A ``GET /configuration`` body (``global`` + ``task_chain``) as neutral settings.
    ``task_types`` maps task titles (or task ids) to task types, which the body does not carry."""
    if not isinstance(config, dict):
        raise ValueError(f"{source}: not a JSON object")
    if "global" not in config and "task_chain" not in config:
        raise ValueError(f"{source}: no 'global' or 'task_chain' key")
    types = task_types or {}
    values, editable = _values(locate(config.get("global") or [], f"{source}: global"))
    tasks = []
    chain = config.get("task_chain") or []
    if not isinstance(chain, list):
        raise ValueError(f"{source}: 'task_chain' is not a list")
    for index, entry in enumerate(chain):
        if not isinstance(entry, dict):
            raise ValueError(f"{source}: task_chain[{index}] is not an object")
        title = str(entry.get("task_title") or "")
        task_type = types.get(title) or types.get(str(entry.get("task_id") or ""), "")
        params, task_editable = _values(locate(entry.get("components") or [],
                                               f"{source}: task_chain[{index}].components"))
        tasks.append(TaskSettings(title, task_type, params, task_editable))
    return ProjectSettings(tasks, values, editable)


def settings_from_saved_configuration(data: object, task_types: dict[str, str] | None = None,
                                      source: str = "configuration.json") -> ProjectSettings:
    """A backup's ``configuration.json`` in any shape it was written in: the plain ``GET
    /configuration`` body (``{"global", "task_chain"}``: the 2022 client, geti-sdk, and sc-export
    since backups carry ``settings.json``), or sc-export's older ``{"project": <GET
    /configuration>, "tasks": {"<task title>": <GET /configuration/task_chain/{id}>}}``."""
    if isinstance(data, dict) and isinstance(data.get("tasks"), dict):
        project = data.get("project") or {}
        if not isinstance(project, dict):
            raise ValueError(f"{source}: 'project' is not an object")
        values, editable = _values(locate(project.get("global") or [], f"{source}: project.global"))
        tasks = []
        for title, entry in data["tasks"].items():
            if not isinstance(entry, dict):
                raise ValueError(f"{source}: tasks[{title!r}] is not an object")
            params, task_editable = _values(locate(entry.get("components") or [],
                                                   f"{source}: tasks[{title!r}].components"))
            tasks.append(TaskSettings(str(title), (task_types or {}).get(str(title), ""), params, task_editable))
        return ProjectSettings(tasks, values, editable)
    return settings_from_configuration(data, task_types, source)


def update_bodies(current: list[Located], wanted: dict[str, Any], skip: frozenset[str],
                  where: str) -> tuple[list[dict], dict[str, str], list[str]]:
    """Components to POST so that the parameters of ``current`` take the ``wanted`` values.

    Returns (components, not applied: ``"<where><key>" -> reason``, keys changed). Only editable
    parameters whose value differs are written; unknown and read-only ones are reported."""
    by_key: dict[str, Located] = {}
    for located in current:
        by_key.setdefault(located.key, located)
    components: dict[tuple, dict] = {}
    not_applied: dict[str, str] = {}
    changed: list[str] = []
    for key, value in wanted.items():
        if key in skip:
            continue
        item = by_key.get(key)
        if item is None:
            not_applied[f"{where}{key}"] = "the server has no such parameter"
            continue
        if same_value(item.value, value):
            continue
        if not item.editable:
            not_applied[f"{where}{key}"] = f"not editable on the server (it keeps {item.value!r})"
            continue
        ident_key = tuple(sorted((k, str(v)) for k, v in item.identifier.items()))
        component = components.setdefault(ident_key, {"entity_identifier": item.identifier, "parameters": []})
        entry = {"name": item.name, "value": value}
        if item.group is None:
            component["parameters"].append(entry)
        else:
            groups = component.setdefault("groups", [])
            group = next((g for g in groups if g["name"] == item.group), None)
            if group is None:
                group = {"name": item.group, "type": "PARAMETER_GROUP", "parameters": []}
                groups.append(group)
            group["parameters"].append(entry)
        changed.append(key)
    return list(components.values()), not_applied, changed
