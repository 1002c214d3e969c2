"""``POST /projects`` of Geti 2.x: checks the body as Geti's schema and validators do, and turns it
into the stored project document the SC dialect also reads (task and label ids, colours, the empty
labels Geti adds, anomaly labels, chain parents).

Differences from the SC dialect's :mod:`sc_importers.server.project_builder`: Geti refuses unknown
keys (``additionalProperties: false``), needs ``group`` on every label, names its empty labels
``No object``/``Empty``/``No class``, accepts only ``anomaly`` (stored as SC's
``anomaly_classification``) and the two chains detection→crop→classification|segmentation, and does
not require unique project names.
"""

from __future__ import annotations

import re

from sc_importers.server.errors import ApiError, bad_request
from sc_importers.server.ids import is_valid_id, new_id
from sc_importers.server.project_builder import random_color
from sc_importers.server.timefmt import now_iso

LOCAL_TYPES = ("detection", "segmentation", "rotated_detection", "instance_segmentation")
TRAINABLE = (*LOCAL_TYPES, "classification", "anomaly")
TASK_TYPES = ("dataset", "crop", *TRAINABLE, "keypoint_detection")
#: Empty label Geti adds, per task type (its group has its name).
EMPTY_NAMES = {"detection": "No object", "rotated_detection": "No object", "segmentation": "Empty",
               "instance_segmentation": "Empty", "classification": "No class"}
ANOMALY_LABELS = (("Normal", "#8bae46ff"), ("Anomalous", "#ff5662ff"))
CHAINS = (("detection", "classification"), ("detection", "segmentation"))
_COLOR = re.compile(r"^#([a-fA-F0-9]{6}|[a-fA-F0-9]{8})$")


def _error(code: str, message: str) -> ApiError:
    return ApiError(400, code, message)


def _check_keys(obj: object, allowed: set[str], required: tuple[str, ...], what: str) -> dict:
    """Geti's jsonschema checks: an object, required properties, no additional properties."""
    if not isinstance(obj, dict):
        raise bad_request(f"Invalid value received for field '{what}': expected an object, but found '{obj}' instead.")
    for key in required:
        if key not in obj:
            raise bad_request(f"'{key}' is a required property")
    extra = [k for k in obj if k not in allowed]
    if extra:
        raise bad_request(f"Additional properties are not allowed ({', '.join(repr(k) for k in extra)} "
                          f"{'was' if len(extra) == 1 else 'were'} unexpected)")
    return obj


def _string(value: object, field: str, allow_empty: bool = False) -> str:
    """Geti's jsonschema rule for every string: 1 to 1000 characters (a longer one is shown by its
    first 40 characters and its length, not echoed whole)."""
    if not isinstance(value, str) or (not value and not allow_empty) or len(value) > 1000:
        found = f"{value[:40]}...' ({len(value)} characters)" if isinstance(value, str) and len(value) > 1000 \
            else f"{value}'"
        raise bad_request(f"Invalid value received for field '{field}': This field is expected to be a "
                          f"string of 1 to 1000 characters, but found '{found} instead.")
    return value


def _label(name: str, group: str, color: str, hotkey: str, parent: str | None, empty: bool) -> dict:
    """A stored label (the SC dialect's keys)."""
    return {"color": color, "group": group, "hotkey": hotkey, "id": new_id(), "is_empty": empty, "name": name,
            "parent_id": parent}


def _given_labels(raw: dict, title: str) -> list[dict]:
    labels = []
    given = raw.get("labels")
    if given is not None and not isinstance(given, list):
        raise bad_request(f"Invalid value received for field 'labels': This field is expected to be an array, "
                          f"but found '{given}' instead.")
    for spec in given or []:
        _check_keys(spec, {"name", "color", "group", "hotkey", "parent_id"}, ("name", "group"), "label")
        name, group = _string(spec["name"], "name").strip(), _string(spec["group"], "group")
        color = spec.get("color")
        if color is not None and (not isinstance(color, str) or not _COLOR.match(color)):
            raise bad_request(f"Invalid value received for field 'color': This field is expected to match "
                              f"'^#([a-fA-F0-9]{{6}}|[a-fA-F0-9]{{8}})$', but found '{color}' instead.")
        color = (color.lower() + ("ff" if len(color) == 7 else "")) if color else random_color()
        hotkey = _string(spec.get("hotkey") or "", "hotkey", allow_empty=True)
        parent = spec.get("parent_id")
        if parent is not None:
            parent = _string(parent, "parent_id")
        for reserved in set(EMPTY_NAMES.values()):
            if reserved in (name, group):
                raise _error("reserved_empty_label", f"Task {title!r}: {reserved!r} is reserved for the empty "
                                                     "label and cannot name a label or a group.")
        labels.append(_label(name, group, color, hotkey, parent, False))
    return labels


