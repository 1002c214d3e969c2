"""The Ultralytics dataset YAML: finding it, and what it says (root, splits, class names).

Ultralytics calls it ``data.yaml``; real datasets also use other names (``config.yaml`` in
LightlyTrain's coco128), so any ``*.yaml`` / ``*.yml`` of the folder with a ``names`` key counts.
Without a YAML, a folder of ``images/`` + ``labels/`` is read with names from ``classes.txt`` or
``obj.names`` (Darknet / YOLO-mark style), if present.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sc_importers.formats import FormatError
from sc_importers.model import Problem

#: The split keys Ultralytics reads, in the order their images are listed.
SPLIT_KEYS = ("train", "val", "test")
#: Class-name files of YOLO layouts without a YAML, in order of preference.
NAMES_FILES = ("classes.txt", "obj.names")
#: YAML files bigger than this are not dataset configs (detection must stay cheap).
_MAX_YAML_BYTES = 1_000_000


@dataclass
class YoloConfig:
    """What a dataset YAML (or a bare folder) declares.

    ``root`` is the folder split entries are relative to; ``names`` maps class ids to label names
    (None: unknown, labels get named by id); ``splits`` are (split key, entries) where each entry is
    a folder, a txt list of images or an image, as written.
    """

    file: Path | None
    root: Path
    names: dict[int, str] | None
    splits: list[tuple[str, list[str]]]
    skip_missing_labels: bool = False
    problems: list[Problem] = field(default_factory=list)
    #: Pose datasets (``kpt_shape: [keypoints, dims]``): numbers after the box on each line; 0 otherwise.
    keypoint_values: int = 0


def yaml_candidates(folder: Path) -> list[Path]:
    """The folder's YAML files, ``data.yaml`` first."""
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".yaml", ".yml") and p.is_file())
    return sorted(files, key=lambda p: p.name.lower() not in ("data.yaml", "data.yml"))


def load_yaml(path: Path) -> dict[str, Any]:
    """Parse ``path``; a FormatError names the file (and the line for syntax errors)."""
    import yaml  # here, not at the top: listing the readers (sc-import --help) needs no YAML parser

    try:
        if path.stat().st_size > _MAX_YAML_BYTES:
            raise FormatError(f"{path}: too big for a YOLO dataset YAML ({path.stat().st_size} bytes)")
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}:" if mark is not None else ""
        raise FormatError(f"{path}:{where} not valid YAML: {getattr(exc, 'problem', None) or exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path}: cannot be read: {exc}") from exc
    if not isinstance(data, dict):
        raise FormatError(f"{path}: a YOLO dataset YAML must be a mapping with 'names' and 'train'/'val'")
    return data


def has_names(path: Path) -> bool:
    """Whether ``path`` parses as a mapping with a ``names`` key (False for anything unreadable)."""
    try:
        return "names" in load_yaml(path)
    except FormatError:
        return False


def find_config(folder: Path, yolo_config: str | None) -> Path | None:
    """The YAML to read for ``folder``: ``yolo_config`` when given, else ``data.yaml`` (even a broken
    one), else the one YAML with ``names``; None when there is none. Several candidates are an error
    listing them."""
    if yolo_config:
        path = Path(yolo_config)
        path = path if path.is_absolute() else folder / path
        if not path.is_file():
            raise FormatError(f"{path}: yolo_config (--yolo-config) names no file")
        return path
    files = yaml_candidates(folder)
    if files and files[0].name.lower() in ("data.yaml", "data.yml"):
        return files[0]  # Ultralytics' own name: read it even when broken, so the error names it
    candidates = [p for p in files if has_names(p)]
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0]
    names = ", ".join(p.name for p in candidates)
    raise FormatError(f"{folder}: several YOLO dataset YAMLs with 'names' ({names}); pass --yolo-config FILE")


def parse_names(raw: Any, where: str) -> dict[int, str]:
    """``names`` as a list (ids 0..n-1) or a mapping {id: name} with any integer ids."""
    if isinstance(raw, list):
        return {i: str(name) for i, name in enumerate(raw)}
    if isinstance(raw, dict):
        names: dict[int, str] = {}
        for key, name in raw.items():
            try:
                names[int(key)] = str(name)
            except (TypeError, ValueError):
                raise FormatError(f"{where}: names: class id {key!r} is not an integer") from None
        return dict(sorted(names.items()))
    raise FormatError(f"{where}: names must be a list or a mapping of class id to name, got {type(raw).__name__}")


