"""Checking an annotation scene a client POSTs, and turning it into what the server stores and
answers: ids, label names and colors, ``modified``, ``source``, normalized shapes.

Checks (each a 400 naming the annotation and the problem; nothing is stored when one fails):
only known root keys, labels exist in the project, probabilities in [0, 1], shapes have known
types and lie inside [0, 1], and an empty label (``is_empty``) is never combined with other labels
in one annotation. Accepted without a check because SC 1.0's answer is not recorded: extra keys
inside annotations and labels (Geti tolerates them), a label given twice (answered once, recorded),
labels of two tasks of a chain on one shape, a shape type a task would not draw (e.g. an ELLIPSE
with a detection label), and two labels of one exclusive group.
"""

from __future__ import annotations

import math

from sc_importers.server.errors import bad_request
from sc_importers.server.ids import is_valid_id, new_id
from sc_importers.server.project_builder import trainable_tasks
from sc_importers.server.timefmt import now_iso

_EPS = 1e-6
_ROOT_KEYS = {"annotations", "media_identifier", "modified", "labels_to_revisit_full_scene"}
_BOX_KEYS = {"RECTANGLE": ("x", "y", "width", "height"), "ELLIPSE": ("x", "y", "width", "height"),
             "ROTATED_RECTANGLE": ("x", "y", "width", "height", "angle")}


def _number(shape: dict, key: str, where: str) -> float:
    value = shape.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise bad_request(f"{where}: shape field {key!r} must be a finite number, got {value!r}.")
    return float(value)


def _inside(value: float, what: str, where: str) -> None:
    if value < -_EPS or value > 1 + _EPS:
        raise bad_request(f"{where}: {what} = {value} is outside [0, 1]; coordinates must be normalized.")


def check_shape(shape: object, where: str) -> dict:
    """A normalized copy of ``shape`` (field order as SC answers it)."""
    if not isinstance(shape, dict):
        raise bad_request(f"{where}: 'shape' must be an object.")
    kind = shape.get("type")
    if kind == "POLYGON":
        points = shape.get("points")
        if not isinstance(points, list) or len(points) < 3:
            raise bad_request(f"{where}: a POLYGON needs a list of at least 3 points.")
        clean = []
        for i, point in enumerate(points):
            if not isinstance(point, dict):
                raise bad_request(f"{where}: polygon point {i} must be an object with x and y.")
            x, y = _number(point, "x", where), _number(point, "y", where)
            _inside(x, f"point {i} x", where)
            _inside(y, f"point {i} y", where)
            clean.append({"x": x, "y": y})
        return {"points": clean, "type": "POLYGON"}
    if not isinstance(kind, str) or kind not in _BOX_KEYS:
        raise bad_request(f"{where}: unsupported shape type {kind!r}; expected RECTANGLE, ELLIPSE, "
                          "POLYGON or ROTATED_RECTANGLE.")
    values = {key: _number(shape, key, where) for key in _BOX_KEYS[kind]}
    if values["width"] <= 0 or values["height"] <= 0:
        raise bad_request(f"{where}: {kind} width and height must be positive, got "
                          f"{values['width']} x {values['height']}.")
    if kind == "ROTATED_RECTANGLE":  # x, y is the center
        _inside(values["x"], "center x", where)
        _inside(values["y"], "center y", where)
        _inside(values["width"], "width", where)
        _inside(values["height"], "height", where)
    else:
        _inside(values["x"], "x", where)
        _inside(values["y"], "y", where)
        _inside(values["x"] + values["width"], "x + width", where)
        _inside(values["y"] + values["height"], "y + height", where)
    return {**dict(sorted(values.items())), "type": kind}


def build_scene(project: dict, body: object, media_identifier: dict, media_desc: str) -> tuple[dict, list[str]]:
    """The stored scene for a POSTed body, and the ids of the tasks it annotates."""
    if not isinstance(body, dict) or not isinstance(body.get("annotations"), list):
        raise bad_request(f"Annotation body for {media_desc} needs a list of 'annotations'.")
    extra = sorted(set(body) - _ROOT_KEYS)
    if extra:  # Geti's schema: additionalProperties false at the root (SC 1.0 sends only two keys)
        raise bad_request(f"Annotation body for {media_desc}: unknown key(s) {', '.join(map(repr, extra))}; "
                          f"allowed: {', '.join(sorted(_ROOT_KEYS))}.")
    labels = {lb["id"]: (task, lb) for task in trainable_tasks(project) for lb in task["labels"]}
    modified = now_iso()
    stored = []
    annotated: list[str] = []
    for index, ann in enumerate(body["annotations"]):
        where = f"{media_desc}, annotation {index}"
        if not isinstance(ann, dict):
            raise bad_request(f"{where}: must be an object with 'labels' and 'shape'.")
        given = ann.get("labels")
        if not isinstance(given, list) or not given:
            raise bad_request(f"{where}: needs a non-empty list of 'labels'.")
        out_labels, seen = [], set()
        for spec in given:
            label_id = spec.get("id") if isinstance(spec, dict) else None
            if not isinstance(label_id, str) or not is_valid_id(label_id):
                raise bad_request(f"{where}: label id {label_id!r} is malformed.")
            if label_id not in labels:
                raise bad_request(f"{where}: label id {label_id} does not exist in project {project['name']!r}.")
            if label_id in seen:  # SC answers a label given twice once (recorded)
                continue
            seen.add(label_id)
            probability = spec.get("probability", 1.0)
            if isinstance(probability, bool) or not isinstance(probability, (int, float)) or not 0 <= probability <= 1:
                raise bad_request(f"{where}: label probability {probability!r} must be a number in [0, 1].")
            task, label = labels[label_id]
            out_labels.append({"color": label["color"], "id": label_id, "name": label["name"],
                               "probability": float(probability), "source": {"id": "N/A", "type": "N/A"}})
            if task["id"] not in annotated:
                annotated.append(task["id"])
        if len(out_labels) > 1 and any(labels[lb["id"]][1]["is_empty"] for lb in out_labels):
            names = ", ".join(lb["name"] for lb in out_labels)
            raise bad_request(f"{where}: an empty label cannot be combined with other labels ({names}).")
        stored.append({"id": new_id(), "labels": out_labels, "labels_to_revisit": [], "modified": modified,
                       "shape": check_shape(ann.get("shape"), where)})
    scene = {"annotations": stored, "id": new_id(), "kind": "annotation", "labels_to_revisit_full_scene": [],
             "media_identifier": media_identifier, "modified": modified}
    return scene, annotated
