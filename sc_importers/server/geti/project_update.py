"""``PUT P`` of Geti 2.x: rename the project, rename, recolour or re-hotkey labels, add labels and
delete labels (``is_deleted: true``). Tasks, their types and titles, and datasets cannot change.

The body is what ``GET P`` answers, minus ``storage_info`` (Geti refuses it: the PUT schema has
``additionalProperties: false`` at the root); every existing label must be listed (else 400
``missing_labels``); new labels come without ``id`` and need ``name`` and ``group``. Annotations
that use a deleted label keep it in the store; the Geti dialect no longer shows it.
"""

from __future__ import annotations

import copy

from sc_importers.server.errors import ApiError, bad_request
from sc_importers.server.geti.project_create import _COLOR, _check_keys, _check_unique, _label, _string
from sc_importers.server.project_builder import random_color

_ROOT = {"name", "pipeline", "id", "creation_time", "creator_id", "performance", "thumbnail", "datasets"}
_LABEL = {"id", "name", "color", "group", "hotkey", "parent_id", "is_empty", "is_anomalous", "is_deleted",
          "revisit_affected_annotations"}


def _error(code: str, message: str) -> ApiError:
    return ApiError(400, code, message)


def _color(value: object, current: str | None) -> str:
    if value is None:
        return current or random_color()
    if not isinstance(value, str) or not _COLOR.match(value):
        raise bad_request(f"Invalid value received for field 'color': This field is expected to match "
                          f"'^#([a-fA-F0-9]{{6}}|[a-fA-F0-9]{{8}})$', but found '{value}' instead.")
    return value.lower() + ("ff" if len(value) == 7 else "")


def _update_labels(task: dict, given: object, title: str) -> None:
    if not isinstance(given, list):
        raise bad_request(f"Task {title!r}: 'labels' must be a list.")
    existing = {lb["id"]: lb for lb in task["labels"]}
    by_name = {lb["name"]: lb for lb in task["labels"]}
    seen: set[str] = set()
    kept: list[dict] = []
    added: list[dict] = []
    for spec in given:
        _check_keys(spec, _LABEL, ("name",), "label")
        for key in ("id", "hotkey", "parent_id", "group"):
            if spec.get(key) is not None:
                _string(spec[key], key, allow_empty=key == "hotkey")
        if "id" not in spec:
            if spec.get("is_empty"):
                raise _error("empty_label_addition", f"Task {title!r}: empty labels cannot be added.")
            if "group" not in spec:
                raise bad_request("'group' is a required property")
            parent = spec.get("parent_id")
            parent_id = (by_name[parent]["id"] if parent in by_name else parent) if parent is not None else None
            if parent_id is not None and parent_id not in existing:
                raise _error("parent_label_not_found", f"Parent {parent!r} of new label {spec['name']!r} is unknown.")
            added.append(_label(_string(spec["name"], "name"), _string(spec["group"], "group"),
                                _color(spec.get("color"), None), spec.get("hotkey") or "", parent_id, False))
            continue
        label = existing.get(spec["id"])
        if label is None:
            raise ApiError(404, "label_not_found", f"The requested label could not be found. Label ID: `{spec['id']}`.")
        seen.add(label["id"])
        if spec.get("is_deleted"):
            if label["is_empty"] or task["task_type"].startswith("anomaly"):
                raise _error("invalid_label_deleted", f"Label {label['name']!r} cannot be deleted.")
            continue
        if "group" in spec and spec["group"] != label["group"]:
            raise _error("cannot_change_label_group", f"Label {label['name']!r} cannot move to another group.")
        parent = spec.get("parent_id", label["parent_id"])
        parent = by_name[parent]["id"] if parent in by_name else parent
        if parent != label["parent_id"] and not (parent is None and label["parent_id"] is None):
            raise bad_request(f"Label {label['name']!r}: the parent of an existing label cannot change.")
        updated = {**label, "name": _string(spec["name"], "name"), "color": _color(spec.get("color"), label["color"])}
        if "hotkey" in spec:
            updated["hotkey"] = spec["hotkey"] or ""
        kept.append(updated)
    missing = [lb["name"] for lb in task["labels"] if lb["id"] not in seen]
    if missing:
        raise _error("missing_labels", f"Task {title!r}: existing labels missing from the body: {missing}.")
    if not [lb for lb in kept + added if not lb["is_empty"]]:
        raise _error("invalid_label_deleted", f"Task {title!r}: at least one label must remain.")
    task["labels"] = kept + added


def apply_update(project: dict, body: object) -> dict:
    """A copy of the stored ``project`` with a PUT body applied; 400/404 on any problem."""
    body = _check_keys(body, _ROOT, ("id", "name", "pipeline"), "project")
    if body["id"] != project["id"]:
        raise bad_request(f"The body's id {body['id']!r} is not the project's id {project['id']!r}.")
    name = _string(body["name"], "name")
    if not name.strip():
        raise _error("empty_project_name", "Project name cannot be empty.")
    pipeline = _check_keys(body["pipeline"], {"tasks", "connections"}, ("tasks", "connections"), "pipeline")
    new = copy.deepcopy(project)
    new["name"] = name
    stored = {t["id"]: t for t in new["pipeline"]["tasks"]}
    given = pipeline["tasks"] if isinstance(pipeline["tasks"], list) else None
    ids = [t.get("id") for t in given or [] if isinstance(t, dict)]
    str_ids = [i for i in ids if isinstance(i, str)]
    if given is None or len(str_ids) != len(ids) or sorted(str_ids) != sorted(stored):
        raise bad_request("The tasks of a project cannot change: list every task with its id.")
    for spec in given:
        _check_keys(spec, {"id", "title", "task_type", "labels", "label_schema_id", "keypoint_structure"},
                    ("id", "title", "task_type"), "task")
        task = stored[spec["id"]]
        if spec["title"] != task["title"]:
            raise bad_request(f"Task titles cannot change ({task['title']!r} -> {spec['title']!r}).")
        if "labels" in task:
            _update_labels(task, spec.get("labels", []), task["title"])
    _check_unique(new["pipeline"]["tasks"])
    return new
