"""A restored backup's settings, in the neutral model only.

The backup reader turns whatever the folder holds (``settings.json``, or a ``configuration.json`` of
any dialect) into the neutral form of :meth:`ProjectSettings.to_json`, kept in
``Dataset.configuration``; the uploader hands it to :meth:`ServerAPI.apply_settings`, which knows the
target server's own configuration JSON. Values the target cannot hold or edit come back in
:attr:`SettingsResult.not_applied` and are reported, never dropped.

Auto-training is not part of that write: the uploader switches it on or off last, once everything
else is in place, so the server cannot start training on a half-configured project.
"""

from __future__ import annotations

from sc_importers.model import Dataset
from sc_importers.settings import AUTO_TRAINING, ProjectSettings, TaskSettings

#: Keys the uploader sets itself, after the rest of the configuration.
SET_LAST = frozenset({AUTO_TRAINING})


class SettingsError(ValueError):
    """A dataset's saved settings are not in the neutral form."""


def backup_settings(dataset: Dataset) -> ProjectSettings | None:
    """The restored project's settings (None when the backup holds none)."""
    if dataset.configuration is None:
        return None
    try:
        return ProjectSettings.from_json(dataset.configuration)
    except ValueError as exc:
        raise SettingsError(f"{dataset.root}: {exc}") from None


def backed_up_auto_training(task: TaskSettings | None) -> bool | None:
    """A backed-up task's auto-training value, or None when the backup does not say."""
    return None if task is None else task.auto_training
