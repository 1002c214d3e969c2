"""The Geti v1 dialect's pure conversions, against the shapes of the Geti REST API notes: project
bodies, pixel shapes both ways, media:query pages, video annotation pages, and the configuration
documents (2.12+ project/training configuration and the legacy configurable parameters)."""

from __future__ import annotations

import pytest

from sc_importers.model import EMPTY_LABEL, Annotation, Ellipse, Label, Polygon, Rectangle, RotatedRectangle
from sc_importers.project_types.base import TaskPlan
from sc_importers.rest import geti_v1_records as rec
from sc_importers.rest import geti_v1_settings as conf
from sc_importers.rest.base import RemoteMedia
from sc_importers.rest.geti_v1 import server_version

PROJECT = {
    "id": "p1", "name": "Cars", "creation_time": "2025-01-01T00:00:00Z",
    "datasets": [{"id": "d0", "name": "Testing", "use_for_training": False},
                 {"id": "d1", "name": "Dataset", "use_for_training": True}],
    "pipeline": {
        "tasks": [
            {"id": "t0", "title": "Dataset", "task_type": "dataset"},
            {"id": "t1", "title": "Detection", "task_type": "detection", "labels": [
                {"id": "l1", "name": "car", "color": "#ff0000ff", "group": "g", "hotkey": "ctrl+1",
                 "parent_id": None, "is_empty": False, "is_anomalous": False},
                {"id": "l0", "name": "No object", "color": "#000000ff", "group": "No object", "is_empty": True}]},
            {"id": "t2", "title": "Crop task", "task_type": "crop"},
            {"id": "t3", "title": "Classification", "task_type": "classification", "labels": [
                {"id": "l2", "name": "red", "color": "#aa0000ff", "group": "colour", "parent_id": "l1"},
                {"id": "l3", "name": "blue", "color": "#0000aaff", "group": "colour", "parent_id": "l1"}]},
        ],
        "connections": [{"from": "t0", "to": "t1"}, {"from": "t1", "to": "t2"}, {"from": "t2", "to": "t3"}]}}


def test_project_parses_with_the_training_dataset_and_our_task_types():
    project = rec.parse_project(PROJECT)
    assert project.dataset_id == "d1"  # the dataset with use_for_training, not the first
    assert [t.task_type for t in project.trainable_tasks] == ["detection", "classification"]
    assert project.label_by_name("red").parent_id == "l1"
    assert project.trainable_tasks[0].empty_label().name == "No object"
    anomaly = {**PROJECT, "pipeline": {"tasks": [{"id": "t0", "title": "Dataset", "task_type": "dataset"},
                                                 {"id": "t1", "title": "Anomaly", "task_type": "anomaly"}]}}
    assert rec.parse_project(anomaly).trainable_tasks[0].task_type == "anomaly_classification"


def test_a_project_list_item_is_not_a_project():
    with pytest.raises(rec.RecordError, match="no dataset"):
        rec.parse_project({k: v for k, v in PROJECT.items() if k != "datasets"})
    items, total = rec.project_summaries({"projects": [{"id": "p1", "name": "A"}], "project_counts": 7})
    assert items == [{"id": "p1", "name": "A"}] and total == 7


def test_project_body_as_geti_wants_it():
    tasks = [TaskPlan("Detection", "detection", [Label("car", color="#ff0000ff", hotkey="ctrl+1")]),
             TaskPlan("Classification", "classification",
                      [Label("red", group="colour", parent="car"), Label("blue", group="colour")])]
    body = rec.project_body("Cars", tasks)
    assert set(body) == {"name", "pipeline"}
    assert [(t["title"], t["task_type"]) for t in body["pipeline"]["tasks"]] == [
        ("Dataset", "dataset"), ("Detection", "detection"), ("Crop task", "crop"),
        ("Classification", "classification")]
    assert body["pipeline"]["connections"] == [{"from": "Dataset", "to": "Detection"},
                                               {"from": "Detection", "to": "Crop task"},
                                               {"from": "Crop task", "to": "Classification"}]
    car, = body["pipeline"]["tasks"][1]["labels"]
    assert car == {"name": "car", "group": "default - Detection", "color": "#ff0000ff", "hotkey": "ctrl+1"}
    red = body["pipeline"]["tasks"][3]["labels"][0]
    assert red == {"name": "red", "group": "colour", "parent_id": "car"}  # parent by name on POST


