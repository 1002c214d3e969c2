"""Reader for the Vitens colony-counting format (the Vitens Aeromonas dataset of the seed era).

Layout::

    <folder>/
      images/0123_plate.jpg
      annotation/0123_whatever.json     {"data": [{"labels": [{"name": ...}], "shapes": [...]}, ...]}

An image and an annotation file belong together when the part of their names before the first
``_`` is the same (``0123``). Coordinates in the JSON files are relative to the image size (0..1).

Conversions (the reader only produces the neutral model, in pixels; builders do the rest):

- ``point`` shapes: every ``{"x", "y", "r"}`` becomes an :class:`~sc_importers.model.Ellipse`.
  ``x`` and ``r`` along the horizontal axis are relative to the image **width**, ``y`` and ``r``
  along the vertical axis to the image **height**; that is, the ellipse's bounding box is
  ``(x - r, y - r, 2r, 2r)`` in relative coordinates, which is the box the seed-era converter
  made. On the (square) plate photos this is a circle; on a non-square image the same relative
  radius gives an ellipse. A circle reaching past the image border is clipped to the image (with
  a warning).
- ``polygon`` shapes become a :class:`~sc_importers.model.Polygon` with every point scaled the
  same way.

Problems: an image without an annotation file is unannotated (not a problem); an annotation file
matching no image is a warning; two annotation files for one image, malformed JSON, unknown shape
types and coordinates outside [0, 1] are errors naming the file (and the entry as
``data[i].shapes[j].points[k]``). An image with an error is left out of ``Dataset.items`` so that
a half-read annotation set is never uploaded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sc_importers.formats import Detection, FormatError, FormatReader
from sc_importers.geometry.clip import clip_box
from sc_importers.geometry.image_header import ImageHeaderError, image_size
from sc_importers.model import Annotation, Dataset, Ellipse, Label, MediaItem, Polygon, Problem, Shape

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}
IMAGES_DIR = "images"
ANNOTATION_DIR = "annotation"


class EntryError(ValueError):
    """One entry of an annotation file is malformed; the message names the entry."""


def name_prefix(file_name: str) -> str:
    """The part of a file name (without extension) before its first ``_``: the pairing key."""
    stem = Path(file_name).stem
    return stem.split("_", 1)[0]


def _is_visible_file(path: Path) -> bool:
    return path.is_file() and not path.name.startswith(".")


@dataclass
class _FileResult:
    """What one annotation file held: annotations, label names in order, warnings."""

    annotations: list[Annotation] = field(default_factory=list)
    label_names: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _number(value: Any, where: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EntryError(f"{where}: {name} must be a number, got {value!r}")
    return float(value)


def _relative(value: Any, where: str, name: str) -> float:
    number = _number(value, where, name)
    if not 0.0 <= number <= 1.0:
        raise EntryError(f"{where}: {name}={number} is outside [0, 1] (coordinates are relative)")
    return number


def _point_shape(point: Any, where: str, width: int, height: int, out: _FileResult) -> Shape:
    if not isinstance(point, dict):
        raise EntryError(f"{where}: a point must be an object with x, y and r, got {point!r}")
    x = _relative(point.get("x"), where, "x")
    y = _relative(point.get("y"), where, "y")
    r = _relative(point.get("r"), where, "r")
    left, top = (x - r) * width, (y - r) * height
    right, bottom = (x + r) * width, (y + r) * height
    if left < 0 or top < 0 or right > width or bottom > height:
        out.warnings.append(f"{where}: the circle reaches past the image border and is clipped to it")
        # the centre is inside the image (x, y in [0, 1]), so its box keeps an area unless r is 0
        left, top, right, bottom = clip_box(left, top, right, bottom, width, height) or (left, top, right, bottom)
    return Ellipse(left, top, right - left, bottom - top)


def _polygon_shape(points: list[Any], where: str, width: int, height: int) -> Shape:
    if len(points) < 3:
        raise EntryError(f"{where}: a polygon needs at least 3 points, got {len(points)}")
    pixels = []
    for k, point in enumerate(points):
        at = f"{where}.points[{k}]"
        if not isinstance(point, dict):
            raise EntryError(f"{at}: a polygon point must be an object with x and y, got {point!r}")
        x, y = _relative(point.get("x"), at, "x"), _relative(point.get("y"), at, "y")
        pixels.append((x * width, y * height))
    return Polygon(tuple(pixels))


def _entry_annotations(entry: Any, i: int, width: int, height: int, out: _FileResult) -> None:
    where = f"data[{i}]"
    if not isinstance(entry, dict):
        raise EntryError(f"{where}: an entry must be an object with labels and shapes")
    labels = entry.get("labels")
    if not isinstance(labels, list) or not labels:
        raise EntryError(f"{where}: 'labels' must be a non-empty list of {{'name': ...}}")
    names: list[str] = []
    for j, label in enumerate(labels):
        name = label.get("name") if isinstance(label, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise EntryError(f"{where}.labels[{j}]: label has no name")
        names.append(name)
    shapes = entry.get("shapes")
    if not isinstance(shapes, list):
        raise EntryError(f"{where}: 'shapes' must be a list")
    for j, shape in enumerate(shapes):
        at = f"{where}.shapes[{j}]"
        if not isinstance(shape, dict):
            raise EntryError(f"{at}: a shape must be an object with type and geometry")
        kind = shape.get("type")
        geometry = shape.get("geometry")
        points = geometry.get("points") if isinstance(geometry, dict) else None
        if kind not in ("point", "polygon"):
            raise EntryError(f"{at}: unknown shape type {kind!r} (expected 'point' or 'polygon')")
        if not isinstance(points, list):
            raise EntryError(f"{at}: geometry.points must be a list")
        if kind == "point":
            for k, point in enumerate(points):
                shape_px = _point_shape(point, f"{at}.points[{k}]", width, height, out)
                out.annotations.append(Annotation(tuple(names), shape_px))
        else:
            out.annotations.append(Annotation(tuple(names), _polygon_shape(points, at, width, height)))
    for name in names:
        if name not in out.label_names:
            out.label_names.append(name)


def read_annotation_file(path: Path, width: int, height: int) -> _FileResult:
    """Parse one Vitens annotation file for an image of ``width`` x ``height`` pixels.

    Raises :class:`EntryError` naming the entry (``data[i]...``) for malformed content.
    """
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EntryError(f"not valid JSON: {exc}") from exc
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise EntryError("the top level must be an object with a 'data' list")
    out = _FileResult()
    for i, entry in enumerate(body["data"]):
        _entry_annotations(entry, i, width, height, out)
    return out


class VitensReader(FormatReader):
    """Reads a Vitens colony-counting folder (``images/`` + ``annotation/``)."""

    name = "vitens"
    description = "Vitens colony counting: images/ + annotation/<prefix>_*.json with relative points/polygons"
    options: dict[str, str] = {}

    def detect(self, path: Path) -> Detection:
        """``images/`` and ``annotation/`` folders whose first JSON file has a top-level ``data`` list."""
        path = Path(path)
        if not path.is_dir():
            return Detection(0.0, ["not a folder"])
        images, annotation = path / IMAGES_DIR, path / ANNOTATION_DIR
        if not images.is_dir() or not annotation.is_dir():
            return Detection(0.0, ["no images/ and annotation/ folders"])
        first = next(iter(sorted(annotation.glob("*.json"))), None)
        if first is None:
            return Detection(0.3, ["images/ and annotation/ folders, but no JSON file in annotation/"])
        try:
            body = json.loads(first.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return Detection(0.2, [f"{first.name} is not valid JSON"])
        if isinstance(body, dict) and isinstance(body.get("data"), list):
            return Detection(0.9, [f"images/ and annotation/ folders; {first.name} has a 'data' list"])
        return Detection(0.2, [f"{first.name} has no top-level 'data' list"])

    def read(self, path: Path, **options: str) -> Dataset:
        """Read the folder into a :class:`Dataset` (pixel coordinates, one item per image)."""
        root = Path(path)
        images_dir, annotation_dir = root / IMAGES_DIR, root / ANNOTATION_DIR
        for folder in (images_dir, annotation_dir):
            if not folder.is_dir():
                raise FormatError(f"{folder}: folder missing (a Vitens dataset has images/ and annotation/)")
        dataset = Dataset(name=root.resolve().name, format=self.name, root=root)
        images = sorted(p for p in images_dir.iterdir() if _is_visible_file(p)
                        and p.suffix.lower() in IMAGE_EXTENSIONS)
        if not images:
            known = ", ".join(sorted(IMAGE_EXTENSIONS))
            raise FormatError(f"{images_dir}: no images found (extensions {known})")
        by_prefix: dict[str, list[Path]] = {}
        for ann_file in sorted(p for p in annotation_dir.iterdir() if _is_visible_file(p) and p.suffix == ".json"):
            by_prefix.setdefault(name_prefix(ann_file.name), []).append(ann_file)
        image_prefixes = {name_prefix(img.name) for img in images}
        for prefix, files in by_prefix.items():
            if prefix not in image_prefixes:
                for ann_file in files:
                    dataset.problems.append(Problem(
                        "warning", f"no image in images/ whose name starts with '{prefix}_'",
                        file=f"{ANNOTATION_DIR}/{ann_file.name}"))
        label_names: list[str] = []
        for image in images:
            item = self._read_item(root, image, by_prefix.get(name_prefix(image.name), []), dataset)
            if item is None:
                continue
            dataset.add_items(item)
            for ann in item.annotations:
                label_names.extend(n for n in ann.labels if n not in label_names)
        dataset.labels = [Label(name) for name in label_names]
        return dataset

    def _read_item(self, root: Path, image: Path, matches: list[Path], dataset: Dataset) -> MediaItem | None:
        key = f"{IMAGES_DIR}/{image.name}"
        if len(matches) > 1:
            files = ", ".join(f"{ANNOTATION_DIR}/{m.name}" for m in matches)
            dataset.problems.append(Problem(
                "error", f"several annotation files match this image: {files}", file=key, item=key))
            return None
        try:
            width, height = image_size(image)
        except ImageHeaderError as exc:
            dataset.problems.append(Problem("error", f"cannot read the image header: {exc}", file=key, item=key))
            return None
        item = MediaItem(path=image, key=key, width=width, height=height)
        if not matches:
            return item
        ann_file = f"{ANNOTATION_DIR}/{matches[0].name}"
        try:
            result = read_annotation_file(matches[0], width, height)
        except EntryError as exc:
            dataset.problems.append(Problem("error", str(exc), file=ann_file, item=key))
            return None
        dataset.problems.extend(Problem("warning", w, file=ann_file, item=key) for w in result.warnings)
        item.annotations = result.annotations
        return item
