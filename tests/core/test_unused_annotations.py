"""Annotations a project type cannot hold are warned about once per kind, never dropped silently.

Before, ``sc-import --type detection --dry-run`` on a dataset of image-level labels said
"importable", "would upload 0 annotated media" and 0 warnings.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from sc_importers import plugins
from sc_importers.cli.import_cmd import build_command
from sc_importers.conversion_counts import ConversionCounts
from sc_importers.model import Annotation, Dataset, Ellipse, Label, MediaItem, Polygon, Rectangle
from sc_importers.project_types.base import BuildOptions
from sc_importers.project_types.single import Detection
from sc_importers.validation import kind_of

BOX = Rectangle(1.0, 1.0, 5.0, 5.0)


def _dataset(*items: MediaItem) -> Dataset:
    return Dataset("d", "test", Path("/data"), labels=[Label("cat"), Label("dog")], items=list(items))


def _item(key: str, *annotations: Annotation, kind: str = "image") -> MediaItem:
    return MediaItem(Path(f"/data/{key}"), key, kind=kind, annotations=list(annotations), width=50, height=50)


def conversion_problems(builder, ds: Dataset, plan, options: BuildOptions) -> list:
    """The problems of :class:`ConversionCounts` fed every item of ``ds``."""
    counter = ConversionCounts(builder, ds, plan, options)
    for item in ds.items:
        counter.add(item)
    return counter.result()[1]


def _unused(type_name: str, ds: Dataset, builder=None) -> list[str]:
    builder = builder or plugins.project_types()[type_name]
    options = BuildOptions(anomalous_labels=["cat"])
    problems = conversion_problems(builder, ds, builder.plan(ds, options), options)
    assert all(p.severity == "warning" for p in problems if kind_of(p) == "unused_annotations")
    return [p.message for p in problems if kind_of(p) == "unused_annotations"]


def _image_labels_dataset() -> Dataset:
    return _dataset(
        _item("a.jpg", Annotation(("cat", "dog"), None), Annotation(("cat",), BOX)),
        _item("b.jpg", Annotation(("dog",), None)),
        _item("c.jpg", Annotation(("cat",), BOX)),
    )


@pytest.mark.parametrize("type_name", ["detection", "segmentation", "detection_to_segmentation",
                                       "detection_to_classification"])
def test_image_level_labels_are_counted_once_for_shape_projects(type_name):
    message, *others = _unused(type_name, _image_labels_dataset())
    assert message.startswith("3 image-level label(s) on 2 image(s) are not imported: "
                              f"a {type_name} project takes boxes")
    assert "--type classification" in message and message.endswith("(per label: dog 2, cat 1)")
    # 'dog' names only whole images: a project of shapes does not create it, and says so
    assert others[-1] == (f"1 label(s) are not created: only image-level labels use them, which a {type_name} "
                          "project does not take: dog")


def test_classification_says_shapes_become_the_images_label():
    (message,) = _unused("classification", _image_labels_dataset())
    assert message.startswith("2 shapes (box(es) 2) on 2 image(s) become the image's label")
    assert message.endswith("(per label: cat 2)")


def test_a_shape_outvoted_in_classification_is_counted():
    ds = _dataset(_item("a.jpg", Annotation(("cat",), BOX), Annotation(("cat",), BOX), Annotation(("dog",), BOX)))
    messages = _unused("classification", ds)
    assert any(m.startswith("1 shapes (box(es) 1) on 1 image(s) are not imported: their label is not the image's")
               and m.endswith("(per label: dog 1)") for m in messages)


def test_boxes_without_outline_in_a_segmentation_chain_are_counted():
    outline = Polygon(((1.0, 1.0), (9.0, 1.0), (5.0, 8.0)))
    ds = _dataset(_item("a.jpg", Annotation(("cat",), BOX), Annotation(("dog",), outline), Annotation(("cat",), BOX)))
    (message,) = _unused("detection_to_segmentation", ds)
    assert message.startswith("2 shapes (box(es) 2) on 1 image(s) have no outline: the segmentation task gets "
                              "nothing for them")
    assert message.endswith("(per label: cat 2)")


@pytest.mark.parametrize("type_name", ["anomaly_classification", "anomaly_detection", "anomaly_segmentation"])
def test_types_that_use_every_kind_warn_nothing(type_name):
    assert _unused(type_name, _image_labels_dataset()) == []


def test_video_frames_are_counted_and_named_media_items():
    video = _item("v.mp4", kind="video")
    video.frames = {0: [Annotation(("cat",), None)], 5: [Annotation(("dog",), None)]}
    (message,) = _unused("detection", _dataset(video))
    assert message.startswith("2 image-level label(s) on 1 media item(s)")


def test_one_warning_per_kind_a_builder_does_not_accept():
    class BoxesOnly(Detection):
        name = "boxes_only"
        accepts = {"detection": ("RECTANGLE",)}

    ds = _dataset(
        _item("a.jpg", Annotation(("cat",), Ellipse(1, 1, 4, 4)), Annotation(("cat",), Ellipse(9, 9, 4, 4))),
        _item("b.jpg", Annotation(("dog",), Ellipse(1, 1, 4, 4)), Annotation(("dog",), None),
              Annotation(("cat",), BOX)),
    )
    messages = _unused("", ds, BoxesOnly())
    assert [m.split(" are not")[0] for m in messages] == [
        "1 image-level label(s) on 1 image(s)", "3 ellipse(s) on 2 image(s)"]
    assert all("a boxes_only project takes boxes" in m for m in messages)


def test_a_restored_backup_drops_nothing():
    builder = plugins.project_types()["detection"]
    ds = _image_labels_dataset()
    ds.project = {"pipeline": {"tasks": [
        {"task_type": "dataset", "title": "Dataset"},
        {"task_type": "detection", "title": "Detection", "labels": [{"id": "1", "name": "cat"}]},
    ]}}
    plan = builder.plan(ds, BuildOptions())
    assert plan.restored
    problems = conversion_problems(builder, ds, plan, BuildOptions())
    assert problems == []


def test_dry_run_on_real_image_level_dataset_warns_with_counts_from_the_json(shared):
    """datumaro_dataset/legacy holds only image-level labels: detection uploads none, and says so."""
    root = shared.datasets("datumaro-test-assets/assets/datumaro_dataset/legacy")
    labels_per_item: Counter[str] = Counter()
    for path in sorted((root / "annotations").glob("*.json")):
        for entry in json.loads(path.read_text())["items"]:
            labels_per_item[entry["id"]] += sum(1 for a in entry["annotations"] if a["type"] == "label")
    labels_per_item = +labels_per_item  # items with no label dropped
    assert sum(labels_per_item.values()) == 7 and len(labels_per_item) == 3

    result = CliRunner().invoke(build_command(), [str(root), "--type", "detection", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    (task,) = report["project"]["tasks"]
    assert task["would_convert"]["media"] == 0
    group = report["problems"]["by_kind"]["unused_annotations"]
    assert group["warnings"] == 1 and group["errors"] == 0
    assert (f"{sum(labels_per_item.values())} image-level label(s) on {len(labels_per_item)} image(s) "
            "are not imported: a detection project") in group["examples"][0]
