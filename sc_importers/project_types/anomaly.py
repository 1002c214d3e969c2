"""Anomaly project types: every image is ``Normal`` or ``Anomalous``.

A dataset has its own labels (``dog``, ``car``, ...); the user says which of them mean
"anomalous" (``BuildOptions.anomalous_labels``, ``--anomalous-labels car,bicycle``), and every
other annotated image is normal. A dataset already labelled ``Normal``/``Anomalous`` needs no
option. Detection and segmentation variants also mark *where* the anomaly is: the anomalous
shapes become ``Anomalous`` boxes or polygons on top of the image-level label.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sc_importers.model import Annotation, Dataset, Label, MediaItem, Shape
from sc_importers.project_types.base import BuildError, BuildOptions, ProjectPlan, TaskPlan
from sc_importers.project_types.common import (
    REGION_SHAPES,
    TASK_TITLES,
    CoreProjectType,
    as_polygon,
    full_image,
    has_area,
    labelled_objects,
    union_box,
    user_labels,
)

if TYPE_CHECKING:
    from sc_importers.project_types.column_counts import ColumnCounter

NORMAL = "Normal"
ANOMALOUS = "Anomalous"


class AnomalyType(CoreProjectType):
    """Shared plan and image-level decision of the three anomaly types."""

    task_type = ""
    accepts_local: tuple[str, ...] = ()
    #: what marks the anomalies in the counts from arrays: "objects" (a box per object), "shapes", "" (none)
    local_marks = ""

    def _labels_are_fixed(self) -> bool:
        return True

    def anomalous_names(self, dataset: Dataset, options: BuildOptions) -> set[str]:
        """Dataset labels that make an image anomalous; a clear error when that is not said."""
        names = {lb.name for lb in user_labels(dataset)}
        if options.anomalous_labels is not None:
            unknown = sorted(set(options.anomalous_labels) - names)
            if unknown:
                raise BuildError(
                    f"{dataset.root}: anomalous label(s) {', '.join(unknown)} not in the dataset; "
                    f"its labels are: {', '.join(sorted(names)) or '(none)'}"
                )
            return set(options.anomalous_labels)
        lowered = {n.lower(): n for n in names}
        if "anomalous" in lowered and names <= {lowered.get("anomalous"), lowered.get("normal")}:
            return {lowered["anomalous"]}
        raise BuildError(
            f"{dataset.root}: say which labels mean 'Anomalous' (--anomalous-labels a,b); "
            f"the dataset's labels are: {', '.join(sorted(names)) or '(none)'}"
        )

    def plan_new(self, dataset: Dataset, options: BuildOptions) -> ProjectPlan:
        self.anomalous_names(dataset, options)  # fail early, before anything is created
        labels = [Label(NORMAL), Label(ANOMALOUS)]
        return ProjectPlan(self.name, [TaskPlan(TASK_TITLES[self.task_type], self.task_type, labels)])

    def convert(
        self, item: MediaItem, annotations: list[Annotation], plan: ProjectPlan, options: BuildOptions
    ) -> list[Annotation]:
        """Anomaly tasks have no empty label: an unannotated image asked to be labelled is Normal."""
        if not plan.restored and not annotations and options.empty_label_for_unannotated:
            return [Annotation((NORMAL,), full_image(item))]
        return super().convert(item, annotations, plan, options)

    def convert_new(
        self, item: MediaItem, annotations: list[Annotation], plan: ProjectPlan, options: BuildOptions
    ) -> list[Annotation]:
        if not annotations:
            return []
        anomalous = {n.casefold() for n in (options.anomalous_labels or (ANOMALOUS,))}

        def is_anomalous(ann: Annotation) -> bool:
            return any(n.casefold() in anomalous for n in ann.labels)

        local = [a for a in annotations if a.shape is not None and is_anomalous(a)]
        if not any(is_anomalous(a) for a in annotations):
            return [Annotation((NORMAL,), full_image(item))]
        out = [Annotation((ANOMALOUS,), full_image(item))]
        out.extend(Annotation((ANOMALOUS,), shape) for shape in self.local_shapes(local))
        return out

    def local_shapes(self, anomalous: list[Annotation]) -> list[Shape]:
        """The shapes that mark where the anomalies are (none when the type marks no regions)."""
        return []

    def column_counter(self, plan: ProjectPlan, options: BuildOptions) -> ColumnCounter | None:
        from sc_importers.project_types.column_counts import anomaly_counter, same_rules  # numpy: not at import

        cores = (AnomalyClassification, AnomalyDetection, AnomalySegmentation)
        own = next((c for c in type(self).__mro__ if c in cores), None)  # the core type this one derives from
        if own is None or not same_rules(self, own, plan):
            return None
        return anomaly_counter(self, plan, options, (NORMAL, ANOMALOUS), own.local_marks)


class AnomalyClassification(AnomalyType):
    name = "anomaly_classification"
    description = "Tell normal from anomalous images (image-level Normal/Anomalous)"
    task_type = "anomaly_classification"
    task_types = ("anomaly_classification",)
    accepts = {"anomaly_classification": ("IMAGE", *REGION_SHAPES)}


class AnomalyDetection(AnomalyType):
    name = "anomaly_detection"
    description = "Normal/Anomalous images, with boxes around the anomalies"
    task_type = "anomaly_detection"
    task_types = ("anomaly_detection",)
    accepts = {"anomaly_detection": ("IMAGE", *REGION_SHAPES)}
    local_marks = "objects"

    def local_shapes(self, anomalous: list[Annotation]) -> list[Shape]:
        """One box per anomalous object (an object drawn in parts gets one box around them)."""
        names = {n for a in anomalous for n in a.labels}
        return [union_box(parts) for _, parts in labelled_objects(anomalous, names)]


class AnomalySegmentation(AnomalyType):
    name = "anomaly_segmentation"
    description = "Normal/Anomalous images, with polygons around the anomalies"
    task_type = "anomaly_segmentation"
    task_types = ("anomaly_segmentation",)
    accepts = {"anomaly_segmentation": ("IMAGE", *REGION_SHAPES)}
    local_marks = "shapes"

    def local_shapes(self, anomalous: list[Annotation]) -> list[Shape]:
        return [as_polygon(a.shape) for a in anomalous if a.shape is not None and has_area(a.shape)]
