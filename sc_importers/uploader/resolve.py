"""Turning the label names a builder produced into names of the created project.

Builders speak dataset label names and :data:`~sc_importers.model.EMPTY_LABEL`. The project the
server created has the plan's labels plus one empty label per trainable task, named by the
server. A backup from another server (or an older one) may name its empty labels differently
(``No Object`` vs ``No object``, ``Empty`` vs ``Empty detection``...): a name the project does not
know, whose dataset label ``is_empty``, becomes the empty label of the matching task.
"""

from __future__ import annotations

from sc_importers.model import EMPTY_LABEL, Annotation, Dataset
from sc_importers.rest.base import RemoteProject, RemoteTask


class LabelResolutionError(ValueError):
    """A builder produced a label name the project does not have."""


class LabelResolver:
    """Maps builder label names to the created project's label names (thread-safe: read-only)."""

    def __init__(self, project: RemoteProject, dataset: Dataset):
        self.project = project
        self._known = {lb.name for lb in project.labels}
        self._mapping: dict[str, str] = {}
        trainable = project.trainable_tasks
        first_empty = trainable[0].empty_label() if trainable else None
        if first_empty is not None:
            self._mapping[EMPTY_LABEL] = first_empty.name
        for label in dataset.labels:
            if label.is_empty and label.name not in self._known:
                task = self._task_of_dataset_label(label.name, dataset)
                task = task or (trainable[0] if trainable else None)
                empty = task.empty_label() if task else None
                if empty is not None:
                    self._mapping[label.name] = empty.name

    def _task_of_dataset_label(self, name: str, dataset: Dataset) -> RemoteTask | None:
        """The remote task of the same type as the backup's task that held label ``name``."""
        tasks = (dataset.project or {}).get("pipeline", {}).get("tasks", [])
        for task in tasks:
            if any(lb.get("name") == name for lb in task.get("labels", [])):
                wanted = str(task.get("task_type", "")).lower()
                return next((t for t in self.project.trainable_tasks if t.task_type.lower() == wanted), None)
        return None

    def name(self, name: str) -> str:
        """The project's label name for ``name``; raises :class:`LabelResolutionError` if none."""
        if name in self._known:
            return name
        try:
            return self._mapping[name]
        except KeyError:
            raise LabelResolutionError(
                f"label {name!r} is not in project {self.project.name!r} "
                f"(project labels: {', '.join(sorted(self._known))})"
            ) from None

    def annotations(self, annotations: list[Annotation]) -> list[Annotation]:
        """The same annotations with every label name resolved."""
        return [Annotation(labels=tuple(self.name(n) for n in ann.labels), shape=ann.shape)
                for ann in annotations]
