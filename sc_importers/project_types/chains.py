"""Task chains: a detection task, then a segmentation or classification task inside each box.

The first task finds objects with a single label (``BuildOptions.chain_label``, ``--chain-label
animal``; default ``object``); the second task works inside each box with the dataset's own labels.
SC puts a ``crop`` task between the two; the REST dialect adds it.

- detection -> segmentation: each object gives a box with the chain label (for the first task)
  and, when it has an outline, that outline with its own label (for the second task). An object
  drawn in several parts (``Annotation.object_id``) gets one box around all of them, with every
  part's outline inside it. A plain box has no outline, so it only feeds the detection task.
- detection -> classification: each object becomes one box carrying both the chain label and its
  class label, as SC expects for a classification task inside a detection.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from sc_importers.model import Annotation, Dataset, Label, MediaItem, Rectangle
from sc_importers.project_types.base import BuildError, BuildOptions, ProjectPlan, TaskPlan
from sc_importers.project_types.common import (
    REGION_SHAPES,
    TASK_TITLES,
    CoreProjectType,
    as_polygon,
    labelled_objects,
    shape_labels,
    union_box,
)

if TYPE_CHECKING:
    from sc_importers.project_types.column_counts import ColumnCounter

DEFAULT_CHAIN_LABEL = "object"


class DetectionChain(CoreProjectType):
    """Shared plan of the two chains: one detection label, then the dataset's labels."""

    second_task = ""

    def plan_new(self, dataset: Dataset, options: BuildOptions) -> ProjectPlan:
        chain_label = options.chain_label or DEFAULT_CHAIN_LABEL
        labels = shape_labels(dataset)
        if chain_label in {lb.name for lb in labels}:
            raise BuildError(
                f"{dataset.root}: the detection task's label {chain_label!r} is also a dataset label; "
                "label names must be unique in a project: choose another with --chain-label NAME"
            )
        return ProjectPlan(
            self.name,
            [
                TaskPlan(TASK_TITLES["detection"], "detection", [Label(chain_label)]),
                TaskPlan(TASK_TITLES[self.second_task], self.second_task, labels),
            ],
        )


class DetectionToSegmentation(DetectionChain):
    name = "detection_to_segmentation"
    description = "Detect objects with one label, then segment each into the dataset's labels"
    task_types = ("detection", "segmentation")
    second_task = "segmentation"
    accepts = {"detection": REGION_SHAPES, "segmentation": ("POLYGON", "ELLIPSE")}

    def convert_new(
        self, item: MediaItem, annotations: list[Annotation], plan: ProjectPlan, options: BuildOptions
    ) -> list[Annotation]:
        chain_label = plan.tasks[0].labels[0].name
        out = []
        for labels, parts in labelled_objects(annotations, {lb.name for lb in plan.tasks[1].labels}):
            out.append(Annotation((chain_label,), union_box(parts)))
            out.extend(Annotation(labels, as_polygon(s)) for s in parts if not isinstance(s, Rectangle))
        return out

    def lost(self, annotations: list[Annotation], plan: ProjectPlan) -> Counter[tuple[str, str, str]]:
        """Objects drawn only as boxes: the detection task gets their box, the segmentation task
        nothing (a box is no outline)."""
        lost: Counter[tuple[str, str, str]] = Counter()
        if plan.restored:
            return lost
        for labels, parts in labelled_objects(annotations, {lb.name for lb in plan.tasks[1].labels}):
            if all(isinstance(s, Rectangle) for s in parts):
                for name in labels:
                    lost[("no_outline", "RECTANGLE", name)] += 1
        return lost

    def column_counter(self, plan: ProjectPlan, options: BuildOptions) -> ColumnCounter | None:
        return _chain_counter(self, DetectionToSegmentation, plan, options, outlines=True)


class DetectionToClassification(DetectionChain):
    name = "detection_to_classification"
    description = "Detect objects with one label, then classify each into the dataset's labels"
    task_types = ("detection", "classification")
    second_task = "classification"
    accepts = {"detection": REGION_SHAPES, "classification": REGION_SHAPES}

    def convert_new(
        self, item: MediaItem, annotations: list[Annotation], plan: ProjectPlan, options: BuildOptions
    ) -> list[Annotation]:
        chain_label = plan.tasks[0].labels[0].name
        return [
            Annotation((chain_label, labels[0]), union_box(parts))
            for labels, parts in labelled_objects(annotations, {lb.name for lb in plan.tasks[1].labels})
        ]

    def column_counter(self, plan: ProjectPlan, options: BuildOptions) -> ColumnCounter | None:
        return _chain_counter(self, DetectionToClassification, plan, options, outlines=False)


def _chain_counter(chain: DetectionChain, own: type[DetectionChain], plan: ProjectPlan, options: BuildOptions,
                   outlines: bool) -> ColumnCounter | None:
    """The chain's counter from arrays (:mod:`sc_importers.project_types.column_counts`)."""
    from sc_importers.project_types.column_counts import chain_counter, object_counter, same_rules  # numpy

    if not same_rules(chain, own, plan):
        return None
    conversion = chain_counter(plan.tasks[0].labels[0].name, outlines)
    return object_counter(chain, plan, options, {lb.name for lb in plan.tasks[1].labels}, True, conversion)
