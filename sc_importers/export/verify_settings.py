"""``--verify`` of settings: a backup's against the server project's, in the neutral model.

Both sides are read as :class:`~sc_importers.settings.ProjectSettings` (the backup's
``settings.json``, else its ``configuration.json`` of the dialect it was taken from; the server's
through :meth:`ServerAPI.get_settings`), tasks matched by title, then pipeline position.

A parameter both sides hold is compared, whatever dialect each came from: a different value is a
difference. A parameter only one side holds is a difference when backup and server speak the same
dialect (it was lost or added). Across dialects it is *not comparable*: the restore reported it as
not applied (the server's dialect has no such parameter, e.g. SC 1.0's project-level
``active_manager.max_unseen_media`` on Geti 2.12+), or the backup's dialect never had it (e.g.
Geti's ``dynamic_required_annotations`` in an SC 1.0 backup). Such keys are listed as stated
dialect differences, never dropped silently, and do not make the result a difference.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sc_importers.rest.base import RemoteProject, ServerAPI
from sc_importers.rest.saved_scenes import saved_project
from sc_importers.rest.saved_settings import load_backup_settings
from sc_importers.settings import same_value


def compare_settings(api: ServerAPI, project: RemoteProject, folder: Path,
                     saved_dialect: str | None) -> tuple[list[str], list[str]]:
    """(differences, not comparable) between ``folder``'s settings and ``project``'s."""
    project_json = saved_project(json.loads((folder / "project.json").read_text(encoding="utf-8")))
    types = {t.get("title"): t.get("task_type") for t in project_json["pipeline"]["tasks"]}
    try:
        saved = load_backup_settings(folder, saved_dialect, types)
    except ValueError as exc:
        return [f"configuration: {exc}"], []
    if saved is None:
        return [], []
    live = api.get_settings(project)
    sides = _Sides(saved_dialect, api.dialect)
    sides.compare("project", saved.parameters, live.parameters)
    tasks = project.trainable_tasks
    matched = saved.match_tasks([t.title for t in tasks])
    for task, old in zip(tasks, matched, strict=True):
        new = next((t for t in live.tasks if t.title == task.title), None)
        if old is None:
            if new is not None:  # a server without per-task settings (Geti 3) has nothing to compare
                line = f"configuration: task {task.title!r} on the server has no configuration in the backup"
                if sides.cross and sides.saved_dialect == "geti-v3":  # Geti 3 has no per-task settings
                    sides.stated.append(f"{line}: the backup's dialect ({sides.saved_dialect}) holds none")
                else:
                    sides.diffs.append(line)
            continue
        sides.compare(task.title, old.parameters, new.parameters if new else {})
    used = {id(t) for t in matched if t is not None}
    sides.diffs += [f"configuration: task {t.title!r} of the backup is not a task of the server's project"
                    for t in saved.tasks if id(t) not in used]
    return sides.diffs, sides.stated


class _Sides:
    """The comparison of one backup / server pair: what differs and what cannot be compared."""

    def __init__(self, saved_dialect: str | None, live_dialect: str):
        self.saved_dialect, self.live_dialect = saved_dialect or "unknown", live_dialect
        self.cross = saved_dialect != live_dialect
        self.diffs: list[str] = []
        self.stated: list[str] = []

    def compare(self, where: str, saved: dict[str, Any], live: dict[str, Any]) -> None:
        for key in sorted(set(saved) | set(live)):
            if key in saved and key in live:
                if not same_value(saved[key], live[key]):
                    self.diffs.append(f"configuration: {where}: {key} is {live[key]!r} on the server, "
                                      f"{saved[key]!r} in the backup")
            elif not self.cross:
                self.diffs.append(f"configuration: {where}: {key} is {live.get(key)!r} on the server, "
                                  f"{saved.get(key)!r} in the backup")
            elif key in saved:
                self.stated.append(f"configuration: {where}: {key} ({saved[key]!r} in the backup) has no counterpart "
                                   f"in the server's dialect ({self.live_dialect}); a restore reports it as not "
                                   "applied")
            else:
                self.stated.append(f"configuration: {where}: {key} ({live[key]!r} on the server) has no counterpart "
                                   f"in the backup's dialect ({self.saved_dialect})")
