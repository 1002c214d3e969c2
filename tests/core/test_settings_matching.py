"""Which saved task settings a project's tasks take, and what both REST dialects report of the rest."""

from __future__ import annotations

from sc_importers.settings import ProjectSettings, TaskSettings


def _settings() -> ProjectSettings:
    return ProjectSettings(tasks=[
        TaskSettings(title="Detection", task_type="detection", parameters={"iterations": 5}),
        TaskSettings(title="Classification", task_type="classification",
                     parameters={"iterations": 3, "auto_training": True}),
        TaskSettings(title="Extra", task_type="segmentation", parameters={"auto_training": False}),
    ])


def test_tasks_match_by_title_then_position() -> None:
    settings = _settings()
    matched = settings.match_tasks(["Classification", "Renamed"])
    assert [t.title if t else None for t in matched] == ["Classification", None]
    # "Renamed" cannot take the task at its position: that one's title belongs to another task


def test_unmatched_tasks_are_reported_with_their_parameter_counts() -> None:
    settings = _settings()
    matched = settings.match_tasks(["Detection"])
    assert settings.unmatched(matched) == {
        "Classification: *": "the project has no task 'Classification' (nor one at its position); "
                             "2 parameter(s) not applied",
        "Extra: *": "the project has no task 'Extra' (nor one at its position); 1 parameter(s) not applied",
    }
    # a task whose only parameters are skipped is not mentioned; skipped keys are not counted
    assert settings.unmatched(matched, frozenset({"auto_training"})) == {
        "Classification: *": "the project has no task 'Classification' (nor one at its position); "
                             "1 parameter(s) not applied",
    }
