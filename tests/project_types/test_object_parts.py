"""Objects drawn in several parts (``Annotation.object_id``): one box per object, every part kept
as an outline. Before object_id existed, a detection project got one box per part."""

from __future__ import annotations

from pathlib import Path

from sc_importers import plugins
from sc_importers.model import Annotation, Dataset, Label, MediaItem, Polygon, Rectangle
from sc_importers.project_types.base import BuildOptions

W, H = 200, 100
# A person hidden behind a pole: two separate outlines of one object (like a COCO multi-part polygon).
LEFT = Polygon(((10.0, 10.0), (30.0, 10.0), (30.0, 60.0), (10.0, 60.0)))
RIGHT = Polygon(((40.0, 20.0), (70.0, 20.0), (70.0, 80.0)))
LEFT_AND_RIGHT_BOX = Rectangle(10.0, 10.0, 60.0, 70.0)
OTHER = Polygon(((100.0, 10.0), (150.0, 10.0), (125.0, 50.0)))
OTHER_BOX = Rectangle(100.0, 10.0, 50.0, 40.0)


def _item(*annotations: Annotation) -> MediaItem:
    return MediaItem(Path("/data/a.jpg"), "a.jpg", annotations=list(annotations), width=W, height=H)


def _convert(type_name: str, media: MediaItem, labels=("person", "dog"), **options) -> list[Annotation]:
    ds = Dataset("d", "test", Path("/data"), labels=[Label(n) for n in labels], items=[media])
    opts = BuildOptions(**options)
    builder = plugins.project_types()[type_name]
    return builder.convert(media, media.annotations, builder.plan(ds, opts), opts)


def _two_objects() -> MediaItem:
    return _item(
        Annotation(("person",), LEFT, object_id="p1"),
        Annotation(("person",), RIGHT, object_id="p1"),
        Annotation(("person",), OTHER),
    )


def test_detection_gives_one_box_per_object_around_all_its_parts():
    out = _convert("detection", _two_objects())
    assert out == [Annotation(("person",), LEFT_AND_RIGHT_BOX), Annotation(("person",), OTHER_BOX)]


def test_without_object_id_each_part_is_its_own_object():
    out = _convert("detection", _item(Annotation(("person",), LEFT), Annotation(("person",), RIGHT)))
    assert [a.shape for a in out] == [Rectangle(10.0, 10.0, 20.0, 50.0), Rectangle(40.0, 20.0, 30.0, 60.0)]


def test_same_object_id_on_another_label_is_another_object():
    media = _item(Annotation(("person",), LEFT, object_id="x"), Annotation(("dog",), RIGHT, object_id="x"))
    out = _convert("detection", media)
    assert [a.labels for a in out] == [("person",), ("dog",)]


def test_segmentation_keeps_every_part():
    out = _convert("segmentation", _two_objects())
    assert [a.shape for a in out] == [LEFT, RIGHT, OTHER]


def test_detection_to_segmentation_one_box_per_object_with_all_parts_inside():
    out = _convert("detection_to_segmentation", _two_objects())
    assert out == [
        Annotation(("object",), LEFT_AND_RIGHT_BOX),
        Annotation(("person",), LEFT),
        Annotation(("person",), RIGHT),
        Annotation(("object",), OTHER_BOX),
        Annotation(("person",), OTHER),
    ]
    box = LEFT_AND_RIGHT_BOX
    for part in (LEFT, RIGHT):
        assert all(box.x <= x <= box.x + box.width and box.y <= y <= box.y + box.height for x, y in part.points)


def test_detection_to_classification_one_box_per_object():
    out = _convert("detection_to_classification", _two_objects())
    assert out == [Annotation(("object", "person"), LEFT_AND_RIGHT_BOX), Annotation(("object", "person"), OTHER_BOX)]


def test_anomaly_detection_one_box_per_anomalous_object():
    out = _convert("anomaly_detection", _two_objects(), anomalous_labels=["person"])
    assert [a.shape for a in out[1:]] == [LEFT_AND_RIGHT_BOX, OTHER_BOX]
    assert out[0].labels == ("Anomalous",)
    seg = _convert("anomaly_segmentation", _two_objects(), anomalous_labels=["person"])
    assert [a.shape for a in seg[1:]] == [LEFT, RIGHT, OTHER]


def test_classification_counts_an_object_in_parts_once():
    """Three parts of one person against two dogs: the image is about dogs (2 objects to 1)."""
    media = _item(
        *(Annotation(("person",), part, object_id="p") for part in (LEFT, RIGHT, OTHER)),
        Annotation(("dog",), Rectangle(150.0, 50.0, 10.0, 10.0)),
        Annotation(("dog",), Rectangle(170.0, 50.0, 10.0, 10.0)),
    )
    (out,) = _convert("classification", media)
    assert out.labels == ("dog",)
