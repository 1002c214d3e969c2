"""Cheap detection of Ultralytics YOLO datasets: small YAML files and a sample of label lines.

Confidence scale (Datumaro's generic reader says 0.6 for YOLO, so the dedicated reader wins):

* 0.8: a dataset YAML with ``names`` whose splits exist and have a ``labels`` folder;
* 0.7: no YAML, but ``images/`` and ``labels/`` whose sampled ``*.txt`` lines are YOLO boxes or polygons;
* 0.5: a YAML with ``names`` whose images exist but no ``labels`` folder (unannotated, or elsewhere), or
  with a split that does not exist (Roboflow exports whose YAML names a folder under another name, which
  Datumaro's ``roboflow_yolo`` importer reads at 0.6);
* 0.3: a YAML this reader refuses (unreadable) or none of whose splits exists;
* 0.0-0.2: anything else.
"""

from __future__ import annotations

import os
from pathlib import Path

from sc_importers.formats import Detection, FormatError
from sc_importers_yolo.config import NAMES_FILES, config_from_yaml, find_config, has_names
from sc_importers_yolo.links import LinkedTree
from sc_importers_yolo.sources import label_path, resolve_entry

#: How many label files, and lines of each, detection looks at.
_SAMPLE_FILES = 20
_SAMPLE_LINES = 5


def detect_yolo(path: Path) -> Detection:
    """How likely ``path`` (a folder or a dataset YAML) is a YOLO dataset this reader can read."""
    if path.is_file():
        if path.suffix.lower() in (".yaml", ".yml") and has_names(path):
            return _judge_yaml(path)
        return Detection(0.0, [f"{path.name} is not a YAML with 'names'"])
    if not path.is_dir():
        return Detection(0.0, [f"{path} does not exist"])
    try:
        yaml_path = find_config(path, None)
    except FormatError as exc:
        return Detection(0.6, [str(exc)])
    if yaml_path is not None:
        return _judge_yaml(yaml_path)
    return _judge_folder(path)


def _judge_yaml(yaml_path: Path) -> Detection:
    try:
        config = config_from_yaml(yaml_path)
    except FormatError as exc:
        return Detection(0.3, [f"{yaml_path.name} has 'names' but cannot be read: {exc}"])
    tree = LinkedTree()
    found, labelled, missing = [], [], []
    for split, entries in config.splits:
        for entry in entries:
            logical, _ = resolve_entry(tree, config, entry)
            if logical is None:
                missing.append(f"{split}: {entry}")
            elif tree.directory(logical).is_dir():
                found.append(entry)
                if tree.directory(label_path(logical / "x.jpg").parent).is_dir():
                    labelled.append(entry)
            else:
                found.append(entry)
                labelled.append(entry)  # an image list: label folders are per listed image
    pose = " (pose: boxes only, keypoints are not imported)" if config.keypoint_values else ""
    if not found:
        return Detection(0.3, [f"{yaml_path.name} has 'names' but none of its splits exists"])
    if missing:  # a layout this reader cannot read whole: let a reader that can (Datumaro's roboflow_yolo) win
        return Detection(0.5, [f"{yaml_path.name} has 'names', but {', '.join(missing)} does not exist here: "
                               "this reader cannot read the whole dataset"])
    if not labelled:
        return Detection(0.5, [f"{yaml_path.name} has 'names' and images, but no 'labels' folder beside them"])
    return Detection(0.8, [f"{yaml_path.name} is a YOLO dataset YAML with names{pose}; "
                           f"{', '.join(labelled)} have a labels folder"])


def _line_kind(line: str) -> str | None:
    """'box', 'polygon', '' (blank) or None (not a YOLO label line)."""
    fields = line.split()
    if not fields:
        return ""
    try:
        class_id, values = float(fields[0]), [float(v) for v in fields[1:]]
    except ValueError:
        return None
    if not class_id.is_integer() or class_id < 0:
        return None
    if len(values) == 4:
        return "box"
    if len(values) >= 6 and len(values) % 2 == 0:
        return "polygon"
    return None


def _sample_label_files(labels: Path) -> list[Path]:
    sample: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(labels, followlinks=True):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(".txt") and name not in NAMES_FILES:
                sample.append(Path(dirpath) / name)
                if len(sample) >= _SAMPLE_FILES:
                    return sample
    return sample


def _judge_folder(folder: Path) -> Detection:
    tree = LinkedTree()
    if not tree.directory(folder / "images").is_dir():
        return Detection(0.0, ["no dataset YAML with 'names' and no images/ folder"])
    labels = tree.directory(folder / "labels")
    if not labels.is_dir():
        return Detection(0.1, ["images/ but no labels/ folder and no dataset YAML"])
    kinds: set[str] = set()
    for sample in _sample_label_files(labels):
        try:
            with sample.open(encoding="utf-8") as handle:
                lines = [next(handle, "") for _ in range(_SAMPLE_LINES)]
        except (OSError, UnicodeDecodeError):
            return Detection(0.1, [f"{sample.name} in labels/ is not a text file"])
        for line in lines:
            kind = _line_kind(line)
            if kind is None:
                return Detection(0.1, [f"{sample.name} in labels/ has a line that is not 'class x y w h' "
                                       "nor a YOLO polygon"])
            if kind:
                kinds.add(kind)
    if not kinds:
        return Detection(0.4, ["images/ and labels/ but no label lines to recognise"])
    shapes = " and ".join(sorted(kinds))
    return Detection(0.7, [f"images/ and labels/ with YOLO {shapes} lines, no dataset YAML"])