def test_anomaly_is_created_without_labels_and_local_anomaly_types_are_refused():
    plan = [TaskPlan("Anomaly", "anomaly_classification", [Label("Normal"), Label("Anomalous")])]
    task = rec.project_body("A", plan)["pipeline"]["tasks"][1]
    assert task == {"title": "Anomaly", "task_type": "anomaly", "labels": []}
    with pytest.raises(ValueError, match="anomaly_classification"):
        rec.project_body("A", [TaskPlan("Anomaly", "anomaly_detection", [])])


def test_shapes_go_out_in_pixels_clipped_to_the_media():
    assert rec.shape_to_geti(Rectangle(10, 20, 30.5, 40), 100, 80) == {
        "type": "RECTANGLE", "x": 10.0, "y": 20.0, "width": 30.5, "height": 40.0}
    assert rec.shape_to_geti(Rectangle(-5, 70, 20, 20), 100, 80) == {
        "type": "RECTANGLE", "x": 0.0, "y": 70.0, "width": 15.0, "height": 10.0}
    assert rec.shape_to_geti(None, 100, 80) == {"type": "RECTANGLE", "x": 0.0, "y": 0.0, "width": 100.0,
                                                "height": 80.0}
    # cut at the borders x = 100 and y = 0 (sc_importers.geometry.clip), not squashed onto them
    assert rec.shape_to_geti(Polygon(((1, 2), (120, 3), (4, -1))), 100, 80)["points"] == [
        {"x": 3.0, "y": 0.0}, {"x": 1.0, "y": 2.0}, {"x": 100.0, "y": 2 + 99 / 119},
        {"x": 100.0, "y": pytest.approx(3 - 80 / 116)}, {"x": 33.0, "y": 0.0}]
    assert rec.shape_to_geti(RotatedRectangle(50, 40, 30, 10, 15.5), 100, 80) == {
        "type": "ROTATED_RECTANGLE", "x": 50.0, "y": 40.0, "width": 30.0, "height": 10.0, "angle": 15.5}
    assert rec.shape_to_geti(Ellipse(1, 2, 3, 4), 100, 80)["type"] == "ELLIPSE"


@pytest.mark.parametrize("shape", [Rectangle(10, 20, 30, 40), Ellipse(1, 2, 3, 4),
                                   Polygon(((1, 2), (50, 3), (4, 60))), RotatedRectangle(50, 40, 30, 10, 15.5)])
def test_shapes_come_back_unchanged(shape):
    assert rec.shape_from_geti(rec.shape_to_geti(shape, 100, 80)) == shape


def test_unknown_or_broken_shapes_are_named():
    with pytest.raises(rec.RecordError, match="KEYPOINT"):
        rec.shape_from_geti({"type": "KEYPOINT", "x": 1, "y": 2, "is_visible": True})
    with pytest.raises(rec.RecordError, match="'width'"):
        rec.shape_from_geti({"type": "RECTANGLE", "x": 1, "y": 2, "width": "3", "height": 4})


def _media(kind="image"):
    return RemoteMedia("m1", "img", kind, 100, 80)


