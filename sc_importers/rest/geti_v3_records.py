"""Geti 3 REST JSON <-> our records: parsers of answers and builders of request bodies (no HTTP).

Geti 3 differs from the 2.x vocabulary this tool speaks internally:

* a project has **one task** (``project["task"]``) and one implicit dataset; ``instance_segmentation``
  is called ``segmentation`` in our records (what the builders and backups name it);
* there are **no empty labels**: "no objects" is an empty annotation list. The records give each task
  a stand-in empty label (id ``""``, :data:`NO_OBJECTS`), so builders and restores that name an empty
  label work unchanged; annotations holding only it are posted as ``[]`` and ``[]`` reads back as it;
* shapes are lower-case, in absolute pixels: ``rectangle`` (whole pixels), ``polygon`` (``points`` as
  ``{"x", "y"}`` objects; ``[x, y]`` pairs are read too), ``full_image`` (an image-level label: read back
  as a full-image rectangle, as the other dialects store it);
* labels of an annotation are references by id only; colours are ``#RRGGBB``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sc_importers.geometry.clip import polygon_for_upload
from sc_importers.model import Annotation, Polygon, Rectangle
from sc_importers.project_types.base import TaskPlan
from sc_importers.rest.base import RemoteLabel, RemoteMedia, RemoteProject, RemoteTask

#: Name of the stand-in empty label (unless a real label has it, see :func:`empty_label_name`).
NO_OBJECTS = "No object"
#: Our task type -> Geti 3's, and back.
TO_GETI3 = {"classification": "classification", "detection": "detection", "segmentation": "instance_segmentation"}
FROM_GETI3 = {v: k for k, v in TO_GETI3.items()}
TITLES = {"classification": "Classification", "detection": "Detection", "segmentation": "Segmentation"}


#: The count of empty-label annotations sent as Geti 3's "no objects" (an empty list).
EMPTY_CONVERTED = 'converted: empty label -> empty annotation list ("no objects")'


class RecordError(ValueError):
    """A Geti 3 answer without the fields this client needs."""


def _require(raw: Any, key: str, what: str) -> Any:
    if not isinstance(raw, dict) or key not in raw:
        raise RecordError(f"{what}: expected a JSON object with {key!r}, got {str(raw)[:200]}")
    return raw[key]


def empty_label_name(names: set[str]) -> str:
    name = NO_OBJECTS
    while name in names:
        name = f"{name} (empty annotation list)" if name == NO_OBJECTS else f"{name}_"
    return name


# -- projects -------------------------------------------------------------------------------
def parse_project(raw: Any, strict: bool = True) -> RemoteProject:
    """A ProjectView (``GET /api/projects/{id}``, ``POST /api/projects``, items of the list). ``strict``
    False keeps a task type this client does not know under its own name (for readers that refuse it)."""
    project_id = str(_require(raw, "id", "project"))
    name = str(_require(raw, "name", f"project {project_id}"))
    task = _require(raw, "task", f"project {name!r}")
    given = str(_require(task, "task_type", f"task of project {name!r}"))
    kind = FROM_GETI3.get(given, None if strict else given)
    if kind is None:
        raise RecordError(f"project {name!r}: unknown Geti 3 task type {task.get('task_type')!r}")
    exclusive = bool(task.get("exclusive_labels"))
    title = TITLES.get(kind, kind.replace("_", " ").title())
    labels = []
    for lb in task.get("labels") or []:
        label_name = str(_require(lb, "name", f"label of project {name!r}"))
        group = f"default - {title}" if exclusive or kind != "classification" else label_name
        labels.append(RemoteLabel(id=str(_require(lb, "id", f"label {label_name!r}")), name=label_name,
                                  color=str(lb.get("color") or ""), group=group, hotkey=str(lb.get("hotkey") or "")))
    labels.append(RemoteLabel(id="", name=empty_label_name({lb.name for lb in labels}), group="", is_empty=True))
    return RemoteProject(id=project_id, name=name, dataset_id=project_id,
                         tasks=[RemoteTask(id=project_id, title=title, task_type=kind, labels=labels)], raw=raw)


def is_multiclass(project: RemoteProject) -> bool:
    """A multi-class classification project (one label per media, never empty)."""
    task = project.raw.get("task") if isinstance(project.raw, dict) else None
    return bool(isinstance(task, dict) and task.get("task_type") == "classification" and task.get("exclusive_labels"))


def as_pipeline(raw: dict) -> dict:
    """A Geti 3 ProjectView in the 2.x project shape backups are read in (``pipeline`` with a dataset task
    and the one trainable task, our task type, label groups as :func:`parse_project` gives them)."""
    project = parse_project(raw, strict=False)
    task = project.tasks[0]
    labels = [{"id": lb.id, "name": lb.name, "color": lb.color, "group": lb.group, "hotkey": lb.hotkey,
               "is_empty": False} for lb in task.labels if not lb.is_empty]
    dataset_task = {"id": f"{project.id}-dataset", "title": "Dataset", "task_type": "dataset"}
    return {**raw, "pipeline": {"tasks": [dataset_task, {"id": task.id, "title": task.title,
                                                          "task_type": task.task_type, "labels": labels}],
                                "connections": [{"from": dataset_task["id"], "to": task.id}]}}


def project_body(name: str, task: TaskPlan, exclusive: bool, project_id: str | None = None) -> dict:
    """The ``POST /api/projects`` body of a project whose one task is ``task`` (already adapted)."""
    labels = []
    for lb in task.labels:
        if lb.is_empty:
            continue
        body: dict = {"name": lb.name}
        if lb.color:
            body["color"] = lb.color[:7]
        if lb.hotkey:
            body["hotkey"] = lb.hotkey
        labels.append(body)
    out: dict = {"name": name, "task": {"task_type": TO_GETI3[task.task_type], "exclusive_labels": exclusive,
                                        "labels": labels}}
    if project_id:
        out["id"] = project_id
    return out


# -- media ----------------------------------------------------------------------------------
def parse_media(raw: Any) -> RemoteMedia:
    media_id = str(_require(raw, "id", "media"))
    kind = raw.get("type")
    if kind not in ("image", "video"):
        raise RecordError(f"media {media_id}: type {kind!r} is neither image nor video")
    return RemoteMedia(id=media_id, name=str(raw.get("name", "")), kind=kind,
                       width=int(_require(raw, "width", "media")), height=int(_require(raw, "height", "media")),
                       frame_count=raw.get("frame_count") if kind == "video" else None,
                       fps=raw.get("fps") if kind == "video" else None, raw=raw)


def media_page(raw: Any) -> tuple[list[dict], int]:
    """The items and the total of one page of ``GET .../dataset/media``."""
    items = _require(raw, "items", "media list")
    total = _require(_require(raw, "pagination", "media list"), "total", "media list pagination")
    if not isinstance(items, list) or not isinstance(total, int):
        raise RecordError(f"media list: unexpected page {str(raw)[:200]}")
    return items, total


# -- annotations ----------------------------------------------------------------------------
def _clip(value: float, high: int) -> float:
    return min(max(value, 0.0), float(high))


def shape_body(annotation: Annotation, kind: str, width: int, height: int) -> dict:
    """One neutral (already adapted) shape as Geti 3 JSON, inside the media's ``width`` x ``height``."""
    shape = annotation.shape
    if kind == "classification":
        return {"type": "full_image"}
    if isinstance(shape, Rectangle):
        # each value rounded on its own (an error of at most half a pixel each), then kept inside the media
        x, y = round(_clip(shape.x, width)), round(_clip(shape.y, height))
        w = min(round(max(shape.width + min(shape.x, 0), 0)), width - x)
        h = min(round(max(shape.height + min(shape.y, 0), 0)), height - y)
        return {"type": "rectangle", "x": x, "y": y, "width": w, "height": h}
    if isinstance(shape, Polygon):
        points = polygon_for_upload(shape.points, width, height)
        return {"type": "polygon", "points": [{"x": x, "y": y} for x, y in points]}
    raise ValueError(f"a {type(shape).__name__} cannot be sent to Geti 3 (adapt the annotations first)")


