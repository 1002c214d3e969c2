"""SC 1.0 JSON <-> our records: parsers of server answers and builders of request bodies.

Pure functions, no HTTP, so every recorded answer of a real SC 1.0 server can be parsed in
tests and every request body compared with the recorded one. Field names and shapes follow
the recordings in ``sc-v1-recordings`` (projects, media, annotation scenes, configuration).
Shapes travel in normalized [0, 1] coordinates here and in pixels in :mod:`sc_importers.model`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sc_importers.geometry.clip import polygon_for_upload
from sc_importers.model import (
    EMPTY_LABEL,
    Annotation,
    Ellipse,
    Label,
    Polygon,
    Rectangle,
    RotatedRectangle,
    Shape,
)
from sc_importers.project_types.base import TaskPlan
from sc_importers.rest.base import RemoteLabel, RemoteMedia, RemoteProject, RemoteTask
from sc_importers.rest.legacy_parameters import ITERATION_PARAMETER_NAMES as ITERATION_PARAMETER_NAMES  # re-exported

#: Task types whose annotations cover the whole image (their shape is the full-image rectangle).
GLOBAL_TASK_TYPES = frozenset({"classification", "anomaly_classification"})


class RecordError(ValueError):
    """A server answer does not have the SC 1.0 shape; names what was expected."""


def _require(raw: Any, key: str, what: str) -> Any:
    if not isinstance(raw, dict) or key not in raw:
        raise RecordError(f"{what}: expected a JSON object with {key!r}, got {str(raw)[:200]}")
    return raw[key]


# -- projects -------------------------------------------------------------------------------
def parse_label(raw: dict) -> RemoteLabel:
    return RemoteLabel(
        id=str(_require(raw, "id", "label")), name=_require(raw, "name", "label"),
        color=raw.get("color") or "", group=raw.get("group") or "",
        parent_id=raw.get("parent_id") or None, is_empty=bool(raw.get("is_empty", False)),
        hotkey=raw.get("hotkey") or "",
    )


def parse_project(raw: dict) -> RemoteProject:
    """A project as ``GET projects/{id}``, the project list and ``POST projects`` return it."""
    name = _require(raw, "name", "project")
    pipeline = _require(raw, "pipeline", f"project {name!r}")
    tasks = [
        RemoteTask(id=str(_require(t, "id", f"task of project {name!r}")), title=t.get("title", ""),
                   task_type=t.get("task_type", ""), labels=[parse_label(lb) for lb in t.get("labels", [])])
        for t in _require(pipeline, "tasks", f"pipeline of project {name!r}")
    ]
    datasets = raw.get("datasets") or []
    if not datasets:
        raise RecordError(f"project {name!r}: no dataset in {list(raw)}")
    return RemoteProject(id=str(_require(raw, "id", "project")), name=name,
                         dataset_id=str(datasets[0]["id"]), tasks=tasks, raw=raw)


def parse_project_page(raw: Any) -> tuple[list[RemoteProject], str | None]:
    """Projects of one page of ``GET projects/`` and the next page's path (None: last page).

    SC 1.0 answers ``{"items": [...]}`` with every project at once; a ``next_page`` is followed
    when present (later servers page), and a bare list is accepted too.
    """
    if isinstance(raw, list):
        return [parse_project(p) for p in raw], None
    items = raw.get("items", raw.get("projects")) if isinstance(raw, dict) else None
    if items is None:
        raise RecordError(f"project list: expected 'items', got {str(raw)[:200]}")
    return [parse_project(p) for p in items], raw.get("next_page") or None


def project_body(name: str, tasks: list[TaskPlan]) -> dict:
    """The ``POST projects`` body: Dataset task, the trainable tasks with a crop task between
    each two, connections by title, labels with their optional color/group/hotkey/parent."""
    if not tasks:
        raise ValueError(f"project {name!r}: no trainable task to create")
    pipeline_tasks: list[dict] = [{"title": "Dataset", "task_type": "dataset"}]
    for index, plan in enumerate(tasks):
        if index:
            crop = "Crop task" if index == 1 else f"Crop task {index}"
            pipeline_tasks.append({"title": crop, "task_type": "crop"})
        pipeline_tasks.append({"title": plan.title, "task_type": plan.task_type,
                               "labels": [label_body(lb) for lb in plan.labels if not lb.is_empty]})
    titles = [t["title"] for t in pipeline_tasks]
    if len(set(titles)) != len(titles):
        raise ValueError(f"project {name!r}: task titles must differ, got {titles}")
    connections = [{"from": a, "to": b} for a, b in zip(titles, titles[1:], strict=False)]
    return {"name": name, "pipeline": {"connections": connections, "tasks": pipeline_tasks}}


def label_body(label: Label) -> dict:
    """One label of a project-creation body; the parent is given by its NAME, as SC 1.0 wants."""
    body: dict = {"name": label.name}
    if label.color:
        body["color"] = label.color
    if label.group:
        body["group"] = label.group
    if label.hotkey:
        body["hotkey"] = label.hotkey
    if label.parent:
        body["parent_id"] = label.parent
    return body


# -- media ----------------------------------------------------------------------------------
def parse_media(raw: dict) -> RemoteMedia:
    """An image or video as uploads and listings return it (``media_information`` has the size)."""
    info = _require(raw, "media_information", "media")
    kind = raw.get("type", "image")
    if kind not in ("image", "video"):
        raise RecordError(f"media {raw.get('name')!r}: unknown type {kind!r}")
    fps = info.get("fps", info.get("frame_rate"))
    return RemoteMedia(
        id=str(_require(raw, "id", "media")), name=raw.get("name", ""), kind=kind,
        width=int(_require(info, "width", "media_information")),
        height=int(_require(info, "height", "media_information")),
        frame_count=info.get("frame_count"), fps=float(fps) if fps is not None else None, raw=raw,
    )


def parse_media_page(raw: dict) -> tuple[list[RemoteMedia], str | None]:
    """One page of a media listing and the next page's path (None when done)."""
    items = _require(raw, "media", "media list")
    return [parse_media(m) for m in items], (raw.get("next_page") or None) if items else None


