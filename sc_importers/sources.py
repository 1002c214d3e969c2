"""Dataset sources that are not a dataset folder as they are: archives and folders one level up.

* ``.zip``, ``.tar``, ``.tar.gz`` / ``.tgz``, ``.tar.bz2``, ``.tar.xz``: unpacked into a temporary folder
  named after the archive (so the project name defaults to ``data`` for ``data.zip``), removed when the
  import is done; an archive holding one folder is that folder. Members that would land outside the
  temporary folder (``../x``, absolute paths) and links are refused, naming the member.
* A folder holding exactly one folder beside README/LICENSE-like files only (a downloaded repository)
  is read as that folder: :func:`single_dataset_folder`.

Detection over a folder's candidates (and one level down when the folder itself holds no dataset)
is :func:`sc_importers.formats.choose_dataset`.
"""

from __future__ import annotations

import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sc_importers.formats import FormatError

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
#: Files that come with downloaded data and are not part of a dataset's format.
NOTE_PREFIXES = ("readme", "license", "licence", "copying", "notice", "authors", "citation", "changelog",
                 "source", ".")
NOTE_SUFFIXES = (".md", ".rst", ".cff", ".html", ".pdf")  # not .txt: image lists and labels are .txt
#: Folders that never hold the dataset (archive tool and VCS litter).
IGNORED_FOLDERS = ("__MACOSX", ".git", ".github")


def is_archive(path: Path) -> bool:
    """A file whose name ends with one of :data:`ARCHIVE_SUFFIXES`."""
    return path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES)


def archive_stem(path: Path) -> str:
    """``data`` for ``data.zip``, ``data.tar.gz``, ``data.tgz``."""
    name = path.name
    for suffix in sorted(ARCHIVE_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] or "dataset"
    return path.stem


def _inside(target: Path, member: str) -> Path:
    destination = (target / member).resolve()
    if destination != target and target not in destination.parents:
        raise FormatError(f"archive member {member!r} would be written outside the folder it is unpacked to")
    return destination


def unpack(archive: Path, target: Path) -> None:
    """Unpack ``archive`` into ``target`` (which exists), refusing unsafe members (see module doc)."""
    try:
        if archive.name.lower().endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    _inside(target, info.filename)
                    if (info.external_attr >> 16) & 0o170000 == 0o120000:
                        raise FormatError(f"archive member {info.filename!r} is a link; links are not unpacked")
                zf.extractall(target)
            return
        with tarfile.open(archive) as tf:
            members = tf.getmembers()
            for member in members:
                _inside(target, member.name)
                if member.issym() or member.islnk() or member.isdev():
                    raise FormatError(f"archive member {member.name!r} is a link or a device; not unpacked")
            tf.extractall(target, members=[m for m in members if m.isfile() or m.isdir()])
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        raise FormatError(f"{archive}: cannot be unpacked ({type(exc).__name__}: {exc})") from exc


@contextmanager
def unpacked(source: Path) -> Iterator[tuple[Path, str | None]]:
    """``(folder, note)``: an archive unpacked into a temporary folder for the duration (``note``
    says so), anything else as it is (``note`` None)."""
    if not is_archive(source):
        yield source, None
        return
    tmp = Path(tempfile.mkdtemp(prefix="sc-import-"))
    try:
        folder = tmp / archive_stem(source)
        folder.mkdir()
        try:
            unpack(source, folder)
        except FormatError as exc:
            raise FormatError(f"{source}: {exc}") if str(source) not in str(exc) else exc from exc
        entries = [e for e in folder.iterdir() if e.name not in IGNORED_FOLDERS and not e.name.startswith(".")]
        if len(entries) == 1 and entries[0].is_dir():  # the archive of one folder: that folder
            folder = entries[0]
        yield folder, f"{source}: unpacked into a temporary folder ({folder}), removed after the import"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _is_note(path: Path) -> bool:
    name = path.name.lower()
    return path.is_file() and (name.startswith(NOTE_PREFIXES) or name.endswith(NOTE_SUFFIXES))


def single_dataset_folder(path: Path) -> Path | None:
    """The one folder inside ``path`` when there is at least one README/LICENSE-like file beside it
    and nothing else (a downloaded repository); None otherwise. A folder holding only one folder
    is not enough: many formats keep a single subset folder (``training/``, ``test/``) in their root."""
    if not path.is_dir():
        return None
    entries = [e for e in path.iterdir() if e.name not in IGNORED_FOLDERS and not e.name.startswith(".")]
    folders = [e for e in entries if e.is_dir()]
    notes = [e for e in entries if _is_note(e)]
    if len(folders) != 1 or not notes or len(folders) + len(notes) != len(entries):
        return None
    return folders[0]


def holds_data_files(path: Path) -> bool:
    """Whether ``path`` directly holds files other than README/LICENSE-like ones (annotations a
    reader may not know, such as CSV tables)."""
    return path.is_dir() and any(e.is_file() and not e.name.startswith(".") and not _is_note(e)
                                 for e in path.iterdir())


def sub_folders(path: Path) -> list[Path]:
    """The folders directly inside ``path`` that could hold a dataset."""
    if not path.is_dir():
        return []
    return sorted(p for p in path.iterdir() if p.is_dir() and p.name not in IGNORED_FOLDERS
                  and not p.name.startswith("."))
