"""Geti REST API v1 JSON <-> our records: parsers of server answers and builders of request bodies.

Pure functions, no HTTP (the calls are in :mod:`sc_importers.rest.geti_v1`). Where the Geti v1
JSON has the shape SC 1.0 already had (labels, media descriptions, media identifiers, the
label lookup of an annotation), the SC 1.0 helpers of :mod:`sc_importers.rest.sc_v1_records` are
reused; what differs lives here:

* shapes are in **pixels** of the original media (SC 1.0: normalized), type names upper-case;
  the server rounds them to whole pixels when it stores them;
* there is one ``anomaly`` task type (Geti >= 2.5 reduces the three SC anomaly types to it),
  created with no labels (the server makes ``Normal`` and ``Anomalous``). It is called
  ``anomaly_classification`` in our records so the rest of the tool sees SC's vocabulary;
* the project list holds summaries only (no datasets), ``media:query`` pages by ``next_page``;
* annotation labels come back as ids only (no names or colors).
"""

from __future__ import annotations

from typing import Any

from sc_importers.geometry.clip import polygon_for_upload
from sc_importers.model import Annotation, Ellipse, Label, Polygon, Rectangle, RotatedRectangle, Shape
from sc_importers.project_types.base import TaskPlan
from sc_importers.rest.base import RemoteMedia, RemoteProject, RemoteTask
from sc_importers.rest.sc_v1_records import (
    GLOBAL_TASK_TYPES,
    RecordError,
    parse_label,
    parse_media,
)
from sc_importers.rest.sc_v1_records import annotation_body as sc_annotation_body

__all__ = ["RecordError", "annotation_body", "annotations_from_scene", "is_full_image", "media_query_body",
           "next_media_page", "parse_media", "parse_project", "project_body", "project_summaries",
           "shape_from_geti", "shape_to_geti"]

#: Our (SC 1.0) task type -> the Geti v1 ``task_type`` sent on project creation.
TASK_TYPE_TO_GETI = {"anomaly_classification": "anomaly"}
#: The Geti v1 ``task_type`` of a project -> ours.
TASK_TYPE_FROM_GETI = {"anomaly": "anomaly_classification",
                       "anomaly_detection": "anomaly_detection",
                       "anomaly_segmentation": "anomaly_segmentation"}
#: Task types Geti 2.x does not create (anomaly reduction is on by default since 2.5), with what to use.
REFUSED_TASK_TYPES = {
    "anomaly_detection": "Geti 2.x has only image-level anomaly projects; import as anomaly_classification",
    "anomaly_segmentation": "Geti 2.x has only image-level anomaly projects; import as anomaly_classification",
}


def _require(raw: Any, key: str, what: str) -> Any:
    if not isinstance(raw, dict) or key not in raw:
        raise RecordError(f"{what}: expected a JSON object with {key!r}, got {str(raw)[:200]}")
    return raw[key]


# -- projects -------------------------------------------------------------------------------
def parse_project(raw: dict) -> RemoteProject:
    """A full project (``GET projects/{id}``, ``POST projects``). Media go to the dataset with
    ``use_for_training`` (the first one when none says so)."""
    name = _require(raw, "name", "project")
    pipeline = _require(raw, "pipeline", f"project {name!r}")
    tasks = []
    for t in _require(pipeline, "tasks", f"pipeline of project {name!r}"):
        kind = t.get("task_type", "")
        tasks.append(RemoteTask(id=str(_require(t, "id", f"task of project {name!r}")), title=t.get("title", ""),
                                task_type=TASK_TYPE_FROM_GETI.get(kind, kind),
                                labels=[parse_label(lb) for lb in t.get("labels", []) if not lb.get("is_deleted")]))
    datasets = [d for d in raw.get("datasets") or [] if isinstance(d, dict) and "id" in d]
    if not datasets:
        raise RecordError(f"project {name!r}: no dataset in {sorted(raw)} (a project list item has none)")
    training = next((d for d in datasets if d.get("use_for_training")), datasets[0])
    return RemoteProject(id=str(_require(raw, "id", "project")), name=name, dataset_id=str(training["id"]),
                         tasks=tasks, raw=raw)


def project_summaries(raw: Any) -> tuple[list[dict], int | None]:
    """The ``{id, name}`` items of one page of ``GET projects`` and the total (``project_counts``)."""
    items = _require(raw, "projects", "project list")
    if not isinstance(items, list):
        raise RecordError(f"project list: 'projects' is not a list: {str(items)[:200]}")
    total = raw.get("project_counts")
    return [{"id": str(_require(p, "id", "project list item")), "name": p.get("name", "")} for p in items], (
        int(total) if isinstance(total, int) else None)


def default_group(task: TaskPlan) -> str:
    """The group of a label created without one (Geti requires a group; SC names it this way too)."""
    return f"default - {task.title}"


