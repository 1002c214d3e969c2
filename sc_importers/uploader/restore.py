"""Restoring a backed-up project's configuration onto the re-created project.

A backup's ``configuration.json`` (``Dataset.configuration``) is either ``{"project": <GET
/configuration>, "tasks": {"<task title>": <task configuration>}}`` (sc-export) or a plain ``GET
/configuration`` body with ``global`` and ``task_chain`` lists (geti-sdk). Both parts are restored:
each task's parameters and the project-level ("global") ones. The old configuration cannot be posted
as it is: its ``entity_identifier``s carry the old project's, task's and model storage's ids, which
the new server does not know. So each parameter value is carried over onto the new task's own
configuration: components are matched by what they are (the component name, or the
hyper-parameter group name), parameters and groups by name, and only editable parameters whose
value differs are written.

Auto-training is not part of that write: the uploader switches it on or off last, once everything
else is in place, so the server cannot start training on a half-configured project.
"""

from __future__ import annotations

from typing import Any

from sc_importers.rest.base import RemoteProject

#: Parameter names the uploader sets itself, after the rest of the configuration.
AUTO_TRAINING = "auto_training"


def backed_up_task_configs(configuration: dict | None) -> list[tuple[str | None, dict]]:
    """The backup's task configurations as (task title or None, configuration) in backup order."""
    if not isinstance(configuration, dict):
        return []
    tasks = configuration.get("tasks")
    if isinstance(tasks, dict):
        return [(str(title), cfg) for title, cfg in tasks.items() if isinstance(cfg, dict)]
    chain = configuration.get("task_chain")
    if isinstance(chain, list):
        return [(entry.get("task_title"), entry) for entry in chain if isinstance(entry, dict)]
    return []


def backed_up_project_components(configuration: dict | None) -> list[dict]:
    """The backup's project-level ("global") configuration components, or [] when it has none."""
    if not isinstance(configuration, dict):
        return []
    whole = configuration.get("project") if isinstance(configuration.get("tasks"), dict) else configuration
    found = whole.get("global") if isinstance(whole, dict) else None
    return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []


def match_tasks(project: RemoteProject, configs: list[tuple[str | None, dict]]) -> dict[str, dict]:
    """Backup configuration per new task id: by task title, falling back to pipeline position."""
    trainable = project.trainable_tasks
    by_title = {title: cfg for title, cfg in configs if title}
    matched: dict[str, dict] = {}
    for index, task in enumerate(trainable):
        if task.title in by_title:
            matched[task.id] = by_title[task.title]
        elif index < len(configs):
            matched[task.id] = configs[index][1]
    return matched


def _component_key(component: dict) -> tuple[str, str] | None:
    ident = component.get("entity_identifier")
    if not isinstance(ident, dict):
        return None
    if ident.get("type") == "HYPER_PARAMETER_GROUP":
        return ("hyper", str(ident.get("group_name")))
    return ("component", str(ident.get("component")))


def _components(config: dict) -> list[dict]:
    found = config.get("components")
    return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []


def _params(node: dict) -> dict[str, dict]:
    return {p["name"]: p for p in node.get("parameters") or [] if isinstance(p, dict) and "name" in p}


def _changed(current: dict, backup: dict, skip: set[str]) -> list[dict]:
    """``{name, value}`` for every editable parameter of ``current`` whose backup value differs."""
    old = _params(backup)
    out = []
    for name, param in _params(current).items():
        if name in skip or name not in old or "value" not in old[name]:
            continue
        if param.get("editable", True) and old[name]["value"] != param.get("value"):
            out.append({"name": name, "value": old[name]["value"]})
    return out


def configuration_update(current: dict, backup: dict, skip: set[str] = frozenset({AUTO_TRAINING})
                         ) -> tuple[dict, int]:
    """A task-configuration body for the new task (``current``: its getter's answer) carrying the
    backup's values, and the number of parameters it changes. Parameters named in ``skip`` are
    left alone."""
    backup_by_key = {_component_key(c): c for c in _components(backup)}
    components = []
    count = 0
    for component in _components(current):
        old = backup_by_key.get(_component_key(component))
        if old is None:
            continue
        entry: dict[str, Any] = {"entity_identifier": component["entity_identifier"],
                                 "parameters": _changed(component, old, skip)}
        count += len(entry["parameters"])
        old_groups = {g.get("name"): g for g in old.get("groups") or [] if isinstance(g, dict)}
        groups = []
        for group in component.get("groups") or []:
            if isinstance(group, dict) and group.get("name") in old_groups:
                params = _changed(group, old_groups[group["name"]], skip)
                if params:
                    groups.append({"name": group["name"], "type": group.get("type"), "parameters": params})
                    count += len(params)
        if groups:
            entry["groups"] = groups
        if entry["parameters"] or groups:
            components.append(entry)
    return {"components": components}, count


def parameter_value(config: dict, name: str) -> Any:
    """The value of the first parameter called ``name`` anywhere in ``config`` (groups included),
    or None."""
    for component in _components(config):
        for node in [component, *[g for g in component.get("groups") or [] if isinstance(g, dict)]]:
            param = _params(node).get(name)
            if param is not None and "value" in param:
                return param["value"]
    return None


def backed_up_auto_training(config: dict | None) -> bool | None:
    """The backed-up task's auto-training value, or None when the backup does not say."""
    value = parameter_value(config or {}, AUTO_TRAINING)
    return value if isinstance(value, bool) else None
