"""What a Geti 3 server can hold of a planned project, and how annotations map onto it.

Geti 3 has one task per project, of three types (``classification``, ``detection``,
``instance_segmentation``), three shapes (``full_image``, ``rectangle``, ``polygon``) and no empty labels.
A plan in our (SC / Geti 2.x) vocabulary becomes a Geti 3 project here, before anything is created:

* mapped as stated (``docs/geti3-migration.md``): ``segmentation`` -> instance segmentation (each polygon
  one instance); a label hierarchy or several label groups -> multi-label classification; ellipses ->
  polygons (segmentation) or enclosing boxes (detection); rectangles of a segmentation task -> 4-point
  polygons; empty labels -> an empty annotation list; ``#RRGGBBAA`` colours -> ``#RRGGBB``;
* refused with the choices, unless the user chose (:class:`Geti3Choices`): a task chain
  (``--chain-task``), an anomaly project (``--anomaly-as``), rotated detection (``--rotated-as``);
* refused without a choice: keypoint detection, label names longer than 50 characters.

Every annotation converted or left behind is counted (:class:`~sc_importers.rest.base.Adaptation`).
Pure functions: no HTTP.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from sc_importers.model import Annotation, Ellipse, Label, Polygon, Rectangle, RotatedRectangle, Shape, bounding_box
from sc_importers.project_types.base import TaskPlan
from sc_importers.rest.base import Adaptation, ServerError

#: Our task types Geti 3 holds as they are (``segmentation`` is created as ``instance_segmentation``).
HELD = ("classification", "detection", "segmentation")
#: Geti 2.x task types held as one of ours: instance segmentation is Geti 3's own.
SAME_AS = {"instance_segmentation": "segmentation"}
ANOMALY = ("anomaly", "anomaly_classification", "anomaly_detection", "anomaly_segmentation")
MAX_LABEL_NAME = 50
#: Geti 3 stores boxes in whole pixels: each value moves by at most half a pixel.
WHOLE_PIXELS = 0.5 + 1e-6
#: What ``--verify`` names when it tolerates that.
WHOLE_PIXEL_MAPPING = "box coordinates -> whole pixels (each moved by at most 0.5 px)"
#: The count of annotations of video frame 0, which Geti 3's API cannot write (``frame_index=0`` is "missing").
FRAME_0 = "left behind: annotations of video frame 0 (Geti 3's API cannot write frame 0)"
#: Points of the polygon an ellipse becomes.
ELLIPSE_POINTS = 32
CHOICES = {"chain_task": ("detection", "classification", "segmentation"), "rotated_as": ("polygon", "box"),
           "anomaly_as": ("classification",)}


@dataclass(frozen=True)
class Geti3Choices:
    """The user's answers to what Geti 3 cannot hold (CLI ``--chain-task``, ``--rotated-as``, ``--anomaly-as``)."""

    chain_task: str | None = None
    rotated_as: str | None = None
    anomaly_as: str | None = None

    def __post_init__(self) -> None:
        for key, allowed in CHOICES.items():
            value = getattr(self, key)
            if value is not None and value not in allowed:
                raise ValueError(f"--{key.replace('_', '-')} {value!r}: choose one of {', '.join(allowed)}")


def _refuse(message: str) -> ServerError:
    return ServerError(f"Geti 3 cannot hold this project as it is: {message}. Nothing was created.",
                       code="unsupported_project")


def _chain_choice(tasks: list[TaskPlan], choices: Geti3Choices) -> TaskPlan:
    kinds = [t.task_type for t in tasks]
    names = " -> ".join(kinds)
    allowed = {"classification": "classification", "segmentation": "segmentation", "detection": "detection"}
    options = [k for k in kinds if k in allowed]
    if choices.chain_task is None or choices.chain_task not in options:
        detail = {
            "detection": "keeps the boxes with their detection labels",
            "classification": "keeps the boxes, each labelled with its classification label (what Geti's "
                              "migration note #6729 does); boxes without one are left behind",
            "segmentation": "keeps the polygons as an instance-segmentation project (#6729)",
        }
        listed = "; ".join(f"--chain-task {k} {detail[k]}" for k in options)
        given = f" (--chain-task {choices.chain_task} is no task of this chain)" if choices.chain_task else ""
        raise _refuse(f"it is a task chain ({names}) and Geti 3 has one task per project{given}. Choose: {listed}. "
                      "The other task's annotations are counted as left behind")
    chosen = next(t for t in tasks if t.task_type == choices.chain_task)
    if chosen.task_type == "classification":  # boxes carrying their classification label
        return TaskPlan(chosen.title, "detection", chosen.labels)
    return chosen


