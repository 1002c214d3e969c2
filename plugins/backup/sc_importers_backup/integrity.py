"""Integrity of a backup folder: paths that stay inside it, and the manifest's sizes and hashes.

The downloader writes ``manifest.json`` last, so a complete manifest means a complete download;
every listed file is checked (size first, then a streamed SHA-256) before anything is read, and
all bad files are reported together so one run tells the user everything that is wrong.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path, PurePosixPath
from typing import Any

from sc_importers.formats import FormatError
from sc_importers.model import Problem

MANIFEST_FILE = "manifest.json"
MANIFEST_FORMAT = "sc-importers-backup"
MANIFEST_VERSION = 1
_CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks so large videos do not fill memory."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def escapes(relative: str) -> bool:
    """True when ``relative`` (as written in a backup file) is absolute or climbs out with ``..``."""
    pure = PurePosixPath(relative.replace("\\", "/"))
    return pure.is_absolute() or relative[1:3] == ":/" or relative[1:3] == ":\\" or ".." in pure.parts


def inside(root: Path, path: Path) -> bool:
    """True when ``path`` (symlinks resolved) lies inside ``root``."""
    return path.resolve().is_relative_to(root.resolve())


def load_manifest(root: Path) -> dict[str, Any] | None:
    """The parsed manifest, or None when the folder has none (a geti-sdk download)."""
    path = root / MANIFEST_FILE
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise FormatError(f"{path}: not an sc-importers backup manifest (\"format\" is not {MANIFEST_FORMAT!r})")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > MANIFEST_VERSION:
        raise FormatError(
            f"{path}: format_version {version!r} is not supported (this reader knows {MANIFEST_VERSION}); "
            "update sc-importers"
        )
    if not isinstance(manifest.get("files"), dict):
        raise FormatError(f"{path}: 'files' must be an object of relative path -> {{size, sha256}}")
    return manifest


_FRAME_STEM = re.compile(r"^(?P<stem>.+)_frame_\d+$")
_MEDIA_DIRS = {"images": "image", "videos": "video"}


def _names_against_manifest(manifest: dict[str, Any]) -> list[str]:
    """Media and annotation files whose names no longer fit the manifest's ``media`` entries.

    A restore pairs a media file with its annotation files by file stem and names the restored
    media after its entry, so a renamed file would silently lose its annotations or its name: every
    media file the manifest lists needs a ``media`` entry whose name its stem is (``<name>`` or
    ``<name>__<id>``, docs/backup-format.md), every ``media`` entry a listed file, and every listed
    annotation file a media file of its stem (``<stem>_frame_<n>`` for a video)."""
    from sc_importers.export.download import safe_folder_name

    media = manifest.get("media")
    if not isinstance(media, dict):
        media = {}
    files = manifest["files"]
    bad = [f"{relative}: has a manifest 'media' entry but is not among its files"
           for relative in media if relative not in files and not escapes(str(relative))]
    stems: dict[str, str] = {}
    for relative in files:
        top, _, rest = relative.partition("/")
        if top not in _MEDIA_DIRS or not rest or PurePosixPath(relative).name.startswith("."):
            continue
        stem = PurePosixPath(relative).stem
        stems[stem] = _MEDIA_DIRS[top]
        entry = media.get(relative)
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            bad.append(f"{relative}: a media file without an entry in the manifest's 'media' (renamed after the "
                       "backup?)")
            continue
        name = safe_folder_name(entry["name"])
        if stem not in (name, f"{name}__{entry.get('id')}"):
            bad.append(f"{relative}: the file name does not match its manifest entry (media {entry['name']!r}, "
                       f"id {entry.get('id')}: the file would be {name}.* or {name}__{entry.get('id')}.*)")
    for relative in files:
        path = PurePosixPath(relative)
        if path.parts[:1] != ("annotations",) or path.suffix != ".json":
            continue
        frame = _FRAME_STEM.match(path.stem)
        if path.stem not in stems and not (frame and stems.get(frame["stem"]) == "video"):
            bad.append(f"{relative}: an annotation file of no media file of the backup (its media file was "
                       "renamed or removed after the backup?); its annotations would be lost")
    return bad


def verify_manifest(root: Path, manifest: dict[str, Any], rerun_files: frozenset[str] = frozenset(),
                    hint: str = "") -> list[Problem]:
    """Check every listed file; raise :class:`FormatError` listing all bad ones.

    Files in ``images/``, ``videos/`` and ``annotations/`` that the manifest does not list are refused
    the same way (one ``FormatError`` naming them all): a complete backup has none, and read anyway
    they would become extra media or annotations of the restored project. Hidden files, which the
    reader never reads, only give warnings, and so do ``rerun_files``: files an interrupted re-run
    of sc-export added beside a complete backup (the reader leaves them out). ``hint`` is added to
    a refusal (what to do about an interrupted re-run).
    """
    bad: list[str] = []
    for relative in manifest.get("media") or {}:
        if escapes(str(relative)):
            bad.append(f"{relative}: path leaves the backup folder ('media' entry)")
    for relative, entry in manifest["files"].items():
        if escapes(relative):
            bad.append(f"{relative}: path leaves the backup folder")
            continue
        path = root / relative
        if not path.is_file():
            bad.append(f"{relative}: listed in the manifest but missing")
            continue
        if not inside(root, path):
            bad.append(f"{relative}: a link pointing outside the backup folder")
            continue
        if not isinstance(entry, dict):
            bad.append(f"{relative}: manifest entry is not an object with size and sha256")
            continue
        size = path.stat().st_size
        if size != entry.get("size"):
            bad.append(f"{relative}: size {size} bytes, the manifest says {entry.get('size')}")
            continue
        digest = sha256_of(path)
        if digest != entry.get("sha256"):
            bad.append(f"{relative}: SHA-256 {digest}, the manifest says {entry.get('sha256')}")
    bad += _names_against_manifest(manifest)
    if bad:
        listing = "\n  ".join(bad)
        raise FormatError(
            f"{root / MANIFEST_FILE}: {len(bad)} file(s) do not match the manifest "
            f"(incomplete or damaged backup){hint}:\n  {listing}"
        )
    listed = set(manifest["files"])
    unlisted, warnings = [], []
    for folder in ("images", "videos", "annotations"):
        base = root / folder
        if not base.is_dir():
            continue
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            relative = path.relative_to(root).as_posix()
            if relative in listed:
                continue
            if path.name.startswith("."):  # .DS_Store, a .part left by a download: never read as media
                warnings.append(Problem("warning", "hidden file not listed in manifest.json; ignored", file=relative))
            elif relative in rerun_files:
                warnings.append(Problem("warning", "written by an interrupted re-run of sc export, not part of "
                                        "the backup manifest.json describes; left out", file=relative))
            else:
                unlisted.append(relative)
    if unlisted:
        listing = "\n  ".join(unlisted)
        raise FormatError(
            f"{root / MANIFEST_FILE}: {len(unlisted)} file(s) in images/, videos/ or annotations/ are not listed "
            f"in the manifest (added after the backup; they would be restored as if they were part of the "
            f"project){hint}. Remove them, or remove manifest.json to restore the folder unverified:\n  {listing}"
        )
    return warnings
