"""The core project-type builders: plans, per-task conversions, empty labels, backups."""

from __future__ import annotations

from pathlib import Path

import pytest

from sc_importers import plugins
from sc_importers.model import (
    EMPTY_LABEL,
    Annotation,
    Dataset,
    Ellipse,
    Label,
    MediaItem,
    Polygon,
    Rectangle,
    RotatedRectangle,
)
from sc_importers.project_types.base import BuildError, BuildOptions

W, H = 200, 100
TRIANGLE = Polygon(((10.0, 10.0), (50.0, 10.0), (30.0, 40.0)))
BOX = Rectangle(100.0, 20.0, 40.0, 30.0)


def builder(name: str):
    return plugins.project_types()[name]


def item(key: str, *annotations: Annotation) -> MediaItem:
    return MediaItem(Path(f"/data/{key}.jpg"), key, annotations=list(annotations), width=W, height=H)


def dataset(*items: MediaItem, labels=("dog", "cat")) -> Dataset:
    return Dataset("pets", "test", Path("/data"), labels=[Label(n) for n in labels], items=list(items))


def convert(type_name: str, ds: Dataset, media: MediaItem, options: BuildOptions | None = None):
    options = options or BuildOptions()
    b = builder(type_name)
    plan = b.plan(ds, options)
    return plan, b.convert(media, media.annotations, plan, options)


def test_all_core_types_registered_with_their_task_types():
    types = plugins.project_types()
    assert {name: t.task_types for name, t in types.items()} == {
        "classification": ("classification",),
        "detection": ("detection",),
        "segmentation": ("segmentation",),
        "anomaly_classification": ("anomaly_classification",),
        "anomaly_detection": ("anomaly_detection",),
        "anomaly_segmentation": ("anomaly_segmentation",),
        "detection_to_segmentation": ("detection", "segmentation"),
        "detection_to_classification": ("detection", "classification"),
    }
    for t in types.values():
        assert set(t.accepts) == set(t.task_types), t.name


def test_detection_turns_every_region_into_its_bounding_box():
    media = item(
        "a",
        Annotation(("dog",), TRIANGLE),
        Annotation(("cat",), Ellipse(5, 6, 10, 20)),
        Annotation(("cat",), RotatedRectangle(100, 50, 20, 10, 90)),
        Annotation(("dog",), None),  # image-level: a detection task cannot use it
    )
    plan, out = convert("detection", dataset(media), media)
    assert [t.task_type for t in plan.tasks] == ["detection"]
    assert plan.label_names == ["dog", "cat"]
    assert [a.labels for a in out] == [("dog",), ("cat",), ("cat",)]
    assert out[0].shape == Rectangle(10.0, 10.0, 40.0, 30.0)
    assert out[1].shape == Rectangle(5, 6, 10, 20)
    rot = out[2].shape
    assert (rot.x, rot.y, rot.width, rot.height) == pytest.approx((95, 40, 10, 20))


def test_segmentation_keeps_outlines_and_turns_boxes_into_polygons():
    media = item("a", Annotation(("dog",), TRIANGLE), Annotation(("cat",), BOX), Annotation(("cat",), None))
    _, out = convert("segmentation", dataset(media), media)
    assert out[0].shape == TRIANGLE
    assert out[1].shape == Polygon(((100.0, 20.0), (140.0, 20.0), (140.0, 50.0), (100.0, 50.0)))
    assert len(out) == 2


def test_classification_picks_image_label_else_most_frequent_shape_label():
    shapes_only = item("a", Annotation(("cat",), BOX), Annotation(("dog",), BOX), Annotation(("dog",), BOX))
    _, out = convert("classification", dataset(shapes_only), shapes_only)
    assert [(a.labels, a.shape) for a in out] == [(("dog",), Rectangle(0, 0, W, H))]
    image_level = item("b", Annotation(("cat",), None), Annotation(("dog",), BOX))
    _, out = convert("classification", dataset(image_level), image_level)
    assert out[0].labels == ("cat",)


def test_multi_label_classification_gives_one_label_per_group():
    labels = [Label("red", group="color"), Label("blue", group="color"), Label("big", group="size")]
    media = item("a", Annotation(("blue",), None), Annotation(("big",), None))
    ds = Dataset("x", "test", Path("/d"), labels=labels, items=[media])
    _, out = convert("classification", ds, media)
    assert out == [Annotation(("blue", "big"), Rectangle(0, 0, W, H))]


def test_empty_label_only_when_asked_and_only_for_unannotated_media():
    blank = item("blank")
    ds = dataset(blank)
    assert convert("detection", ds, blank)[1] == []
    _, out = convert("detection", ds, blank, BuildOptions(empty_label_for_unannotated=True))
    assert out == [Annotation((EMPTY_LABEL,), Rectangle(0, 0, W, H))]
    # an image whose only annotations are unusable by the task is not "unannotated"
    image_level = item("lvl", Annotation(("dog",), None))
    assert convert("detection", ds, image_level, BuildOptions(empty_label_for_unannotated=True))[1] == []