def _names_problems(names: dict[int, str], nc: Any, where: str) -> list[Problem]:
    problems = []
    if nc is not None and nc != len(names):
        problems.append(Problem("warning", f"nc is {nc} but names lists {len(names)} classes; names is used", where))
    seen: dict[str, int] = {}
    for class_id, name in names.items():
        if name in seen:
            problems.append(Problem("warning", f"class ids {seen[name]} and {class_id} are both named {name!r}; "
                                    "both become one label", where))
        seen.setdefault(name, class_id)
    return problems


def _root(data: dict[str, Any], yaml_path: Path, problems: list[Problem]) -> Path:
    """``path`` of the YAML: relative to the YAML's folder; a path that does not exist here (the
    author's machine) falls back to the YAML's folder with a warning."""
    raw = data.get("path")
    if raw in (None, ""):
        return yaml_path.parent
    path = Path(str(raw))
    root = path if path.is_absolute() else yaml_path.parent / path
    if root.is_dir():
        return root
    problems.append(Problem("warning", f"path {raw!r} is not a folder here; split paths are taken relative to "
                            f"{yaml_path.parent} instead", str(yaml_path)))
    return yaml_path.parent


def config_from_yaml(yaml_path: Path) -> YoloConfig:
    """Read an Ultralytics dataset YAML."""
    data = load_yaml(yaml_path)
    where = str(yaml_path)
    problems: list[Problem] = []
    keypoint_values = _keypoint_values(data, where, problems)
    names: dict[int, str] | None
    if "names" in data:
        names = parse_names(data["names"], where)
        problems += _names_problems(names, data.get("nc"), where)
    elif isinstance(data.get("nc"), int):
        names = {i: str(i) for i in range(data["nc"])}
        problems.append(Problem("warning", f"no names, only nc={data['nc']}: labels are named by class id", where))
    else:
        raise FormatError(f"{where}: neither 'names' nor 'nc': the class names are unknown")
    splits: list[tuple[str, list[str]]] = []
    for key in SPLIT_KEYS:
        value = data.get(key)
        if value in (None, "", []):
            continue
        entries = value if isinstance(value, list) else [value]
        if not all(isinstance(e, str) for e in entries):
            raise FormatError(f"{where}: {key} must be a path or a list of paths, got {value!r}")
        splits.append((key, entries))
    if not splits:
        raise FormatError(f"{where}: no train, val or test entry: nothing says where the images are")
    root = _root(data, yaml_path, problems)
    return YoloConfig(yaml_path, root, names, splits, bool(data.get("skip_if_label_file_missing")), problems,
                      keypoint_values)


def _keypoint_values(data: dict[str, Any], where: str, problems: list[Problem]) -> int:
    """For a pose dataset (``kpt_shape: [keypoints, 2 or 3]``), how many numbers follow the box on a
    label line, with a warning that only the boxes are imported (SC 1.0 has no keypoint shape,
    as the coco reader says for keypoint files); 0 without ``kpt_shape``."""
    if "kpt_shape" not in data:
        return 0
    shape = data["kpt_shape"]
    if (not isinstance(shape, list) or len(shape) != 2 or not all(isinstance(v, int) for v in shape)
            or shape[0] < 1 or shape[1] not in (2, 3)):
        raise FormatError(f"{where}: kpt_shape must be [number of keypoints, 2 or 3], got {shape!r}")
    problems.append(Problem("warning", f"a YOLO pose dataset (kpt_shape {shape}): each line's box is imported, "
                            f"its {shape[0]} keypoints are not (SC 1.0 has no keypoint shape)", where))
    return shape[0] * shape[1]


def config_from_folder(folder: Path) -> YoloConfig:
    """A folder without YAML: every image under ``images/``; names from classes.txt / obj.names."""
    problems: list[Problem] = []
    names: dict[int, str] | None = None
    for candidate in NAMES_FILES:
        for place in (folder / candidate, folder / "labels" / candidate):
            if place.is_file():
                lines = [ln.strip() for ln in place.read_text(encoding="utf-8").splitlines()]
                names = {i: name for i, name in enumerate(ln for ln in lines if ln)}
                break
        if names is not None:
            break
    return YoloConfig(None, folder, names, [("images", ["images"])], False, problems)
