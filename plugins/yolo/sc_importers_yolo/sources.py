"""Which images a YOLO dataset holds, where their label files are, and which label files have no image.

A split entry is a folder (every image below it, recursively), a ``.txt`` file listing images (one
path a line; ``./x`` relative to the list's folder, other relative paths relative to the list's
folder or else the dataset root) or a single image. Ultralytics also retries an entry starting with
``../`` without it (Roboflow exports write ``../train/images`` next to the YAML); so does this, and
says so in a warning.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sc_importers.model import Problem
from sc_importers_yolo.config import NAMES_FILES, YoloConfig
from sc_importers_yolo.links import LinkedTree

#: Image extensions Ultralytics reads that an SC server accepts.
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}


@dataclass
class ImageEntry:
    """One image to import: its logical path (as the dataset names it) and the file on disk."""

    logical: Path
    physical: Path
    split: str


@dataclass
class Sources:
    """The images of all splits (duplicates removed), the label folders seen, and problems."""

    images: list[ImageEntry] = field(default_factory=list)
    label_dirs: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def label_path(image: Path) -> Path:
    """Ultralytics' rule: the last ``images`` component becomes ``labels``, the extension ``.txt``.
    An image path without an ``images`` component has its label file beside it."""
    parts = list(image.parts)
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] == "images":
            parts[i] = "labels"
            break
    return Path(*parts).with_suffix(".txt")


def _walk_images(tree: LinkedTree, logical_dir: Path) -> list[ImageEntry]:
    physical_dir = tree.directory(logical_dir)
    found = []
    for dirpath, dirnames, filenames in os.walk(physical_dir, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel = Path(dirpath).relative_to(physical_dir)
        for name in sorted(filenames):
            if Path(name).suffix.lower() in IMAGE_EXTENSIONS and not name.startswith("."):
                found.append(ImageEntry(logical_dir / rel / name, Path(dirpath) / name, ""))
    return found


def _listed_images(tree: LinkedTree, list_file: Path, root: Path, problems: list[Problem]) -> list[ImageEntry]:
    physical = tree.file(list_file)
    found = []
    for number, line in enumerate(physical.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.strip()
        if not text:
            continue
        path = Path(text)
        if path.is_absolute():
            options = [path]
        else:
            stripped = text[2:] if text.startswith("./") else text
            options = [list_file.parent / stripped, root / stripped]
        logical = next((p for p in options if tree.file(p).is_file()), None)
        if logical is None:
            problems.append(Problem("error", f"line {number}: image {text} not found", str(list_file), text))
            continue
        found.append(ImageEntry(logical, tree.file(logical), ""))
    return found


def entry_candidates(config: YoloConfig, entry: str) -> list[Path]:
    """Where a split entry may be, in order: as written relative to the dataset root (the YAML's
    ``path``, else its folder), relative to the YAML's folder, then, for an entry starting with
    ``../``, without it relative to the root (Roboflow writes ``../train/images`` next to the YAML)."""
    if Path(entry).is_absolute():
        return [Path(entry)]
    candidates = [config.root / entry]
    if config.file is not None and config.file.parent != config.root:
        candidates.append(config.file.parent / entry)
    if entry.startswith("../"):
        candidates.append(config.root / entry[3:])
    return list(dict.fromkeys(candidates))


def resolve_entry(tree: LinkedTree, config: YoloConfig, entry: str) -> tuple[Path | None, list[Path]]:
    """The first of :func:`entry_candidates` that exists (None if none does), and every candidate."""
    candidates = entry_candidates(config, entry)
    for candidate in candidates:
        if tree.directory(candidate).is_dir() or tree.file(candidate).is_file():
            return candidate, candidates
    return None, candidates


def collect_sources(config: YoloConfig, tree: LinkedTree) -> Sources:
    """Every image of every split of ``config``; a split entry that does not exist is an error
    naming the YAML (the other splits are still read); an image listed twice is imported once."""
    out = Sources()
    where = str(config.file or config.root)
    seen: dict[Path, str] = {}
    for split, entries in config.splits:
        for entry in entries:
            path, tried = resolve_entry(tree, config, entry)
            if path is None:
                out.problems.append(Problem("error", f"{split}: {entry} is neither a folder nor a file "
                                            f"(tried {', '.join(map(str, tried))})", where))
                continue
            if path != tried[0]:
                out.problems.append(Problem("warning", f"{split}: {entry} does not exist as written; read "
                                            f"{path} instead (Roboflow exports write paths one level off)",
                                            where))
            if tree.directory(path).is_dir():
                images = _walk_images(tree, path)
                out.label_dirs.append(label_path(path / "x.jpg").parent)
            elif path.suffix.lower() == ".txt":
                images = _listed_images(tree, path, config.root, out.problems)
            else:
                images = [ImageEntry(path, tree.file(path), "")]
            for image in images:
                key = image.physical.resolve()
                if key in seen:
                    out.problems.append(Problem("warning", f"listed again in {split} (first in {seen[key]}); "
                                                "imported once", where, relative_key(image.logical, config.root)))
                    continue
                seen[key] = split
                image.split = split
                out.images.append(image)
    return out


def relative_key(logical: Path, root: Path) -> str:
    """The media key: the logical path relative to the dataset root, with forward slashes."""
    return Path(os.path.relpath(logical, root)).as_posix()


def orphan_label_files(sources: Sources, tree: LinkedTree) -> list[Path]:
    """Label files under the label folders of folder splits that belong to no listed image."""
    wanted = {label_path(image.logical) for image in sources.images}
    orphans = []
    for logical_dir in dict.fromkeys(sources.label_dirs):
        physical_dir = tree.directory(logical_dir)
        if not physical_dir.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(physical_dir, followlinks=True):
            dirnames.sort()
            rel = Path(dirpath).relative_to(physical_dir)
            for name in sorted(filenames):
                if name.endswith(".txt") and name not in NAMES_FILES:
                    logical = logical_dir / rel / name
                    if logical not in wanted:
                        orphans.append(logical)
    return orphans
