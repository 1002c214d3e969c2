"""Integrity of a backup folder: paths that stay inside it, and the manifest's sizes and hashes.

The downloader writes ``manifest.json`` last, so a complete manifest means a complete download;
every listed file is checked (size first, then a streamed SHA-256) before anything is read, and
all bad files are reported together so one run tells the user everything that is wrong.
"""

from __future__ import annotations

import hashlib
import json
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
                warnings.append(Problem("warning", "written by an interrupted re-run of sc-export, not part of "
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