# -- annotations ----------------------------------------------------------------------------
def _unit(value: float) -> float:
    """``value`` clipped to [0, 1]."""
    return min(1.0, max(0.0, value))


def _span(start: float, size: float, extent: int) -> tuple[float, float]:
    """Normalized (start, size) of a pixel interval, clipped to the media: ``start + size`` never
    exceeds 1.0, not even by the rounding of two separate divisions (SC refuses such boxes)."""
    low, high = _unit(start / extent), _unit((start + size) / extent)
    return low, max(0.0, min(high - low, 1.0 - low))


def shape_to_sc(shape: Shape | None, width: int, height: int) -> dict:
    """Pixel shape -> SC 1.0 normalized shape; None (whole media) -> the full-image rectangle.

    Coordinates are clipped to the media, as the dry run announces for shapes that extend past
    the border: SC refuses any coordinate outside [0, 1]. A polygon is cut at the border
    (:func:`~sc_importers.geometry.clip.polygon_for_upload`), not squashed onto it. A rotated rectangle keeps its centre
    and size clipped to [0, 1] (its corners may still lie outside, as SC allows)."""
    if shape is None:
        return {"x": 0.0, "y": 0.0, "width": 1.0, "height": 1.0, "type": "RECTANGLE"}
    if isinstance(shape, (Rectangle, Ellipse)):
        kind = "RECTANGLE" if isinstance(shape, Rectangle) else "ELLIPSE"
        x, w = _span(shape.x, shape.width, width)
        y, h = _span(shape.y, shape.height, height)
        return {"x": x, "y": y, "width": w, "height": h, "type": kind}
    if isinstance(shape, Polygon):
        points = polygon_for_upload(shape.points, width, height)
        return {"points": [{"x": _unit(x / width), "y": _unit(y / height)} for x, y in points], "type": "POLYGON"}
    if isinstance(shape, RotatedRectangle):
        return {"x": _unit(shape.x / width), "y": _unit(shape.y / height), "width": _unit(shape.width / width),
                "height": _unit(shape.height / height), "angle": shape.angle, "type": "ROTATED_RECTANGLE"}
    raise TypeError(f"unsupported shape {type(shape).__name__}")