def label_body(label: Label, task: TaskPlan) -> dict:
    """One label of a project-creation body: ``group`` always (Geti needs it), the parent by NAME."""
    body: dict = {"name": label.name, "group": label.group or default_group(task)}
    if label.color:
        body["color"] = label.color
    if label.hotkey:
        body["hotkey"] = label.hotkey
    if label.parent:
        body["parent_id"] = label.parent
    return body


def project_body(name: str, tasks: list[TaskPlan]) -> dict:
    """The ``POST projects`` body: Dataset task, the trainable tasks with a crop task between each
    two, connections by title. Anomaly tasks are sent as ``anomaly`` with no labels."""
    if not tasks:
        raise ValueError(f"project {name!r}: no trainable task to create")
    pipeline_tasks: list[dict] = [{"title": "Dataset", "task_type": "dataset"}]
    for index, plan in enumerate(tasks):
        if plan.task_type in REFUSED_TASK_TYPES:
            raise ValueError(f"project {name!r}: task {plan.title!r} is {plan.task_type}: "
                             f"{REFUSED_TASK_TYPES[plan.task_type]}")
        if index:
            pipeline_tasks.append({"title": "Crop task" if index == 1 else f"Crop task {index}", "task_type": "crop"})
        kind = TASK_TYPE_TO_GETI.get(plan.task_type, plan.task_type)
        labels = [] if kind == "anomaly" else [label_body(lb, plan) for lb in plan.labels if not lb.is_empty]
        pipeline_tasks.append({"title": plan.title, "task_type": kind, "labels": labels})
    titles = [t["title"] for t in pipeline_tasks]
    if len(set(titles)) != len(titles):
        raise ValueError(f"project {name!r}: task titles must differ, got {titles}")
    connections = [{"from": a, "to": b} for a, b in zip(titles, titles[1:], strict=False)]
    return {"name": name, "pipeline": {"connections": connections, "tasks": pipeline_tasks}}


# -- media ----------------------------------------------------------------------------------
def media_query_body(kind: str) -> dict:
    """The ``media:query`` filter for one media type (field and operator names as geti-sdk sends them)."""
    return {"condition": "and", "rules": [{"field": "MEDIA_TYPE", "operator": "EQUAL", "value": kind}]}


def next_media_page(raw: Any, kind: str) -> tuple[list[RemoteMedia], str | None, int | None]:
    """One ``media:query`` page: the items of type ``kind``, the ``next_page`` path (None when the
    server gives none or the page is empty) and ``total_matched_<kind>s`` (None when absent)."""
    items = _require(raw, "media", "media query")
    if not isinstance(items, list):
        raise RecordError(f"media query: 'media' is not a list: {str(items)[:200]}")
    page = [parse_media(m) for m in items if isinstance(m, dict) and m.get("type", kind) == kind]
    total = raw.get(f"total_matched_{kind}s")
    return page, (raw.get("next_page") or None) if items else None, total if isinstance(total, int) else None


# -- shapes ---------------------------------------------------------------------------------
def _clip(value: float, high: float) -> float:
    return min(float(high), max(0.0, float(value)))


def _span(start: float, size: float, extent: int) -> tuple[float, float]:
    """Pixel (start, size) clipped to ``[0, extent]``; Geti refuses boxes past the border."""
    low, high = _clip(start, extent), _clip(start + size, extent)
    return low, high - low


def shape_to_geti(shape: Shape | None, width: int, height: int) -> dict:
    """Pixel shape -> Geti v1 shape (pixels, clipped to the media as the dry run announces for shapes
    past the border); None (whole media) -> the full-image rectangle."""
    if shape is None:
        return {"type": "RECTANGLE", "x": 0.0, "y": 0.0, "width": float(width), "height": float(height)}
    if isinstance(shape, (Rectangle, Ellipse)):
        x, w = _span(shape.x, shape.width, width)
        y, h = _span(shape.y, shape.height, height)
        return {"type": "RECTANGLE" if isinstance(shape, Rectangle) else "ELLIPSE", "x": x, "y": y,
                "width": w, "height": h}
    if isinstance(shape, Polygon):
        points = polygon_for_upload(shape.points, width, height)
        return {"type": "POLYGON", "points": [{"x": x, "y": y} for x, y in points]}
    if isinstance(shape, RotatedRectangle):
        return {"type": "ROTATED_RECTANGLE", "x": _clip(shape.x, width), "y": _clip(shape.y, height),
                "width": float(shape.width), "height": float(shape.height), "angle": float(shape.angle)}
    raise TypeError(f"unsupported shape {type(shape).__name__}")


def _number(raw: dict, key: str, kind: str) -> float:
    value = raw.get(key)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise RecordError(f"{kind} shape: {key!r} is not a number: {str(raw)[:200]}")
    return float(value)


