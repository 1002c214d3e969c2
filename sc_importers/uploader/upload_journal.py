"""The upload journal: which file content became which media, per server and project.

``--resume`` must never take a different file for one already uploaded: two datasets may hold
different images of the same file name, and the server knows media only by name. So every import
appends one line per media it creates, ``{"media_id", "sha256", "size", "name", "kind"}``, to
``<state dir>/uploads/<server key>/<project id>.jsonl``: the state dir is ``$SC_IMPORTERS_STATE_DIR``,
else ``$XDG_STATE_HOME/sc-importers``, else ``~/.local/state/sc-importers``; the server key is a
hash of the server's address (no credentials are part of it or of the file). A resume then pairs
an item with a server media by content: the journal's hash for that media id, or, for a media the
journal does not know (created by a run killed before it could record it, or on another machine),
the hash of the media's bytes downloaded from the server. A line is written only after the server
answered with the media id; a line cut by a kill is skipped.

The journal is a cache, not the truth: a media it names that is gone from the server is ignored,
and a journal that cannot be written (read-only home) costs only a download per media on a later
resume, never a wrong match; that case is reported once as a warning.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import TextIO

from sc_importers.export.files import sha256_file


def state_dir() -> Path:
    """Where sc-importers keeps state between runs (see the module docstring)."""
    explicit = os.environ.get("SC_IMPORTERS_STATE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "sc-importers"


def server_key(host: str) -> str:
    """A file-name-safe key for a server address (scheme, host, port, path; never credentials)."""
    return hashlib.sha256(host.rstrip("/").lower().encode("utf-8")).hexdigest()[:16]


class UploadJournal:
    """The append-only record of one project's uploads on one server; safe to use from threads."""

    def __init__(self, host: str, project_id: str, folder: Path | None = None):
        self.path = (folder or state_dir()) / "uploads" / server_key(host) / f"{project_id}.jsonl"
        self._lock = threading.Lock()
        self._file: TextIO | None = None
        self.error: str | None = None
        self.by_media: dict[str, dict] = {}
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by a kill: that media is matched by downloading it
            if isinstance(entry, dict) and isinstance(entry.get("media_id"), str) \
                    and isinstance(entry.get("sha256"), str):
                self.by_media[entry["media_id"]] = entry

    def record(self, media_id: str, sha256: str, size: int, name: str, kind: str) -> None:
        """Remember that media ``media_id`` holds the bytes of SHA-256 ``sha256``."""
        entry = {"media_id": media_id, "sha256": sha256, "size": size, "name": name, "kind": kind}
        with self._lock:
            self.by_media[media_id] = entry
            if self.error is not None:
                return
            try:
                if self._file is None:  # opened once: an open and a close per media held the lock 4x as long
                    self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                    self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed by close()
                self._file.write(json.dumps(entry) + "\n")
                self._file.flush()  # on disk (in the page cache) before the next media: a kill loses nothing
            except OSError as exc:
                self.error = (f"cannot write the upload journal {self.path}: {exc.strerror or exc}; a later "
                              "--resume identifies this run's media by downloading them")

    def close(self) -> None:
        """Close the journal file (records after this open it again)."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def sha256_of(self, media_id: str) -> str | None:
        entry = self.by_media.get(media_id)
        return entry["sha256"] if entry else None


class ContentHashes:
    """SHA-256 of dataset files, each read once however often it is asked for."""

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[str, int]] = {}
        self._lock = threading.Lock()

    def of(self, path: Path) -> tuple[str, int]:
        """(sha256, size) of ``path``'s bytes."""
        with self._lock:
            known = self._cache.get(path)
        if known is not None:
            return known
        value = (sha256_file(path), path.stat().st_size)
        with self._lock:
            self._cache[path] = value
        return value
