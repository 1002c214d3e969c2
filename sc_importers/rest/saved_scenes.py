"""Annotation scenes as backups save them -> neutral pixel annotations.

Geti 3 scenes (lower-case ``rectangle``/``polygon``/``full_image`` in pixels, ``[]`` for "no objects",
read as the empty label) are read too; :func:`saved_project` gives a Geti 3 ``project.json`` the 2.x shape.

SC 1.0 and Geti 2.x share one scene vocabulary (``annotations`` with ``labels`` and a ``shape`` of
type ``RECTANGLE``, ``ELLIPSE``, ``ROTATED_RECTANGLE`` or ``POLYGON``) but not its scale: SC 1.0
gives every coordinate relative to the media size (``x`` and ``width`` fractions of the width,
``y`` and ``height`` of the height), Geti 2.x in absolute pixels. For ``ROTATED_RECTANGLE``,
``x``/``y`` are the centre and ``width``/``height`` are scaled the same way. A full-image
rectangle, which is how both store an image-level label of a classification or anomaly task and an
empty label, stays a full-image :class:`~sc_importers.model.Rectangle`: the project-type builder
decides what it means.

Which scale a folder uses: its manifest's dialect says (:func:`normalized_for_dialect`); a folder
without one (geti-sdk's ``download_project_data``, the 2022 client) is judged as geti-sdk judges
it, from up to :data:`SAMPLE_FILES` scenes: all coordinates <= 1 means normalized
(:func:`looks_normalized`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sc_importers.model import EMPTY_LABEL, Annotation, Ellipse, Polygon, Rectangle, RotatedRectangle, Shape


class SceneError(ValueError):
    """An annotation scene cannot be read; the message names the annotation index."""


def _num(shape: dict[str, Any], key: str, where: str) -> float:
    value = shape.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SceneError(f"{where}: shape field {key!r} must be a number, got {value!r}")
    return float(value)


#: Dialects whose saved scenes are in normalized coordinates (True) or pixels (False).
_NORMALIZED = {"sc-v1": True, "geti-v1": False, "geti-v3": False}


def saved_project(project: Any) -> Any:
    """A backup's ``project.json`` in the 2.x shape (``pipeline`` with tasks): a Geti 3 ProjectView (one
    ``task``, no pipeline) is turned into it; anything else is returned as it is."""
    if isinstance(project, dict) and "pipeline" not in project and isinstance(project.get("task"), dict):
        from sc_importers.rest.geti_v3_records import RecordError, as_pipeline

        try:
            return as_pipeline(project)
        except RecordError:
            return project
    return project


def backup_dialect(project: Any, manifest_dialect: str | None) -> str | None:
    """The dialect a backup was taken from: its manifest's, else ``geti-v3`` for a Geti 3 ``project.json``
    (one ``task``, no pipeline), else unknown (None)."""
    if manifest_dialect:
        return manifest_dialect
    if isinstance(project, dict) and "pipeline" not in project and isinstance(project.get("task"), dict):
        return "geti-v3"
    return None


def _is_geti3_scene(scene: dict) -> bool:
    """A Geti 3 annotation answer (``annotations``, ``user_reviewed``, ``prediction_model_id``, no scene id)."""
    return "prediction_model_id" in scene and "id" not in scene
#: Scenes sampled to tell normalized from pixel coordinates when no manifest says (as geti-sdk).
SAMPLE_FILES = 50


def normalized_for_dialect(dialect: str | None) -> bool | None:
    """Whether a backup of ``dialect`` has normalized coordinates; None when there is no dialect
    (decide with :func:`looks_normalized`). Raises ``ValueError`` for a dialect it does not know."""
    if dialect is None:
        return None
    if dialect not in _NORMALIZED:
        raise ValueError(f"unknown dialect {dialect!r} (known: {', '.join(_NORMALIZED)})")
    return _NORMALIZED[dialect]


def _coordinates(scene: Any) -> Iterator[float]:
    for raw in (scene.get("annotations") if isinstance(scene, dict) else None) or []:
        shape = raw.get("shape") if isinstance(raw, dict) else None
        if not isinstance(shape, dict):
            continue
        for key in ("x", "y", "width", "height"):
            if isinstance(shape.get(key), int | float) and not isinstance(shape.get(key), bool):
                yield float(shape[key])
        for point in shape.get("points") or []:
            if isinstance(point, dict):
                yield from (float(point[k]) for k in ("x", "y")
                            if isinstance(point.get(k), int | float) and not isinstance(point.get(k), bool))


def looks_normalized(scenes: Iterable[Any]) -> bool:
    """True when every coordinate of the first :data:`SAMPLE_FILES` scenes is at most 1 (how
    geti-sdk tells a normalized folder from a pixel one); True as well when they have none."""
    for index, scene in enumerate(scenes):
        if index >= SAMPLE_FILES:
            break
        if any(value > 1.0 for value in _coordinates(scene)):
            return False
    return True


def to_pixels(shape: Any, width: int, height: int, where: str, normalized: bool = True) -> Shape:
    """One saved shape as a pixel shape of a ``width`` x ``height`` media item; ``normalized``
    False: the shape already is in pixels."""
    if not isinstance(shape, dict):
        raise SceneError(f"{where}: no shape")
    kind = shape.get("type")
    if kind in ("rectangle", "polygon", "full_image"):  # Geti 3: lower-case, always pixels
        return _geti3_shape(shape, kind, width, height, where)
    if not normalized:
        width = height = 1
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


def _geti3_shape(shape: dict, kind: str, width: int, height: int, where: str) -> Shape:
    if kind == "full_image":
        return Rectangle(0.0, 0.0, float(width), float(height))
    if kind == "rectangle":
        return Rectangle(*(_num(shape, k, where) for k in ("x", "y", "width", "height")))
    points = shape.get("points")
    if not isinstance(points, list) or len(points) < 3:
        raise SceneError(f"{where}: a polygon needs a 'points' list of at least 3 points")
    pixels = []
    for k, point in enumerate(points):
        if isinstance(point, list) and len(point) == 2:  # [x, y] pairs, as some Geti 3 examples show
            point = {"x": point[0], "y": point[1]}
        if not isinstance(point, dict):
            raise SceneError(f"{where}.points[{k}]: neither an object with x and y nor an [x, y] pair")
        pixels.append((_num(point, "x", f"{where}.points[{k}]"), _num(point, "y", f"{where}.points[{k}]")))
    return Polygon(tuple(pixels))


def scene_annotations(scene: Any, width: int, height: int, names: dict[str, str],
                      normalized: bool = True) -> list[Annotation]:
    """The annotations of one raw scene; ``names`` maps the old project's label ids (or, for
    labels without ids, each label's own name) to names.

    Raises :class:`SceneError` for a malformed scene, an unknown shape or an unknown label id.
    """
    if not isinstance(scene, dict) or not isinstance(scene.get("annotations"), list):
        raise SceneError("not an annotation scene: no 'annotations' list")
    if not scene["annotations"] and _is_geti3_scene(scene):  # Geti 3's "no objects": the empty label
        return [Annotation((EMPTY_LABEL,), Rectangle(0.0, 0.0, float(width), float(height)))]
    out = []
    for i, raw in enumerate(scene["annotations"]):
        where = f"annotations[{i}]"
        if not isinstance(raw, dict):
            raise SceneError(f"{where}: not an object")
        labels = raw.get("labels")
        if not isinstance(labels, list) or not labels:
            raise SceneError(f"{where}: no labels")
        label_names = [_label_name(label, names, f"{where}.labels[{j}]") for j, label in enumerate(labels)]
        out.append(Annotation(tuple(label_names), to_pixels(raw.get("shape"), width, height, where, normalized)))
    return out


def _label_name(label: Any, names: dict[str, str], where: str) -> str:
    """The project.json name of a scene's label: by its id; a label without an id (backups of the
    2022 client and of geti-sdk name labels only) by its name, which must be a label of project.json.
    A label project.json lists without an id (``names`` key ``name:<name>``: geti-sdk's and today's
    sc-export's project.json) is taken by the scene label's name whatever its (old) id."""
    if not isinstance(label, dict):
        raise SceneError(f"{where}: not an object")
    label_id, shown = label.get("id"), label.get("name")
    if isinstance(shown, str) and f"name:{shown}" in names and str(label_id) not in names:
        return shown
    if label_id is None and isinstance(shown, str):
        if shown in names.values():
            return shown
        raise SceneError(f"{where}: label {shown!r} (no id) is no label of project.json")
    if label_id is None or str(label_id) not in names:
        raise SceneError(f"{where}: label id {label_id!r} ({shown!r}) is no label of project.json")
    return names[str(label_id)]
