"""The ``media`` format reader: every image and video below a folder, without annotations.

What it is for: a project of media to annotate on the server. The dataset has no labels; give
them with ``--add-labels a,b`` (without, the dry run says "no labels to import"). Folders are
walked recursively; keys are paths below the folder, so ``a/x.jpg`` and ``b/x.jpg`` stay apart.
Video sizes are read from the container header (:func:`sc_importers.geometry.video.probe_video`);
an unreadable video is an error for that item only.

Auto-detection: 0.5 for a folder holding media and no file that looks like annotations (json,
xml, txt, csv, yaml, mat): any real format reader that recognises the folder is more confident.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from sc_importers.extras import require_for_videos
from sc_importers.formats import Detection, FormatError, FormatReader
from sc_importers.geometry.video import VideoProbeError, probe_video
from sc_importers.model import Dataset, MediaItem, Problem

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".jfif"}
VIDEO_EXTENSIONS = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv"}
#: Files that mean the folder holds annotations of some format: media alone is a weak guess then.
ANNOTATION_EXTENSIONS = {".json", ".xml", ".txt", ".csv", ".yaml", ".yml", ".mat", ".ndjson"}
#: Files looked at by detect() at most (big folders).
MAX_DETECT_FILES = 20_000
SKIPPED_DIRS = {"__MACOSX", ".git"}
#: Names of files that come with downloaded data and say nothing about annotations.
NOTE_NAMES = ("readme", "license", "licence", "source", "copying", "notice", "authors", "citation")


def looks_like_annotations(file: Path) -> bool:
    """A file of an annotation-ish type that is not a README, LICENSE or the like."""
    return file.suffix.lower() in ANNOTATION_EXTENSIONS and not file.stem.lower().startswith(NOTE_NAMES)


def _walk(root: Path, limit: int | None = None) -> Iterator[Path]:
    seen = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            yield Path(dirpath) / name
            seen += 1
            if limit is not None and seen >= limit:
                return


def media_kind(path: Path) -> str | None:
    """``image``, ``video`` or None, by the file's extension."""
    suffix = path.suffix.lower()
    return "image" if suffix in IMAGE_EXTENSIONS else "video" if suffix in VIDEO_EXTENSIONS else None


class MediaReader(FormatReader):
    """Reads every image and video below a folder (or one media file), unannotated."""

    name = "media"
    description = "A folder of images and videos without annotations (recursive; labels with --add-labels)"
    options: dict[str, str] = {}

    def detect(self, path: Path) -> Detection:
        path = Path(path)
        if path.is_file():
            kind = media_kind(path)
            return Detection(0.5 if kind else 0.0, [f"{path.name} is {'a ' + kind if kind else 'no media'} file"])
        if not path.is_dir():
            return Detection(0.0, [f"{path} does not exist"])
        images = videos = annotations = 0
        for file in _walk(path, MAX_DETECT_FILES):
            kind = media_kind(file)
            images += kind == "image"
            videos += kind == "video"
            annotations += looks_like_annotations(file)
        found = f"{images} images and {videos} videos"
        if not images and not videos:
            return Detection(0.0, ["no image or video file"])
        if annotations:
            return Detection(0.2, [f"{found}, but also {annotations} files that may be annotations "
                                   "(json, xml, txt, ...): read without annotations only with --format media"])
        return Detection(0.5, [f"{found} without annotation files: unannotated media (labels: --add-labels)"])

    def read(self, path: Path, **options: str) -> Dataset:
        path = Path(path)
        if not path.exists():
            raise FormatError(f"{path}: no such file or folder")
        root = path if path.is_dir() else path.parent
        dataset = Dataset(name=root.name if path.is_dir() else path.stem, format=self.name, root=root)
        files = [path] if path.is_file() else list(_walk(path))
        require_for_videos([file for file in files if media_kind(file) == "video"], path)
        for file in files:
            kind = media_kind(file)
            if kind is None:
                continue
            key = file.relative_to(root).as_posix()
            if kind == "image":
                dataset.add_items(MediaItem(file, key))
                continue
            try:
                info = probe_video(file, count_frames=False)  # only the size: no need to read the file
            except VideoProbeError as exc:
                dataset.problems.append(Problem("error", f"unreadable video ({exc}); skipped", str(file), key))
                continue
            dataset.add_items(MediaItem(file, key, kind="video", width=info.width, height=info.height))
        if not dataset.items:
            known = ", ".join(sorted(IMAGE_EXTENSIONS | VIDEO_EXTENSIONS))
            raise FormatError(f"{path}: no image or video file ({known})")
        return dataset
