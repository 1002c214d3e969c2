"""Comparable views of project folders written by geti-sdk's ``download_project_data`` and by our ``sc-export``.

Standard library only: imported by the scripts that run in geti-sdk's venv (geti_sdk_roundtrip.py) and by the
pytest side (test_geti_sdk_interop.py), which runs in the project's environment.

- media: {file stem: bytes} (geti-sdk names every image ``.jpg`` and every video ``.mp4`` whatever its format;
  sc-export names them by their bytes), or {relative path: bytes} between two geti-sdk downloads;
- labels: per label ``name``, ``color``, ``group``, ``is_empty``, ``is_anomalous`` and the parent's name;
- annotations: {file stem: sorted (label names, shape)} in pixels.
"""

from __future__ import annotations

import json
from pathlib import Path

LABEL_KEYS = ("name", "color", "group", "is_empty", "is_anomalous", "parent_id")
#: geti-sdk reads every coordinate rounded to a whole pixel (``round(value, 0)``, half to even), so a shape read
#: by geti-sdk may be up to half a pixel from the one a server holds, per coordinate.
SDK_ROUNDING = 0.5


def canonical(label_names: list[str], shape: dict) -> str:
    """One annotation as a comparable string: label names and shape, ``10.0`` written as ``10``."""
    return json.dumps([sorted(label_names), _whole(shape)], sort_keys=True)


def _whole(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _whole(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole(item) for item in value]
    return value


def canonical_annotations(folder: Path) -> dict[str, list]:
    """{annotation file stem: sorted canonical annotations} of a folder's ``annotations/*.json`` (label names as
    the scene labels carry them: geti-sdk writes them, and so does sc-export)."""
    result = {}
    for path in sorted((folder / "annotations").glob("*.json")):
        scene = json.loads(path.read_text())
        result[path.stem] = sorted(canonical([label["name"] for label in annotation["labels"]],
                                             _shape_only(annotation["shape"]))
                                   for annotation in scene["annotations"])
    return result


def _shape_only(shape: dict) -> dict:
    keys = ("type", "x", "y", "width", "height", "angle", "points")
    return {key: ([{"x": p["x"], "y": p["y"]} for p in shape[key]] if key == "points" else shape[key])
            for key in keys if key in shape}


def labels_of(folder: Path) -> list[dict]:
    """The labels of a folder's ``project.json`` (parent by name: both tools write it so), sorted by name."""
    project = json.loads((folder / "project.json").read_text())
    labels = [label for task in project["pipeline"]["tasks"] for label in task.get("labels", [])]
    return sorted(({k: label.get(k) for k in LABEL_KEYS} for label in labels), key=lambda label: label["name"])


def media_of(folder: Path) -> dict[str, bytes]:
    """{``images/<dataset>/<name>.jpg`` or ``videos/<dataset>/<name>.mp4``: bytes} of a download or source."""
    return {str(path.relative_to(folder)): path.read_bytes()
            for kind in ("images", "videos", "media") for path in sorted((folder / kind).rglob("*")) if path.is_file()}


def media_by_stem(folder: Path) -> dict[str, bytes]:
    """{file stem: bytes} of a folder's media (names differ only by extension between the two tools)."""
    return {Path(name).stem: data for name, data in media_of(folder).items()}


def annotation_differences(ours: dict[str, list], theirs: dict[str, list], tolerance: float) -> list[str]:
    """What differs between two {stem: sorted canonical annotations}, coordinates within ``tolerance`` pixels
    counting as equal (same labels, shape types and point counts required)."""
    problems = [f"{stem}: only in {'the first' if stem in ours else 'the second'}"
                for stem in sorted(set(ours) ^ set(theirs))]
    for stem in sorted(set(ours) & set(theirs)):
        mine, other = _ordered(ours[stem], tolerance), _ordered(theirs[stem], tolerance)
        if len(mine) != len(other) or not all(_close(a, b, tolerance) for a, b in zip(mine, other, strict=True)):
            problems.append(f"{stem}: {ours[stem]} != {theirs[stem]}")
    return problems


def _ordered(items: list[str], tolerance: float) -> list:
    """Annotations as [labels, shape], ordered by labels, shape type and coordinates rounded to the tolerance."""
    parsed = [json.loads(item) for item in items]
    step = max(2 * tolerance, 1e-9)
    return sorted(parsed, key=lambda item: json.dumps([item[0], _rounded(item[1], step)], sort_keys=True))


def _rounded(value, step: float):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return round(value / step)
    if isinstance(value, dict):
        return {key: _rounded(item, step) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item, step) for item in value]
    return value


def _close(a, b, tolerance: float) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) <= tolerance + 1e-9
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[key], b[key], tolerance) for key in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y, tolerance) for x, y in zip(a, b, strict=True))
    return a == b


def media_by_kind(folder: Path) -> dict[str, bytes]:
    """{``images/<stem>`` or ``videos/<stem>``: bytes}: media regardless of the dataset folder they are in."""
    return {f"{Path(name).parts[0]}/{Path(name).stem}": data for name, data in media_of(folder).items()}


def labels_by_role(labels: list[dict]) -> list[dict]:
    """``labels`` with each empty label reduced to its role: the server creates it (SC 1.0: ``No Object`` in a
    colour of its choosing, Geti 2.x: ``No object`` in black) and no API sets its name, colour or group."""
    return [{"is_empty": True} if label["is_empty"] else label for label in labels]


def media_differences(first: dict[str, bytes], second: dict[str, bytes]) -> str:
    """The names only one of two media maps has, and those whose bytes differ ('' when equal)."""
    only = sorted(set(first) ^ set(second))
    changed = sorted(name for name in set(first) & set(second) if first[name] != second[name])
    return "" if not only and not changed else f"only in one: {only[:5]} ({len(only)}), bytes differ: {changed[:5]}"
