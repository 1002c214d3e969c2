"""Reading the configuration a backup folder saved, whichever dialect's server it came from.

A backup keeps ``settings.json`` (the neutral model, read by :meth:`ProjectSettings.from_json`)
and, for older tools, ``configuration.json`` in the source server's own shape. Backups written
before ``settings.json`` existed (and by other tools) have only the latter, so it is parsed here,
where dialect knowledge lives, into the neutral model.
"""

from __future__ import annotations

import json
from pathlib import Path

from sc_importers.rest.legacy_parameters import FORMER_KEYS, current_keys
from sc_importers.rest.sc_v1_settings import settings_from_saved_configuration
from sc_importers.settings import ProjectSettings

#: Dialects whose ``configuration.json`` this module reads. Geti 2.x's legacy configuration API
#: (``geti-v1``) answers the same ``{"global", "task_chain"}`` components as SC 1.0.
READABLE_DIALECTS = ("sc-v1", "geti-v1")


def settings_from_backup(configuration: object, dialect: str | None, task_types: dict[str, str],
                         source: str = "configuration.json") -> ProjectSettings:
    """The neutral settings of a backup's raw ``configuration.json``; ``dialect`` is the manifest's
    (None: no manifest, e.g. the 2022 client's or geti-sdk's folders, which use SC 1.0's shape),
    ``task_types`` maps task titles to types. Raises ``ValueError`` naming the file and key."""
    if dialect is not None and dialect not in READABLE_DIALECTS:
        raise ValueError(f"{source}: configuration of dialect {dialect!r} cannot be read "
                         f"(known: {', '.join(READABLE_DIALECTS)})")
    return settings_from_saved_configuration(configuration, task_types, source)


SETTINGS_FILE = "settings.json"
CONFIGURATION_FILE = "configuration.json"


def load_backup_settings(folder: Path, dialect: str | None, task_types: dict[str, str]) -> ProjectSettings | None:
    """A backup folder's settings: ``settings.json`` when there is one, else its
    ``configuration.json`` parsed for ``dialect``; None when it has neither. Raises ``ValueError``
    naming the file and the key that is wrong (also for a file that is not JSON)."""
    settings_path, config_path = folder / SETTINGS_FILE, folder / CONFIGURATION_FILE
    if settings_path.is_file():
        try:
            return _with_current_keys(ProjectSettings.from_json(_load(settings_path)))
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{settings_path}: {exc}") from None
    if config_path.is_file():
        return settings_from_backup(_load(config_path), dialect, task_types, source=str(config_path))
    return None


def _with_current_keys(settings: ProjectSettings) -> ProjectSettings:
    """Keys an older ``settings.json`` wrote for a parameter that now has a neutral key, renamed
    (:data:`~sc_importers.rest.legacy_parameters.FORMER_KEYS`)."""
    rename = FORMER_KEYS
    settings.parameters = current_keys(settings.parameters)
    settings.editable = {rename.get(k, k) for k in settings.editable}
    for task in settings.tasks:
        task.parameters = current_keys(task.parameters)
        task.editable = {rename.get(k, k) for k in task.editable}
    return settings


def _load(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not valid JSON: {exc}") from None
