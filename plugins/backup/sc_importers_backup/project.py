"""What a backup's ``project.json`` (the raw SC 1.0 GET project answer) says: type and labels.

The project type is derived from the pipeline: the tasks in connection order (``dataset`` ->
... ), keeping the trainable ones (everything but ``dataset`` and ``crop``), mapped through
:data:`PROJECT_TYPES`. Labels keep their name, colour, group, hotkey and empty flag; the parent is
turned from the old project's ``parent_id`` into the parent's *name*, since ids do not survive a
move to another server.
"""

from __future__ import annotations

from typing import Any

from sc_importers.formats import FormatError
from sc_importers.model import Label

PROJECT_FILE = "project.json"

#: Task types that only route data and have no labels of their own.
NON_TRAINABLE = {"dataset", "crop"}

#: Trainable task types in pipeline order -> the project type name used by ``--type``.
PROJECT_TYPES: dict[tuple[str, ...], str] = {
    ("detection",): "detection",
    ("segmentation",): "segmentation",
    ("classification",): "classification",
    ("anomaly_classification",): "anomaly_classification",
    ("anomaly",): "anomaly_classification",  # Geti 2.x's one (image-level) anomaly task type
    ("anomaly_detection",): "anomaly_detection",
    ("anomaly_segmentation",): "anomaly_segmentation",
    ("detection", "segmentation"): "detection_to_segmentation",
    ("detection", "classification"): "detection_to_classification",
}


def _tasks(project: dict[str, Any]) -> list[dict[str, Any]]:
    pipeline = project.get("pipeline")
    tasks = pipeline.get("tasks") if isinstance(pipeline, dict) else None
    if not isinstance(tasks, list) or not all(isinstance(t, dict) for t in tasks):
        raise FormatError(f"{PROJECT_FILE}: no 'pipeline' with a list of 'tasks'")
    return tasks


def check_project(project: Any, where: str) -> None:
    """Refuse a ``project.json`` of a shape no known writer produces, naming the file (``where``)
    and the key, before anything reads it: every task an object with a string ``title`` and
    ``task_type``, labels (where present) a list of objects with a string ``name``."""
    def refuse(problem: str) -> FormatError:
        return FormatError(f"not a backup I can read: {where}: {problem}")

    if not isinstance(project, dict):
        raise refuse("not a JSON object")
    pipeline = project.get("pipeline")
    if not isinstance(pipeline, dict) or not isinstance(pipeline.get("tasks"), list):
        raise refuse("no 'pipeline' object with a 'tasks' list")
    for i, task in enumerate(pipeline["tasks"]):
        if not isinstance(task, dict):
            raise refuse(f"pipeline.tasks[{i}] is not an object")
        for key in ("title", "task_type"):
            if not isinstance(task.get(key), str):
                raise refuse(f"pipeline.tasks[{i}] has no string {key!r}")
        labels = task.get("labels", [])
        if not isinstance(labels, list):
            raise refuse(f"pipeline.tasks[{i}].labels is not a list")
        for j, label in enumerate(labels):
            if not isinstance(label, dict) or not isinstance(label.get("name"), str):
                raise refuse(f"pipeline.tasks[{i}].labels[{j}] has no string 'name'")
    connections = pipeline.get("connections", [])
    if not isinstance(connections, list) or not all(isinstance(c, dict) for c in connections):
        raise refuse("pipeline.connections is not a list of objects")


def ordered_tasks(project: dict[str, Any]) -> list[dict[str, Any]]:
    """The pipeline's tasks in connection order (start: the task nobody connects to).

    Without connections (or with a broken chain) the order of the ``tasks`` list is used.
    """
    tasks = _tasks(project)
    # connections name task ids; the 2022 client's backups have no ids and name titles instead
    by_id = {(t.get("id") if t.get("id") is not None else t.get("title")): t for t in tasks}
    connections = project["pipeline"].get("connections") or []
    following = {c.get("from"): c.get("to") for c in connections if isinstance(c, dict)}
    targets = set(following.values())
    starts = [key for key in by_id if key in following and key not in targets]
    if len(starts) != 1:
        return tasks
    ordered, current, seen = [], starts[0], set()
    while current in by_id and current not in seen:
        seen.add(current)
        ordered.append(by_id[current])
        current = following.get(current)
    return ordered if len(ordered) == len(tasks) else tasks


def trainable_tasks(project: dict[str, Any]) -> list[dict[str, Any]]:
    """The tasks that have labels and models, in pipeline order."""
    return [t for t in ordered_tasks(project) if str(t.get("task_type", "")).lower() not in NON_TRAINABLE]


def project_type_of(project: dict[str, Any]) -> str:
    """The ``--type`` name of the project, or :class:`FormatError` for an unknown combination."""
    types = tuple(str(t.get("task_type", "")).lower() for t in trainable_tasks(project))
    try:
        return PROJECT_TYPES[types]
    except KeyError:
        known = "; ".join(" -> ".join(k) for k in PROJECT_TYPES)
        raise FormatError(
            f"{PROJECT_FILE}: unknown project type: trainable tasks {list(types)} "
            f"(known combinations: {known})"
        ) from None


def _raw_labels(project: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for task in trainable_tasks(project):
        labels = task.get("labels") or []
        if not isinstance(labels, list):
            raise FormatError(f"{PROJECT_FILE}: task {task.get('title')!r}: 'labels' is not a list")
        for label in labels:
            if not isinstance(label, dict) or not isinstance(label.get("name"), str):
                raise FormatError(f"{PROJECT_FILE}: task {task.get('title')!r}: label without a name: {label!r}")
            out.append(label)
    return out


def label_names_by_id(project: dict[str, Any]) -> dict[str, str]:
    """Old label id -> label name, over every task of the project. A label without an id (the
    2022 client and geti-sdk write none) is entered under ``"name:<its name>"``, a key no id
    takes, so that its name still counts as a label of the project."""
    names: dict[str, str] = {}
    for task in _tasks(project):
        for label in task.get("labels") or []:
            if isinstance(label, dict) and isinstance(label.get("name"), str):
                key = label.get("id")
                names[str(key) if key is not None else f"name:{label['name']}"] = label["name"]
    return names


def labels_of(project: dict[str, Any]) -> list[Label]:
    """Every label of every trainable task, with the parent given by name."""
    names = label_names_by_id(project)
    known = set(names.values())
    labels = []
    for raw in _raw_labels(project):
        parent_id = raw.get("parent_id")
        parent = None
        if parent_id not in (None, ""):
            if str(parent_id) not in names and str(parent_id) in known and not raw.get("id"):
                parent = str(parent_id)  # geti-sdk writes the parent's name in place of its id
            elif str(parent_id) not in names:
                raise FormatError(
                    f"{PROJECT_FILE}: label {raw['name']!r} has parent_id {parent_id!r}, "
                    "which is no label of this project"
                )
            else:
                parent = names[str(parent_id)]
        labels.append(Label(
            name=raw["name"],
            color=raw.get("color"),
            group=raw.get("group"),
            parent=parent,
            is_empty=bool(raw.get("is_empty", False)),
            hotkey=raw.get("hotkey") or "",
        ))
    return labels
