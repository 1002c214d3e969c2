"""Annotation scenes of a backup and of a server, as comparable views in pixels.

A backup's scenes are in its source dialect's scale (normalized for SC 1.0, pixels for Geti 2.x;
see :mod:`sc_importers.rest.saved_scenes`) and name labels by the old project's ids or by name; the
server's come through :meth:`ServerAPI.annotations_from_scene`. Both become sorted
``(labels, shape type, pixel coordinates)`` tuples, empty labels by their role (servers name them
differently: ``No Object``, ``No object``, ``Empty``), so a backup taken from one dialect verifies
against a project restored on another.
"""

from __future__ import annotations

import json
from pathlib import Path

from sc_importers.export.verify_mapped import Mapped
from sc_importers.model import EMPTY_LABEL, Annotation, Ellipse, Polygon, Rectangle, RotatedRectangle, Shape
from sc_importers.rest.base import RemoteMedia, RemoteProject, ServerAPI
from sc_importers.rest.saved_scenes import SceneError, looks_normalized, normalized_for_dialect, scene_annotations

#: How an empty label is named in views (its name differs between servers).
EMPTY = "(empty label)"


def _coords(shape: Shape | None, media: RemoteMedia) -> tuple[str, tuple[float, ...]]:
    if shape is None:  # a whole-media label
        shape = Rectangle(0.0, 0.0, float(media.width), float(media.height))
    if isinstance(shape, Polygon):
        return "POLYGON", tuple(v for point in shape.points for v in point)
    if isinstance(shape, RotatedRectangle):
        return "ROTATED_RECTANGLE", (shape.x, shape.y, shape.width, shape.height, shape.angle)
    kind = "ELLIPSE" if isinstance(shape, Ellipse) else "RECTANGLE"
    return kind, (shape.x, shape.y, shape.width, shape.height)


class SceneViews:
    """Turns saved and live scenes of one backup / project pair into comparable views."""

    def __init__(self, api: ServerAPI, project: RemoteProject, folder: Path, saved_project: dict,
                 dialect: str | None, tolerance: float, coordinate_step: float = 0.0, mapped: Mapped | None = None):
        self.api, self.project, self.tolerance, self.mapped = api, project, tolerance, mapped
        #: Pixels two coordinates may differ by when the server rounds what it answers to
        #: ``coordinate_step`` (0: no rounding allowed); and the (media id, frame) that needed it.
        self.rounding = coordinate_step / 2 + 1e-6 if coordinate_step else 0.0
        self.rounded: set[tuple[str, int | None]] = set()
        labels = [lb for t in saved_project["pipeline"]["tasks"] for lb in t.get("labels", [])]
        self.saved_names = {str(lb["id"]) if lb.get("id") is not None else f"name:{lb['name']}": lb["name"]
                            for lb in labels}
        self.saved_empty = {lb["name"] for lb in labels if lb.get("is_empty")} | {EMPTY_LABEL}
        self.live_empty = {lb.name for lb in project.labels if lb.is_empty}
        try:
            normalized = normalized_for_dialect(dialect)
        except ValueError:
            normalized = None
        if normalized is None:
            files = sorted((folder / "annotations").glob("*.json")) if (folder / "annotations").is_dir() else []
            normalized = looks_normalized(_load(p) for p in files)
        self.normalized = normalized

    def pixel_tolerance(self, media: RemoteMedia) -> float:
        """The tolerance (given relative to the media size) in pixels of ``media``; at least what a
        mapping server moves coordinates by (whole-pixel boxes)."""
        own = self.tolerance * max(media.width, media.height, 1)
        return max(own, self.mapped.adaptation.pixel_tolerance) if self.mapped else own

    def _view(self, annotations: list[Annotation], empty: set[str], media: RemoteMedia) -> list[tuple]:
        out = []
        for ann in annotations:
            labels = tuple(sorted(EMPTY if name in empty else name for name in ann.labels))
            out.append((labels, *_coords(ann.shape, media)))
        return sorted(out)

    def saved(self, scene: dict | None, media: RemoteMedia) -> list[tuple] | str:
        """The backup scene's view, or what is wrong with it."""
        if scene is None:
            return []
        try:
            annotations = scene_annotations(scene, media.width, media.height, self.saved_names, self.normalized)
        except SceneError as exc:
            return f"unreadable: {exc}"
        if self.mapped is not None:  # as the server holds it (chains, shapes, ...)
            annotations = self.mapped.adaptation.convert(annotations)
        return self._view(annotations, self.saved_empty, media)

    def live(self, scene: dict | None, media: RemoteMedia) -> list[tuple]:
        if scene is None:
            return []
        return self._view(self.api.annotations_from_scene(self.project, media, scene), self.live_empty, media)


def _load(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
