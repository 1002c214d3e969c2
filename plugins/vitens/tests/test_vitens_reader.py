"""The Vitens reader on small datasets written here: exact pixels, counts and every bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from sc_importers_vitens.reader import VitensReader
from sc_importers_vitens.synthetic import make_vitens_dataset

from sc_importers import plugins
from sc_importers.formats import FormatError
from sc_importers.model import Ellipse, Polygon


def _image(root: Path, name: str, size: tuple[int, int] = (200, 100)) -> None:
    (root / "images").mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (200, 190, 150)).save(root / "images" / name)


def _annotation(root: Path, name: str, body: object) -> None:
    (root / "annotation").mkdir(parents=True, exist_ok=True)
    text = body if isinstance(body, str) else json.dumps(body)
    (root / "annotation" / name).write_text(text, encoding="utf-8")


def _point(x: float, y: float, r: float, label: str = "colony") -> dict:
    return {"labels": [{"name": label}],
            "shapes": [{"type": "point", "geometry": {"points": [{"x": x, "y": y, "r": r}]}}]}


def _box(shape) -> tuple:
    """(type, x, y, width, height) rounded to 1e-9, for exact comparisons free of float noise."""
    return (type(shape).__name__, *(round(v, 9) for v in (shape.x, shape.y, shape.width, shape.height)))


def _errors(dataset) -> list[str]:
    return [str(p) for p in dataset.errors]


def test_points_become_ellipses_in_pixels(tmp_path: Path) -> None:
    _image(tmp_path, "0001_plate.png", (200, 100))
    body = {"data": [_point(0.5, 0.5, 0.1), _point(0.25, 0.2, 0.05, "other")]}
    _annotation(tmp_path, "0001_counts.json", body)
    dataset = VitensReader().read(tmp_path)
    (item,) = dataset.items
    assert (item.width, item.height) == (200, 100)
    assert item.key == "images/0001_plate.png"
    shapes = [_box(a.shape) for a in item.annotations]
    # r is relative per axis, like x and y: 0.1 of 200 px wide, 0.1 of 100 px high
    assert shapes == [("Ellipse", 80.0, 40.0, 40.0, 20.0), ("Ellipse", 40.0, 15.0, 20.0, 10.0)]
    assert [a.labels for a in item.annotations] == [("colony",), ("other",)]
    assert [lb.name for lb in dataset.labels] == ["colony", "other"]
    assert dataset.problems == []


def test_polygon_stays_polygon_in_pixels(tmp_path: Path) -> None:
    _image(tmp_path, "7_a.jpg", (300, 150))
    poly = {"labels": [{"name": "colony"}], "shapes": [{"type": "polygon", "geometry": {
        "points": [{"x": 0.0, "y": 0.0}, {"x": 1.0, "y": 0.0}, {"x": 0.5, "y": 1.0}]}}]}
    _annotation(tmp_path, "7_x_y.json", {"data": [poly]})
    (item,) = VitensReader().read(tmp_path).items
    assert item.annotations[0].shape == Polygon(((0.0, 0.0), (300.0, 0.0), (150.0, 150.0)))


def test_several_points_in_one_shape_give_one_annotation_each(tmp_path: Path) -> None:
    _image(tmp_path, "1_a.png", (100, 100))
    entry = {"labels": [{"name": "c"}], "shapes": [{"type": "point", "geometry": {
        "points": [{"x": 0.2, "y": 0.2, "r": 0.1}, {"x": 0.6, "y": 0.6, "r": 0.1}]}}]}
    _annotation(tmp_path, "1_b.json", {"data": [entry]})
    (item,) = VitensReader().read(tmp_path).items
    assert [_box(a.shape) for a in item.annotations] == [
        ("Ellipse", 10.0, 10.0, 20.0, 20.0), ("Ellipse", 50.0, 50.0, 20.0, 20.0)]


def test_circle_past_the_border_is_clipped_with_warning(tmp_path: Path) -> None:
    _image(tmp_path, "1_a.png", (100, 100))
    _annotation(tmp_path, "1_b.json", {"data": [_point(0.05, 0.5, 0.1)]})
    dataset = VitensReader().read(tmp_path)
    assert _box(dataset.items[0].annotations[0].shape) == ("Ellipse", 0.0, 40.0, 15.0, 20.0)
    (warning,) = dataset.problems
    assert warning.severity == "warning"
    assert "annotation/1_b.json" in str(warning) and "data[0].shapes[0].points[0]" in str(warning)


def test_unannotated_image_and_orphan_annotation(tmp_path: Path) -> None:
    _image(tmp_path, "1_a.png")
    _image(tmp_path, "2_a.png")
    _annotation(tmp_path, "1_a.json", {"data": [_point(0.5, 0.5, 0.1)]})
    _annotation(tmp_path, "9_lost.json", {"data": []})
    dataset = VitensReader().read(tmp_path)
    assert [i.key for i in dataset.items] == ["images/1_a.png", "images/2_a.png"]
    assert [i.is_annotated for i in dataset.items] == [True, False]
    (warning,) = dataset.problems
    assert warning.severity == "warning" and warning.file == "annotation/9_lost.json"


def test_two_annotation_files_for_one_image_is_an_error(tmp_path: Path) -> None:
    _image(tmp_path, "0123_plate.jpg")
    _image(tmp_path, "0124_plate.jpg")
    _annotation(tmp_path, "0123_a.json", {"data": [_point(0.5, 0.5, 0.1)]})
    _annotation(tmp_path, "0123_b.json", {"data": [_point(0.5, 0.5, 0.1)]})
    dataset = VitensReader().read(tmp_path)
    assert [i.key for i in dataset.items] == ["images/0124_plate.jpg"]
    (error,) = _errors(dataset)
    assert "images/0123_plate.jpg" in error
    assert "annotation/0123_a.json" in error and "annotation/0123_b.json" in error


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("{not json", "not valid JSON"),
        ({"items": []}, "'data' list"),
        ({"data": [_point(0.5, 1.5, 0.1)]}, "data[0].shapes[0].points[0]: y=1.5 is outside [0, 1]"),
        ({"data": [_point(0.5, 0.5, 0.1), _point(-0.1, 0.5, 0.1)]}, "data[1].shapes[0].points[0]: x=-0.1"),
        ({"data": [{"labels": [{"name": "c"}], "shapes": [{"type": "circle", "geometry": {"points": []}}]}]},
         "data[0].shapes[0]: unknown shape type 'circle'"),
        ({"data": [{"labels": [], "shapes": []}]}, "data[0]: 'labels' must be a non-empty list"),
        ({"data": [_point(0.5, 0.5, "big")]}, "data[0].shapes[0].points[0]: r must be a number"),
        ({"data": [{"labels": [{"name": "c"}], "shapes": [{"type": "polygon", "geometry": {
            "points": [{"x": 0.1, "y": 0.1}, {"x": 0.2, "y": 0.2}]}}]}]},
         "data[0].shapes[0]: a polygon needs"),
    ],
)
def test_bad_annotation_file_is_an_error_naming_file_and_entry(tmp_path: Path, body, expected: str) -> None:
    _image(tmp_path, "5_plate.png")
    _image(tmp_path, "6_plate.png")
    _annotation(tmp_path, "5_bad.json", body)
    dataset = VitensReader().read(tmp_path)
    assert [i.key for i in dataset.items] == ["images/6_plate.png"]
    (error,) = dataset.errors
    assert error.file == "annotation/5_bad.json" and error.item == "images/5_plate.png"
    assert expected in error.message


def test_unreadable_image_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "3_broken.jpg").write_bytes(b"not an image")
    _image(tmp_path, "4_ok.jpg")
    _annotation(tmp_path, "4_ok.json", {"data": []})
    dataset = VitensReader().read(tmp_path)
    assert [i.key for i in dataset.items] == ["images/4_ok.jpg"]
    assert dataset.errors[0].item == "images/3_broken.jpg"


def test_missing_folders_or_images_raise(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="images"):
        VitensReader().read(tmp_path)
    (tmp_path / "images").mkdir()
    (tmp_path / "annotation").mkdir()
    with pytest.raises(FormatError, match="no images found"):
        VitensReader().read(tmp_path)


def test_detect(tmp_path: Path) -> None:
    reader = VitensReader()
    assert reader.detect(tmp_path).confidence == 0.0
    make_vitens_dataset(tmp_path / "ok", n_images=1)
    assert reader.detect(tmp_path / "ok").confidence >= 0.9
    _image(tmp_path / "coco", "1_a.png")
    _annotation(tmp_path / "coco", "instances.json", {"images": [], "annotations": []})
    assert reader.detect(tmp_path / "coco").confidence < 0.5


def test_synthetic_dataset_round_trip(tmp_path: Path) -> None:
    made = make_vitens_dataset(tmp_path, n_images=4, seed=3, polygon_fraction=0.3, n_unannotated=1,
                               labels=("aeromonas", "other"))
    dataset = VitensReader().read(tmp_path)
    assert len(dataset.items) == 4 and dataset.problems == []
    assert sum(not i.is_annotated for i in dataset.items) == 1
    counts = dataset.annotation_counts()
    assert sum(n for (_, shape), n in counts.items() if shape == "ELLIPSE") == made.points
    assert sum(n for (_, shape), n in counts.items() if shape == "POLYGON") == made.polygons
    assert made.points > 0 and made.polygons > 0
    assert {lb.name for lb in dataset.labels} <= set(made.labels)
    for item in dataset.items:
        for ann in item.annotations:
            box = ann.shape
            if isinstance(box, Ellipse):
                assert 0 <= box.x and box.x + box.width <= item.width


def test_synthetic_is_deterministic(tmp_path: Path) -> None:
    a = make_vitens_dataset(tmp_path / "a", n_images=2, seed=7)
    b = make_vitens_dataset(tmp_path / "b", n_images=2, seed=7)
    assert [p.read_text() for p in a.annotation_files] == [p.read_text() for p in b.annotation_files]


def test_registered_through_entry_point() -> None:
    plugins.reset()
    assert isinstance(plugins.format_readers()["vitens"], VitensReader)
    assert plugins.plugin_of("format", "vitens") == "vitens"
