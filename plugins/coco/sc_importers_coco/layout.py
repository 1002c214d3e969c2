"""Where the COCO annotation files and images of a dataset folder are, found cheaply.

Layouts accepted (``root`` is what the user points at):

* ``root/annotations/<kind>_<split>.json`` with images in ``root/images/<split>/``,
  ``root/<split>/``, ``root/images/`` or next to the json (COCO 2017: ``instances_val2017.json``
  + ``val2017/``; Datumaro/mmdet exports);
* ``root/<split>/_annotations.coco.json`` with the images beside it (Roboflow);
* ``root/<any>.json`` when it is the only COCO-shaped json there (labelme's ``annotations.json``);
* the json file itself.

With several splits of one kind (train + val) every split is read into one dataset. When the
folder holds several kinds, the first of :data:`KINDS` wins and the others are reported as
skipped. Several unrelated COCO-shaped json files are ambiguous: :func:`find_annotation_files`
raises a :class:`FormatError` listing them, and ``annotation_file`` picks one.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from sc_importers.formats import FormatError

#: Annotation file kinds we read, most useful first; the file name is ``<kind>_<split>.json``.
KINDS = ("instances", "person_keypoints", "stuff", "labels", "image_info")
#: Kinds that are COCO but not something we import (panoptic PNGs, captions).
UNSUPPORTED_KINDS = ("panoptic", "captions")
ROBOFLOW_NAME = "_annotations.coco.json"
HEAD_BYTES = 64 * 1024

_KIND_RE = re.compile(r"^(" + "|".join(KINDS + UNSUPPORTED_KINDS) + r")_(.+)\.json$")


@dataclass(frozen=True)
class AnnotationFile:
    """One COCO json to read: its path, kind (``instances`` ... or ``""``) and split name."""

    path: Path
    kind: str
    split: str


@dataclass(frozen=True)
class Head:
    """What the first and last bytes of a json file say about it."""

    has_images: bool
    has_annotations: bool
    has_categories: bool
    panoptic: bool
    labelme: bool

    @property
    def coco_keys(self) -> int:
        return self.has_images + self.has_annotations + self.has_categories


def read_head(path: Path) -> Head:
    """Look for the COCO top-level keys in the first and last :data:`HEAD_BYTES` of ``path``.

    Only these ends are read, never the whole file: COCO 2017 puts ``images`` (tens of MB) first
    and ``categories`` last, so the two ends show the keys even of a multi-GB file.
    """
    with open(path, "rb") as f:
        raw = f.read(HEAD_BYTES)
        f.seek(0, 2)
        size = f.tell()
        if size > HEAD_BYTES:  # COCO 2017 puts "categories" last: look at the tail too
            f.seek(max(HEAD_BYTES, size - HEAD_BYTES))
            raw += b"\n" + f.read(HEAD_BYTES)
    head = raw.decode("utf-8", errors="replace")
    stripped = head.lstrip()
    is_object = stripped.startswith("{")
    return Head(
        has_images=is_object and '"images"' in head,
        has_annotations=is_object and '"annotations"' in head,
        has_categories=is_object and '"categories"' in head,
        panoptic='"segments_info"' in head,
        labelme='"shapes"' in head and '"imagePath"' in head,
    )


def looks_like_coco(head: Head) -> bool:
    """A json head with an ``images`` key and one more COCO key, not labelme or panoptic."""
    return head.has_images and head.coco_keys >= 2 and not head.labelme and not head.panoptic


def classify(path: Path) -> AnnotationFile:
    """Kind and split of a json from its name (``instances_val2017.json`` -> instances, val2017)."""
    match = _KIND_RE.match(path.name)
    if match:
        return AnnotationFile(path, match.group(1), match.group(2))
    if path.name == ROBOFLOW_NAME:
        return AnnotationFile(path, "instances", path.parent.name)
    return AnnotationFile(path, "", path.stem)


def candidate_files(root: Path) -> list[AnnotationFile]:
    """Every json that could be a COCO annotation file of the folder ``root`` (names only)."""
    found: list[Path] = []
    annotations_dir = root / "annotations"
    if annotations_dir.is_dir():
        found.extend(p for p in sorted(annotations_dir.glob("*.json")) if _KIND_RE.match(p.name))
    found.extend(sorted(root.glob(f"*/{ROBOFLOW_NAME}")))
    found.extend(sorted(root.glob(ROBOFLOW_NAME)))
    if not found:
        found.extend(sorted(root.glob("*.json")))
    if not found and annotations_dir.is_dir():  # annotations/ with files named otherwise (e.g. PoseTrack)
        found.extend(sorted(annotations_dir.glob("*.json")))
    return [classify(p) for p in found]


def find_annotation_files(root: Path) -> tuple[list[AnnotationFile], list[AnnotationFile]]:
    """The json files to read for the folder ``root``, and the COCO files skipped in favour of them.

    Raises FormatError (listing what was found) when there is nothing to read or when several
    unrelated json files make the choice ambiguous.
    """
    candidates = candidate_files(root)
    if not candidates:
        raise FormatError(
            f"{root}: no COCO annotation file found (looked for annotations/<kind>_<split>.json, "
            f"*/{ROBOFLOW_NAME} and *.json); pass annotation_file (--annotation-file)"
        )
    for kind in KINDS:
        chosen = [c for c in candidates if c.kind == kind]
        if chosen:
            return chosen, [c for c in candidates if c.kind != kind]
    unnamed = [c for c in candidates if c.kind == ""]
    if not unnamed:
        names = ", ".join(str(c.path) for c in candidates)
        raise FormatError(
            f"{root}: only COCO panoptic/captions annotation files found ({names}); these hold no "
            f"boxes, polygons or labels that this reader imports"
        )
    coco_like = [c for c in unnamed if looks_like_coco(read_head(c.path))]
    if len(coco_like) == 1:
        return coco_like, []
    listed = "\n".join(f"  {c.path}" for c in (coco_like or unnamed))
    raise FormatError(
        f"{root}: {'several' if coco_like else 'no'} COCO-shaped json files; pass annotation_file (--annotation-file) "
        f"naming the one to read. Candidates:\n{listed}"
    )


def image_dirs(annotation: AnnotationFile, images_dir: Path | None, fallback: bool = True) -> list[Path]:
    """Folders in which a ``file_name`` of ``annotation`` is looked up, in order (with ``fallback``,
    also :func:`fallback_image_dirs`)."""
    dirs: list[Path] = []
    if images_dir is not None:
        dirs += [images_dir, images_dir / annotation.split]
    here = annotation.path.parent
    if here.name == "annotations":
        root = here.parent
        dirs += [root / "images" / annotation.split, root / annotation.split, root / "images", root]
    dirs.append(here)
    dirs += fallback_image_dirs(annotation, images_dir) if fallback else []
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def fallback_image_dirs(annotation: AnnotationFile, images_dir: Path | None) -> list[Path]:
    """Common places of the images beyond COCO's own layouts, tried last (only without
    ``images_dir``): ``images/`` beside the json (CVAT's export unpacked next to its XML), and the
    ``images/`` folder one level up (``<root>/json/x.json`` + ``<root>/images/``), each with the
    split's sub-folder first. Images found there are reported, naming the folder."""
    if images_dir is not None:
        return []
    here = annotation.path.parent
    return [here / "images" / annotation.split, here / "images",
            here.parent / "images" / annotation.split, here.parent / "images"]


#: Images of one annotation file from which its image folders are listed once instead of each
#: file looked up on its own (118,000 stat calls through pathlib took 1.0 s; a listing 0.1 s).
LIST_FROM = 1000


class ImageFinder:
    """Which of ``dirs`` holds an image file, and the file's path and item key (its path relative
    to ``root``: :func:`item_key`).

    The folder found last is looked in first next time. With ``expected`` >= :data:`LIST_FROM`
    images, a folder is listed once (``os.scandir``) and a plain file name (no ``/``) is looked up
    in the listing; a name it lacks, and any other name, is checked with a ``stat`` as before, so
    the answer is the file system's either way."""

    def __init__(self, dirs: list[Path], root: Path, expected: int) -> None:
        self.dirs = list(dirs)
        self._root = root
        self._listings: dict[Path, set[str]] | None = {} if expected >= LIST_FROM else None
        self._prefixes: dict[Path, tuple[str, str]] = {}

    def find(self, file_name: str) -> tuple[Path, str, str] | None:
        """(folder, path, key) of ``file_name``, or None when no folder holds it as a file."""
        simple = "/" not in file_name and file_name not in (".", "..")
        for d in self.dirs:
            if not (simple and self._listed(d, file_name)) and not (d / file_name).is_file():
                continue
            if d is not self.dirs[0]:
                self.dirs.remove(d)
                self.dirs.insert(0, d)
            if not simple:
                path = d / file_name
                return d, str(path), item_key(path, self._root)
            folder, prefix = self._prefixes.get(d) or self._prefixes.setdefault(d, (str(d), item_key(d, self._root)))
            return d, os.path.join(folder, file_name), file_name if prefix == "." else f"{prefix}/{file_name}"
        return None

    def find_all(self, names: list[str]) -> tuple[Path, list[str], list[str]] | None:
        """(folder, paths, keys) when one folder's listing holds every one of ``names`` (plain file
        names) and the folders :meth:`find` looks in before it do not exist: what :meth:`find` gives
        for each, in one go. None otherwise (then ask :meth:`find`)."""
        if self._listings is None or "/" in "\n".join(names) or not {".", ".."}.isdisjoint(names):
            return None
        for d in self.dirs:
            if not d.is_dir():
                continue  # find's stat of a file in it fails too
            self._listed(d, "")
            if not self._listings[d].issuperset(names):
                return None  # some may be here, others elsewhere: find says which
            self.dirs.remove(d)
            self.dirs.insert(0, d)
            folder, prefix = self._prefixes.get(d) or self._prefixes.setdefault(d, (str(d), item_key(d, self._root)))
            base = folder if folder.endswith("/") else folder + "/"
            paths = [base + name for name in names]  # os.path.join of a plain name, a quarter of its time
            return d, paths, list(names) if prefix == "." else [f"{prefix}/{name}" for name in names]
        return None

    def _listed(self, folder: Path, name: str) -> bool:
        if self._listings is None:
            return False
        names = self._listings.get(folder)
        if names is None:
            names = self._listings[folder] = set()
            try:
                with os.scandir(folder) as entries:
                    names.update(e.name for e in entries if e.is_file())
            except OSError:
                pass  # every name is then checked with a stat
        return name in names


def item_key(path: Path, root: Path) -> str:
    """An item's key: the path of its image relative to the dataset root (absolute when outside it)."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
