"""Shapes between Geti's absolute pixels and the normalized coordinates the store keeps.

Geti 2.x takes and gives shapes in pixels of the original media (and stores them normalized, as
this server does): POSTed shapes are divided by the media's width and height, answered shapes are
multiplied back and rounded to whole pixels, except rotated rectangles (4 decimals, ``angle``
included). The SC dialect reads the same stored scene normalized.
"""

from __future__ import annotations

import math

from sc_importers.server.errors import bad_request

SHAPE_TYPES = ("ELLIPSE", "RECTANGLE", "POLYGON", "ROTATED_RECTANGLE", "KEYPOINT")
_BOX = ("x", "y", "width", "height")


def _number(shape: dict, key: str, where: str) -> float:
    value = shape.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise bad_request(f"{where}: shape field {key!r} must be a finite number, got {value!r}.")
    return float(value)


def to_normalized(shape: object, width: int, height: int, where: str) -> dict:
    """The normalized form of a pixel ``shape`` of a ``width`` x ``height`` media item; 400 with
    Geti's messages for unknown types, negative or empty boxes and shapes out of bounds."""
    if not isinstance(shape, dict):
        raise bad_request(f"{where}: 'shape' must be an object.")
    kind = shape.get("type")
    if kind not in SHAPE_TYPES:
        raise bad_request(f"Shape type {kind} is not valid. Valid shape types are: {list(SHAPE_TYPES)}")
    if kind == "KEYPOINT":
        raise bad_request(f"{where}: KEYPOINT shapes need a keypoint detection task, which this server does not offer.")
    if kind == "POLYGON":
        points = shape.get("points")
        if not isinstance(points, list) or len(points) < 3:
            raise bad_request(f"{where}: a POLYGON needs a list of at least 3 points.")
        if len(points) > 5000:
            raise bad_request(f"Too many points in annotation: {len(points)} (at most 5000).")
        clean = []
        for point in points:
            if not isinstance(point, dict):
                raise bad_request(f"{where}: polygon points must be objects with x and y.")
            x, y = _number(point, "x", where), _number(point, "y", where)
            if x < 0 or y < 0 or x > width or y > height:
                raise bad_request(f"Polygon point out of bounds with coordinates x={x}, y={y}.")
            clean.append({"x": x / width, "y": y / height})
        return {"points": clean, "type": "POLYGON"}
    values = {key: _number(shape, key, where) for key in _BOX}
    if values["width"] < 1 or values["height"] < 1 or (kind != "ROTATED_RECTANGLE" and (values["x"] < 0
                                                                                        or values["y"] < 0)):
        raise bad_request(f"One or more {kind} shapes have invalid x: {values['x']}, y: {values['y']}, "
                          f"width: {values['width']} or height: {values['height']}.")
    dims = ", ".join(f"{k}={values[k]:g}" for k in _BOX)
    if kind == "ROTATED_RECTANGLE":  # x, y is the centre; it must lie inside the image
        if not (0 <= values["x"] <= width and 0 <= values["y"] <= height):
            raise bad_request(f"Shape out of bounds for annotation with type {kind} and dimensions {dims}")
        angle = _number(shape, "angle", where)
        return {"angle": angle, "height": values["height"] / height, "type": kind, "width": values["width"] / width,
                "x": values["x"] / width, "y": values["y"] / height}
    if values["x"] + values["width"] > width or values["y"] + values["height"] > height:
        raise bad_request(f"Shape out of bounds for annotation with type {kind} and dimensions {dims}")
    return {"height": values["height"] / height, "type": kind, "width": values["width"] / width,
            "x": values["x"] / width, "y": values["y"] / height}


def _whole(value: float) -> int:
    return int(round(value))


def to_pixels(shape: dict, width: int, height: int) -> dict:
    """The pixel form of a stored (normalized) shape, as Geti answers it (``type`` first)."""
    kind = shape["type"]
    if kind == "POLYGON":
        return {"type": kind, "points": [{"x": _whole(p["x"] * width), "y": _whole(p["y"] * height)}
                                         for p in shape["points"]]}
    if kind == "ROTATED_RECTANGLE":
        return {"type": kind, "x": round(shape["x"] * width, 4), "y": round(shape["y"] * height, 4),
                "width": round(shape["width"] * width, 4), "height": round(shape["height"] * height, 4),
                "angle": round(shape["angle"], 4)}
    return {"type": kind, "x": _whole(shape["x"] * width), "y": _whole(shape["y"] * height),
            "width": _whole(shape["width"] * width), "height": _whole(shape["height"] * height)}
