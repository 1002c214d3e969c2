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
#: A journal "done" entry's ``scenes``: its annotation files carry label names (export/portable.py); entries of
#: earlier versions lack it, and their files (label ids only) are fetched again rather than kept.
NAMED_SCENES = "named"
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


def write_atomically(target: Path, produce: Callable[[Path], object]) -> None:
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
    """Append-only record of what a download has finished in a backup folder.

    Three kinds of lines: ``{"media_id", "path", "size", "sha256"}`` once a media file was renamed
    into place; ``{"done": media_id, "path", "annotations": {relative: {"size", "sha256"}}, "scenes"}``
    once that media's annotation files are written too (the item is complete); and
    ``{"listing": [media id, ...]}`` once the project's media were listed, so a restore of an
    unfinished folder can say how many media it lacks. A file without an entry (killed between
    rename and append) is simply downloaded again. Lines are flushed but not fsynced: an entry is
    only trusted after its files were re-hashed, so a line that survives a crash while its file did
    not costs one download, never a wrong file.
    """

    def __init__(self, folder: Path):
        self.path = folder / JOURNAL_NAME
        self._lock = threading.Lock()
        self.entries: dict[str, dict] = {}
        self.done: dict[str, dict] = {}
        self.listing: list[str] | None = None
        for entry in read_journal(self.path):
            if "listing" in entry:
                self.listing = [str(i) for i in entry["listing"]]
            elif "done" in entry:
                self.done[str(entry["done"])] = entry
            elif "media_id" in entry:
                self.entries[str(entry["media_id"])] = entry

    def record_listing(self, media_ids: list[str]) -> None:
        """Remember which media the project holds (written once they are listed)."""
        self._append({"listing": [str(i) for i in media_ids]})
        self.listing = [str(i) for i in media_ids]

    def record_done(self, media_id: str, relative: str, annotations: dict[str, dict]) -> None:
        """Remember that media ``media_id`` (file ``relative``) and its ``annotations`` files
        (relative path -> size and sha256) are all written: the item is complete."""
        entry = {"done": str(media_id), "path": relative, "annotations": annotations, "scenes": NAMED_SCENES}
        self._append(entry)
        self.done[str(media_id)] = entry

    def finished_annotations(self, media_id: str, relative: str, folder: Path) -> list[str] | None:
        """The annotation files an earlier run wrote for media ``media_id`` (stored as ``relative``)
        when each is still on disk with its recorded checksum; None when they must be fetched."""
        entry = self.done.get(str(media_id))
        if entry is None or entry.get("path") != relative or not isinstance(entry.get("annotations"), dict):
            return None
        if entry.get("scenes") != NAMED_SCENES:  # an earlier version's scenes (label ids only): fetch again
            return None
        for name, info in entry["annotations"].items():
            path = Path(name)
            if path.is_absolute() or ".." in path.parts or not isinstance(info, dict):
                return None
            target = folder / path
            if (not target.is_file() or target.stat().st_size != info.get("size")
                    or sha256_file(target) != info.get("sha256")):
                return None
        return sorted(entry["annotations"])

    def _append(self, entry: dict) -> None:
        with self._lock, open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")

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
        self._append(entry)
        self.entries[media_id] = entry
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


def read_journal(path: Path) -> list[dict]:
    """Every whole line of a journal file (a line cut by a kill is skipped); empty if there is none."""
    entries: list[dict] = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return entries
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by a kill; its file is fetched again
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


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
