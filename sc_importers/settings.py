"""The neutral configuration model: a project's training settings without any dialect's JSON.

SC 1.0 and the legacy Geti 2.x API describe settings as "configurable parameters" (components
with ``entity_identifier``s, groups and parameters); Geti 2.12+ as ``project_configuration``
key/value lists; Geti 3.x has its own. Backups, restores, ``--verify`` and the uploader speak only
this model, and each dialect module in :mod:`sc_importers.rest` translates to and from its JSON.

Parameters are named by a dialect-free key:

* the well-known ones get a plain name of their own (:data:`AUTO_TRAINING`, :data:`ITERATIONS`,
  :data:`MIN_IMAGES_PER_LABEL`, :data:`DYNAMIC_REQUIRED_ANNOTATIONS`), so they carry across
  dialects;
* every other parameter is ``"<section>.<name>"``, where the section is what the dialect calls
  the part it lives in (an SC component such as ``dataset_counter`` or a hyper-parameter group
  such as ``learning_parameters``), lower-cased. Such a parameter restores onto a server that has a
  parameter of the same key; one it does not have is reported, never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Whether the task trains by itself once enough annotations exist.
AUTO_TRAINING = "auto_training"
#: How many iterations (or epochs) the task's current model trains for.
ITERATIONS = "iterations"
#: Annotated images per label needed before auto-training starts.
MIN_IMAGES_PER_LABEL = "min_images_per_label"
#: Whether the server raises the required annotation count as the dataset grows.
DYNAMIC_REQUIRED_ANNOTATIONS = "dynamic_required_annotations"


def same_value(a: Any, b: Any) -> bool:
    """Equal as configuration values: ``True`` is not ``1``, but ``300`` is ``300.0``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return a == b


@dataclass
class TaskSettings:
    """One trainable task's settings. ``title`` and ``task_type`` identify the task across
    servers (titles first, pipeline position as the fallback); ``editable`` lists the keys the
    server lets a client change (a restore writes only those)."""

    title: str
    task_type: str
    parameters: dict[str, Any] = field(default_factory=dict)
    editable: set[str] = field(default_factory=set)

    @property
    def auto_training(self) -> bool | None:
        value = self.parameters.get(AUTO_TRAINING)
        return value if isinstance(value, bool) else None

    @property
    def iterations(self) -> int | None:
        value = self.parameters.get(ITERATIONS)
        return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass
class ProjectSettings:
    """A project's settings: project-level parameters and one :class:`TaskSettings` per
    trainable task, in pipeline order."""

    tasks: list[TaskSettings] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    editable: set[str] = field(default_factory=set)

    def match_tasks(self, titles: list[str]) -> list[TaskSettings | None]:
        """The settings task for each of a project's trainable tasks (``titles`` in pipeline
        order): the one of the same title, else the one at the same position unless that one's
        title belongs to another task of the project; None when neither fits."""
        by_title = {t.title: t for t in self.tasks}
        out: list[TaskSettings | None] = []
        for index, title in enumerate(titles):
            if title in by_title:
                out.append(by_title[title])
            elif index < len(self.tasks) and self.tasks[index].title not in titles:
                out.append(self.tasks[index])
            else:
                out.append(None)
        return out

    def unmatched(self, matched: list[TaskSettings | None], skip: set[str] | frozenset[str] = frozenset()
                  ) -> dict[str, str]:
        """Why the tasks no project task took (``matched``: :meth:`match_tasks`' answer) were not applied,
        as ``{"<title>: *": reason}``: every dialect reports them the same way. Tasks holding only
        ``skip`` keys are not mentioned."""
        used = {id(t) for t in matched if t is not None}
        out: dict[str, str] = {}
        for extra in self.tasks:
            lost = [key for key in extra.parameters if key not in skip]
            if id(extra) not in used and lost:
                out[f"{extra.title}: *"] = (f"the project has no task {extra.title!r} (nor one at its position); "
                                            f"{len(lost)} parameter(s) not applied")
        return out

    def to_json(self) -> dict:
        """The form written into backups (``settings.json``)."""
        return {
            "parameters": self.parameters,
            "editable": sorted(self.editable),
            "tasks": [
                {"title": t.title, "task_type": t.task_type, "parameters": t.parameters,
                 "editable": sorted(t.editable)}
                for t in self.tasks
            ],
        }

    @classmethod
    def from_json(cls, data: object) -> ProjectSettings:
        """Read :meth:`to_json`'s form back; raises ``ValueError`` naming the key that is wrong."""
        if not isinstance(data, dict) or not isinstance(data.get("tasks", []), list):
            raise ValueError("settings: expected an object with a 'tasks' list")
        tasks = []
        for index, entry in enumerate(data.get("tasks", [])):
            if not isinstance(entry, dict) or not isinstance(entry.get("parameters", {}), dict):
                raise ValueError(f"settings: tasks[{index}] is not an object with 'parameters'")
            tasks.append(TaskSettings(str(entry.get("title", "")), str(entry.get("task_type", "")),
                                      dict(entry.get("parameters", {})), set(entry.get("editable", []))))
        parameters = data.get("parameters", {})
        if not isinstance(parameters, dict):
            raise ValueError("settings: 'parameters' is not an object")
        return cls(tasks, dict(parameters), set(data.get("editable", [])))


@dataclass
class SettingsResult:
    """What :meth:`ServerAPI.apply_settings` did: how many values it changed, and the keys it
    could not carry over (the server has no such parameter, or does not let it be edited), each
    with the reason, so nothing is lost silently. Keys of ``not_applied`` are ``"<key>"`` for
    project-level parameters and ``"<task title>: <key>"`` for a task's."""

    changed: int = 0
    not_applied: dict[str, str] = field(default_factory=dict)
    #: Values changed per part: a task's title, or ``""`` for the project-level parameters.
    changed_in: dict[str, int] = field(default_factory=dict)

    def add(self, part: str, changed: int, not_applied: dict[str, str]) -> None:
        """Count ``changed`` values of ``part`` and keep what could not be applied."""
        self.changed += changed
        self.changed_in[part] = self.changed_in.get(part, 0) + changed
        self.not_applied.update(not_applied)
