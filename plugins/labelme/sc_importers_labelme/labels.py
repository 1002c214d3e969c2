"""Label lists of a labelme dataset: ``labels.txt`` / ``flags.txt`` and what the files use.

labelme's own tools take the label list from ``labels.txt`` (``labelme --labels``) and image-level
flags from ``flags.txt`` (``labelme --flags``), one name a line, usually next to the folder of
annotated data (``examples/bbox_detection/labels.txt`` beside ``data_annotated/``). Both files are
looked for in the dataset folder first, then in its parent. ``__ignore__`` and ``_background_``
are labelme conventions, not classes, and never become labels.

Flags are independent yes/no answers (a flag set on an image says nothing about the others), so
each flag label gets a label group of its own, ``flags: <name>``: on SC that is multi-label
classification. Shape labels stay in the task's default group.
"""

from __future__ import annotations

from pathlib import Path

from sc_importers.model import Label

#: labelme label names that are conventions, not classes.
RESERVED = ("__ignore__", "_background_")
LABELS_FILE = "labels.txt"
FLAGS_FILE = "flags.txt"


def find_list_file(root: Path, name: str) -> Path | None:
    """``root/name`` if it exists, else ``root/../name``, else None."""
    for folder in (root, root.parent):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def read_name_list(path: Path) -> list[str]:
    """The names in a labelme list file, in order, without blanks, duplicates and reserved names."""
    names: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        name = line.strip()
        if name and name not in RESERVED and name not in names:
            names.append(name)
    return names


def flag_group(name: str) -> str:
    """The label group of flag label ``name`` (one group per flag: multi-label)."""
    return f"flags: {name}"


def build_labels(shape_names: list[str], flag_names: list[str]) -> list[Label]:
    """Shape labels (default group) then flag labels (a group each); a name used both ways stays a shape label."""
    labels = [Label(name) for name in shape_names]
    labels += [Label(name, group=flag_group(name)) for name in flag_names if name not in shape_names]
    return labels
