"""Creating the project and setting its training configuration around the upload.

Auto-training is switched off on every trainable task before the first media goes up, so the
server does not start training on a partial dataset; once the upload is done the asked values
(auto-training on or off, number of iterations) are written, for every trainable task. A restored
backup gets its own settings back first (neutral model, :mod:`.restore`), with explicitly asked
values winning over the backed-up ones.
"""

from __future__ import annotations

import shlex
import threading
from collections.abc import Callable

from sc_importers.project_types.base import ProjectPlan
from sc_importers.rest.base import RemoteProject, ServerAPI
from sc_importers.settings import ProjectSettings, SettingsResult
from sc_importers.uploader.restore import SET_LAST, backed_up_auto_training


class ProjectExistsError(Exception):
    """A project of the asked name already exists; nothing was uploaded."""


def create_project(api: ServerAPI, name: str, plan: ProjectPlan) -> RemoteProject:
    """Create the project of ``plan`` called ``name`` with auto-training off on every task.

    Raises :class:`ProjectExistsError` before creating anything when the name is taken; an error
    after the project was created carries it as ``created_project``.
    """
    refuse_taken_name(api, name)
    project = api.create_project(name, plan.tasks)
    try:
        for task in project.trainable_tasks:
            api.set_auto_training(project, task, False)
    except Exception as exc:
        # the caller must not report "nothing was created"; any exception type can carry it (read with getattr)
        vars(exc)["created_project"] = project
        raise
    return project


def refuse_taken_name(api: ServerAPI, name: str) -> None:
    """Raise :class:`ProjectExistsError` when a project called ``name`` exists on the server."""
    existing = api.find_project(name)
    if existing is not None:
        raise ProjectExistsError(
            f"a project called {name!r} already exists on the server (id {existing.id}); "
            f"choose another name (--project-name / project_name=), delete it first (sc projects delete "
            f"{shlex.quote(name)}), or resume an interrupted import into it (--resume / resume=True). "
            "Nothing was uploaded."
        )


class ProjectNotCreated(Exception):
    """Creating the project failed (``cause`` says why); no media can be uploaded into it."""

    def __init__(self, cause: BaseException):
        super().__init__(str(cause))
        self.cause = cause


class ProjectOnDemand:
    """The import's project, created by the first upload worker that needs it (the first item
    that passed its checks); workers arriving meanwhile wait. A dataset whose items all fail their
    checks thus creates nothing, as the dry run says, while the upload of a big dataset starts
    with its first good item instead of after every item was checked.

    ``project`` is the project when it exists from the start (a resumed import, a restore);
    ``error`` is why creating it failed (every later :meth:`get` raises it again).
    """

    def __init__(self, create: Callable[[], RemoteProject] | None = None, project: RemoteProject | None = None):
        self.create = create
        self._lock = threading.Lock()
        self.project = project
        self.error: BaseException | None = None

    def get(self) -> RemoteProject:
        """The project, creating it on the first call; raises :class:`ProjectNotCreated`."""
        if self.project is not None:
            return self.project
        with self._lock:
            if self.project is None and self.error is None:
                if self.create is None:
                    raise RuntimeError("no project and no way to create one")
                try:
                    self.project = self.create()
                except Exception as exc:  # noqa: BLE001 - handed to the caller, which sorts it
                    self.error = exc
            if self.error is not None:
                raise ProjectNotCreated(self.error) from self.error
            assert self.project is not None  # created above, or by the first caller
            return self.project


def restore_settings(api: ServerAPI, project: RemoteProject, backup: ProjectSettings | None) -> SettingsResult:
    """Carry a backup's settings (project-level and per task; tasks matched by title, then
    position) onto ``project``, all but auto-training, which :func:`finish_configuration` sets last.
    What the server cannot hold or edit is in the result's ``not_applied``."""
    if backup is None:
        return SettingsResult()
    return api.apply_settings(project, backup, skip=SET_LAST)


def finish_configuration(api: ServerAPI, project: RemoteProject, auto_train: bool | None,
                         iterations: int | None, backup: ProjectSettings | None = None,
                         restored: SettingsResult | None = None) -> dict[str, dict]:
    """Write the training configuration of every trainable task once the upload is done.

    ``backup`` is a restored project's settings, already applied by :func:`restore_settings`
    (``restored`` is what that did). Then ``iterations`` (when given) overrides the number of
    iterations, and auto-training is set last: to ``auto_train`` when given, else to the backed-up
    value, else off. Iterations go before auto-training so a server that starts training as soon
    as auto-training is enabled already trains with the asked settings. Returns what was set, per
    task title.
    """
    tasks = project.trainable_tasks
    matched = backup.match_tasks([t.title for t in tasks]) if backup else [None] * len(tasks)
    applied: dict[str, dict] = {}
    for task, old in zip(tasks, matched, strict=True):
        if iterations is not None:
            api.set_iterations(project, task, iterations)
        enabled = auto_train if auto_train is not None else bool(backed_up_auto_training(old))
        api.set_auto_training(project, task, enabled)
        applied[task.title] = {"auto_training": enabled, "iterations": iterations}
        if old is not None:
            applied[task.title]["restored_parameters"] = (restored or SettingsResult()).changed_in.get(task.title, 0)
    return applied