def shape_from_sc(raw: dict, width: int, height: int) -> Shape:
    """SC 1.0 normalized shape -> pixel shape."""
    kind = raw.get("type")
    if kind in ("RECTANGLE", "ELLIPSE"):
        cls = Rectangle if kind == "RECTANGLE" else Ellipse
        return cls(raw["x"] * width, raw["y"] * height, raw["width"] * width, raw["height"] * height)
    if kind == "POLYGON":
        return Polygon(tuple((p["x"] * width, p["y"] * height) for p in raw["points"]))
    if kind == "ROTATED_RECTANGLE":
        return RotatedRectangle(raw["x"] * width, raw["y"] * height, raw["width"] * width,
                                raw["height"] * height, raw.get("angle", 0.0))
    raise RecordError(f"annotation shape: unknown type {kind!r}")


def is_full_image(raw_shape: dict, tolerance: float = 1e-9) -> bool:
    return raw_shape.get("type") == "RECTANGLE" and all(
        abs(raw_shape.get(k, -1) - v) <= tolerance
        for k, v in (("x", 0.0), ("y", 0.0), ("width", 1.0), ("height", 1.0)))


def resolve_label(project: RemoteProject, name: str) -> RemoteLabel:
    """A label of ``project`` by name; :data:`EMPTY_LABEL` is the first trainable task's
    empty label. Raises KeyError naming the project and the label."""
    if name == EMPTY_LABEL:
        for task in project.trainable_tasks[:1]:
            empty = task.empty_label()
            if empty is not None:
                return empty
        raise KeyError(f"project {project.name!r} has no empty label in its first task")
    return project.label_by_name(name)


def media_identifier(media: RemoteMedia, frame: int | None) -> dict:
    if frame is None:
        return {"type": "image", "image_id": media.id}
    return {"type": "video_frame", "video_id": media.id, "frame_index": frame}


def annotation_body(project: RemoteProject, media: RemoteMedia, annotations: list[Annotation],
                    frame: int | None = None,
                    shape_to: Callable[[Shape | None, int, int], dict] | None = None) -> dict:
    """The annotation POST body as recorded: labels by id with probability 1.0, normalized
    shapes, and the media identifier (``video_frame`` for a frame of a video). ``shape_to``
    (default :func:`shape_to_sc`) converts a shape: Geti 2.x passes its pixel converter, the rest of
    the body is the same in both dialects."""
    shape_to = shape_to or shape_to_sc
    out = []
    for ann in annotations:
        if not ann.labels:
            raise ValueError(f"media {media.name!r}: an annotation without labels cannot be sent")
        labels = []
        for name in dict.fromkeys(ann.labels):  # keep order, drop repeats
            try:
                labels.append({"id": resolve_label(project, name).id, "probability": 1.0})
            except KeyError as exc:
                raise ValueError(f"media {media.name!r}: {exc.args[0]}") from None
        out.append({"labels": labels, "shape": shape_to(ann.shape, media.width, media.height)})
    return {"annotations": out, "media_identifier": media_identifier(media, frame)}


