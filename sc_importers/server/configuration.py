"""Project configuration: built from ``config_templates.json`` (modelled on SC 1.0's configuration
bodies) when a project is created, then updated by ``POST /configuration``,
``POST /configuration/global`` and ``POST /configuration/task_chain/{task_id}``.

Components are matched by their ``entity_identifier`` (component + task, or hyper-parameter group +
model storage), parameters by name; values are checked against ``data_type`` and min/max, and an
update that fails any check changes nothing. A non-editable parameter may be sent with its current
value (clients post back what they read); a changed one is refused, naming it.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path

from sc_importers.server.errors import bad_request
from sc_importers.server.ids import new_id

_TEMPLATES = Path(__file__).with_name("config_templates.json")
#: Task types without a recorded template use the one of their family (not recorded).
_TEMPLATE_FOR = {
    "classification": "classification", "anomaly_classification": "classification",
    "detection": "detection", "rotated_detection": "detection", "anomaly_detection": "classification",
    "segmentation": "segmentation", "instance_segmentation": "segmentation",
    "anomaly_segmentation": "classification",
}


@lru_cache(maxsize=1)
def _templates() -> dict:
    with open(_TEMPLATES, encoding="utf-8") as handle:
        return json.load(handle)


def _fill(component: dict, ids: dict[str, str], component_id: str) -> dict:
    filled = copy.deepcopy(component)
    ident = filled["entity_identifier"]
    for key, value in ident.items():
        if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
            ident[key] = ids[value[1:-1]]
    filled["id"] = component_id
    return filled


def build_configuration(project: dict, workspace_id: str, trainable: list[dict]) -> dict:
    """The full default configuration (``global`` and ``task_chain``) of a new project."""
    base_ids = {"workspace_id": workspace_id, "project_id": project["id"]}
    config: dict = {"global": [_fill(c, {**base_ids, "task_id": ""}, new_id()) for c in _templates()["global"]],
                    "task_chain": []}
    for task in trainable:
        ids = {**base_ids, "task_id": task["id"], "model_storage_id": new_id()}
        hyper_id = new_id()
        components = []
        for index, comp in enumerate(_templates()["task_types"][_TEMPLATE_FOR[task["task_type"]]]):
            is_hyper = comp["entity_identifier"]["type"] == "HYPER_PARAMETER_GROUP"
            components.append(_fill(comp, ids, f"{hyper_id}-{index}" if is_hyper else new_id()))
        config["task_chain"].append({"components": components, "task_id": task["id"], "task_title": task["title"]})
    return config


def _key(ident: object) -> tuple:
    if not isinstance(ident, dict):
        return ()
    if ident.get("type") == "HYPER_PARAMETER_GROUP":
        return ("hyper", ident.get("group_name"), ident.get("model_storage_id"))
    return ("component", ident.get("component"), ident.get("task_id") or "")


def _find_component(components: list[dict], ident: object) -> dict | None:
    """The component ``ident`` names: by its full identifier, or, when the identifier carries no
    task / model storage id (a configuration saved without ids, as backups of old clients hold it),
    by component or group name alone if exactly one component has it."""
    key = _key(ident)
    exact = next((c for c in components if _key(c["entity_identifier"]) == key), None)
    if exact is not None or not key or key[2]:
        return exact
    loose = [c for c in components if _key(c["entity_identifier"])[:2] == key[:2]]
    return loose[0] if len(loose) == 1 else None


def check_value(param: dict, value: object, where: str) -> object:
    kind = param.get("data_type")
    name = param["name"]
    if kind == "boolean":
        if not isinstance(value, bool):
            raise bad_request(f"{where}: parameter {name!r} must be a boolean, got {value!r}.")
    elif kind in ("integer", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad_request(f"{where}: parameter {name!r} must be a number, got {value!r}.")
        if kind == "integer" and int(value) != value:
            raise bad_request(f"{where}: parameter {name!r} must be an integer, got {value!r}.")
        low, high = param.get("min_value"), param.get("max_value")
        if (low is not None and value < low) or (high is not None and value > high):
            raise bad_request(f"{where}: parameter {name!r}={value!r} is outside [{low}, {high}].")
        value = int(value) if kind == "integer" else float(value)
    elif kind == "string" and not isinstance(value, str):
        raise bad_request(f"{where}: parameter {name!r} must be a string, got {value!r}.")
    return value


def _apply_parameters(target: dict, given: object, where: str) -> None:
    if given is None:
        return
    if not isinstance(given, list):
        raise bad_request(f"{where}: 'parameters' must be a list.")
    by_name = {p["name"]: p for p in target.get("parameters", [])}
    for item in given:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or item["name"] not in by_name:
            name = item.get("name") if isinstance(item, dict) else item
            raise bad_request(f"{where}: unknown parameter {name!r}.")
        if "value" not in item:
            raise bad_request(f"{where}: parameter {item['name']!r} has no 'value'.")
        param = by_name[item["name"]]
        if not param.get("editable", True):
            if item["value"] == param.get("value") and type(item["value"]) is type(param.get("value")):
                continue  # a configuration posted back as read: the unchanged value is no edit
            raise bad_request(f"{where}: parameter {item['name']!r} is not editable.")
        param["value"] = check_value(param, item["value"], where)


def _apply_component(components: list[dict], update: object) -> None:
    if not isinstance(update, dict):
        raise bad_request(f"Configuration component must be an object, got {update!r}.")
    target = _find_component(components, update.get("entity_identifier"))
    if target is None:
        raise bad_request(f"No configurable component matches entity_identifier {update.get('entity_identifier')!r}.")
    where = f"component {target.get('header', target['id'])!r}"
    _apply_parameters(target, update.get("parameters"), where)
    groups = update.get("groups") or []
    if not isinstance(groups, list):
        raise bad_request(f"{where}: 'groups' must be a list.")
    for group in groups:
        name = group.get("name") if isinstance(group, dict) else None
        sub = next((g for g in target.get("groups", []) if isinstance(name, str) and g["name"] == name), None)
        if sub is None:
            raise bad_request(f"{where}: unknown parameter group {name!r}.")
        _apply_parameters(sub, group.get("parameters"), f"{where}, group {name!r}")


def update_task_chain(config: dict, task_id: str, body: object) -> dict:
    """A copy of ``config`` with the components of ``body`` (for task ``task_id``) applied."""
    new = copy.deepcopy(config)
    entry = next(e for e in new["task_chain"] if e["task_id"] == task_id)
    if not isinstance(body, dict) or not isinstance(body.get("components"), list):
        raise bad_request("Task configuration body needs a list of 'components'.")
    for update in body["components"]:
        _apply_component(entry["components"], update)
    return new


def update_full(config: dict, body: object) -> dict:
    """A copy of ``config`` with a whole-project configuration body (``global``, ``task_chain``) applied."""
    new = copy.deepcopy(config)
    if not isinstance(body, dict):
        raise bad_request("Configuration body must be a JSON object.")
    _apply_global(new, body.get("global") or [])
    for task_body in body.get("task_chain") or []:
        if not isinstance(task_body, dict):
            raise bad_request(f"task_chain entries must be objects, got {task_body!r}.")
        task_id, title = task_body.get("task_id"), task_body.get("task_title")
        if task_id:
            entries = [e for e in new["task_chain"] if e["task_id"] == task_id]
        elif title:
            entries = [e for e in new["task_chain"] if e["task_title"] == title]
        else:
            entries = new["task_chain"]
        if not entries:
            what = f"id {task_id!r}" if task_id else f"title {title!r}"
            raise bad_request(f"Project has no trainable task with {what}.")
        every = [c for e in entries for c in e["components"]]
        for update in task_body.get("components") or []:
            _apply_component(every, update)
    return new


def _apply_global(config: dict, components: object) -> None:
    if not isinstance(components, list):
        raise bad_request("'global' must be a list of configuration components.")
    for update in components:
        _apply_component(config["global"], update)


def update_global(config: dict, body: object) -> dict:
    """A copy of ``config`` with a ``POST /configuration/global`` body applied: ``{"global": [...]}``
    (also a bare list of components, as some clients send it)."""
    new = copy.deepcopy(config)
    if isinstance(body, dict) and "global" in body:
        body = body["global"]
    if not isinstance(body, list):
        raise bad_request("Global configuration body needs a list of components under 'global'.")
    _apply_global(new, body)
    return new
