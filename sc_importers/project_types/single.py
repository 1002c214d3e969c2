"""Single-task project types: classification, detection, segmentation."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from sc_importers.model import Annotation, Dataset, MediaItem, shape_type_name
from sc_importers.project_types.base import BuildOptions, ProjectPlan, TaskPlan
from sc_importers.project_types.common import (
    REGION_SHAPES,
    TASK_TITLES,
    CoreProjectType,
    as_polygon,
    dominant_label,
    full_image,
    labelled_objects,
    labelled_regions,
    shape_labels,
    union_box,
    user_labels,
)

if TYPE_CHECKING:
    from sc_importers.project_types.column_counts import ColumnCounter


def _single_task_plan(name: str, task_type: str, dataset: Dataset) -> ProjectPlan:
    labels = user_labels(dataset) if task_type == "classification" else shape_labels(dataset)
    return ProjectPlan(name, [TaskPlan(TASK_TITLES[task_type], task_type, labels)])


class Classification(CoreProjectType):
    """Whole-image labels. Labels in one group exclude each other; several groups make a
    multi-label project, and ``parent`` links make a hierarchy."""

    name = "classification"
    description = "Classify whole images (multi-class, multi-label by label groups, hierarchical)"
    task_types = ("classification",)
    accepts = {"classification": ("IMAGE", *REGION_SHAPES)}

    def plan_new(self, dataset: Dataset, options: BuildOptions) -> ProjectPlan:
        return _single_task_plan(self.name, "classification", dataset)

    def convert_new(
        self, item: MediaItem, annotations: list[Annotation], plan: ProjectPlan, options: BuildOptions
    ) -> list[Annotation]:
        """One full-image annotation with, per label group, the image's label of that group:
        an image-level label if the dataset has one, else the group's most frequent shape label."""
        chosen = self._chosen(annotations, plan)
        if not chosen:
            return []
        return [Annotation(tuple(chosen), full_image(item))]

    @staticmethod
    def _chosen(annotations: list[Annotation], plan: ProjectPlan) -> list[str]:
        groups: dict[str | None, set[str]] = {}
        for label in plan.tasks[0].labels:
            groups.setdefault(label.group, set()).add(label.name)
        return [name for names in groups.values() if (name := dominant_label(annotations, names))]

    def column_counter(self, plan: ProjectPlan, options: BuildOptions) -> ColumnCounter | None:
        from sc_importers.project_types.column_counts import same_rules  # numpy: not at import
        from sc_importers.project_types.vote_counts import vote_counter

        return vote_counter(self, plan, options) if same_rules(self, Classification, plan) else None

    def lost(self, annotations: list[Annotation], plan: ProjectPlan) -> Counter[tuple[str, str, str]]:
        """Every shape: it becomes (part of) the image's label, its region is gone; a shape whose
        label is not the image's label of its group is lost altogether."""
        lost: Counter[tuple[str, str, str]] = Counter()
        if plan.restored:
            return lost
        names = set(plan.label_names)
        chosen = set(self._chosen(annotations, plan))
        for ann in annotations:
            if ann.shape is None:
                continue
            for name in (n for n in ann.labels if n in names):
                lost[("folded" if name in chosen else "outvoted", shape_type_name(ann.shape), name)] += 1
        return lost


class Detection(CoreProjectType):
    """Boxes. Every object becomes the bounding box of its shapes (one box for an object drawn in
    several parts, see ``Annotation.object_id``); image-level labels are dropped."""

    name = "detection"
    description = "Detect objects with boxes (polygons, ellipses and rotated boxes become bounding boxes)"
    task_types = ("detection",)
    accepts = {"detection": REGION_SHAPES}

    def plan_new(self, dataset: Dataset, options: BuildOptions) -> ProjectPlan:
        return _single_task_plan(self.name, "detection", dataset)

    def convert_new(
        self, item: MediaItem, annotations: list[Annotation], plan: ProjectPlan, options: BuildOptions
    ) -> list[Annotation]:
        objects = labelled_objects(annotations, set(plan.label_names))
        return [Annotation(labels, union_box(parts)) for labels, parts in objects]


    def column_counter(self, plan: ProjectPlan, options: BuildOptions) -> ColumnCounter | None:
        from sc_importers.project_types.column_counts import object_counter, regions, same_rules  # numpy

        if not same_rules(self, Detection, plan):
            return None
        return object_counter(self, plan, options, set(plan.label_names), True, regions)


class Segmentation(CoreProjectType):
    """Regions. Polygons and ellipses stay as they are; boxes and rotated boxes become
    four-point polygons; image-level labels are dropped."""

    name = "segmentation"
    description = "Segment objects with polygons and ellipses (boxes become 4-point polygons)"
    task_types = ("segmentation",)
    accepts = {"segmentation": REGION_SHAPES}

    def plan_new(self, dataset: Dataset, options: BuildOptions) -> ProjectPlan:
        return _single_task_plan(self.name, "segmentation", dataset)

    def convert_new(
        self, item: MediaItem, annotations: list[Annotation], plan: ProjectPlan, options: BuildOptions
    ) -> list[Annotation]:
        regions = labelled_regions(annotations, set(plan.label_names))
        return [Annotation(labels, as_polygon(shape)) for labels, shape in regions]

    def column_counter(self, plan: ProjectPlan, options: BuildOptions) -> ColumnCounter | None:
        from sc_importers.project_types.column_counts import object_counter, regions, same_rules  # numpy

        if not same_rules(self, Segmentation, plan):
            return None
        return object_counter(self, plan, options, set(plan.label_names), False, regions)