def test_annotation_body_has_label_ids_pixel_shapes_and_no_extra_root_keys():
    project = rec.parse_project(PROJECT)
    body = rec.annotation_body(project, _media(), [Annotation(("car", "red"), Rectangle(1, 2, 3, 4)),
                                                   Annotation((EMPTY_LABEL,))])
    assert set(body) == {"annotations", "media_identifier"}
    assert body["media_identifier"] == {"type": "image", "image_id": "m1"}
    first, empty = body["annotations"]
    assert first["labels"] == [{"id": "l1", "probability": 1.0}, {"id": "l2", "probability": 1.0}]
    assert first["shape"] == {"type": "RECTANGLE", "x": 1.0, "y": 2.0, "width": 3.0, "height": 4.0}
    assert empty["labels"] == [{"id": "l0", "probability": 1.0}]
    assert empty["shape"]["width"] == 100.0
    frame = rec.annotation_body(project, _media("video"), [Annotation(("car",), Rectangle(1, 2, 3, 4))], 7)
    assert frame["media_identifier"] == {"type": "video_frame", "video_id": "m1", "frame_index": 7}
    with pytest.raises(ValueError, match="no label 'truck'"):
        rec.annotation_body(project, _media(), [Annotation(("truck",), Rectangle(1, 2, 3, 4))])


def test_scene_annotations_read_label_ids_and_whole_image_labels():
    project = rec.parse_project(PROJECT)
    scene = {"annotations": [
        {"labels": [{"id": "l0", "probability": 1.0}], "shape": {"type": "RECTANGLE", "x": 0, "y": 0,
                                                                 "width": 100, "height": 80}},
        {"labels": [{"id": "l1"}, {"id": "l3"}], "shape": {"type": "RECTANGLE", "x": 0, "y": 0,
                                                           "width": 100, "height": 80}},
        {"labels": [{"id": "l1"}], "shape": {"type": "POLYGON", "points": [{"x": 1, "y": 2}, {"x": 3, "y": 4},
                                                                          {"x": 5, "y": 1}]}}]}
    empty, box, poly = rec.annotations_from_scene(project, _media(), scene)
    assert empty == Annotation(("No object",), None)
    # a full-image box of a detection label is a box, not an image-level label
    assert box == Annotation(("car", "blue"), Rectangle(0, 0, 100, 80))
    assert poly.shape == Polygon(((1, 2), (3, 4), (5, 1)))
    with pytest.raises(rec.RecordError, match="does not have"):
        rec.annotations_from_scene(project, _media(), {"annotations": [{"labels": [{"id": "zz"}],
                                                                        "shape": {"type": "RECTANGLE"}}]})


def test_media_query_pages():
    raw = {"media": [
        {"id": "i1", "name": "a", "type": "image", "media_information": {"width": 10, "height": 20}},
        {"id": "v1", "name": "clip", "type": "video",
         "media_information": {"width": 64, "height": 48, "frame_count": 30, "frame_rate": 15.0}}],
        "total_matched_images": 2, "next_page": "/api/v1/x/media:query?limit=1&skip=2"}
    page, next_page, total = rec.next_media_page(raw, "image")
    assert [m.id for m in page] == ["i1"]  # an item of the other type is not listed
    assert (next_page, total) == ("/api/v1/x/media:query?limit=1&skip=2", 2)
    videos, _, total = rec.next_media_page(raw, "video")
    assert (videos[0].frame_count, videos[0].fps, total) == (30, 15.0, None)
    assert rec.next_media_page({"media": [], "next_page": "/again"}, "image")[1] is None


def test_video_annotation_pages_continue_after_the_last_frame_returned():
    scene = {"annotations": [{"labels": [{"id": "l1"}], "shape": {}}]}
    raw = {"video_annotations": [scene, {"annotations": []}],
           "video_annotation_properties": {"end_frame": 499, "requested_end_frame": 899}}
    assert rec.video_page(raw) == ([scene], (500, 899))
    raw["video_annotation_properties"]["end_frame"] = 899
    assert rec.video_page(raw)[1] is None


@pytest.mark.parametrize(("info", "version"), [
    ({"product-version": "2.13.0", "build-version": "2.13.1-release-20260101123456"}, (2, 13, 1)),
    ({"product-version": "2.11.0"}, (2, 11, 0)), ({"product-version": "v2.6"}, (2, 6, 0)), ({}, None)])
def test_server_version(info, version):
    assert server_version(info) == version


