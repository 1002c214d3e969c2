"""Helpers for the end-to-end import tests: a logged-in API on the shared local server, and a view
of what the server holds, read back as the server sends it (raw JSON).

The expected side is computed in the tests from ground truth (the synthetic generator's own
record of what it drew, or simple rules per project type), never by calling the builders, so a
wrong conversion or a wrong normalization shows up as a difference.

Dialects: the local server speaks SC 1.0 (normalized coordinates, user and password) and Geti 2.x
(pixel coordinates rounded to whole pixels, a personal access token). A test module runs against
both with ``pytestmark = pytest.mark.both_dialects`` (each of its tests that uses the server, through
``api``, ``connection`` or ``dialect``, runs once per dialect); ``flat.expected`` then gives the
expected side in the coordinates of the dialect under test, and ``connection`` the CLI arguments.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sc_importers.model import Annotation, Ellipse, Polygon, RotatedRectangle
from sc_importers.rest.base import RemoteProject, ServerAPI

TOLERANCE = 1e-6
#: Geti returns pixel coordinates rounded to whole pixels (rotated rectangles' angles to 4 decimals).
PIXEL_TOLERANCE = 0.5 + 1e-6

#: One annotation as compared: (sorted label names, shape type, normalized numbers).
Flat = tuple[tuple[str, ...], str, tuple[float, ...]]


def normalized(annotation: Annotation, width: int, height: int) -> Flat:
    """An expected pixel annotation in the form the server's raw scene is compared in."""
    shape = annotation.shape
    labels = tuple(sorted(annotation.labels))
    if shape is None:  # image-level: SC stores a full-image rectangle
        return labels, "RECTANGLE", (0.0, 0.0, 1.0, 1.0)
    if isinstance(shape, Polygon):
        return labels, "POLYGON", tuple(v for x, y in shape.points for v in (x / width, y / height))
    if isinstance(shape, RotatedRectangle):
        return labels, "ROTATED_RECTANGLE", (shape.x / width, shape.y / height, shape.width / width,
                                             shape.height / height, shape.angle)
    kind = "ELLIPSE" if isinstance(shape, Ellipse) else "RECTANGLE"
    return labels, kind, (shape.x / width, shape.y / height, shape.width / width, shape.height / height)


def in_pixels(annotation: Annotation, width: int, height: int) -> Flat:
    """An expected pixel annotation in the form a Geti raw scene is compared in."""
    shape = annotation.shape
    labels = tuple(sorted(annotation.labels))
    if shape is None:  # image-level: a full-image rectangle
        return labels, "RECTANGLE", (0.0, 0.0, float(width), float(height))
    if isinstance(shape, Polygon):
        return labels, "POLYGON", tuple(float(v) for p in shape.points for v in p)
    if isinstance(shape, RotatedRectangle):
        return labels, "ROTATED_RECTANGLE", (shape.x, shape.y, shape.width, shape.height, shape.angle)
    kind = "ELLIPSE" if isinstance(shape, Ellipse) else "RECTANGLE"
    return labels, kind, (shape.x, shape.y, shape.width, shape.height)


def flat_from_raw(raw: dict, names: dict[str, str] | None = None) -> Flat:
    """One annotation of a raw annotation scene, as compared. Label names come from ``names``
    (label id -> name) when given (Geti scenes carry label ids only), else from the scene."""
    shape = raw["shape"]
    labels = tuple(sorted(names[lb["id"]] if names is not None else lb["name"] for lb in raw["labels"]))
    kind = shape["type"]
    if kind == "POLYGON":
        return labels, kind, tuple(v for p in shape["points"] for v in (p["x"], p["y"]))
    keys = ("x", "y", "width", "height") + (("angle",) if kind == "ROTATED_RECTANGLE" else ())
    return labels, kind, tuple(float(shape[k]) for k in keys)


def _close(a: Flat, b: Flat, tolerance: float = TOLERANCE) -> bool:
    return (a[0] == b[0] and a[1] == b[1] and len(a[2]) == len(b[2])
            and all(math.isclose(x, y, abs_tol=tolerance) for x, y in zip(a[2], b[2], strict=True)))


def assert_same(actual: list[Flat], expected: list[Flat], where: str, tolerance: float = TOLERANCE) -> None:
    """Same multiset of annotations, coordinates within ``tolerance``."""
    assert len(actual) == len(expected), f"{where}: {len(actual)} annotations, expected {len(expected)}"
    left = list(actual)
    for exp in expected:
        match = next((a for a in left if _close(a, exp, tolerance)), None)
        assert match is not None, f"{where}: no server annotation matches {exp}; server has {left}"
        left.remove(match)


