"""Raw SC 1.0 annotation scenes (normalized coordinates, old label ids) -> neutral annotations.

SC 1.0 gives every shape in coordinates relative to the media size: ``x`` and ``width`` are
fractions of the width, ``y`` and ``height`` of the height. For ``ROTATED_RECTANGLE``, ``x``/``y``
are the centre and ``width``/``height`` are scaled the same way (width by the media width, height
by the media height). A full-image rectangle (0, 0, 1, 1), which is how SC stores an image-level
label of a classification or anomaly task and an empty label, stays a full-image
:class:`~sc_importers.model.Rectangle`: the project-type builder decides what it means.
"""

from __future__ import annotations

from typing import Any

from sc_importers.model import Annotation, Ellipse, Polygon, Rectangle, RotatedRectangle, Shape


class SceneError(ValueError):
    """An annotation scene cannot be read; the message names the annotation index."""


def _num(shape: dict[str, Any], key: str, where: str) -> float:
    value = shape.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SceneError(f"{where}: shape field {key!r} must be a number, got {value!r}")
    return float(value)


def to_pixels(shape: Any, width: int, height: int, where: str) -> Shape:
    """One normalized SC shape as a pixel shape of a ``width`` x ``height`` media item."""
    if not isinstance(shape, dict):
        raise SceneError(f"{where}: no shape")
    kind = shape.get("type")
    if kind in ("RECTANGLE", "ELLIPSE", "ROTATED_RECTANGLE"):
        x, y = _num(shape, "x", where) * width, _num(shape, "y", where) * height
        w, h = _num(shape, "width", where) * width, _num(shape, "height", where) * height
        if kind == "RECTANGLE":
            return Rectangle(x, y, w, h)
        if kind == "ELLIPSE":
            return Ellipse(x, y, w, h)
        return RotatedRectangle(x, y, w, h, _num(shape, "angle", where))
    if kind == "POLYGON":
        points = shape.get("points")
        if not isinstance(points, list) or len(points) < 3:
            raise SceneError(f"{where}: a POLYGON needs a 'points' list of at least 3 points")
        pixels = []
        for k, point in enumerate(points):
            if not isinstance(point, dict):
                raise SceneError(f"{where}.points[{k}]: not an object with x and y")
            at = f"{where}.points[{k}]"
            pixels.append((_num(point, "x", at) * width, _num(point, "y", at) * height))
        return Polygon(tuple(pixels))
    raise SceneError(f"{where}: unknown shape type {kind!r}")


def scene_annotations(scene: Any, width: int, height: int, names: dict[str, str]) -> list[Annotation]:
    """The annotations of one raw scene; ``names`` maps the old project's label ids (or, for
    labels without ids, each label's own name) to names.

    Raises :class:`SceneError` for a malformed scene, an unknown shape or an unknown label id.
    """
    if not isinstance(scene, dict) or not isinstance(scene.get("annotations"), list):
        raise SceneError("not an annotation scene: no 'annotations' list")
    out = []
    for i, raw in enumerate(scene["annotations"]):
        where = f"annotations[{i}]"
        if not isinstance(raw, dict):
            raise SceneError(f"{where}: not an object")
        labels = raw.get("labels")
        if not isinstance(labels, list) or not labels:
            raise SceneError(f"{where}: no labels")
        label_names = [_label_name(label, names, f"{where}.labels[{j}]") for j, label in enumerate(labels)]
        out.append(Annotation(tuple(label_names), to_pixels(raw.get("shape"), width, height, where)))
    return out


def _label_name(label: Any, names: dict[str, str], where: str) -> str:
    """The project.json name of a scene's label: by its id; a label without an id (backups of the
    2022 client and of geti-sdk name labels only) by its name, which must be a label of project.json."""
    if not isinstance(label, dict):
        raise SceneError(f"{where}: not an object")
    label_id, shown = label.get("id"), label.get("name")
    if label_id is None and isinstance(shown, str):
        if shown in names.values():
            return shown
        raise SceneError(f"{where}: label {shown!r} (no id) is no label of project.json")
    if label_id is None or str(label_id) not in names:
        raise SceneError(f"{where}: label id {label_id!r} ({shown!r}) is no label of project.json")
    return names[str(label_id)]
