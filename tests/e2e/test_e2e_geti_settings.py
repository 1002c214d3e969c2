"""The neutral settings of the Geti 2.x dialect against the local server, through both configuration
APIs a Geti server may have: 2.12+'s project/training configuration (the local server says 2.13) and
the legacy configurable parameters (chosen first when the server says it is older). What one API
wrote is read back through the other, so a value that only looks written shows up."""

from __future__ import annotations

import pytest

from sc_importers.model import Label
from sc_importers.project_types.base import TaskPlan
from sc_importers.rest.geti_v1 import GetiV1API
from sc_importers.settings import ProjectSettings, TaskSettings


@pytest.fixture(scope="module")
def geti(sc_server, dialects):
    api = dialects.open_api(sc_server, "geti")
    yield api
    api.close()


def _older(api: GetiV1API) -> GetiV1API:
    """The same connection, but believing the server is a 2.11 (legacy configuration first)."""
    return GetiV1API(api.session, api.organization_id, api.workspace_id, info={"product-version": "2.11.0"})


def _project(api, project_name):
    return api.create_project(project_name, [TaskPlan("Detection", "detection", [Label("car")]),
                                             TaskPlan("Classification", "classification",
                                                      [Label("red", group="c"), Label("blue", group="c")])])


def test_settings_through_project_configuration(geti, project_name):
    project = _project(geti, project_name)
    detection, classification = project.trainable_tasks
    settings = geti.get_settings(project)
    assert [t.title for t in settings.tasks] == ["Detection", "Classification"]
    first = settings.tasks[0]
    assert {"auto_training", "iterations", "min_images_per_label", "dynamic_required_annotations"} <= first.editable

    wanted = ProjectSettings(tasks=[
        TaskSettings("Detection", "detection", {"iterations": 9, "min_images_per_label": 5, "auto_training": True,
                                                "learning_parameters.batch_size": 4}),
        TaskSettings("Renamed", "classification", {"dynamic_required_annotations": False, "iterations": 3}),
    ], parameters={"dataset_counter.something": 1})
    result = geti.apply_settings(project, wanted, skip=frozenset({"auto_training"}))
    assert result.changed == 4
    assert set(result.not_applied) == {"Detection: learning_parameters.batch_size", "dataset_counter.something"}

    after = geti.get_settings(project)
    assert after.tasks[0].parameters["iterations"] == 9 and after.tasks[0].parameters["min_images_per_label"] == 5
    assert after.tasks[0].auto_training is first.auto_training is True, "skipped: left as it was"
    assert after.tasks[1].parameters["dynamic_required_annotations"] is False  # matched by position
    assert after.tasks[1].iterations == 3
    # the legacy API of the same server sees the same values
    legacy = _older(geti).get_settings(project)
    assert legacy.tasks[0].iterations == 9 and legacy.tasks[0].parameters["min_images_per_label"] == 5
    assert geti.apply_settings(project, wanted, skip=frozenset({"auto_training"})).changed == 0

    geti.set_auto_training(project, detection, False)
    geti.set_iterations(project, detection, 11)
    assert geti.get_auto_training(project, detection) is False
    assert geti.get_auto_training(project, classification) is True
    assert geti.get_iterations(project, detection) == 11


def test_settings_through_the_legacy_configuration(geti, project_name):
    older = _older(geti)
    project = _project(older, project_name)
    detection = project.trainable_tasks[0]
    settings = older.get_settings(project)
    assert "learning_parameters.batch_size" in settings.tasks[0].parameters  # the whole legacy configuration
    result = older.apply_settings(project, ProjectSettings(tasks=[
        TaskSettings("Detection", "detection", {"learning_parameters.batch_size": 4, "iterations": 6})]))
    assert result.changed == 2 and result.not_applied == {}
    older.set_auto_training(project, detection, False)
    assert older._flavour == "legacy"
    modern = geti.get_settings(project)
    assert modern.tasks[0].iterations == 6 and modern.tasks[0].auto_training is False
    assert older.get_settings(project).tasks[0].parameters["learning_parameters.batch_size"] == 4


def test_iterations_below_one_are_refused_before_any_request(geti, project_name):
    project = _project(geti, project_name)
    with pytest.raises(ValueError, match="at least 1"):
        geti.set_iterations(project, project.trainable_tasks[0], 0)
