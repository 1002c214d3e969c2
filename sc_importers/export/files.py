"""Crash-safe file writing for backups: atomic writes, checksums, the progress journal.

A backup is only trustworthy if a killed download can never leave a file that looks complete but
is not. Every file is written to a temporary name in the same folder and renamed into place
(atomic on POSIX and Windows); each finished media file is then recorded in a journal, so a re-run
knows which files it can keep without asking the server again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

JOURNAL_NAME = ".sc-export-journal.jsonl"
CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in chunks (media can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Permissions of finished files: what ``open()`` would give (mkstemp alone gives 0600).
FILE_MODE = 0o666 & ~_umask()


def new_part_file(folder: Path, name: str) -> Path:
    """A new, empty ``.part`` file in ``folder`` (for a file that will become ``name``), with the
    permissions an ordinary new file gets, so backups stay readable by who may read the folder."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
    os.fchmod(fd, FILE_MODE)
    os.close(fd)
    return Path(tmp_name)


def write_atomically(target: Path, produce: Callable[[Path], None]) -> None:
    """Let ``produce`` write a temporary file next to ``target``, then rename it into place.

    If ``produce`` raises, the temporary file is removed and ``target`` is left as it was.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = new_part_file(target.parent, target.name)
    try:
        produce(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json_atomically(target: Path, data: object) -> None:
    """Write ``data`` as indented, key-sorted JSON (stable bytes for stable checksums)."""
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    write_atomically(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))


class Journal:
    """Append-only record of media files already downloaded into a backup folder.

    Each line is ``{"media_id", "path", "size", "sha256"}``. A line is written only after its file
    was renamed into place, so every entry names a complete file; a file without an entry (killed
    between rename and append) is simply downloaded again. Lines are flushed but not fsynced: an
    entry is only trusted after :meth:`finished` has re-hashed its file, so a line that survives a
    crash while its file did not costs one download, never a wrong file.
    """

    def __init__(self, folder: Path):
        self.path = folder / JOURNAL_NAME
        self._lock = threading.Lock()
        self.entries: dict[str, dict] = {}
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                    self.entries[str(entry["media_id"])] = entry
                except (json.JSONDecodeError, KeyError, TypeError):
                    continue  # a line cut by a kill; its file is fetched again

    def finished(self, media_id: str, folder: Path) -> dict | None:
        """The entry for ``media_id`` if its file is still on disk with the recorded checksum."""
        entry = self.entries.get(media_id)
        if entry is None:
            return None
        relative = Path(entry["path"])
        if relative.is_absolute() or ".." in relative.parts:
            return None  # never trust a path leading out of the folder
        path = folder / relative
        if not path.is_file() or path.stat().st_size != entry["size"] or sha256_file(path) != entry["sha256"]:
            return None
        return entry

    def record(self, media_id: str, relative: str, size: int, sha256: str) -> dict:
        """Remember that ``relative`` (already renamed into place) holds media ``media_id``."""
        entry = {"media_id": media_id, "path": relative, "size": size, "sha256": sha256}
        with self._lock:
            self.entries[media_id] = entry
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")
        return entry

    def seed(self, entries: list[dict]) -> None:
        """Add entries known from elsewhere (a previous run's manifest) to the journal file."""
        with self._lock, open(self.path, "a", encoding="utf-8") as f:
            for entry in entries:
                if entry["media_id"] not in self.entries:
                    self.entries[entry["media_id"]] = entry
                    f.write(json.dumps(entry) + "\n")

    def remove(self) -> None:
        """Delete the journal file (a finished backup's manifest carries the same facts)."""
        self.path.unlink(missing_ok=True)


class HashingSink:
    """Counts and hashes the chunks of a download as they stream by (``on_chunk`` callback), so a
    file is never read back just to checksum it."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self.size = 0

    def __call__(self, chunk: bytes) -> None:
        self._digest.update(chunk)
        self.size += len(chunk)

    def hexdigest(self) -> str:
        return self._digest.hexdigest()

    def reset(self) -> None:
        """Start over: the download is restarted from its first byte (see ``SCSession.download``)."""
        self._digest = hashlib.sha256()
        self.size = 0


def sniff_extension(path: Path, kind: str) -> str:
    """File extension from the first bytes: servers name media without one."""
    with open(path, "rb") as f:
        head = f.read(16)
    signatures = [
        (b"\xff\xd8\xff", ".jpg"),
        (b"\x89PNG", ".png"),
        (b"BM", ".bmp"),
        (b"II*\x00", ".tif"),
        (b"MM\x00*", ".tif"),
        (b"\x1aE\xdf\xa3", ".webm"),
    ]
    for magic, ext in signatures:
        if head.startswith(magic):
            return ext
    if head[:4] == b"RIFF":
        return ".webp" if head[8:12] == b"WEBP" else ".avi"
    if head[4:8] == b"ftyp":
        return ".mp4"
    return ".mp4" if kind == "video" else ".jpg"