@dataclass
class ServerView:
    """What one project holds on the server, read through the ServerAPI's raw calls."""

    api: ServerAPI
    project: RemoteProject

    @property
    def tolerance(self) -> float:
        return PIXEL_TOLERANCE if self.api.dialect in ("geti-v1", "geti-v3") else TOLERANCE

    def images(self) -> dict[str, object]:
        return {m.name: m for m in self.api.list_media(self.project, "image")}

    def annotations(self, media, frame: int | None = None) -> list[Flat] | None:
        """The media's (or frame's) latest annotations, or None when it has none."""
        scene = self.api.get_annotation_scene(self.project, media, frame)
        if scene is not None and self.api.dialect == "geti-v3":  # lower-case shapes: read through the client
            anns = self.api.annotations_from_scene(self.project, media, scene)
            return [in_pixels(a, media.width, media.height) for a in anns]
        if not scene or not scene.get("annotations"):
            return None
        names = {lb.id: lb.name for lb in self.project.labels}
        return [flat_from_raw(a, names) for a in scene["annotations"]]

    def check(self, media, expected: list[Flat], where: str, frame: int | None = None) -> None:
        """The media (or frame) holds exactly ``expected``; an empty list means no annotation."""
        actual = self.annotations(media, frame)
        if not expected:
            assert actual is None, f"{where}: expected no annotation, the server has {actual}"
        else:
            assert actual is not None, f"{where}: the server has no annotation"
            assert_same(actual, expected, where, self.tolerance)

    def check_images(self, items, expected_of) -> None:
        """The project's images are exactly ``items`` (by name), with the sizes of the files, each
        holding ``expected_of(item)`` (a list of :data:`Flat`)."""
        images = self.images()
        assert sorted(images) == sorted(item.name for item in items)
        for item in items:
            media = images[item.name]
            assert (media.width, media.height) == item.size(), item.key
            self.check(media, expected_of(item), item.key)

    def labels(self) -> dict[str, dict]:
        """Label name -> {task, group, parent (name), is_empty} from the project as the server has it."""
        project = self.api.get_project(self.project.id)
        by_id = {lb.id: lb.name for lb in project.labels}
        return {lb.name: {"task": t.task_type, "group": lb.group, "parent": by_id.get(lb.parent_id),
                          "is_empty": lb.is_empty}
                for t in project.trainable_tasks for lb in t.labels}


@pytest.fixture(scope="session")
def api(sc_server, dialect, dialects) -> Iterator[ServerAPI]:
    client = dialects.open_api(sc_server, dialect)
    yield client
    client.close()


@pytest.fixture(scope="session")
def connection(sc_server, dialect, dialects) -> list[str]:
    """``sc-import``/``sc-export`` arguments that log in to the shared server in the dialect under test."""
    return dialects.login_args(sc_server, dialect)


@pytest.fixture(scope="session")
def connection_env(sc_server, dialect) -> dict[str, str]:
    """The same as environment variables (for subprocesses)."""
    if dialect == "geti":
        return {"SC_HOST": sc_server.url, "SC_API": "geti", "SC_API_KEY": sc_server.api_key}
    if dialect == "geti3":
        return {"SC_HOST": sc_server.geti3().url, "SC_API": "geti3"}
    return {"SC_HOST": sc_server.url, "SC_USERNAME": sc_server.username, "SC_PASSWORD": sc_server.password}


@pytest.fixture
def project_name(request) -> str:
    """A name no other test uses on the shared server."""
    return f"e2e-{request.node.name[:40]}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def view(api):
    """``view(project)`` -> :class:`ServerView` of a created project."""
    return lambda project: ServerView(api, project)


@pytest.fixture(scope="session")
def animals(tmp_path_factory) -> tuple[Path, object]:
    """A small synthetic COCO dataset (dog, cat; 12 annotated + 3 unannotated images) and its
    ground truth; shared by the tests that only read it."""
    from sc_importers.synthetic import make_coco_dataset

    folder = tmp_path_factory.mktemp("animals")
    truth = make_coco_dataset(folder, 15, ["dog", "cat"], seed=3, image_size=(320, 240), unannotated=3)
    return folder, truth


@pytest.fixture
def flat(dialect):
    """The comparison helpers, for tests: ``flat.expected(annotation, width, height)`` (the expected
    side in the dialect's coordinates: normalized for SC 1.0, pixels for Geti), ``flat.assert_same``."""

    class _Flat:
        expected = staticmethod(in_pixels if dialect in ("geti", "geti3") else normalized)
        normalized = staticmethod(normalized)
        assert_same = staticmethod(assert_same)

    return _Flat
