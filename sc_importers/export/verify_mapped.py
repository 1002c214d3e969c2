"""``--verify`` of a project that holds a backup only through stated mappings (a migration into Geti 3).

The server's client says what it changes (:meth:`~sc_importers.rest.base.ServerAPI.adapt` on the
backup's tasks): task types, labels, shapes, empty labels, frames it cannot hold. The backup is
compared *as mapped*, so "identical" means identical modulo exactly the mappings named, which
:meth:`Mapped.names` lists. Nothing here knows a dialect: it only applies the adaptation.
"""

from __future__ import annotations

import threading

from sc_importers.model import Label
from sc_importers.project_types.base import TaskPlan
from sc_importers.rest.base import Adaptation, RemoteProject, ServerAPI

NON_TRAINABLE = ("dataset", "crop")


def saved_tasks(saved: dict) -> list[TaskPlan]:
    """The trainable tasks of a backup's ``project.json`` (2.x shape) as the plan that created them."""
    tasks = [t for t in saved["pipeline"]["tasks"] if str(t.get("task_type", "")).lower() not in NON_TRAINABLE]
    names = {lb["id"]: lb["name"] for t in tasks for lb in t.get("labels", []) if lb.get("id") is not None}
    names.update({lb["name"]: lb["name"] for t in tasks for lb in t.get("labels", [])  # parent_id: a name
                  if lb.get("id") is None})
    return [TaskPlan(str(t.get("title", "")), str(t.get("task_type", "")).lower(),
                     [Label(lb["name"], lb.get("color") or None, lb.get("group") or None,
                            names.get(lb.get("parent_id"), None), bool(lb.get("is_empty")), lb.get("hotkey") or "")
                      for lb in t.get("labels", [])])
            for t in tasks]


class Mapped:
    """The adaptation of one backup onto one server, and what the comparison set aside because of it."""

    def __init__(self, adaptation: Adaptation):
        self.adaptation = adaptation
        self._notes: list[str] = []
        self._frames_left = 0
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        """Every mapping the comparison was made modulo, in order."""
        frames = ([f"annotations of video frame(s) {sorted(self.adaptation.unwritable_frames)} left behind (the "
                   f"server cannot hold them): {self._frames_left} frame(s)"] if self._frames_left else [])
        counted = [f"{key}: {n}" for key, n in sorted(self.adaptation.counts.items())]
        return [*self.adaptation.mappings, *self.adaptation.not_kept, *counted, *self._notes, *frames]

    def drop_unwritable(self, scenes: dict) -> dict:
        """``scenes`` (frame -> scene) without the frames the server cannot hold, counted."""
        left = [f for f in scenes if f is not None and f in self.adaptation.unwritable_frames]
        if left:
            with self._lock:
                self._frames_left += len(left)
        return {f: s for f, s in scenes.items() if f not in left}

    def compare_labels(self, project: RemoteProject) -> list[str]:
        """The mapped task's type and labels (name, colour, hotkey) against the project's."""
        (task,) = self.adaptation.tasks
        live_tasks = project.trainable_tasks
        diffs = []
        if [t.task_type for t in live_tasks] != [task.task_type]:
            diffs.append(f"labels: the backup maps to one {task.task_type} task, the server's project has "
                         f"{[t.task_type for t in live_tasks]}")
        live = {lb.name: lb for lb in project.labels if not lb.is_empty}
        wanted = {lb.name: lb for lb in task.labels if not lb.is_empty}
        for name in sorted(set(wanted) | set(live)):
            if name not in live:
                diffs.append(f"labels: label {name!r} missing on the server")
            elif name not in wanted:
                diffs.append(f"labels: label {name!r} on the server is not in the backup")
            else:
                a, b = wanted[name], live[name]
                if a.color and a.color.lower() != (b.color or "").lower():
                    diffs.append(f"labels: label {name!r}: color is {b.color!r} on the server, {a.color!r} "
                                 "in the backup (as mapped)")
                if (a.hotkey or "") != (b.hotkey or ""):
                    diffs.append(f"labels: label {name!r}: hotkey is {b.hotkey!r} on the server, {a.hotkey!r} in "
                                 "the backup")
        return diffs

    def compare_configuration(self, diffs: list[str], api: ServerAPI, project: RemoteProject) -> list[str]:
        """The configuration differences, unless the server holds no settings at all: then the backup's
        are named as having no counterpart (the import summary listed each as not applied)."""
        live = api.get_settings(project)
        if diffs and not live.parameters and not live.tasks:
            self._notes.append(f"configuration: {len(diffs)} backed-up setting(s) have no counterpart on this "
                               "server (not compared; the import listed them as not applied)")
            return []
        return diffs
