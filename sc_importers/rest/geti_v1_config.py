"""The configuration calls of the Geti 2.x dialect (:class:`~sc_importers.rest.geti_v1.GetiV1API`).

A Geti 2.x server configures training through one of two APIs: ``project_configuration`` /
``training_configuration`` (2.12 and later) or the legacy configurable parameters
(``configuration``, ``configuration/task_chain/{task_id}``; the shape SC 1.0 has). The one the
server's version points to is tried first, the other on 404 (or 403: Geti's answer when the new API is
switched off); the one that answered is kept for the connection. The JSON shapes are converted in
:mod:`sc_importers.rest.geti_v1_settings`. Callers see only the neutral
settings (``get_settings`` / ``apply_settings``), so a server with either API serves them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Literal

from sc_importers.rest import geti_v1_settings as conf
from sc_importers.rest import sc_v1_settings as legacy
from sc_importers.rest.base import RemoteProject, RemoteTask, ServerError
from sc_importers.rest.session import SCSession
from sc_importers.settings import (
    AUTO_TRAINING,
    ITERATIONS,
    ProjectSettings,
    SettingsResult,
    TaskSettings,
    same_value,
)

#: The first version with ``project_configuration`` (geti-sdk switches there too).
CONFIGURATION_REVAMP = (2, 12)
Flavour = Literal["modern", "legacy"]


class GetiConfiguration:
    """The configuration part of :class:`~sc_importers.rest.geti_v1.GetiV1API` (a mixin: it uses the
    session, the project paths and the server version of the API it is part of)."""

    session: SCSession
    _flavour: Flavour | None = None
    _flavour_lock = threading.Lock()

    def _project_path(self, project: RemoteProject | str) -> str:
        raise NotImplementedError

    def _version(self) -> tuple[int, ...] | None:
        raise NotImplementedError

    # -- configuration: which API ----------------------------------------------------------------
    def _flavours(self) -> list[Flavour]:
        """The configuration APIs to try, the one this server's version has first."""
        if self._flavour is not None:
            return [self._flavour]
        version = self._version()
        modern_first = version is None or version[:2] >= CONFIGURATION_REVAMP
        return ["modern", "legacy"] if modern_first else ["legacy", "modern"]

    def _config_call(self, project: RemoteProject, calls: dict[Flavour, Callable[[], Any]]) -> Any:
        """Run the call of the first configuration API the server has; remembers which one it was."""
        missing = []
        for flavour in self._flavours():
            try:
                result = calls[flavour]()
            except ServerError as exc:
                if exc.status in (403, 404, 405) and self._flavour is None:
                    missing.append(f"{flavour}: HTTP {exc.status}")
                    continue
                raise
            with self._flavour_lock:
                self._flavour = flavour
            return result
        raise ServerError(f"project {project.name!r}: the server has no configuration API this client knows "
                          f"({'; '.join(missing)})", status=404)

    def _task_config_path(self, project: RemoteProject, task: RemoteTask) -> str:
        return f"{self._project_path(project)}/configuration/task_chain/{task.id}"

    # -- configuration: 2.12+ --------------------------------------------------------------------
    def _get_config(self, path: str, params: dict | None = None, missing_ok: bool = False) -> Any:
        """GET a configuration document. 404 and 403 (Geti's ``feature_not_available``) are errors
        that let :meth:`_config_call` try the other API, not a reason to log in again; with
        ``missing_ok`` a 404 is None."""
        response = self.session.request("GET", path, params=params, ok_statuses=(403, 404))
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code in (403, 404):
            raise self.session.error_from("GET", path, response)
        return response.json()

    def _project_configuration(self, project: RemoteProject) -> dict:
        return self._get_config(f"{self._project_path(project)}/project_configuration")

    def _training_configuration(self, project: RemoteProject, task: RemoteTask) -> dict | None:
        return self._get_config(f"{self._project_path(project)}/training_configuration",
                                {"task_id": task.id}, missing_ok=True)

    def _patch_project_configuration(self, project: RemoteProject, current: dict,
                                     changes: dict[str, dict[str, Any]]) -> None:
        self.session.request("PATCH", f"{self._project_path(project)}/project_configuration",
                             json=conf.modern_patch(current, changes), expect="any", idempotent=True)

    def _patch_training(self, project: RemoteProject, task: RemoteTask, training: dict, values: dict) -> None:
        self.session.request("PATCH", f"{self._project_path(project)}/training_configuration",
                             params={"task_id": task.id}, json=conf.training_patch(training, values), expect="any",
                             idempotent=True)

    # -- configuration: neutral settings ---------------------------------------------------------
    def get_settings(self, project: RemoteProject) -> ProjectSettings:
        return self._config_call(project, {"modern": lambda: self._modern_settings(project),
                                           "legacy": lambda: self._legacy_settings(project)})

    def _modern_settings(self, project: RemoteProject) -> ProjectSettings:
        current = self._project_configuration(project)
        return ProjectSettings([conf.modern_task_settings(t, conf.task_entry(current, t),
                                                          self._training_configuration(project, t))
                                for t in project.trainable_tasks])

    def native_configuration(self, project: RemoteProject) -> dict | None:
        """The legacy ``GET /configuration`` body where the server still has it (older tools read it)."""
        response = self.session.request("GET", f"{self._project_path(project)}/configuration", ok_statuses=(403, 404))
        body = response.json() if response.status_code == 200 else None
        return body if isinstance(body, dict) else None

    def _legacy_settings(self, project: RemoteProject) -> ProjectSettings:
        """The legacy configurable parameters (SC 1.0's shape, read by the same code as SC 1.0's)."""
        where = f"project {project.name!r}: configuration"
        config = self.session.get_json(f"{self._project_path(project)}/configuration")
        values, editable = legacy.parameters_of((config if isinstance(config, dict) else {}).get("global") or [],
                                                f"{where}: global")
        settings = ProjectSettings(parameters=values, editable=editable)
        for task in project.trainable_tasks:
            entry = self.session.get_json(self._task_config_path(project, task))
            params, task_editable = legacy.parameters_of((entry if isinstance(entry, dict) else {}).get("components")
                                                         or [], f"{where}: task {task.title!r}")
            settings.tasks.append(TaskSettings(task.title, task.task_type, params, task_editable))
        return settings

    def apply_settings(self, project: RemoteProject, settings: ProjectSettings,
                       skip: frozenset[str] = frozenset()) -> SettingsResult:
        current = self.get_settings(project)
        result = SettingsResult()
        wanted: dict[str, dict[str, Any]] = {}  # task id ("" = project level) -> key -> value
        not_applied: dict[str, str] = {}
        _diff("", settings.parameters, current.parameters, current.editable, skip, "", not_applied, wanted)
        result.add("", 0, not_applied)
        tasks = project.trainable_tasks
        matched = settings.match_tasks([t.title for t in tasks])
        for task, saved in zip(tasks, matched, strict=True):
            if saved is None:
                continue
            mine = next((c for c in current.tasks if c.title == task.title), None)
            where, not_applied = f"{task.title}: ", {}
            if mine is None:
                not_applied = {f"{where}{key}": "the server lists no configuration for this task"
                               for key in saved.parameters if key not in skip}
            else:
                _diff(task.id, saved.parameters, mine.parameters, mine.editable, skip, where, not_applied, wanted)
            result.add(task.title, 0, not_applied)
        result.not_applied.update(settings.unmatched(matched, skip))
        if any(wanted.values()):
            self._config_call(project, {"modern": lambda: self._write_modern(project, wanted),
                                        "legacy": lambda: self._write_legacy(project, wanted)})
        titles = {t.id: t.title for t in tasks}
        for task_id, values in wanted.items():
            result.add(titles.get(task_id, ""), len(values), {})
        return result

    def _write_modern(self, project: RemoteProject, wanted: dict[str, dict[str, Any]]) -> None:
        """Values of ``project_configuration`` entries go into one PATCH of it (every task entry, as
        the server wants), the others (epochs and hyper-parameters) into ``training_configuration``."""
        current = self._project_configuration(project)
        in_project: dict[str, dict[str, Any]] = {}
        in_training: dict[str, dict[str, Any]] = {}
        for task_id, values in wanted.items():
            if not task_id:
                continue  # 2.12+ has no project-level settings; apply_settings reported them already
            entry = conf.task_entry(current, _task(project, task_id))
            for key, value in values.items():
                (in_project if _in_entry(entry, key) else in_training).setdefault(task_id, {})[key] = value
        if in_project:
            self._patch_project_configuration(project, current, in_project)
        for task_id, values in in_training.items():
            task = _task(project, task_id)
            training = self._training_configuration(project, task)
            if training is None:
                raise ServerError(f"project {project.name!r}, task {task.title!r}: no training_configuration")
            self._patch_training(project, task, training, values)

    def _write_legacy(self, project: RemoteProject, wanted: dict[str, dict[str, Any]]) -> None:
        """POST the changed parameters: project-level ones to ``configuration/global``, a task's to
        ``configuration/task_chain/{task_id}`` (bodies built as for SC 1.0)."""
        for task_id, values in wanted.items():
            if not values:
                continue
            if task_id:
                path, part = self._task_config_path(project, _task(project, task_id)), "components"
            else:
                path, part = f"{self._project_path(project)}/configuration/global", "global"
            current = self.session.get_json(path)
            located = legacy.locate((current if isinstance(current, dict) else {}).get(part) or [], path)
            components, _, _ = legacy.update_bodies(located, values, frozenset(), "")
            if components:
                self.session.post_json(path, {part: components}, idempotent=True)  # sets values: repeatable

    def set_auto_training(self, project: RemoteProject, task: RemoteTask, enabled: bool) -> None:
        self._set_one(project, task, AUTO_TRAINING, bool(enabled))

    def get_auto_training(self, project: RemoteProject, task: RemoteTask) -> bool:
        value = self._task_settings(project, task).parameters.get(AUTO_TRAINING)
        if not isinstance(value, bool):
            raise ServerError(f"project {project.name!r}, task {task.title!r}: no auto-training setting")
        return value

    def set_iterations(self, project: RemoteProject, task: RemoteTask, iterations: int) -> None:
        if iterations < 1:
            raise ValueError(f"iterations must be at least 1, got {iterations}")
        self._set_one(project, task, ITERATIONS, int(iterations))

    def get_iterations(self, project: RemoteProject, task: RemoteTask) -> int | None:
        """The task's number of training epochs, or None if it has no such setting."""
        return self._task_settings(project, task).iterations

    def _task_settings(self, project: RemoteProject, task: RemoteTask) -> TaskSettings:
        settings = self.get_settings(project)
        return next((t for t in settings.tasks if t.title == task.title), TaskSettings(task.title, task.task_type))

    def _set_one(self, project: RemoteProject, task: RemoteTask, key: str, value: Any) -> None:
        if key not in self._task_settings(project, task).parameters:
            raise ServerError(f"project {project.name!r}, task {task.title!r}: the configuration has no {key} "
                              "setting")
        self._config_call(project, {"modern": lambda: self._write_modern(project, {task.id: {key: value}}),
                                    "legacy": lambda: self._write_legacy(project, {task.id: {key: value}})})


def _task(project: RemoteProject, task_id: str) -> RemoteTask:
    return next(t for t in project.trainable_tasks if t.id == task_id)


def _in_entry(entry: dict | None, key: str) -> bool:
    return any(conf.modern_key(s, item["key"]) == key for s, item in conf.key_value_entries(entry or {}))


def _diff(task_id: str, saved: dict, current: dict, editable: set[str], skip: frozenset[str], where: str,
          not_applied: dict[str, str], wanted: dict[str, dict[str, Any]]) -> None:
    """Record in ``wanted`` every saved value that differs and can be written, in ``not_applied``
    (keyed ``<where><key>``) the rest."""
    for key, value in saved.items():
        if key in skip:
            continue
        if key not in current:
            not_applied[f"{where}{key}"] = "this server has no such parameter"
        elif key not in editable:
            if not same_value(current[key], value):
                not_applied[f"{where}{key}"] = f"not editable on this server (it keeps {current[key]!r})"
        elif not same_value(current[key], value):
            wanted.setdefault(task_id, {})[key] = value
