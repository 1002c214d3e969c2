"""Logical paths versus files on disk: following folder links stored as plain text files.

A git symlink checked out where symlinks are not supported (Windows, some archives, read-only copies)
becomes a small regular file whose whole content is the link target, e.g. ``images`` holding
``../images``. Ultralytics derives a label path from the image path *as written* (the last ``images``
component becomes ``labels``), so the reader works on logical paths (the path through the link) and
only asks :class:`LinkedTree` for the physical file when it opens one.
"""

from __future__ import annotations

from pathlib import Path

#: A text link is at most this long; anything bigger is an ordinary file.
_MAX_LINK_BYTES = 1024


def read_text_link(path: Path) -> str | None:
    """The target written in ``path`` when it looks like a checked-out symlink: a small text file of
    one line naming a relative or absolute path; None otherwise."""
    try:
        if not path.is_file() or path.stat().st_size > _MAX_LINK_BYTES:
            return None
        text = path.read_bytes().decode("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not text or "\n" in text or "\0" in text:
        return None
    return text


class LinkedTree:
    """Maps logical paths to physical ones, following text-file links to folders on the way.

    ``followed`` records every link used (the link file and the folder it led to), so the reader
    can tell the user once per link.
    """

    def __init__(self) -> None:
        self.followed: dict[Path, Path] = {}
        self._cache: dict[Path, Path] = {}

    def directory(self, logical: Path) -> Path:
        """The folder on disk for the logical folder path ``logical``: itself when it is a folder,
        else the same path with every text-link component replaced by the folder it names (the
        result may not exist)."""
        logical = Path(logical)
        cached = self._cache.get(logical)
        if cached is not None:
            return cached
        if logical.is_dir() or logical.parent == logical:
            result = logical
        else:
            result = self.directory(logical.parent) / logical.name
            if not result.is_dir():
                target = read_text_link(result)
                if target is not None:
                    linked = Path(target) if Path(target).is_absolute() else (result.parent / target).resolve()
                    if linked.is_dir():
                        self.followed[result] = linked
                        result = linked
        self._cache[logical] = result
        return result

    def file(self, logical: Path) -> Path:
        """The file on disk for the logical file path ``logical`` (its folders resolved through links)."""
        logical = Path(logical)
        if logical.exists():
            return logical
        return self.directory(logical.parent) / logical.name
