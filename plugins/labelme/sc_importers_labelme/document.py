"""One labelme JSON file (already parsed) to a media item with its annotations.

The image is ``imagePath`` relative to the JSON file (labelme on Windows writes backslashes; they
are tried as ``/`` when the path as written does not exist). Its size comes from the image header;
``imageWidth``/``imageHeight`` disagreeing with it is a warning (the header wins: shapes were drawn
on the real image). A missing image is an error for that file even when ``imageData`` embeds the
picture: the reader never writes into the user's folder, so the embedded copy is not imported.

Image-level ``flags`` set to ``true`` become one shape-less annotation each; shapes become
:mod:`sc_importers_labelme.shapes`. Shapes with the same ``group_id`` (labelme's way of drawing
one object in several parts) stay separate annotations: SC 1.0 polygons have a single part.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

from sc_importers.geometry.image_header import ImageHeaderError, image_size
from sc_importers.model import Annotation, MediaItem, Problem
from sc_importers_labelme.labels import RESERVED
from sc_importers_labelme.shapes import UNSUPPORTED_TYPES, ImageContext, convert_shape, describe, shape_type


def is_labelme(data: object) -> TypeGuard[dict[str, Any]]:
    """Whether parsed JSON looks like a labelme annotation file (``shapes`` list and ``imagePath``)."""
    return isinstance(data, dict) and isinstance(data.get("shapes"), list) and "imagePath" in data


def resolve_image(json_path: Path, image_path: str) -> Path:
    """The image file ``imagePath`` names, relative to the JSON file (backslashes tried as ``/``)."""
    candidate = json_path.parent / image_path
    if not candidate.exists() and "\\" in image_path:
        candidate = json_path.parent / image_path.replace("\\", "/")
    return Path(os.path.normpath(candidate))


def media_key(image: Path, root: Path) -> str:
    """The item key: the image path relative to the dataset folder, with ``/``."""
    return Path(os.path.relpath(image, root)).as_posix()


@dataclass
class FileResult:
    """What one JSON file gave: its item (None when it cannot be imported) and what it used."""

    item: MediaItem | None = None
    shape_labels: list[str] = field(default_factory=list)
    flag_names: list[str] = field(default_factory=list)
    unsupported: Counter[str] = field(default_factory=Counter)
    reserved_shapes: int = 0
    problems: list[Problem] = field(default_factory=list)


def read_document(json_path: Path, data: dict, image: Path, key: str) -> FileResult:
    """Convert one labelme file whose image is ``image`` (keyed ``key``); problems name the JSON file."""
    result = FileResult()
    file = str(json_path)
    if not image.is_file():
        embedded = " (embedded imageData is not imported)" if data.get("imageData") else ""
        result.problems.append(Problem("error", f"image file missing: {image}{embedded}", file, key))
        return result
    try:
        width, height = image_size(image)
    except ImageHeaderError as exc:
        result.problems.append(Problem("error", f"cannot read image {image}: {exc}", file, key))
        return result
    declared = (data.get("imageWidth"), data.get("imageHeight"))
    if declared != (None, None) and declared != (width, height):
        result.problems.append(Problem(
            "warning", f"imageWidth x imageHeight {declared[0]}x{declared[1]} differs from the image's "
            f"{width}x{height}; the image's size is used", file, key))
    item = MediaItem(path=image, key=key, width=width, height=height)
    _read_flags(data.get("flags"), item, result, file)
    ctx = ImageContext(file, key, width, height, result.problems)
    for index, raw in enumerate(data["shapes"]):
        _read_shape(index, raw, item, result, ctx)
    result.item = item
    return result


def _read_flags(flags: object, item: MediaItem, result: FileResult, file: str) -> None:
    if flags is None:
        return
    if not isinstance(flags, dict):
        result.problems.append(Problem("error", f"'flags' must be an object {{name: true/false}}, got {flags!r}",
                                       file, item.key))
        return
    for name, value in flags.items():
        if name in RESERVED:
            continue
        result.flag_names.append(name)
        if not isinstance(value, bool):
            result.problems.append(Problem("error", f"flag {name!r} must be true or false, got {value!r}",
                                           file, item.key))
        elif value:
            item.annotations.append(Annotation((name,), None))


def _read_shape(index: int, raw: object, item: MediaItem, result: FileResult, ctx: ImageContext) -> None:
    if not isinstance(raw, dict):
        ctx.report("error", f"shape {index}", f"must be an object, got {type(raw).__name__}")
        return
    label = raw.get("label")
    if not isinstance(label, str) or not label.strip():
        ctx.report("error", describe(index, raw), "'label' must be a non-empty string")
        return
    if label in RESERVED:
        result.reserved_shapes += 1
        return
    kind = shape_type(raw)
    if kind in UNSUPPORTED_TYPES:
        result.unsupported[kind] += 1
        return
    shapes = convert_shape(index, raw, ctx)
    if shapes and label not in result.shape_labels:
        result.shape_labels.append(label)
    item.annotations.extend(Annotation((label,), shape) for shape in shapes)