def is_full_image(shape: Any, width: int, height: int) -> bool:
    """An image-level annotation: no shape, or a rectangle covering the media (within a pixel)."""
    return shape is None or (isinstance(shape, Rectangle) and abs(shape.x) <= 1 and abs(shape.y) <= 1
                             and abs(shape.x + shape.width - width) <= 1 and abs(shape.y + shape.height - height) <= 1)


def annotation_body(project: RemoteProject, media: RemoteMedia, annotations: list[Annotation],
                    counts: Counter) -> dict:
    """The ``POST .../annotations`` body: label names -> ids; annotations of only the stand-in empty
    label -> ``[]`` ("no objects"). In a classification project the image-level labels become one
    ``full_image`` annotation; regions there are counted in ``counts`` as left behind."""
    task = project.trainable_tasks[0]
    empty = task.empty_label()
    out = []
    image_labels: list[str] = []
    for ann in annotations:
        names = [n for n in ann.labels if empty is None or n != empty.name]
        if not names:
            counts[EMPTY_CONVERTED] += 1
            continue
        if task.task_type == "classification":
            if is_full_image(ann.shape, media.width, media.height):
                image_labels += [n for n in names if n not in image_labels]
            else:
                counts["left behind: regions of a classification project (Geti 3 holds image-level labels)"] += 1
            continue
        if ann.shape is None:
            counts[f"left behind: image-level labels of a {TO_GETI3[task.task_type]} project"] += 1
            continue
        ids = [{"id": project.label_by_name(n).id} for n in names]
        out.append({"labels": ids, "shape": shape_body(ann, task.task_type, media.width, media.height)})
    if image_labels:
        out.append({"labels": [{"id": project.label_by_name(n).id} for n in image_labels],
                    "shape": {"type": "full_image"}})
    return {"annotations": out}


