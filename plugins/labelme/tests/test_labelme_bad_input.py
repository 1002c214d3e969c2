"""Bad or unusual labelme input on small generated files: every problem names the JSON file and the
item (and the shape index), and one bad file never stops the others from being read."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sc_importers_labelme import LabelmeReader

from sc_importers.formats import FormatError
from sc_importers.model import Ellipse, Polygon, Rectangle


def _write(root: Path, name: str, shapes: list[dict], *, flags: dict | None = None, size=(40, 30),
           image: str | None = None, declared: tuple[int, int] | None = None, image_data: str | None = None,
           write_image: bool = True) -> Path:
    """``root/name.json`` for image ``root/name.png`` (``size``), labelme 5 style."""
    root.mkdir(parents=True, exist_ok=True)
    image = image or f"{name}.png"
    if write_image:
        Image.new("RGB", size).save(root / image)
    width, height = declared or size
    body = {"version": "5.4.1", "flags": flags or {}, "shapes": shapes, "imagePath": image,
            "imageData": image_data, "imageHeight": height, "imageWidth": width}
    path = root / f"{name}.json"
    path.write_text(json.dumps(body))
    return path


def _shape(kind: str, points: list, label: str = "cat", **extra) -> dict:
    return {"label": label, "points": points, "group_id": None, "description": "", "shape_type": kind,
            "flags": {}, **extra}


def _only(problems, text: str):
    found = [p for p in problems if text in p.message]
    assert len(found) == 1, [str(p) for p in problems]
    return found[0]


def _item(dataset, key: str):
    return next(i for i in dataset.items if i.key == key)


def test_each_shape_type_in_pixels(tmp_path: Path) -> None:
    _write(tmp_path, "a", [
        _shape("rectangle", [[30, 20], [10, 5]]),
        _shape("polygon", [[1, 1], [9, 1], [9, 8], [1, 1]], label="dog"),
        _shape("circle", [[20, 15], [23, 19]]),
    ])
    dataset = LabelmeReader().read(tmp_path)
    assert dataset.problems == []
    assert [(a.labels, a.shape) for a in _item(dataset, "a.png").annotations] == [
        (("cat",), Rectangle(10, 5, 20, 15)),
        (("dog",), Polygon(((1, 1), (9, 1), (9, 8)))),  # the closing point is not repeated
        (("cat",), Ellipse(15, 10, 10, 10)),
    ]
    assert [lb.name for lb in dataset.labels] == ["cat", "dog"]


def _mask_b64(mask: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(mask.astype(np.uint8) * 255).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def test_mask_becomes_polygons_offset_by_its_box(tmp_path: Path) -> None:
    mask = np.zeros((10, 12), dtype=bool)
    mask[2:6, 1:5] = True  # a 4x4 square
    mask[7:10, 8:12] = True  # a separate 4x3 block
    _write(tmp_path, "m", [_shape("mask", [[20, 10], [31, 19]], mask=_mask_b64(mask))])
    dataset = LabelmeReader().read(tmp_path)
    assert dataset.problems == []
    shapes = sorted((a.shape for a in _item(dataset, "m.png").annotations), key=lambda s: s.points[0])
    assert len(shapes) == 2
    boxes = [(min(x for x, _ in s.points), min(y for _, y in s.points), max(x for x, _ in s.points),
              max(y for _, y in s.points)) for s in shapes]
    # traced on the pixel-corner grid (sc_importers.geometry.masks): pixel (r, c) covers the square from
    # (20 + c, 10 + r) to (21 + c, 11 + r), so each polygon has the area of its pixels (OpenCV's tracing
    # through pixel centres, used before, gave the 4x4 square an area of 9)
    assert boxes == [(21, 12, 25, 16), (28, 17, 32, 20)]
    assert [s.area for s in shapes] == [16.0, 12.0]


def test_a_mask_one_pixel_thin_gives_a_polygon_of_its_pixels(tmp_path: Path) -> None:
    mask = np.zeros((4, 6), dtype=bool)
    mask[1, 0:5] = True  # a horizontal line one pixel thin (gave no polygon when traced through centres)
    mask[3, 5] = True  # a single pixel
    _write(tmp_path, "m", [_shape("mask", [[2, 3], [7, 6]], mask=_mask_b64(mask))])
    dataset = LabelmeReader().read(tmp_path)
    assert dataset.problems == []
    assert [a.shape for a in _item(dataset, "m.png").annotations] == [
        Polygon(((2.0, 4.0), (7.0, 4.0), (7.0, 5.0), (2.0, 5.0))),
        Polygon(((7.0, 6.0), (8.0, 6.0), (8.0, 7.0), (7.0, 7.0))),
    ]


def test_a_polygon_half_outside_keeps_the_part_inside(tmp_path: Path) -> None:
    # the 40x30 image; a triangle with its right half past x = 40: clipped, not clamped
    _write(tmp_path, "a", [_shape("polygon", [[20, 0], [60, 0], [20, 20]])])
    dataset = LabelmeReader().read(tmp_path)
    (polygon,) = [a.shape for a in _item(dataset, "a.png").annotations]
    assert polygon.area == pytest.approx(300.0)  # 400 inside minus the 100 triangle past x = 40
    assert [p.severity for p in dataset.problems if "clipped" in p.message] == ["warning"]


def test_broken_mask_is_an_error_for_that_shape(tmp_path: Path) -> None:
    path = _write(tmp_path, "m", [_shape("mask", [[0, 0], [4, 4]], mask="not base64 png")])
    problem = _only(LabelmeReader().read(tmp_path).problems, "shape 0 (mask 'cat')")
    assert (problem.severity, problem.file, problem.item) == ("error", str(path), "m.png")


@pytest.mark.parametrize(
    ("shape", "severity", "text"),
    [
        (_shape("ellipse", [[1, 1], [5, 5]]), "error", "unknown shape_type 'ellipse'"),
        (_shape("polygon", [[1, 1], [5, 5]]), "warning", "fewer than 3"),
        (_shape("rectangle", [[5, 1], [5, 9]]), "warning", "zero width or height"),
        (_shape("rectangle", [[5, 1]]), "error", "needs 2 corner points"),
        (_shape("circle", [[5, 5], [5, 5]]), "warning", "radius 0"),
        (_shape("polygon", [[1, 1], [5, "x"], [3, 3]]), "error", "points[1] must be [x, y]"),
        (_shape("rectangle", [[50, 40], [60, 45]]), "error", "entirely outside the 40x30 image"),
        (_shape("polygon", [[-5, -5], [-1, -5], [-1, -1]]), "error", "entirely outside"),
        ({"label": "", "points": [[1, 1], [2, 2]], "shape_type": "rectangle"}, "error", "'label' must be"),
    ],
)
def test_bad_shape_names_file_item_and_index(tmp_path: Path, shape: dict, severity: str, text: str) -> None:
    good = _shape("rectangle", [[1, 1], [4, 4]])
    path = _write(tmp_path, "a", [good, shape])
    dataset = LabelmeReader().read(tmp_path)
    problem = _only(dataset.problems, text)
    assert (problem.severity, problem.file, problem.item) == (severity, str(path), "a.png")
    assert problem.message.startswith("shape 1")
    assert [a.shape for a in _item(dataset, "a.png").annotations] == [Rectangle(1, 1, 3, 3)]


def test_partly_outside_is_clipped_with_a_warning(tmp_path: Path) -> None:
    _write(tmp_path, "a", [_shape("rectangle", [[30, 20], [50, 40]]), _shape("circle", [[2, 2], [6, 2]])])
    dataset = LabelmeReader().read(tmp_path)
    clipped = [p for p in dataset.problems if "clipped" in p.message]
    assert [p.message.split(":")[0] for p in clipped] == ["shape 0 (rectangle 'cat')", "shape 1 (circle 'cat')"]
    assert all(p.severity == "warning" for p in clipped)
    assert [a.shape for a in _item(dataset, "a.png").annotations] == [Rectangle(30, 20, 10, 10), Ellipse(0, 0, 6, 6)]


def test_unsupported_types_give_one_warning_per_type(tmp_path: Path) -> None:
    _write(tmp_path, "a", [_shape("point", [[1, 1]]), _shape("line", [[1, 1], [3, 3]]), _shape("point", [[2, 2]])])
    _write(tmp_path, "b", [_shape("point", [[1, 1]]), _shape("linestrip", [[1, 1], [3, 3], [4, 1]])])
    dataset = LabelmeReader().read(tmp_path)
    messages = sorted(p.message for p in dataset.problems)
    assert messages == [
        "1 'line' shape(s) not imported: SC 1.0 has no such shape",
        "1 'linestrip' shape(s) not imported: SC 1.0 has no such shape",
        "3 'point' shape(s) not imported: SC 1.0 has no such shape",
    ]
    assert all(p.severity == "warning" and p.file == str(tmp_path) for p in dataset.problems)
    assert len(dataset.items) == 2 and not any(i.annotations for i in dataset.items)


def test_broken_json_is_an_error_for_that_file_only(tmp_path: Path) -> None:
    _write(tmp_path, "good", [_shape("rectangle", [[1, 1], [4, 4]])])
    broken = tmp_path / "broken.json"
    broken.write_text('{"shapes": [\n  {"label": "cat",,}\n')
    dataset = LabelmeReader().read(tmp_path)
    problem = _only(dataset.problems, "broken JSON at line 2")
    assert (problem.severity, problem.file) == ("error", str(broken))
    assert [i.key for i in dataset.items] == ["good.png"]


def test_declared_size_differing_from_the_image_is_a_warning(tmp_path: Path) -> None:
    path = _write(tmp_path, "a", [_shape("rectangle", [[1, 1], [4, 4]])], declared=(400, 300))
    dataset = LabelmeReader().read(tmp_path)
    problem = _only(dataset.problems, "400x300 differs from the image's 40x30")
    assert (problem.severity, problem.file, problem.item) == ("warning", str(path), "a.png")
    assert (_item(dataset, "a.png").width, _item(dataset, "a.png").height) == (40, 30)


def test_missing_image_with_embedded_data_is_an_error_and_nothing_is_written(tmp_path: Path) -> None:
    path = _write(tmp_path, "a", [_shape("rectangle", [[1, 1], [4, 4]])], write_image=False, image_data="iVBORw0K")
    _write(tmp_path, "b", [])
    before = sorted(tmp_path.iterdir())
    dataset = LabelmeReader().read(tmp_path)
    problem = _only(dataset.problems, "image file missing")
    assert (problem.severity, problem.file, problem.item) == ("error", str(path), "a.png")
    assert "embedded imageData is not imported" in problem.message
    assert [i.key for i in dataset.items] == ["b.png"]
    assert sorted(tmp_path.iterdir()) == before


def test_two_files_for_one_image_is_an_error_naming_both(tmp_path: Path) -> None:
    first = _write(tmp_path, "a", [_shape("rectangle", [[1, 1], [4, 4]])])
    second = _write(tmp_path / "sub", "b", [_shape("rectangle", [[2, 2], [6, 6]])], image="../a.png",
                    write_image=False)
    dataset = LabelmeReader().read(tmp_path)
    problem = _only(dataset.problems, "already annotated")
    assert (problem.severity, problem.file) == ("error", str(second))
    assert str(first) in problem.message and "a.png" in problem.message
    assert [(i.key, [a.shape for a in i.annotations]) for i in dataset.items] == [("a.png", [Rectangle(1, 1, 3, 3)])]


def test_windows_image_path_and_subfolders(tmp_path: Path) -> None:
    (tmp_path / "ann").mkdir()
    (tmp_path / "img").mkdir()
    Image.new("RGB", (40, 30)).save(tmp_path / "img" / "x.png")
    _write(tmp_path / "ann", "x", [_shape("rectangle", [[1, 1], [4, 4]])], image="..\\img\\x.png", write_image=False)
    dataset = LabelmeReader().read(tmp_path)
    assert dataset.problems == []
    assert [i.key for i in dataset.items] == ["img/x.png"]


def test_labels_txt_order_flags_and_unlisted_labels(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (tmp_path / "labels.txt").write_text("__ignore__\n_background_\nzebra\ncat\n\n")
    (tmp_path / "flags.txt").write_text("__ignore__\nblurry\n")
    _write(data, "a", [_shape("rectangle", [[1, 1], [4, 4]], label="dog"), _shape("rectangle", [[1, 1], [4, 4]])],
           flags={"__ignore__": True, "blurry": True, "night": False})
    dataset = LabelmeReader().read(data)
    assert [(lb.name, lb.group) for lb in dataset.labels] == [
        ("zebra", None), ("cat", None), ("dog", None), ("blurry", "flags: blurry"), ("night", "flags: night")]
    assert "dog" in _only(dataset.problems, "not in labels.txt").message
    assert "zebra" in _only(dataset.problems, "have no annotation").message
    assert [a.labels for a in _item(dataset, "a.png").annotations if a.shape is None] == [("blurry",)]


def test_bad_flags_and_image_path(tmp_path: Path) -> None:
    path = _write(tmp_path, "a", [], flags={"blurry": "yes"})
    (tmp_path / "b.json").write_text(json.dumps({"shapes": [], "imagePath": None}))
    dataset = LabelmeReader().read(tmp_path)
    flag = _only(dataset.problems, "flag 'blurry' must be true or false")
    assert (flag.severity, flag.file, flag.item) == ("error", str(path), "a.png")
    image = _only(dataset.problems, "'imagePath' must be a file path")
    assert (image.severity, image.file) == ("error", str(tmp_path / "b.json"))


def test_single_file_detect_and_no_labelme_json(tmp_path: Path) -> None:
    path = _write(tmp_path / "ds", "a", [_shape("rectangle", [[1, 1], [4, 4]])])
    assert LabelmeReader().detect(path).confidence == 0.9
    assert [i.key for i in LabelmeReader().read(path).items] == ["a.png"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.json").write_text(json.dumps({"images": [], "annotations": []}))
    assert LabelmeReader().detect(other).confidence == 0
    assert LabelmeReader().detect(tmp_path / "nothing").confidence == 0
    with pytest.raises(FormatError, match="no labelme JSON file"):
        LabelmeReader().read(other)
    with pytest.raises(FormatError, match="no such file"):
        LabelmeReader().read(tmp_path / "nothing")
