"""What the core builders share: shape conversions, label selection, and restoring backups.

A backup (a dataset whose reader set ``Dataset.project``) already holds a project's own tasks,
labels and annotations; every builder restores it as it was instead of re-deriving tasks and
labels from dataset labels. That logic lives here once, in :class:`CoreProjectType`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from sc_importers.model import (
    EMPTY_LABEL,
    Annotation,
    Dataset,
    Ellipse,
    Label,
    MediaItem,
    Polygon,
    Rectangle,
    RotatedRectangle,
    Shape,
    bounding_box,
)
from sc_importers.project_types.base import (
    BuildError,
    BuildOptions,
    ProjectPlan,
    ProjectType,
    TaskPlan,
)

#: Title of each trainable task type's pipeline node, as SC clients name them.
TASK_TITLES = {
    "detection": "Detection task",
    "segmentation": "Segmentation task",
    "classification": "Classification task",
    "anomaly_classification": "Anomaly classification task",
    "anomaly_detection": "Anomaly detection task",
    "anomaly_segmentation": "Anomaly segmentation task",
}

REGION_SHAPES = ("RECTANGLE", "ELLIPSE", "POLYGON", "ROTATED_RECTANGLE")


def full_image(item: MediaItem) -> Rectangle:
    """The rectangle that covers the whole media item: SC's shape for image-level labels."""
    width, height = item.size()
    return Rectangle(0.0, 0.0, float(width), float(height))


def as_polygon(shape: Shape) -> Polygon | Ellipse:
    """A shape a segmentation task can hold: polygons and ellipses stay, boxes become polygons."""
    if isinstance(shape, (Polygon, Ellipse)):
        return shape
    if isinstance(shape, Rectangle):
        x0, y0, x1, y1 = shape.x, shape.y, shape.x + shape.width, shape.y + shape.height
        return Polygon(((x0, y0), (x1, y0), (x1, y1), (x0, y1)))
    return _rotated_corners(shape)


def _rotated_corners(shape: RotatedRectangle) -> Polygon:
    import math

    a = math.radians(shape.angle)
    cos, sin = math.cos(a), math.sin(a)
    hw, hh = shape.width / 2, shape.height / 2
    corners = ((-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh))
    return Polygon(
        tuple((shape.x + dx * cos - dy * sin, shape.y + dx * sin + dy * cos) for dx, dy in corners)
    )


def has_area(shape: Shape) -> bool:
    """True when ``shape`` and what builders turn it into (its bounding box, its outline) all have
    a non-zero area. A shape can have a tiny positive area whose box or corners collapse in float
    arithmetic (a rotated box 1e-38 px wide: its corners coincide; an ellipse 1e-167 px wide at x=1,
    whose right edge x + width is x again); SC refuses such a shape."""
    if not shape.area > 0 or not as_polygon(shape).area > 0:
        return False
    box = bounding_box(shape)  # its far corner as builders compute it (union_box), not only its sizes
    return (box.x + box.width) - box.x > 0 and (box.y + box.height) - box.y > 0


def _kept_regions(annotations: list[Annotation],
                  names: set[str]) -> Iterator[tuple[int, Annotation, tuple[str, ...], Shape]]:
    """(position, annotation, kept labels, its shape) of every annotation with a region of non-zero
    size (:func:`has_area`) and at least one label in ``names``."""
    for index, ann in enumerate(annotations):
        labels = tuple(n for n in ann.labels if n in names)
        if ann.shape is not None and labels and has_area(ann.shape):
            yield index, ann, labels, ann.shape


def labelled_regions(annotations: list[Annotation], names: set[str]) -> Iterator[tuple[tuple[str, ...], Shape]]:
    """(labels, shape) of every annotation with a region of non-zero size (:func:`has_area`),
    keeping only the labels in ``names``; image-level annotations and annotations left without
    labels are skipped."""
    for _, _, labels, shape in _kept_regions(annotations, names):
        yield labels, shape


def labelled_objects(
    annotations: list[Annotation], names: set[str]
) -> list[tuple[tuple[str, ...], list[Shape]]]:
    """(labels, parts) per object, in the order objects first appear: the regions
    :func:`labelled_regions` keeps, with the parts of one object (annotations with the same
    ``object_id`` and labels) together. An annotation without ``object_id`` is one object."""
    objects: dict[object, tuple[tuple[str, ...], list[Shape]]] = {}
    for index, ann, labels, shape in _kept_regions(annotations, names):
        key = index if ann.object_id is None else (ann.object_id, labels)
        objects.setdefault(key, (labels, []))[1].append(shape)
    return list(objects.values())


def union_box(shapes: list[Shape]) -> Rectangle:
    """The smallest axis-aligned rectangle containing every shape: one object's box from its parts."""
    boxes = [bounding_box(s) for s in shapes]
    x0, y0 = min(b.x for b in boxes), min(b.y for b in boxes)
    x1 = max(b.x + b.width for b in boxes)
    y1 = max(b.y + b.height for b in boxes)
    return Rectangle(x0, y0, x1 - x0, y1 - y0)


def user_labels(dataset: Dataset) -> list[Label]:
    """The dataset's labels a user would see in a task: every non-empty one."""
    return [lb for lb in dataset.labels if not lb.is_empty]