def _target(tasks: list[TaskPlan], choices: Geti3Choices) -> tuple[TaskPlan, list[str]]:
    """The one task to create, in our vocabulary, and the stated mappings of that decision."""
    if not tasks:
        raise _refuse("it has no trainable task")
    if len(tasks) > 1:
        chosen = _chain_choice(tasks, choices)
        kinds = " -> ".join(t.task_type for t in tasks)
        how = ("boxes labelled with their classification label" if choices.chain_task == "classification"
               else f"the {choices.chain_task} task's annotations")
        return chosen, [f"task chain {kinds} -> one {_geti3_type(chosen.task_type)} project "
                        f"(--chain-task {choices.chain_task}: {how})"]
    task = tasks[0]
    kind = task.task_type
    if kind in SAME_AS:
        return TaskPlan(task.title, SAME_AS[kind], task.labels), []
    if kind in HELD:
        note = ([f"{kind} -> instance_segmentation (Geti 3 has no semantic segmentation; each polygon is one "
                 "instance)"] if kind == "segmentation" else [])
        return task, note
    if kind == "keypoint_detection":
        raise _refuse("Geti 3 has no keypoint detection (geti#6733); keep the project on Geti 2.13, or "
                      "export its dataset. There is no conversion that keeps the keypoints")
    if kind in ANOMALY:
        if choices.anomaly_as != "classification":
            raise _refuse(f"it is an {kind} project and Geti 3 has no anomaly tasks (they moved to Geti Inspect). "
                          "Choose: --anomaly-as classification (Normal/Anomalous become a multi-class classification "
                          "project; anomalous regions are counted as left behind), or keep it on Geti 2.x")
        labels = [lb for lb in task.labels if not lb.is_empty] or [Label("Normal"), Label("Anomalous")]
        return (TaskPlan(task.title, "classification", labels),
                [f"{kind} -> multi-class classification (--anomaly-as classification)"])
    if kind == "rotated_detection":
        if choices.rotated_as is None:
            raise _refuse("it is a rotated detection project and Geti 3 has no rotated boxes (geti#6732). Choose: "
                          "--rotated-as polygon (each rotated box becomes a 4-corner polygon of an instance-"
                          "segmentation project) or --rotated-as box (the enclosing axis-aligned box of a detection "
                          "project; the angle is lost)")
        if choices.rotated_as == "polygon":
            return (TaskPlan(task.title, "segmentation", task.labels),
                    ["rotated_detection -> instance_segmentation (--rotated-as polygon: rotated boxes -> 4-corner "
                     "polygons)"])
        return (TaskPlan(task.title, "detection", task.labels),
                ["rotated_detection -> detection (--rotated-as box: rotated boxes -> enclosing boxes)"])
    raise _refuse(f"Geti 3 has no {kind} task (it holds classification, detection and instance_segmentation)")


def _geti3_type(kind: str) -> str:
    return "instance_segmentation" if kind == "segmentation" else kind


def exclusive(task: TaskPlan) -> bool:
    """Geti 3's ``exclusive_labels``: multi-class when every label is in one group without parents."""
    labels = [lb for lb in task.labels if not lb.is_empty]
    return len({lb.group for lb in labels}) <= 1 and not any(lb.parent for lb in labels)


