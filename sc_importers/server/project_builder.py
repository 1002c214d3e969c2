"""Turns a project-creation body (tasks and connections referenced by title) into the stored project
document, with the ids, label colors, groups and empty labels a real SC 1.0 server adds.

Choices where the recordings are silent are marked "not recorded" below.
"""

from __future__ import annotations

import random
from typing import Any

from sc_importers.server.errors import bad_request
from sc_importers.server.ids import new_id
from sc_importers.server.timefmt import now_iso

TRAINABLE_TYPES = {
    "classification", "detection", "segmentation", "instance_segmentation", "rotated_detection",
    "anomaly_classification", "anomaly_detection", "anomaly_segmentation",
}
ANOMALY_TYPES = {"anomaly_classification", "anomaly_detection", "anomaly_segmentation"}
#: The longest label name taken (SC 1.0's own limit is unrecorded; Geti 2.x's maxLength, our choice).
MAX_LABEL_NAME = 1000
#: The empty label SC adds per task type, as recorded ("No Object" for detection, "Empty" for
#: segmentation; its group is its own name). Classification and anomaly tasks get none (recorded for
#: classification; not recorded for the rest, which follow the same families).
EMPTY_LABEL_NAMES = {
    "detection": "No Object", "rotated_detection": "No Object",
    "segmentation": "Empty", "instance_segmentation": "Empty",
}
#: Anomaly tasks always get these two labels (not recorded; SC 1.0 docs: "Normal" and "Anomalous").
ANOMALY_LABELS = (("Normal", "#8bae46ff"), ("Anomalous", "#ff5662ff"))


def random_color() -> str:
    """A random label color in SC's ``#rrggbbff`` form."""
    return f"#{random.randrange(0x1000000):06x}ff"


def _label(name: str, group: str, color: str | None, hotkey: str, parent: str | None, empty: bool) -> dict:
    return {"color": color or random_color(), "group": group, "hotkey": hotkey, "id": new_id(),
            "is_empty": empty, "name": name, "parent_id": parent}


def _check_strings(spec: dict, title: str, keys: tuple[str, ...]) -> None:
    """Refuse label fields that are given but not strings (they are stored and compared as such)."""
    for key in keys:
        if spec.get(key) is not None and not isinstance(spec[key], str):
            raise bad_request(f"Task {title!r}: label field {key!r} must be a string, got {spec[key]!r}.")


def _build_labels(task: dict, title: str, task_type: str) -> list[dict]:
    given = task.get("labels") or []
    if not isinstance(given, list):
        raise bad_request(f"Task {title!r}: 'labels' must be a list.")
    default_group = f"default - {title}"
    if task_type in ANOMALY_TYPES:
        # Not recorded: SC creates Normal/Anomalous itself; colors/hotkeys given for them are kept.
        for spec in given:
            # Other names are ignored, as before (not recorded whether SC refuses them).
            if not isinstance(spec, dict) or not isinstance(spec.get("name", ""), str):
                raise bad_request(f"Task {title!r}: every label must be an object with a string 'name', got {spec!r}.")
            _check_strings(spec, title, ("color", "hotkey"))
        by_name = {lb.get("name"): lb for lb in given}
        return [_label(n, default_group, by_name.get(n, {}).get("color") or c,
                       by_name.get(n, {}).get("hotkey", ""), None, False) for n, c in ANOMALY_LABELS]
    if not given:
        raise bad_request(f"Task {title!r} of type {task_type} needs at least one label.")
    labels: list[dict] = []
    ids_by_name: dict[str, str] = {}
    for spec in given:
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not spec["name"].strip():
            raise bad_request(f"Task {title!r}: every label needs a non-empty 'name', got {spec!r}.")
        name = spec["name"]
        if len(name) > MAX_LABEL_NAME:  # SC 1.0's limit is unrecorded: Geti 2.x's maxLength (our choice)
            raise bad_request(f"Task {title!r}: label name {name[:40]!r}... ({len(name)} characters) is longer "
                              f"than {MAX_LABEL_NAME} characters.")
        if name in ids_by_name:
            raise bad_request(f"Task {title!r}: label name {name!r} is used twice.")
        _check_strings(spec, title, ("color", "group", "hotkey", "parent_id"))
        color = spec.get("color")
        if color is not None and not color.startswith("#"):
            raise bad_request(f"Task {title!r}: label {name!r} has an invalid color {color!r}.")
        label = _label(name, spec.get("group") or default_group, color, spec.get("hotkey") or "",
                       spec.get("parent_id"), False)
        ids_by_name[name] = label["id"]
        labels.append(label)
    for label in labels:  # parents are given by name (or by an id of this task)
        parent = label["parent_id"]
        if parent is None:
            continue
        if parent in ids_by_name:
            label["parent_id"] = ids_by_name[parent]
        elif parent not in ids_by_name.values():
            raise bad_request(f"Task {title!r}: label {label['name']!r} has unknown parent {parent!r}.")
    empty_name = EMPTY_LABEL_NAMES.get(task_type)
    if empty_name and empty_name not in ids_by_name:
        labels.append(_label(empty_name, empty_name, None, "", None, True))
    return labels


