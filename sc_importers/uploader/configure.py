"""Creating the project and setting its training configuration around the upload.

Auto-training is switched off on every trainable task before the first media goes up, so the
server does not start training on a partial dataset; once the upload is done the asked values
(auto-training on or off, number of iterations) are written through the configuration
endpoints, for every trainable task.
"""

from __future__ import annotations

from sc_importers.project_types.base import ProjectPlan
from sc_importers.rest.base import RemoteProject, ServerAPI


class ProjectExistsError(Exception):
    """A project of the asked name already exists; nothing was uploaded."""


def create_project(api: ServerAPI, name: str, plan: ProjectPlan) -> RemoteProject:
    """Create the project of ``plan`` called ``name`` with auto-training off on every task.

    Raises :class:`ProjectExistsError` before creating anything when the name is taken.
    """
    existing = api.find_project(name)
    if existing is not None:
        raise ProjectExistsError(
            f"a project called {name!r} already exists on the server (id {existing.id}); "
            "choose another name with --project-name, or delete it first. Nothing was uploaded."
        )
    project = api.create_project(name, plan.tasks)
    for task in project.trainable_tasks:
        api.set_auto_training(project, task, False)
    return project


def finish_configuration(api: ServerAPI, project: RemoteProject, auto_train: bool,
                         iterations: int | None) -> dict[str, dict]:
    """Set iterations (when given) and then auto-training on every trainable task.

    Iterations go first so a server that starts training as soon as auto-training is enabled
    already trains with the asked number. Returns what was set, per task title.
    """
    applied: dict[str, dict] = {}
    for task in project.trainable_tasks:
        if iterations is not None:
            api.set_iterations(project, task, iterations)
        api.set_auto_training(project, task, auto_train)
        applied[task.title] = {"auto_training": auto_train, "iterations": iterations}
    return applied