def adapt(tasks: list[TaskPlan], choices: Geti3Choices) -> Adaptation:
    """The Geti 3 project for a plan of ``tasks`` and the conversion of its annotations (see the module doc)."""
    target, mappings = _target(tasks, choices)
    labels = [lb for lb in target.labels if not lb.is_empty]
    long = [lb.name for lb in labels if len(lb.name) > MAX_LABEL_NAME]
    if long:
        raise _refuse(f"label names longer than {MAX_LABEL_NAME} characters: {', '.join(map(repr, long))}; rename "
                      "them with --label-map OLD=NEW")
    not_kept: list[str] = []
    if target.task_type == "classification" and not exclusive(target):
        groups = {lb.group for lb in labels}
        if any(lb.parent for lb in labels) or len(groups) > 1:
            mappings.append("classification label groups / hierarchy -> multi-label classification "
                            "(exclusive_labels false)")
            not_kept.append("label groups and parents (Geti 3 classification is multi-class or multi-label)")
    if any(lb.color and len(lb.color) == 9 for lb in labels):
        mappings.append("label colours #RRGGBBAA -> #RRGGBB (alpha dropped)")
    if target.task_type == "detection":
        mappings.append(WHOLE_PIXEL_MAPPING)
    if any(lb.is_empty for t in tasks for lb in t.labels):
        mappings.append("empty labels ('No object', 'Empty', ...) -> an empty annotation list (\"no objects\")")
    kept = {lb.name for lb in labels}
    dropped = {lb.name for t in tasks for lb in t.labels if not lb.is_empty} - kept
    plan = TaskPlan(target.title, target.task_type, [Label(lb.name, _color(lb.color), lb.group, lb.parent,
                                                           False, lb.hotkey) for lb in labels])
    converter = _converter(target.task_type, kept, dropped)
    return Adaptation(tasks=[plan], mappings=mappings, not_kept=not_kept, converter=converter,
                      pixel_tolerance=WHOLE_PIXELS, unwritable_frames=frozenset({0}), unwritable_key=FRAME_0)


def _color(color: str | None) -> str | None:
    if color and len(color) == 9:
        return color[:7]
    return color


def rotated_corners(shape: RotatedRectangle) -> Polygon:
    """The 4 corners of a rotated box (centre, size, angle in degrees), in drawing order."""
    a = math.radians(shape.angle)
    dx, dy = shape.width / 2, shape.height / 2
    cos, sin = math.cos(a), math.sin(a)
    corners = [(-dx, -dy), (dx, -dy), (dx, dy), (-dx, dy)]
    return Polygon(tuple((shape.x + x * cos - y * sin, shape.y + x * sin + y * cos) for x, y in corners))


def ellipse_polygon(shape: Ellipse, points: int = ELLIPSE_POINTS) -> Polygon:
    cx, cy, rx, ry = shape.x + shape.width / 2, shape.y + shape.height / 2, shape.width / 2, shape.height / 2
    return Polygon(tuple((cx + rx * math.cos(2 * math.pi * k / points), cy + ry * math.sin(2 * math.pi * k / points))
                         for k in range(points)))


def _as_polygon(shape: Rectangle | Ellipse | RotatedRectangle) -> Polygon:
    if isinstance(shape, RotatedRectangle):
        return rotated_corners(shape)
    if isinstance(shape, Ellipse):
        return ellipse_polygon(shape)
    x0, y0, x1, y1 = shape.x, shape.y, shape.x + shape.width, shape.y + shape.height
    return Polygon(((x0, y0), (x1, y0), (x1, y1), (x0, y1)))


def _shape_name(shape: Shape | None) -> str:
    return {Rectangle: "box", Ellipse: "ellipse", Polygon: "polygon", RotatedRectangle: "rotated box"}.get(
        type(shape), "image-level label")


def _converter(kind: str, kept: set[str], dropped: set[str]) -> Callable[[list[Annotation], Counter], list[Annotation]]:
    """The per-media conversion into a Geti 3 ``kind`` task (our vocabulary), counting into ``counts``."""

    def convert(annotations: list[Annotation], counts: Counter) -> list[Annotation]:
        out = []
        for ann in annotations:
            if not any(n in kept or n in dropped for n in ann.labels):  # an empty label: the client posts []
                out.append(ann)
                continue
            labels = tuple(n for n in ann.labels if n not in dropped)
            what = _shape_name(ann.shape)
            if not labels:
                counts[f"left behind: {what} with only labels of the task not kept"] += 1
                continue
            if len(labels) < len(ann.labels):
                counts[f"converted: {what} without its labels of the task not kept"] += 1
            shape = ann.shape
            if kind == "classification":
                pass  # image-level or not is decided with the media size (geti_v3_records.annotation_body)
            elif shape is None:
                out.append(Annotation(labels))  # empty labels pass; the client posts them as []
                continue
            elif kind == "detection" and not isinstance(shape, Rectangle):
                counts[f"converted: {what} -> enclosing box"] += 1
                shape = bounding_box(shape)
            elif kind == "segmentation" and not isinstance(shape, Polygon):
                counts[f"converted: {what} -> polygon"] += 1
                shape = _as_polygon(shape)
            out.append(Annotation(labels, shape, ann.object_id))
        return out

    return convert