def build_project(body: object, workspace_id: str) -> dict:
    """The stored project document for a creation body; raises a 400 ApiError on any problem."""
    if not isinstance(body, dict):
        raise bad_request("Project body must be a JSON object.")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise bad_request("Project 'name' must be a non-empty string.")
    pipeline = body.get("pipeline")
    if not isinstance(pipeline, dict) or not isinstance(pipeline.get("tasks"), list):
        raise bad_request("Project body needs 'pipeline' with a list of 'tasks'.")
    tasks: list[dict] = []
    by_title: dict[str, dict] = {}
    for raw in pipeline["tasks"]:
        if not isinstance(raw, dict):
            raise bad_request(f"Every task must be an object, got {raw!r}.")
        title, task_type = raw.get("title"), raw.get("task_type")
        if not isinstance(title, str) or not title:
            raise bad_request(f"Task {raw!r} has no 'title'.")
        if title in by_title:
            raise bad_request(f"Task title {title!r} is used twice.")
        if not isinstance(task_type, str) or task_type not in TRAINABLE_TYPES | {"dataset", "crop"}:
            raise bad_request(f"Task {title!r} has unsupported task_type {task_type!r}.")
        task: dict[str, Any] = {"id": new_id(), "task_type": task_type, "title": title}
        if task_type in TRAINABLE_TYPES:
            task["label_schema_id"] = new_id()
            task["labels"] = _build_labels(raw, title, task_type)
        tasks.append(task)
        by_title[title] = task
    tasks = _chain_order(tasks, by_title, pipeline.get("connections"))
    connections = [{"from": by_title[c["from"]]["id"], "to": by_title[c["to"]]["id"]}
                   for c in pipeline["connections"]]
    _check_unique_label_names(tasks)
    project_id = new_id()
    return {
        "creation_time": now_iso(),
        "datasets": [{"id": new_id(), "name": name}],
        "id": project_id,
        "name": name,
        "pipeline": {"connections": connections, "tasks": tasks},
        "thumbnail": f"/api/v1.0/workspaces/{workspace_id}/projects/{project_id}/thumbnail",
    }


def _chain_order(tasks: list[dict], by_title: dict[str, dict], connections: object) -> list[dict]:
    """The tasks in pipeline order (following ``connections`` from the dataset task), after checking
    that they form one chain with a crop task between two trainable tasks."""
    datasets = [t for t in tasks if t["task_type"] == "dataset"]
    if len(datasets) != 1:
        raise bad_request("The pipeline needs exactly one task of type 'dataset'.")
    trainable = [t for t in tasks if t["task_type"] in TRAINABLE_TYPES]
    if not trainable:
        raise bad_request("The pipeline needs at least one trainable task.")
    if len(trainable) > 1 and any(t["task_type"] in ANOMALY_TYPES for t in trainable):
        raise bad_request("Anomaly tasks cannot be part of a task chain.")
    if not isinstance(connections, list) or not connections:
        raise bad_request("The pipeline needs 'connections' between its tasks (by title).")
    following: dict[str, str] = {}
    for conn in connections:
        ends = (conn.get("from"), conn.get("to")) if isinstance(conn, dict) else (None, None)
        if not all(isinstance(end, str) and end in by_title for end in ends):
            raise bad_request(f"Connection {conn!r} does not name two tasks of the pipeline by title.")
        if conn["from"] in following:
            raise bad_request(f"Task {conn['from']!r} has more than one outgoing connection.")
        following[conn["from"]] = conn["to"]
    order = [datasets[0]]
    while order[-1]["title"] in following and len(order) <= len(tasks):
        order.append(by_title[following[order[-1]["title"]]])
    if len(order) != len(tasks) or len({t["title"] for t in order}) != len(tasks):
        raise bad_request("Connections must link all tasks into one chain starting at the dataset task.")
    for a, b in zip(order, order[1:], strict=False):
        if a["task_type"] in TRAINABLE_TYPES and b["task_type"] in TRAINABLE_TYPES:
            raise bad_request(f"Tasks {a['title']!r} and {b['title']!r} need a 'crop' task between them.")
        if a["task_type"] == "crop" and b["task_type"] not in TRAINABLE_TYPES:
            raise bad_request(f"Crop task {a['title']!r} must be followed by a trainable task.")
        if b["task_type"] == "crop" and a["task_type"] not in TRAINABLE_TYPES:
            raise bad_request(f"Crop task {b['title']!r} must follow a trainable task.")
    if order[-1]["task_type"] not in TRAINABLE_TYPES:
        raise bad_request("The pipeline must end with a trainable task.")
    return order


def _check_unique_label_names(tasks: list[dict]) -> None:
    seen: set[str] = set()
    for task in tasks:
        for label in task.get("labels", []):
            if label["is_empty"]:
                continue
            if label["name"] in seen:
                raise bad_request(f"Label name {label['name']!r} is used in more than one task.")
            seen.add(label["name"])


def trainable_tasks(project: dict) -> list[dict]:
    return [t for t in project["pipeline"]["tasks"] if t["task_type"] in TRAINABLE_TYPES]