def shape_from_geti(raw: dict) -> Shape:
    """Geti v1 shape (pixels) -> our pixel shape."""
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind in ("RECTANGLE", "ELLIPSE"):
        cls = Rectangle if kind == "RECTANGLE" else Ellipse
        return cls(*(_number(raw, k, kind) for k in ("x", "y", "width", "height")))
    if kind == "POLYGON":
        points = raw.get("points")
        if not isinstance(points, list):
            raise RecordError(f"POLYGON shape without points: {str(raw)[:200]}")
        return Polygon(tuple((_number(p, "x", kind), _number(p, "y", kind)) for p in points))
    if kind == "ROTATED_RECTANGLE":
        x, y, width, height = (_number(raw, k, kind) for k in ("x", "y", "width", "height"))
        return RotatedRectangle(x, y, width, height, float(raw.get("angle", 0.0)))
    raise RecordError(f"annotation shape: unknown type {kind!r}")


def is_full_image(raw_shape: dict, width: int, height: int, tolerance: float = 0.5) -> bool:
    """The shape is the rectangle covering the whole media (whole pixels: the server rounds)."""
    return raw_shape.get("type") == "RECTANGLE" and all(
        isinstance(raw_shape.get(k), (int, float)) and abs(raw_shape[k] - v) <= tolerance
        for k, v in (("x", 0), ("y", 0), ("width", width), ("height", height)))


# -- annotations ----------------------------------------------------------------------------
def annotation_body(project: RemoteProject, media: RemoteMedia, annotations: list[Annotation],
                    frame: int | None = None) -> dict:
    """The annotation POST body: labels by id with probability 1.0, pixel shapes, the media
    identifier (``video_frame`` for a frame). No other root keys: Geti refuses them. The same body
    as SC 1.0's but for the shapes, so it is built by the same code."""
    return sc_annotation_body(project, media, annotations, frame, shape_to=shape_to_geti)


def annotations_from_scene(project: RemoteProject, media: RemoteMedia, scene: dict) -> list[Annotation]:
    """Neutral pixel annotations of a raw Geti scene. A full-image rectangle whose labels all belong
    to global tasks (classification, anomaly) or are empty labels becomes a shape-less annotation."""
    by_id = {lb.id: lb for lb in project.labels}
    global_ids = {lb.id for t in project.trainable_tasks if t.task_type in GLOBAL_TASK_TYPES for lb in t.labels}
    result = []
    for raw in _require(scene, "annotations", "annotation scene"):
        ids = [str(lb.get("id")) for lb in raw.get("labels", []) if isinstance(lb, dict)]
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise RecordError(f"media {media.name!r}: annotation uses labels {unknown} that project "
                              f"{project.name!r} does not have")
        shape_raw = _require(raw, "shape", f"annotation of media {media.name!r}")
        whole = is_full_image(shape_raw, media.width, media.height) and all(
            i in global_ids or by_id[i].is_empty for i in ids)
        shape = None if whole else shape_from_geti(shape_raw)
        result.append(Annotation(labels=tuple(by_id[i].name for i in ids), shape=shape))
    return result


def scene_or_none(raw: Any) -> dict | None:
    """A scene, or None when it holds no annotation."""
    return raw if isinstance(raw, dict) and raw.get("annotations") else None


def video_page(raw: Any) -> tuple[list[dict], tuple[int, int] | None]:
    """The annotated frame scenes of one whole-video ``annotations/latest`` page and, when more
    frames remain (the server returns at most 500 scenes per call), the (start, end) to ask next."""
    items = raw.get("video_annotations", []) if isinstance(raw, dict) else []
    scenes = [s for s in items if isinstance(s, dict) and s.get("annotations")]
    props = raw.get("video_annotation_properties", {}) if isinstance(raw, dict) else {}
    end, last = props.get("end_frame"), props.get("requested_end_frame")
    if not items or not isinstance(end, int) or not isinstance(last, int) or end >= last:
        return scenes, None
    return scenes, (end + 1, last)


def chain_parents(project: Any) -> dict[str, str]:
    """The parents Geti gives labels by itself when it creates a project shaped like ``project``
    (a ``project.json`` of any dialect): in a chain, the top-level (parentless, non-empty) labels of
    a classification task that follows another trainable task hang under that task's first
    non-empty label (real Geti: the detection label of a det -> cls chain). Label name -> parent name."""
    pipeline = project.get("pipeline") if isinstance(project, dict) else None
    tasks = [t for t in (pipeline or {}).get("tasks") or []
             if isinstance(t, dict) and t.get("task_type") not in ("dataset", "crop")]
    parents: dict[str, str] = {}
    for previous, task in zip(tasks, tasks[1:], strict=False):
        if task.get("task_type") != "classification":
            continue
        anchor = next((lb.get("name") for lb in previous.get("labels") or []
                       if isinstance(lb, dict) and not lb.get("is_empty")), None)
        if not isinstance(anchor, str):
            continue
        for label in task.get("labels") or []:
            if isinstance(label, dict) and not label.get("is_empty") and not label.get("parent_id"):
                parents[str(label.get("name"))] = anchor
    return parents
