"""What a project-type builder is.

A builder knows one kind of SC project (``detection``, ``detection_to_segmentation``, ...): which
trainable tasks its pipeline has, which labels each task gets, which dataset annotations each
task accepts, and how a media item's dataset annotations become that project's annotations.
It knows nothing of HTTP: the REST layer turns a :class:`ProjectPlan` into a project-creation
request of its dialect (adding the ``dataset`` task and, between two trainable tasks, ``crop``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sc_importers.model import Annotation, Dataset, Label, MediaItem, shape_type_name

if TYPE_CHECKING:
    from sc_importers.project_types.column_counts import ColumnCounter


class BuildError(Exception):
    """A dataset cannot become a project of the asked type; the message says why."""


@dataclass
class BuildOptions:
    """What a user asked for, beyond the dataset itself.

    ``labels``: keep only these dataset labels (None: all). ``label_map``: rename dataset labels
    (applied before filtering, so ``labels`` names the new names). ``empty_label_for_unannotated``:
    give media without annotations the first task's empty label instead of leaving them
    unannotated. ``chain_label``: the single label of the first task of a task chain (for
    example ``animal``); None lets the builder choose. ``anomalous_labels``: for anomaly projects,
    the dataset labels that mean "Anomalous" (all others mean "Normal"). ``extra``: builder-specific
    settings from third-party builders. ``add_labels``: labels to create even though no annotation
    uses them (see :mod:`sc_importers.labels`, rule 4).
    """

    labels: list[str] | None = None
    label_map: dict[str, str] = field(default_factory=dict)
    empty_label_for_unannotated: bool = False
    chain_label: str | None = None
    anomalous_labels: list[str] | None = None
    extra: dict[str, str] = field(default_factory=dict)
    add_labels: list[str] | None = None

    @property
    def changes_labels(self) -> bool:
        """Whether ``labels``, ``label_map`` or ``add_labels`` asks for another label set than the
        dataset's: the dataset is then filtered or renamed whole before an import (a streaming read
        is not used for it, see :meth:`~sc_importers.formats.FormatReader.read_streaming`)."""
        return self.labels is not None or bool(self.label_map) or bool(self.add_labels)


@dataclass
class TaskPlan:
    """One trainable task of the project: SC ``task_type``, title and the labels to create.

    Empty labels are not listed: the server creates them.
    """

    title: str
    task_type: str
    labels: list[Label]


@dataclass
class ProjectPlan:
    """A project ready to be created: its type, its trainable tasks in pipeline order.

    ``restored`` is True when the plan re-creates a backed-up project as it was (its
    annotations are already the project's own and pass through ``convert`` unchanged).
    """

    project_type: str
    tasks: list[TaskPlan]
    restored: bool = False

    @property
    def label_names(self) -> list[str]:
        return [lb.name for task in self.tasks for lb in task.labels]


class ProjectType:
    """Base class for project-type builders; reached through ``register_project_types``.

    ``name`` is what users type after ``--type``; ``task_types`` are the SC task types of the
    trainable tasks in pipeline order; ``accepts`` maps each of those task types to the shape type
    names (``RECTANGLE``, ``POLYGON``, ``ELLIPSE``, ``ROTATED_RECTANGLE``, ``IMAGE`` for
    image-level labels) it can make use of.
    """

    name: str = ""
    description: str = ""
    task_types: tuple[str, ...] = ()
    accepts: dict[str, tuple[str, ...]] = {}

    def plan(self, dataset: Dataset, options: BuildOptions) -> ProjectPlan:
        """Decide tasks and labels for ``dataset`` (already filtered and mapped per ``options``).

        Raises :class:`BuildError` when the dataset cannot make such a project (for example no
        label left, or only boxes for a segmentation project).
        """
        raise NotImplementedError

    def convert(
        self, item: MediaItem, annotations: list[Annotation], plan: ProjectPlan,
        options: BuildOptions,
    ) -> list[Annotation]:
        """Turn one media item's (or video frame's) dataset annotations into the project's.

        Returns annotations in pixel coordinates whose labels are names from ``plan`` or
        :data:`sc_importers.model.EMPTY_LABEL`; an empty list leaves the media unannotated.
        Annotations the project cannot use are dropped.
        """
        raise NotImplementedError

    def unused(self, annotations: list[Annotation], plan: ProjectPlan) -> Counter[str]:
        """How many of one media item's (or video frame's) dataset annotations :meth:`convert`
        leaves out for their kind, per shape type name: those no task of the plan ``accepts``.
        ``IMAGE`` counts image-level *labels* (one annotation may carry several). Reports warn
        about them, so nothing is dropped silently. A restored backup passes everything through,
        so nothing is unused."""
        unused: Counter[str] = Counter()
        if plan.restored:
            return unused
        accepted = {kind for task in plan.tasks for kind in self.accepts.get(task.task_type, ())}
        for ann in annotations:
            kind = shape_type_name(ann.shape)
            if kind not in accepted:
                unused[kind] += max(1, len(ann.labels)) if ann.shape is None else 1
        return unused

    def lost(self, annotations: list[Annotation], plan: ProjectPlan) -> Counter[tuple[str, str, str]]:
        """What :meth:`convert` loses of annotations it *does* take, per (reason, shape type name,
        label): a classification project folds shapes into one label per image, a chain's second
        task gets nothing for a plain box. Reasons are keys of
        :data:`sc_importers.conversion_counts.LOST_REASONS`. Default: nothing is lost."""
        return Counter()

    def column_counter(self, plan: ProjectPlan, options: BuildOptions) -> ColumnCounter | None:
        """A function counting what :meth:`convert` and :meth:`unused` make of many screened items
        of a dataset held as arrays at once (:mod:`sc_importers.project_types.column_counts`: the dry
        run of a large dataset), or None (the default): the type is counted item by item. It must
        agree with those methods item for item, and :meth:`lost` must be empty for such items."""
        return None
