"""The ``yolo`` format reader: Ultralytics YOLO detection (boxes) and segmentation (polygons) datasets.

Every split of the YAML goes into one dataset, media keyed by their path relative to the dataset root
(as the dataset names it, through folder links). Image sizes are needed to turn normalized coordinates
into pixels; they come from the image headers, read with the label files in a thread pool. Problems of
one image or one line never stop the read: see :mod:`sc_importers_yolo.labelfile` for line rules.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sc_importers.formats import Detection, FormatError, FormatReader
from sc_importers.geometry.image_header import ImageHeaderError, image_size
from sc_importers.model import Dataset, Label, MediaItem, Problem
from sc_importers_yolo.config import YoloConfig, config_from_folder, config_from_yaml, find_config
from sc_importers_yolo.detect import detect_yolo
from sc_importers_yolo.labelfile import parse_label_text
from sc_importers_yolo.links import LinkedTree
from sc_importers_yolo.sources import ImageEntry, collect_sources, label_path, orphan_label_files, relative_key

UNLABELLED_MODES = ("keep", "skip")
#: Threads reading image headers and label files (I/O bound).
WORKERS = 16


@dataclass
class _Loaded:
    """An image's size (or why it could not be read) and its label file's text (None: no file)."""

    size: tuple[int, int] | None
    size_error: str | None
    label_file: Path
    text: str | None
    text_error: str | None


def _load(entry: ImageEntry, tree: LinkedTree) -> _Loaded:
    size, size_error = None, None
    try:
        size = image_size(entry.physical)
    except ImageHeaderError as exc:
        size_error = f"cannot read the image size: {exc}"
    label_file = tree.file(label_path(entry.logical))
    text, text_error = None, None
    if label_file.is_file():
        try:
            text = label_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            text_error = f"cannot read the label file: {exc}"
    return _Loaded(size, size_error, label_file, text, text_error)


class YoloReader(FormatReader):
    """Reads Ultralytics YOLO datasets (see the package README for layouts, options and problems)."""

    name = "yolo"
    description = ("Ultralytics YOLO txt labels: detection boxes and segmentation polygons "
                   "(data.yaml or images/ + labels/)")
    options = {
        "yolo_config": "the YOLO dataset YAML (Ultralytics' data.yaml); default: data.yaml, else the one *.yaml "
        "with 'names'",
        "unlabelled_images": "images without a label file: 'keep' (import them unannotated; the default) or "
        "'skip' (the default when the YAML says skip_if_label_file_missing: true)",
    }

    def detect(self, path: Path) -> Detection:
        return detect_yolo(Path(path))

    def read(self, path: Path, **options: str) -> Dataset:
        path = Path(path)
        unknown = set(options) - set(self.options)
        if unknown:
            raise FormatError(f"yolo reader: unknown option(s) {', '.join(sorted(unknown))}")
        mode = options.get("unlabelled_images")
        if mode is not None and mode not in UNLABELLED_MODES:
            raise FormatError(f"yolo reader: unlabelled_images must be keep or skip, got {mode!r}")
        config = _config(path, options.get("yolo_config"))
        tree = LinkedTree()
        sources = collect_sources(config, tree)
        dataset = Dataset(name=config.root.name or path.name, format=self.name, root=config.root)
        dataset.problems += config.problems + sources.problems
        if not sources.images:
            where = config.file or config.root
            raise FormatError(f"{where}: no images found ({', '.join(e for _, es in config.splits for e in es)})")
        skip = (mode or ("skip" if config.skip_missing_labels else "keep")) == "skip"

        with ThreadPoolExecutor(WORKERS) as pool:
            loaded = list(pool.map(lambda entry: _load(entry, tree), sources.images))
        used_ids: set[int] = set()
        skipped = 0
        for entry, got in zip(sources.images, loaded, strict=True):
            if skip and got.text is None and got.text_error is None:
                skipped += 1
                continue
            item = _item(entry, got, config, dataset, used_ids)
            dataset.add_items(item)

        for link, target in tree.followed.items():
            dataset.problems.append(Problem("warning", f"a text file naming {target} (a symlink checked out as a "
                                            "file); followed as that folder", str(link)))
        for orphan in orphan_label_files(sources, tree):
            lines = sum(1 for line in tree.file(orphan).read_text(encoding="utf-8", errors="replace").splitlines()
                        if line.strip())
            dataset.problems.append(Problem("warning", f"label file with no image; its {lines} annotation line(s) "
                                            "are not imported", str(orphan)))
        if skipped:
            why = (f"as {config.file.name} says skip_if_label_file_missing: true" if mode is None and config.file
                   else "as unlabelled_images=skip asks")
            dataset.problems.append(Problem("warning", f"{skipped} image(s) without a label file are not imported, "
                                            f"{why}; pass --unlabelled-images keep to import them unannotated",
                                            str(config.file or config.root)))
        dataset.labels = _labels(config, used_ids, dataset)
        return dataset


def _config(path: Path, yolo_config: str | None) -> YoloConfig:
    if not path.exists():
        raise FormatError(f"{path}: no such file or folder")
    if path.is_file():
        if path.suffix.lower() not in (".yaml", ".yml"):
            raise FormatError(f"{path}: not a YOLO dataset YAML nor a folder")
        return config_from_yaml(path)
    yaml_path = find_config(path, yolo_config)
    if yaml_path is not None:
        return config_from_yaml(yaml_path)
    if not LinkedTree().directory(path / "images").is_dir():
        raise FormatError(f"{path}: no YOLO dataset YAML with 'names' (data.yaml) and no images/ folder")
    return config_from_folder(path)


def _item(entry: ImageEntry, got: _Loaded, config: YoloConfig, dataset: Dataset, used_ids: set[int]) -> MediaItem:
    key = relative_key(entry.logical, config.root)
    item = MediaItem(path=entry.physical, key=key)
    if got.size is None:
        dataset.problems.append(Problem("error", got.size_error or "unreadable image", str(entry.physical), key))
        return item
    item.width, item.height = got.size
    if got.text_error:
        dataset.problems.append(Problem("error", got.text_error, str(got.label_file), key))
    if got.text is None:
        return item
    parsed = parse_label_text(got.text, config.names, item.width, item.height, config.keypoint_values)
    item.annotations = parsed.annotations
    used_ids |= parsed.class_ids
    for message in parsed.errors:
        dataset.problems.append(Problem("error", message, str(got.label_file), key))
    for message in parsed.warnings:
        dataset.problems.append(Problem("warning", message, str(got.label_file), key))
    return item


def _labels(config: YoloConfig, used_ids: set[int], dataset: Dataset) -> list[Label]:
    """Labels in class-id order (one per distinct name); without names, one per used id."""
    if config.names is None:
        dataset.problems.append(Problem("warning", "no names (data.yaml, classes.txt or obj.names): labels are "
                                        "named by class id", str(config.root)))
        return [Label(str(class_id)) for class_id in sorted(used_ids)]
    return [Label(name) for name in dict.fromkeys(config.names.values())]