def _check_label_counts(task_type: str, title: str, labels: list[dict]) -> None:
    top_level = [lb for lb in labels if lb["parent_id"] is None]
    if task_type == "anomaly" and labels:
        raise _error("bad_number_of_labels", f"Task {title!r}: anomaly tasks take no labels on creation "
                                             "(the server adds 'Normal' and 'Anomalous').")
    if task_type in LOCAL_TYPES and not labels:
        raise _error("bad_number_of_labels", f"Task {title!r} of type {task_type} needs at least one label.")
    if task_type == "classification" and len(top_level) < 2 and len(labels) < 2:
        raise _error("bad_number_of_labels", f"Task {title!r}: a classification task needs at least two labels.")


def _resolve_parents(task_type: str, title: str, labels: list[dict], previous: list[dict]) -> None:
    """Parents are given by name (or id) of a label of this task or of the preceding labelled task."""
    candidates = {lb["name"]: lb for lb in previous + labels}
    by_id = {lb["id"]: lb for lb in previous + labels}
    for label in labels:
        parent = label["parent_id"]
        if parent is None:
            continue
        if task_type != "classification":
            raise _error("unsupported_hierarchical_labels", f"Task {title!r}: only classification labels can "
                                                            f"have a parent, {label['name']!r} has {parent!r}.")
        target = candidates.get(parent) or by_id.get(parent)
        if target is None:
            raise _error("parent_label_not_found", f"Task {title!r}: parent {parent!r} of label "
                                                   f"{label['name']!r} is not a label of the project.")
        if target is label:
            raise _error("self_referencing_parent_label", f"Label {label['name']!r} cannot be its own parent.")
        if target["is_empty"]:
            raise _error("empty_parent_label", f"Label {label['name']!r} cannot have the empty label as parent.")
        label["parent_id"] = target["id"]
    groups: dict[str, set] = {}
    for label in labels:
        groups.setdefault(label["group"], set()).add(label["parent_id"])
    for group, parents in groups.items():
        if len(parents) > 1:
            raise _error("mismatching_parents_in_label_group", f"Task {title!r}: labels of group {group!r} "
                                                               "have different parents.")


def _task_labels(raw: dict, task_type: str, title: str, previous: list[dict]) -> list[dict]:
    if task_type == "anomaly":
        _check_label_counts(task_type, title, _given_labels(raw, title))
        return [_label(name, f"default - {title}", color, "", None, False) for name, color in ANOMALY_LABELS]
    labels = _given_labels(raw, title)
    _check_label_counts(task_type, title, labels)
    _resolve_parents(task_type, title, labels, previous)
    if task_type == "classification" and previous:  # chain: top-level classes hang under the detection label
        anchor = next((lb for lb in previous if not lb["is_empty"]), None)
        for label in labels:
            if label["parent_id"] is None and anchor is not None:
                label["parent_id"] = anchor["id"]
    sizes: dict[str, int] = {}
    for label in labels:
        sizes[label["group"]] = sizes.get(label["group"], 0) + 1
    if task_type in EMPTY_NAMES and (task_type != "classification" or max(sizes.values()) < 2):
        empty = EMPTY_NAMES[task_type]
        labels.append(_label(empty, empty, "#000000ff", "", None, True))
    return labels


def _order(tasks: list[dict], connections: list) -> list[dict]:
    """Tasks in pipeline order after Geti's structural checks (one chain from the dataset task)."""
    by_title = {t["title"]: t for t in tasks}
    if len(connections) != len(tasks) - 1:
        raise _error("bad_number_of_task_connections", f"{len(tasks)} tasks need {len(tasks) - 1} connections, "
                                                       f"got {len(connections)}.")
    following: dict[str, str] = {}
    targets: set[str] = set()
    for conn in connections:
        _check_keys(conn, {"from", "to"}, ("from", "to"), "connection")
        _string(conn["from"], "from")
        _string(conn["to"], "to")
        if conn["from"] not in by_title or conn["to"] not in by_title:
            raise _error("unconnected_tasks", f"Connection {conn} does not name two tasks of the pipeline by title.")
        if conn["from"] in following:
            raise _error("too_many_sink_tasks", f"Task {conn['from']!r} has more than one outgoing connection.")
        if conn["to"] in targets:
            raise _error("too_many_source_tasks", f"Task {conn['to']!r} has more than one incoming connection.")
        following[conn["from"]] = conn["to"]
        targets.add(conn["to"])
    sources = [t for t in tasks if t["title"] not in targets]
    if len(sources) != 1 or sources[0]["task_type"] != "dataset":
        raise _error("too_many_source_tasks", "The pipeline must start at exactly one task of type 'dataset'.")
    order = [sources[0]]
    while order[-1]["title"] in following and len(order) <= len(tasks):
        order.append(by_title[following[order[-1]["title"]]])
    if len(order) != len(tasks) or len({t["title"] for t in order}) != len(tasks):
        raise _error("unconnected_tasks", "Connections must link all tasks into one chain starting at the dataset.")
    types = tuple(t["task_type"] for t in order)
    trainable = tuple(t for t in types if t in TRAINABLE)
    if len(trainable) > 2:
        raise _error("too_many_tasks", "A project holds at most two trainable tasks.")
    valid = (len(types) == 2 and types[1] in TRAINABLE) or (
        len(types) == 4 and types[2] == "crop" and (types[1], types[3]) in CHAINS)
    if not valid:
        raise _error("bad_request", f"Unsupported pipeline {' -> '.join(types)}: use dataset -> <task>, or "
                                    "dataset -> detection -> crop -> classification|segmentation.")
    return order


