"""The guard of ``sc export``'s target folder: a download prunes files it did not write and rewrites
``project.json``, so it may only go into a folder that is new, empty, an interrupted start, or a backup of
the very same project (:func:`check_target_folder`)."""

from __future__ import annotations

import json
from pathlib import Path

from sc_importers.export.files import JOURNAL_NAME
from sc_importers.export.manifest import MANIFEST
from sc_importers.rest.base import RemoteProject


class FolderInUse(ValueError):
    """The target folder holds something a download must not overwrite: another project's backup,
    or files that are no backup at all. Raised before anything in the folder is written or deleted."""


#: What a backup folder holds at its top level (docs/backup-format.md); anything else is foreign.
BACKUP_ENTRIES = {"project.json", "configuration.json", "settings.json", MANIFEST, JOURNAL_NAME,
                  "images", "videos", "annotations"}


def check_target_folder(folder: Path, project: RemoteProject) -> None:
    """Refuse (:class:`FolderInUse`) a folder a download of ``project`` would damage.

    A download prunes media and annotation files it did not write and rewrites ``project.json``, so
    it may only go into a new or empty folder, a folder holding nothing but an interrupted start
    (the journal, ``.part`` files, empty sub-folders), or a backup of this very project (same id in
    ``project.json``: a re-run or a resume). A backup of another project, or a folder of other
    files (a home folder, a dataset), is refused with the folder and what was found there named.
    """
    if not folder.is_dir():
        return  # nothing there yet, or a file: creating the folder then fails with the OS's own error
    project_file = folder / "project.json"
    if project_file.exists():
        try:
            saved = json.loads(project_file.read_text(encoding="utf-8"))
            saved_id, saved_name = str(saved["id"]), saved.get("name")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise FolderInUse(
                f"{folder} holds a project.json that names no project ({type(exc).__name__}: {exc}); "
                f"refusing to back up project {project.name!r} into it (nothing was written). "
                "Choose another folder.") from None
        if saved_id != str(project.id):
            raise FolderInUse(
                f"{folder} already holds a backup of another project, {saved_name!r} (id {saved_id}); "
                f"refusing to back up project {project.name!r} (id {project.id}) into it, which would "
                "replace that backup (nothing was written). Choose another folder, or move that backup away.")
        return
    foreign = sorted(_foreign_files(folder))
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise FolderInUse(
            f"{folder} is not empty and is not a backup folder (no project.json; it holds {shown}); "
            f"refusing to back up project {project.name!r} into it (nothing was written). "
            "Choose a new or empty folder.")


def _foreign_files(folder: Path) -> list[str]:
    """Entries of a folder without ``project.json`` that no interrupted download leaves behind.

    A download writes ``project.json`` before any media or annotation, so such a folder may hold
    the journal, ``.part`` files and empty sub-folders, nothing else."""
    foreign = []
    for entry in folder.iterdir():
        if entry.name not in BACKUP_ENTRIES and not entry.name.endswith(".part"):
            foreign.append(entry.name + ("/" if entry.is_dir() else ""))
        elif entry.is_dir():
            foreign += [p.relative_to(folder).as_posix() for p in entry.rglob("*")
                        if p.is_file() and not p.name.endswith(".part")]
    return foreign