def shape_labels(dataset: Dataset) -> list[Label]:
    """:func:`user_labels` without those only image-level annotations use (image tags): a project
    of shapes would create them without a single annotation. Labels no annotation uses (declared
    categories, ``--add-labels``) and parents of kept labels stay. When every label would go, all
    stay (a project of image-level labels only: reports say its annotations are not imported)."""
    image_only = dataset.image_only_labels()
    labels = user_labels(dataset)
    kept = {lb.name for lb in labels if lb.name not in image_only}
    parents = {lb.parent for lb in labels if lb.name in kept and lb.parent}
    chosen = [lb for lb in labels if lb.name in kept or lb.name in parents]
    return chosen or labels


def dominant_label(annotations: list[Annotation], names: set[str]) -> str | None:
    """The label an image as a whole is about: image-level labels first, else the most frequent
    label among its objects (the parts of one object count once; ties go to the label met first)."""
    image_level = [n for a in annotations if a.shape is None for n in a.labels if n in names]
    if image_level:
        return image_level[0]
    counts: Counter[str] = Counter()
    seen: set[tuple[str, str]] = set()  # (object_id, label): an object in parts counts once
    for ann in annotations:
        for name in ann.labels:
            if name not in names or (ann.object_id is not None and (ann.object_id, name) in seen):
                continue
            counts[name] += 1
            if ann.object_id is not None:
                seen.add((ann.object_id, name))
    return counts.most_common(1)[0][0] if counts else None


#: Task types of backups under another name: Geti 2.x calls its one (image-level) anomaly task ``anomaly``.
TASK_ALIASES = {"anomaly": "anomaly_classification"}


def project_type_of(project: dict) -> str:
    """The core project-type name of a server project description (as kept in backups)."""
    tasks = project["pipeline"]["tasks"]
    kinds = [TASK_ALIASES.get(t["task_type"], t["task_type"]) for t in tasks
             if t["task_type"] not in ("dataset", "crop")]
    if len(kinds) == 1:
        return kinds[0]
    if kinds in (["detection", "segmentation"], ["detection", "classification"]):
        return f"detection_to_{kinds[1]}"
    raise BuildError(f"unsupported pipeline in project description: tasks {kinds}")


class CoreProjectType(ProjectType):
    """Shared behaviour of the core builders: backup restore and the empty-label rule."""

    def plan(self, dataset: Dataset, options: BuildOptions) -> ProjectPlan:
        if dataset.project is not None:
            return self._plan_from_backup(dataset)
        if not user_labels(dataset) and not self._labels_are_fixed():
            raise BuildError(f"{dataset.root}: no labels left to create a {self.name} project with (the "
                             f"{dataset.format or 'dataset'} reader found none to use: is --format right? "
                             "--add-labels A,B creates labels for a dataset of unannotated media)")
        return self.plan_new(dataset, options)

    def convert(
        self, item: MediaItem, annotations: list[Annotation], plan: ProjectPlan, options: BuildOptions
    ) -> list[Annotation]:
        if plan.restored:
            return list(annotations)  # a backup holds the project's own annotations
        converted = self.convert_new(item, annotations, plan, options)
        if not converted and not annotations and options.empty_label_for_unannotated:
            return [Annotation((EMPTY_LABEL,), None if item.kind == "video" else full_image(item))]
        return converted

    # -- what each builder provides -------------------------------------------------------------
    def plan_new(self, dataset: Dataset, options: BuildOptions) -> ProjectPlan:
        raise NotImplementedError

    def convert_new(
        self, item: MediaItem, annotations: list[Annotation], plan: ProjectPlan, options: BuildOptions
    ) -> list[Annotation]:
        raise NotImplementedError

    def _labels_are_fixed(self) -> bool:
        return False

    # -- backups --------------------------------------------------------------------------------
    def _plan_from_backup(self, dataset: Dataset) -> ProjectPlan:
        project = dataset.project or {}
        found = project_type_of(project)
        if found != self.name:
            raise BuildError(
                f"{dataset.root}: the backup holds a {found} project; it can only be restored as {found}, "
                f"not as {self.name}"
            )
        by_id = {  # backups of old clients have no label ids (and no parents): names only
            lb["id"]: lb["name"]
            for task in project["pipeline"]["tasks"]
            for lb in task.get("labels", [])
            if lb.get("id") is not None
        }
        tasks = []
        for task in project["pipeline"]["tasks"]:
            if task["task_type"] in ("dataset", "crop"):
                continue
            labels = [
                Label(
                    name=lb["name"],
                    color=lb.get("color") or None,
                    group=lb.get("group") or None,
                    parent=_parent_name(lb.get("parent_id"), by_id, project),
                    hotkey=lb.get("hotkey") or "",
                )
                for lb in task.get("labels", [])
                if not lb.get("is_empty")
            ]
            tasks.append(TaskPlan(task["title"], TASK_ALIASES.get(task["task_type"], task["task_type"]), labels))
        return ProjectPlan(self.name, tasks, restored=True)


def _parent_name(parent_id: object, by_id: dict, project: dict) -> str | None:
    """A backed-up label's parent by name: through the old label ids, or, in folders written by
    geti-sdk (which puts the parent's name where the id was), the name itself."""
    if not parent_id:
        return None
    if parent_id in by_id:
        return by_id[parent_id]
    names = {lb["name"] for task in project["pipeline"]["tasks"] for lb in task.get("labels", [])}
    return str(parent_id) if parent_id in names else None