def annotations_from_scene(project: RemoteProject, media: RemoteMedia, scene: dict) -> list[Annotation]:
    """Neutral pixel annotations of a raw scene. A full-image rectangle whose labels all belong
    to classification tasks, or are empty labels, becomes a shape-less (whole media) annotation;
    label names are the project's (empty labels keep their server name, e.g. ``No Object``)."""
    by_id = {lb.id: lb for lb in project.labels}
    global_ids = {lb.id for t in project.trainable_tasks if t.task_type in GLOBAL_TASK_TYPES
                  for lb in t.labels}
    result = []
    for raw in _require(scene, "annotations", "annotation scene"):
        ids = [lb["id"] for lb in raw.get("labels", [])]
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise RecordError(f"media {media.name!r}: annotation uses labels {unknown} that project "
                              f"{project.name!r} does not have")
        names = tuple(by_id[i].name for i in ids)
        shape_raw = _require(raw, "shape", f"annotation of media {media.name!r}")
        whole = is_full_image(shape_raw) and all(i in global_ids or by_id[i].is_empty for i in ids)
        shape = None if whole else shape_from_sc(shape_raw, media.width, media.height)
        result.append(Annotation(labels=names, shape=shape))
    return result


def scene_or_none(raw: Any) -> dict | None:
    """A scene, or None when the server says there is none (no body, or no annotations)."""
    if not isinstance(raw, dict) or not raw.get("annotations"):
        return None
    return raw


def video_scenes(raw: Any) -> list[dict]:
    """The frame scenes of a whole-video ``annotations/latest`` answer (list or wrapped)."""
    items: object
    if isinstance(raw, list):
        items = raw
    elif isinstance(raw, dict):
        items = raw.get("video_annotations", raw.get("items", raw.get("annotations", [])))
    else:
        items = []
    if not isinstance(items, list):
        return []
    return [s for s in items if isinstance(s, dict) and s.get("annotations")]


# -- configuration --------------------------------------------------------------------------
def walk_parameters(node: Any, component: dict | None = None) -> Iterator[tuple[dict, dict]]:
    """Every (component, parameter) pair of a configuration structure, groups included; the
    component is the nearest enclosing object with an ``entity_identifier``."""
    if isinstance(node, dict):
        if "entity_identifier" in node:
            component = node
        for param in node.get("parameters", []) or []:
            if isinstance(param, dict) and "name" in param and "value" in param:
                yield component or node, param
        for key, value in node.items():
            if key != "parameters" and isinstance(value, (dict, list)):
                yield from walk_parameters(value, component)
    elif isinstance(node, list):
        for value in node:
            yield from walk_parameters(value, component)


def find_parameter(config: dict, names: tuple[str, ...]) -> tuple[dict, dict] | None:
    """The first (component, parameter) whose name is in ``names`` (in ``names`` order)."""
    found = list(walk_parameters(config))
    for name in names:
        for component, param in found:
            if param["name"] == name:
                return component, param
    return None


def parameter_update_body(component: dict, values: dict[str, Any]) -> dict:
    """A ``configuration/task_chain/{task}`` POST body setting ``values`` in one component,
    shaped as recorded: ``{"components": [{"entity_identifier", "parameters": [{name, value}]}]}``."""
    return {"components": [{
        "entity_identifier": component["entity_identifier"],
        "parameters": [{"name": k, "value": v} for k, v in values.items()],
    }]}


def task_configuration_body(config: dict) -> dict:
    """A whole task configuration (as the getter returned it, possibly edited) as a POST body:
    each component's identifier with its parameters' names and values, groups included."""
    def params(node: dict) -> list[dict]:
        return [{"name": p["name"], "value": p["value"]} for p in node.get("parameters", [])
                if isinstance(p, dict) and "name" in p and "value" in p]

    components = []
    for comp in _require(config, "components", "task configuration"):
        entry: dict = {"entity_identifier": comp["entity_identifier"], "parameters": params(comp)}
        if comp.get("groups"):
            entry["groups"] = [{"name": g.get("name"), "type": g.get("type"), "parameters": params(g)}
                               for g in comp["groups"]]
        components.append(entry)
    return {"components": components}