def _point(raw: Any, where: str) -> tuple[float, float]:
    if isinstance(raw, dict):
        return float(raw["x"]), float(raw["y"])
    if isinstance(raw, list | tuple) and len(raw) == 2:
        return float(raw[0]), float(raw[1])
    raise RecordError(f"{where}: a polygon point is neither {{x, y}} nor [x, y]: {raw!r}")


def shape_from_geti3(raw: Any, width: int, height: int, where: str) -> Rectangle | Polygon:
    kind = _require(raw, "type", where)
    if kind == "full_image":
        return Rectangle(0.0, 0.0, float(width), float(height))
    if kind == "rectangle":
        return Rectangle(*(float(_require(raw, k, where)) for k in ("x", "y", "width", "height")))
    if kind == "polygon":
        return Polygon(tuple(_point(p, f"{where}.points[{i}]") for i, p in enumerate(_require(raw, "points", where))))
    raise RecordError(f"{where}: unknown Geti 3 shape type {kind!r}")


def annotations_from_scene(project: RemoteProject, media: RemoteMedia, scene: dict) -> list[Annotation]:
    """A raw Geti 3 annotation answer as neutral annotations; ``[]`` is the stand-in empty label on the
    whole media (how the other dialects hold "no objects")."""
    names = {lb.id: lb.name for lb in project.labels}
    raw = _require(scene, "annotations", "annotation scene")
    if not raw:
        empty = project.trainable_tasks[0].empty_label()
        if empty is None:  # a task without an empty label (single-label classification) has no stand-in
            return []
        return [Annotation((empty.name,), Rectangle(0.0, 0.0, float(media.width), float(media.height)))]
    out = []
    for i, ann in enumerate(raw):
        where = f"annotations[{i}]"
        labels = tuple(names[str(lb["id"])] if str(lb.get("id")) in names else str(lb.get("id"))
                       for lb in _require(ann, "labels", where))
        shape = shape_from_geti3(_require(ann, "shape", where), media.width, media.height, where)
        out.append(Annotation(labels, shape))
    return out
