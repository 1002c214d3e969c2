"""What makes a backup folder restorable by geti-sdk's ``upload_project_data`` as well as by our own reader.

geti-sdk 2.13 builds its project POST from ``project.json``'s labels as they are (only ``None`` and ``""`` are
dropped), so a label ``id`` there is sent and refused by a Geti 2.x server (no additional properties), and it sends
``parent_id`` as the parent's *name*. Its annotation reader takes every scene label by its ``name``, which a
server's ``annotations/latest`` answer does not carry (only the label id). So a backup writes:

- ``project.json``: the server's GET project answer with the trainable tasks' labels de-identified the way geti-sdk
  writes them (no label ``id``, ``parent_id`` holding the parent's name); the project, task and dataset ids stay
  (a re-run recognises its own folder by the project id). Our reader and ``--verify`` then match labels by name.
- annotation scenes: the server's answer with each label's current ``name`` and ``color`` added beside its id.
"""

from __future__ import annotations

import copy
from typing import Any


def _labels(project: dict[str, Any]) -> list[dict]:
    pipeline = project.get("pipeline")
    tasks = pipeline.get("tasks") if isinstance(pipeline, dict) else None
    return [label for task in tasks or [] if isinstance(task, dict)
            for label in task.get("labels") or [] if isinstance(label, dict)]


def label_index(project: dict[str, Any]) -> dict[str, dict]:
    """Label id -> the label (name, color, ...) of a GET project answer with a ``pipeline`` (else empty)."""
    return {str(label["id"]): label for label in _labels(project) if label.get("id") is not None}


def portable_project(project: dict[str, Any]) -> dict[str, Any]:
    """``project.json``'s content for the GET project answer ``project``: a copy whose labels have no ``id`` and
    name their parent (geti-sdk's shape); a project without a ``pipeline`` (Geti 3) is returned unchanged."""
    by_id = label_index(project)
    if not by_id:
        return project
    out = copy.deepcopy(project)
    for label in _labels(out):
        parent = label.get("parent_id")
        if parent not in (None, "") and str(parent) in by_id:
            label["parent_id"] = by_id[str(parent)]["name"]
        label.pop("id", None)
    return out


def named_scene(scene: dict[str, Any], labels: dict[str, dict]) -> dict[str, Any]:
    """The annotation scene ``scene`` with each label's ``name`` and ``color`` (from ``labels``, by id) added;
    labels of an unknown id are left as they are (the reader reports them)."""
    if not labels:
        return scene
    out = copy.deepcopy(scene)
    for annotation in out.get("annotations") or []:
        for label in (annotation.get("labels") if isinstance(annotation, dict) else None) or []:
            known = labels.get(str(label.get("id"))) if isinstance(label, dict) else None
            if known is not None:
                label["name"] = known["name"]
                if known.get("color"):
                    label["color"] = known["color"]
    return out