def test_anomaly_requires_anomalous_labels_and_marks_regions():
    normal = item("n", Annotation(("dog",), BOX))
    weird = item("w", Annotation(("cat",), TRIANGLE), Annotation(("dog",), BOX))
    ds = dataset(normal, weird)
    with pytest.raises(BuildError, match="anomalous-labels"):
        builder("anomaly_classification").plan(ds, BuildOptions())
    with pytest.raises(BuildError, match="horse"):
        builder("anomaly_classification").plan(ds, BuildOptions(anomalous_labels=["horse"]))
    opts = BuildOptions(anomalous_labels=["cat"])
    plan, out = convert("anomaly_classification", ds, normal, opts)
    assert plan.label_names == ["Normal", "Anomalous"]
    assert out == [Annotation(("Normal",), Rectangle(0, 0, W, H))]
    _, out = convert("anomaly_detection", ds, weird, opts)
    assert out == [
        Annotation(("Anomalous",), Rectangle(0, 0, W, H)),
        Annotation(("Anomalous",), Rectangle(10.0, 10.0, 40.0, 30.0)),
    ]
    _, out = convert("anomaly_segmentation", ds, weird, opts)
    assert out[1] == Annotation(("Anomalous",), TRIANGLE)


def test_anomaly_dataset_already_labelled_needs_no_option():
    media = item("a", Annotation(("Anomalous",), None))
    ds = dataset(media, labels=("Normal", "Anomalous"))
    _, out = convert("anomaly_classification", ds, media)
    assert out[0].labels == ("Anomalous",)


def test_detection_to_segmentation_gives_chain_box_and_outline():
    media = item("a", Annotation(("dog",), TRIANGLE), Annotation(("cat",), BOX))
    opts = BuildOptions(chain_label="animal")
    plan, out = convert("detection_to_segmentation", dataset(media), media, opts)
    assert [(t.task_type, [lb.name for lb in t.labels]) for t in plan.tasks] == [
        ("detection", ["animal"]),
        ("segmentation", ["dog", "cat"]),
    ]
    assert out == [
        Annotation(("animal",), Rectangle(10.0, 10.0, 40.0, 30.0)),
        Annotation(("dog",), TRIANGLE),
        Annotation(("animal",), BOX),  # a plain box has no outline for the segmentation task
    ]


def test_detection_to_classification_puts_both_labels_on_the_box():
    media = item("a", Annotation(("dog",), TRIANGLE))
    _, out = convert("detection_to_classification", dataset(media), media)
    assert out == [Annotation(("object", "dog"), Rectangle(10.0, 10.0, 40.0, 30.0))]


def test_chain_label_must_not_clash_with_dataset_labels():
    ds = dataset(item("a"))
    with pytest.raises(BuildError, match="--chain-label"):
        builder("detection_to_classification").plan(ds, BuildOptions(chain_label="dog"))


def test_no_labels_is_a_clear_error():
    ds = dataset(item("a"), labels=())
    with pytest.raises(BuildError, match="no labels"):
        builder("detection").plan(ds, BuildOptions())


BACKUP_PROJECT = {
    "name": "zoo",
    "pipeline": {
        "tasks": [
            {"id": "t0", "title": "Dataset", "task_type": "dataset"},
            {"id": "t1", "title": "Find", "task_type": "detection", "labels": [
                {"id": "l1", "name": "animal", "color": "#ff0000ff", "group": "g1", "hotkey": "a",
                 "is_empty": False, "parent_id": None},
                {"id": "l2", "name": "No Object", "color": "#000000ff", "group": "No Object",
                 "hotkey": "", "is_empty": True, "parent_id": None},
            ]},
            {"id": "t2", "title": "Crop", "task_type": "crop"},
            {"id": "t3", "title": "Kind", "task_type": "classification", "labels": [
                {"id": "l3", "name": "dog", "color": "#00ff00ff", "group": "kinds", "hotkey": "",
                 "is_empty": False, "parent_id": "l1"},
            ]},
        ],
        "connections": [],
    },
}


def test_backup_restores_tasks_labels_and_annotations_as_they_were():
    media = item("a", Annotation(("animal", "dog"), BOX))
    ds = dataset(media, labels=("animal", "dog"))
    ds.project = BACKUP_PROJECT
    plan, out = convert("detection_to_classification", ds, media)
    assert plan.restored
    assert [(t.title, t.task_type) for t in plan.tasks] == [("Find", "detection"), ("Kind", "classification")]
    assert plan.tasks[0].labels == [Label("animal", color="#ff0000ff", group="g1", hotkey="a")]
    assert plan.tasks[1].labels == [Label("dog", color="#00ff00ff", group="kinds", parent="animal")]
    assert out == media.annotations
    with pytest.raises(BuildError, match="detection_to_classification"):
        builder("detection").plan(ds, BuildOptions())
