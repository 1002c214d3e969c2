"""Pixel -> normalized conversion at the border of a media: shapes that touch or cross it.

The dry run promises that a shape extending past its image "is clipped"; SC refuses any coordinate
outside [0, 1]. These tests send such shapes to the real local sc-server and check the stored
coordinates, and check the arithmetic of the conversion over many image sizes.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from PIL import Image

from sc_importers.model import Annotation, Ellipse, Label, Polygon, Rectangle, RotatedRectangle
from sc_importers.project_types.base import TaskPlan
from sc_importers.rest import connect
from sc_importers.rest.sc_v1_records import shape_to_sc


@pytest.fixture(scope="module")
def api(sc_server):
    client = connect(sc_server.url, sc_server.username, sc_server.password, workers=2)
    yield client
    client.close()


def test_box_flush_with_the_right_border_never_exceeds_one() -> None:
    exceeded = []
    for extent in range(1, 4000):
        for size in {s for s in (1, 3, 7, extent // 3, extent // 7, extent) if 0 < s <= extent}:
            sc = shape_to_sc(Rectangle(extent - size, extent - size, size, size), extent, extent)
            if sc["x"] + sc["width"] > 1.0 or sc["y"] + sc["height"] > 1.0:
                exceeded.append((extent, size))
            elif abs(sc["width"] - size / extent) > 1e-12:
                exceeded.append((extent, size, sc["width"]))
    # float pixel boxes (COCO, YOLO) ending exactly at the border: x/W + w/W alone gives 1 + 1 ulp here
    for extent, x, size in ((4892, 4617.52, 274.48), (613, 607.95, 5.05), (2441, 2258.78, 182.22)):
        sc = shape_to_sc(Rectangle(x, 0, size, 1), extent, 10)
        if sc["x"] + sc["width"] > 1.0:
            exceeded.append((extent, x, size))
    assert exceeded == []


def test_shapes_past_the_border_are_clipped_into_the_unit_square() -> None:
    box = shape_to_sc(Rectangle(-5, 90, 20, 30), 100, 100)
    assert box == {"x": 0.0, "y": 0.9, "width": 0.15, "height": pytest.approx(0.1), "type": "RECTANGLE"}
    ellipse = shape_to_sc(Ellipse(95, -2, 10, 4), 100, 50)
    assert ellipse["x"] == 0.95 and ellipse["width"] == pytest.approx(0.05) and ellipse["y"] == 0.0
    polygon = shape_to_sc(Polygon(((-1, 5), (101, 5), (50, 60))), 100, 50)
    # cut at the borders (Sutherland-Hodgman), not its vertices squashed onto them: the corners of the
    # triangle past x = 0, x = 100 and y = 50 are cut off, new vertices lie on those borders
    assert [v for p in polygon["points"] for v in (p["x"] * 100, p["y"] * 50)] == pytest.approx(
        [448 / 11, 50, 0, 5 + 55 / 51, 0, 5, 100, 5, 100, 5 + 55 / 51, 652 / 11, 50])
    rotated = shape_to_sc(RotatedRectangle(100, 25, 120, 10, 30), 100, 50)
    assert rotated["x"] == 1.0 and rotated["width"] == 1.0 and rotated["angle"] == 30


def test_server_accepts_shapes_that_cross_the_border(api, tmp_path: Path) -> None:
    project = api.create_project(f"clip-{uuid.uuid4().hex[:8]}", [TaskPlan("Detection", "detection",
                                                                            [Label("thing")])])
    try:
        image = tmp_path / "border.png"
        Image.new("RGB", (640, 480), (10, 20, 30)).save(image)
        media = api.upload_media(project, image, "image")
        sent = [Annotation(("thing",), Rectangle(600.5, 440, 40, 40.75)),  # 0.5 px past the right border
                Annotation(("thing",), Rectangle(-3, -2, 50, 60)),
                Annotation(("thing",), Rectangle(640 - 213, 480 - 160, 213, 160))]  # flush with both borders
        api.post_annotations(project, media, sent)
        stored = api.get_annotation_scene(project, media)["annotations"]
        shapes = [a["shape"] for a in stored]
        assert len(shapes) == 3
        for shape in shapes:
            assert 0 <= shape["x"] and shape["x"] + shape["width"] <= 1.0
            assert 0 <= shape["y"] and shape["y"] + shape["height"] <= 1.0
        assert shapes[0]["x"] == pytest.approx(600.5 / 640) and shapes[0]["width"] == pytest.approx(39.5 / 640)
        assert shapes[1]["width"] == pytest.approx(47 / 640) and shapes[1]["height"] == pytest.approx(58 / 480)
    finally:
        api.delete_project(project)
