"""Giving restored media their original names.

The server names an uploaded media after the uploaded file's name. A backup cannot always store a
media under its own name: when several media share one, each is saved as ``<name>__<old media id>``
(docs/backup-format.md), and the manifest records the real name. Uploading such a file as it is
would rename the media on the new server. So for a restore, every item whose manifest name
differs from its file stem is uploaded through a link (or, where links are not possible, a copy)
called ``<original name><extension>`` in a private temporary folder.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

from sc_importers.model import Dataset, MediaItem


def original_names(dataset: Dataset) -> dict[str, str]:
    """Item key -> media name from the backup's manifest, for items whose file stem differs."""
    manifest_path = dataset.root / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    media = manifest.get("media") if isinstance(manifest, dict) else None
    if not isinstance(media, dict):
        return {}
    stems = {item.key: item.path.stem for item in dataset.items}
    return {key: info["name"] for key, info in media.items()
            if key in stems and isinstance(info, dict) and isinstance(info.get("name"), str)
            and info["name"] and info["name"] != stems[key] and "/" not in info["name"]
            and "\\" not in info["name"] and info["name"] not in (".", "..")}


def _link(source: Path, target: Path) -> None:
    try:
        os.symlink(source.resolve(), target)
    except OSError:
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)


def renamed_items(items: list[MediaItem], names: dict[str, str], workdir: Path) -> list[MediaItem]:
    """``items`` with every item named in ``names`` pointing at a link of that name under
    ``workdir`` (one sub-folder per item, so same-named media do not collide)."""
    out = []
    for index, item in enumerate(items):
        name = names.get(item.key)
        if name is None:
            out.append(item)
            continue
        folder = workdir / str(index)
        folder.mkdir(parents=True, exist_ok=True)
        link = folder / f"{name}{item.path.suffix}"
        _link(item.path, link)
        out.append(dataclasses.replace(item, path=link))
    return out