def build_geti_project(body: object, workspace_id: str) -> dict:
    """The stored document (the SC dialect's shape) for a Geti creation body; 400 on any problem."""
    body = _check_keys(body, {"name", "pipeline"}, ("name", "pipeline"), "project")
    name = _string(body["name"], "name")
    if not name.strip():
        raise _error("empty_project_name", "Project name cannot be empty.")
    pipeline = _check_keys(body["pipeline"], {"tasks", "connections"}, ("tasks", "connections"), "pipeline")
    if not isinstance(pipeline["tasks"], list) or not isinstance(pipeline["connections"], list):
        raise bad_request("'tasks' and 'connections' must be lists.")
    if not pipeline["tasks"]:
        raise _error("taskless_project", "A project needs at least one task.")
    if not pipeline["connections"]:
        raise _error("no_tasks_connections", "The tasks of a project must be connected.")
    tasks: list[dict] = []
    for raw in pipeline["tasks"]:
        _check_keys(raw, {"title", "task_type", "labels", "keypoint_structure"}, ("title", "task_type"), "task")
        title = _string(raw["title"], "title")
        if raw["task_type"] not in TASK_TYPES:
            raise bad_request(f"Invalid value received for field 'task_type': This field is expected to have enum "
                              f"{list(TASK_TYPES)}, but found '{raw['task_type']}' instead.")
        if raw["task_type"] == "keypoint_detection":
            raise _error("invalid_task_type", "Task type keypoint_detection is not enabled on this server.")
        if any(t["title"] == title for t in tasks):
            raise _error("duplicate_task_names", f"Task title {title!r} is used twice.")
        if raw["task_type"] in ("dataset", "crop") and raw.get("labels"):
            raise _error("bad_number_of_labels", f"Task {title!r} of type {raw['task_type']} takes no labels.")
        tasks.append({"id": new_id(), "title": title, "task_type": raw["task_type"], "raw": raw})
    order = _order(tasks, pipeline["connections"])
    previous: list[dict] = []
    for task in order:
        raw = task.pop("raw")
        if task["task_type"] in TRAINABLE:
            task["labels"] = _task_labels(raw, task["task_type"], task["title"], previous)
            task["label_schema_id"] = new_id()
            previous = task["labels"]
            if task["task_type"] == "anomaly":
                task["task_type"] = "anomaly_classification"  # the store's (SC 1.0) name of Geti's anomaly task
    _check_unique(order)
    by_title = {t["title"]: t["id"] for t in order}
    project_id = new_id()
    return {
        "creation_time": now_iso(),
        "datasets": [{"id": new_id(), "name": "Dataset"}],
        "id": project_id,
        "name": name,
        "pipeline": {"connections": [{"from": by_title[c["from"]], "to": by_title[c["to"]]}
                                     for c in pipeline["connections"]],
                     "tasks": [{k: t[k] for k in ("id", "task_type", "title", "label_schema_id", "labels") if k in t}
                               for t in order]},
        "thumbnail": f"/api/v1.0/workspaces/{workspace_id}/projects/{project_id}/thumbnail",
    }


def _check_unique(tasks: list[dict]) -> None:
    """Label names and non-empty hotkeys are unique across the project; a group stays in one task."""
    names: set[str] = set()
    hotkeys: set[str] = set()
    group_task: dict[str, str] = {}
    for task in tasks:
        for label in task.get("labels", []):
            if label["is_empty"]:
                continue
            if label["name"] in names:
                raise _error("duplicate_label_names", f"Label name {label['name']!r} is used more than once.")
            names.add(label["name"])
            if label["hotkey"]:
                if label["hotkey"] in hotkeys:
                    raise _error("duplicate_label_hotkeys", f"Hotkey {label['hotkey']!r} is used more than once.")
                hotkeys.add(label["hotkey"])
            if group_task.setdefault(label["group"], task["id"]) != task["id"]:
                raise _error("multi_task_label_group", f"Label group {label['group']!r} spans two tasks.")
    if len(names) > 1000:
        raise ApiError(409, "too_many_labels", "A project holds at most 1000 labels.")


def is_object_id(value: object) -> bool:
    return isinstance(value, str) and is_valid_id(value)
