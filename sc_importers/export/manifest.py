"""The manifest of a backup folder: written last, it lists every file with size and SHA-256.

Its presence means a download finished. A later download into the same folder reads the old
manifest first, so media it lists (and whose bytes still match) are kept instead of downloaded
again, and leaves it in place until its own manifest replaces it (an atomic rename at the very
end): a re-run that is killed never turns a complete backup into a folder without a manifest.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from sc_importers import __version__
from sc_importers.export.files import JOURNAL_NAME, sha256_file, write_json_atomically

MANIFEST = "manifest.json"
FORMAT = "sc-importers-backup"
FORMAT_VERSION = 1


def previous_media_entries(folder: Path) -> list[dict]:
    """Journal-style entries (media id, path, size, sha256) of the media an earlier finished
    download listed in ``folder``'s manifest; empty when there is none or it is unreadable."""
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        return [
            {"media_id": str(info["id"]), "path": relative, "size": manifest["files"][relative]["size"],
             "sha256": manifest["files"][relative]["sha256"]}
            for relative, info in manifest["media"].items()
            if _inside(relative)
        ]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return []


def _inside(relative: str) -> bool:
    """A manifest path that stays inside the folder (an edited manifest must not make a re-run
    move files from elsewhere into the backup)."""
    path = Path(relative)
    return not path.is_absolute() and ".." not in path.parts and "\\" not in relative


def write_manifest(
    folder: Path, *, dialect: str, source_host: str, project_name: str,
    files: dict[str, dict], hashed_files: list[str], media: dict[str, dict],
) -> dict:
    """Write ``manifest.json`` (atomically) and return it.

    ``files`` holds already known ``{"size", "sha256"}`` entries (media hashed while they
    streamed); ``hashed_files`` are hashed here (project.json, settings.json, annotations).
    """
    listed = dict(files)
    for relative in hashed_files:
        path = folder / relative
        listed[relative] = {"size": path.stat().st_size, "sha256": sha256_file(path)}
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tool_version": __version__,
        "dialect": dialect,
        "source_host": source_host,
        "project_name": project_name,
        "created": datetime.now(timezone.utc).isoformat(),
        "files": dict(sorted(listed.items())),
        "media": dict(sorted(media.items())),
    }
    write_json_atomically(folder / MANIFEST, manifest)
    return manifest


def is_export_bookkeeping(relative: str) -> bool:
    """Files in a backup folder that are not part of the backup itself."""
    return relative in (MANIFEST, JOURNAL_NAME) or relative.endswith(".part")