MODERN = {"task_configs": [{
    "task_id": "t1",
    "training": {"constraints": [{"key": "min_images_per_label", "value": 0, "name": "Minimum images"}]},
    "auto_training": [{"key": "enable", "value": True}, {"key": "enable_dynamic_required_annotations",
                                                         "value": False},
                      {"key": "min_images_per_label", "value": 12}]}]}


def test_modern_configuration_to_settings_and_back():
    project = rec.parse_project(PROJECT)
    task = project.trainable_tasks[0]
    training = {"task_id": "t1", "training": [{"key": "max_epochs", "value": 200, "type": "int"},
                                              {"key": "learning_rate", "value": 0.01}]}
    settings = conf.modern_task_settings(task, conf.task_entry(MODERN, task), training)
    assert settings.parameters == {"training.min_images_per_label": 0, "auto_training": True,
                                   "dynamic_required_annotations": False, "min_images_per_label": 12,
                                   "iterations": 200, "training.learning_rate": 0.01}
    assert settings.auto_training is True and settings.iterations == 200
    patch = conf.modern_patch(MODERN, {"t1": {"auto_training": False}})
    assert patch == {"task_configs": [{
        "task_id": "t1", "training": {"constraints": [{"key": "min_images_per_label", "value": 0}]},
        "auto_training": [{"key": "enable", "value": False},
                          {"key": "enable_dynamic_required_annotations", "value": False},
                          {"key": "min_images_per_label", "value": 12}]}]}
    assert conf.training_patch(training, {"iterations": 5}) == {
        "task_id": "t1", "training": [{"key": "max_epochs", "value": 5}]}


LEGACY_TASK = {"task_id": "t1", "components": [
    {"entity_identifier": {"type": "COMPONENT_PARAMETERS", "component": "TASK_NODE", "task_id": "t1"},
     "parameters": [{"name": "auto_training", "value": True, "editable": True}]},
    {"entity_identifier": {"type": "COMPONENT_PARAMETERS", "component": "DATASET_COUNTER", "task_id": "t1"},
     "parameters": [{"name": "required_images_auto_training", "value": 12},
                    {"name": "label_constraint_first_training", "value": False, "editable": False}]},
    {"entity_identifier": {"type": "HYPER_PARAMETER_GROUP", "model_storage_id": "ms",
                           "group_name": "learning_parameters"},
     "parameters": [{"name": "max_num_epochs", "value": 50}, {"name": "batch_size", "value": 8}],
     "groups": [{"name": "nncf", "type": "PARAMETER_GROUP", "parameters": [{"name": "enable", "value": False}]}]}]}


def test_legacy_configuration_to_settings_and_back():
    """Geti's legacy configurable parameters are read and written by SC 1.0's code (one shape, one
    key table): Geti's counter name is ``min_images_per_label`` too."""
    from sc_importers.rest.sc_v1_settings import locate, parameters_of, update_bodies

    values, editable = parameters_of(LEGACY_TASK["components"], "task")
    assert values == {"auto_training": True, "min_images_per_label": 12,
                      "dataset_counter.label_constraint_first_training": False,
                      "iterations": 50, "learning_parameters.batch_size": 8, "nncf.enable": False}
    assert "dataset_counter.label_constraint_first_training" not in editable
    components, not_applied, changed = update_bodies(
        locate(LEGACY_TASK["components"], "task"), {"iterations": 3, "auto_training": False, "nncf.enable": True},
        frozenset(), "")
    assert not_applied == {} and sorted(changed) == ["auto_training", "iterations", "nncf.enable"]
    assert sorted(components, key=lambda c: str(c["entity_identifier"])) == [
        {"entity_identifier": LEGACY_TASK["components"][0]["entity_identifier"],
         "parameters": [{"name": "auto_training", "value": False}]},
        {"entity_identifier": LEGACY_TASK["components"][2]["entity_identifier"],
         "parameters": [{"name": "max_num_epochs", "value": 3}],
         "groups": [{"name": "nncf", "type": "PARAMETER_GROUP", "parameters": [{"name": "enable", "value": True}]}]}]
