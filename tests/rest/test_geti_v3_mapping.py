"""The Geti 3 mapping without a server: what a plan becomes, what each annotation becomes, what is counted."""

from __future__ import annotations

import pytest

from sc_importers.model import EMPTY_LABEL, Annotation, Ellipse, Label, Polygon, Rectangle, RotatedRectangle
from sc_importers.project_types.base import TaskPlan
from sc_importers.rest.base import ServerError
from sc_importers.rest.geti_v3_mapping import Geti3Choices, adapt, exclusive, rotated_corners
from sc_importers.rest.geti_v3_records import annotation_body, parse_project, project_body


def test_rotated_box_becomes_its_four_corners():
    corners = rotated_corners(RotatedRectangle(50, 40, 20, 10, 90)).points
    assert [(round(x, 6), round(y, 6)) for x, y in corners] == [(55, 30), (55, 50), (45, 50), (45, 30)]


def test_rotated_detection_as_polygon_or_box_is_counted():
    plan = [TaskPlan("Rotated", "rotated_detection", [Label("ship", color="#11223344")])]
    with pytest.raises(ServerError, match="--rotated-as polygon"):
        adapt(plan, Geti3Choices())
    polygons = adapt(plan, Geti3Choices(rotated_as="polygon"))
    (task,) = polygons.tasks
    assert task.task_type == "segmentation" and task.labels[0].color == "#112233"
    (ann,) = polygons.convert([Annotation(("ship",), RotatedRectangle(50, 40, 20, 10, 30))])
    assert isinstance(ann.shape, Polygon) and len(ann.shape.points) == 4
    assert polygons.counts == {"converted: rotated box -> polygon": 1}
    boxes = adapt(plan, Geti3Choices(rotated_as="box"))
    (box,) = boxes.convert([Annotation(("ship",), RotatedRectangle(50, 40, 20, 10, 90))])
    shape = box.shape
    assert (shape.x, shape.y, shape.width, shape.height) == pytest.approx((45, 30, 10, 20))
    assert boxes.counts == {"converted: rotated box -> enclosing box": 1}


def test_segmentation_ellipses_and_rectangles_become_polygons_empty_labels_pass():
    adaptation = adapt([TaskPlan("Segmentation", "segmentation", [Label("cell")])], Geti3Choices())
    out = adaptation.convert([Annotation(("cell",), Ellipse(0, 0, 10, 20)),
                              Annotation(("cell",), Rectangle(1, 2, 3, 4)),
                              Annotation((EMPTY_LABEL,), Rectangle(0, 0, 100, 100))])
    assert [len(a.shape.points) for a in out[:2]] == [32, 4]
    assert out[2] == Annotation((EMPTY_LABEL,), Rectangle(0, 0, 100, 100))  # the client sends it as []
    assert adaptation.counts == {"converted: ellipse -> polygon": 1, "converted: box -> polygon": 1}


def test_hierarchy_flattens_to_multi_label_and_says_so():
    labels = [Label("animal", group="kingdom"), Label("dog", group="species", parent="animal")]
    adaptation = adapt([TaskPlan("Classification", "classification", labels)], Geti3Choices())
    assert not exclusive(adaptation.tasks[0])
    assert any("multi-label" in m for m in adaptation.mappings) and adaptation.not_kept


def test_body_labels_by_id_whole_pixel_boxes_and_no_objects():
    plan = TaskPlan("Detection", "detection", [Label("car", color="#ff0000")])
    car = {"id": "L1", "name": "car", "color": "#FF0000", "hotkey": None}
    raw = {"id": "p", "name": "n", "task": {"task_type": "detection", "exclusive_labels": True, "labels": [car]}}
    assert project_body("n", plan, True)["task"] == {"task_type": "detection", "exclusive_labels": True,
                                                     "labels": [{"name": "car", "color": "#ff0000"}]}
    project = parse_project(raw)
    empty = project.trainable_tasks[0].empty_label()
    assert empty is not None and empty.id == ""
    media = type("M", (), {"width": 100, "height": 50})()
    from collections import Counter

    counts: Counter = Counter()
    body = annotation_body(project, media, [Annotation(("car",), Rectangle(10.4, 2.6, 95.2, 60))], counts)
    assert body["annotations"][0] == {"labels": [{"id": "L1"}], "shape": {"type": "rectangle", "x": 10, "y": 3,
                                                                          "width": 90, "height": 47}}
    assert annotation_body(project, media, [Annotation((empty.name,), Rectangle(0, 0, 100, 50))], counts) == {
        "annotations": []}
    assert counts == {'converted: empty label -> empty annotation list ("no objects")': 1}
