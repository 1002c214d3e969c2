"""The built-in `backup` format plugin (registered through the `sc_importers` entry point).

Reads project backup folders (the contract is ``docs/backup-format.md``); see
:mod:`sc_importers_backup.reader`. :func:`list_backup_folders` finds every backup under a folder,
for ``sc-import DIR --format backup --all``.
"""

from __future__ import annotations

from sc_importers.formats import FormatReader
from sc_importers.hookspecs import hookimpl
from sc_importers_backup.reader import BackupReader, list_backup_folders

__all__ = ["BackupReader", "list_backup_folders", "register_format_readers"]


@hookimpl
def register_format_readers() -> list[FormatReader]:
    """The ``backup`` reader: SC 1.0 / Geti project backup folders (project.json, media, annotations)."""
    return [BackupReader()]
