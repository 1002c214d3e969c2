"""Creating the project and setting its training configuration around the upload.

Auto-training is switched off on every trainable task before the first media goes up, so the
server does not start training on a partial dataset; once the upload is done the asked values
(auto-training on or off, number of iterations) are written through the configuration
endpoints, for every trainable task. A restored backup gets its own configuration back (see
:mod:`.restore`), with explicitly asked values winning over the backed-up ones.
"""

from __future__ import annotations

from sc_importers.project_types.base import ProjectPlan
from sc_importers.rest.base import RemoteProject, ServerAPI
from sc_importers.uploader.restore import (
    backed_up_auto_training,
    backed_up_project_components,
    backed_up_task_configs,
    configuration_update,
    match_tasks,
)


class ProjectExistsError(Exception):
    """A project of the asked name already exists; nothing was uploaded."""


def create_project(api: ServerAPI, name: str, plan: ProjectPlan) -> RemoteProject:
    """Create the project of ``plan`` called ``name`` with auto-training off on every task.

    Raises :class:`ProjectExistsError` before creating anything when the name is taken; an error
    after the project was created carries it as ``created_project``.
    """
    existing = api.find_project(name)
    if existing is not None:
        raise ProjectExistsError(
            f"a project called {name!r} already exists on the server (id {existing.id}); "
            "choose another name (--project-name / project_name=), delete it first, or resume an "
            "interrupted import into it (--resume / resume=True). Nothing was uploaded."
        )
    project = api.create_project(name, plan.tasks)
    try:
        for task in project.trainable_tasks:
            api.set_auto_training(project, task, False)
    except Exception as exc:
        exc.created_project = project  # the caller must not report "nothing was created"
        raise
    return project


def restore_project_configuration(api: ServerAPI, project: RemoteProject, backup: dict | None) -> int:
    """Carry a backup's project-level ("global") parameter values onto ``project``; returns how
    many parameters were changed (0 when the backup has none or they equal the server's)."""
    old = backed_up_project_components(backup)
    if not old:
        return 0
    current = api.get_configuration(project).get("global") or []
    body, count = configuration_update({"components": current}, {"components": old}, skip=frozenset())
    if count:
        api.set_project_configuration(project, body["components"])
    return count


def finish_configuration(api: ServerAPI, project: RemoteProject, auto_train: bool | None,
                         iterations: int | None, backup: dict | None = None) -> dict[str, dict]:
    """Write the training configuration of every trainable task once the upload is done.

    ``backup`` is a restored project's ``Dataset.configuration``: its task parameter values are
    carried over first (see :mod:`.restore`; the project-level part is
    :func:`restore_project_configuration`'s). Then ``iterations`` (when given) overrides the number
    of iterations, and auto-training is set last: to ``auto_train`` when given, else to the backed-up
    value, else off. Iterations go before auto-training so a server that starts training as soon
    as auto-training is enabled already trains with the asked settings. Returns what was set, per
    task title.
    """
    matched = match_tasks(project, backed_up_task_configs(backup)) if backup else {}
    applied: dict[str, dict] = {}
    for task in project.trainable_tasks:
        old = matched.get(task.id)
        restored = 0
        if old is not None:
            body, restored = configuration_update(api.get_task_configuration(project, task), old)
            if restored:
                api.set_task_configuration(project, task, body)
        if iterations is not None:
            api.set_iterations(project, task, iterations)
        enabled = auto_train if auto_train is not None else bool(backed_up_auto_training(old))
        api.set_auto_training(project, task, enabled)
        applied[task.title] = {"auto_training": enabled, "iterations": iterations}
        if old is not None:
            applied[task.title]["restored_parameters"] = restored
    return applied
