"""The yolo reader on small generated datasets: layouts, and every bad input named by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from sc_importers_yolo import YoloReader

from sc_importers.formats import FormatError
from sc_importers.model import Polygon, Rectangle


def _image(path: Path, size: tuple[int, int] = (100, 50)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, "gray").save(path)
    return path


def _labels(path: Path, *lines: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))
    return path


def _dataset(root: Path, labels: dict[str, list[str]], yaml_text: str | None = "names: [cat, dog]\n"
             "train: images/train\n") -> Path:
    """images/train/<stem>.jpg (100 x 50) with labels/train/<stem>.txt holding the given lines
    (None: no label file)."""
    for stem, lines in labels.items():
        _image(root / "images" / "train" / f"{stem}.jpg")
        if lines is not None:
            _labels(root / "labels" / "train" / f"{stem}.txt", *lines)
    if yaml_text is not None:
        (root / "data.yaml").write_text(yaml_text)
    return root


def _problems(dataset, severity: str) -> list[str]:
    return [str(p) for p in dataset.problems if p.severity == severity]


def test_per_line_errors_name_the_file_and_line(tmp_path: Path) -> None:
    root = _dataset(tmp_path, {
        "good": ["0 0.5 0.5 0.2 0.2", "1 0.1 0.1 0.3 0.1 0.2 0.4"],
        "bad": ["0 0.5 0.5 0.2 0.2", "cat 0.5 0.5 0.2 0.2", "7 0.5 0.5 0.2 0.2", "0 0.1 0.1 0.2",
                "0 0.1 0.1 0.2 0.2 0.3", "0 0.1 0.1 0.1 0.1 0.2 0.2", "0.5 0.5 0.5 0.2 0.2"],
    })
    dataset = YoloReader().read(root)
    assert [i.key for i in dataset.items] == ["images/train/bad.jpg", "images/train/good.jpg"]
    bad_file = str(root / "labels" / "train" / "bad.txt")
    errors = [p for p in dataset.problems if p.severity == "error"]
    assert all(p.file == bad_file and p.item == "images/train/bad.jpg" for p in errors)
    messages = [p.message for p in errors]
    assert messages[0].startswith("line 2: not all numbers")
    assert messages[1] == "line 3: class id 7 is not in names"
    assert messages[2].startswith("line 4: 4 numbers; a box needs 5")
    assert messages[3].startswith("line 5: odd number of polygon coordinates (5)")
    assert messages[4] == "line 6: a polygon needs at least 3 distinct points, got 2"
    assert messages[5] == "line 7: class id 0.5 is not an integer"
    assert len(errors) == 6
    good = dataset.items[1]
    assert [type(a.shape) for a in good.annotations] == [Rectangle, Polygon]
    assert good.annotations[1].shape.points == ((10.0, 5.0), (30.0, 5.0), (20.0, 20.0))


def test_outside_coordinates_clip_warn_or_fail_and_zero_size_is_dropped(tmp_path: Path) -> None:
    root = _dataset(tmp_path, {"a": [
        "0 0.95 0.5 0.2 0.2",            # line 1: right edge at 1.05 -> clipped to the image
        "0 1.5 1.5 0.2 0.2",             # line 2: entirely outside -> error
        "1 0.5 0.5 0.0 0.2",             # line 3: zero width -> dropped
        "1 -0.2 0.5 0.5 0.5 0.5 1.0",    # line 4: polygon with one point left of the image -> clipped
        "1 1.2 0.1 1.5 0.1 1.3 0.4",     # line 5: polygon entirely outside -> error
        "0 0.5 0.5 0.2 1.0000004",       # line 6: rounding overshoot -> clipped silently
    ]})
    dataset = YoloReader().read(root)
    file = str(root / "labels" / "train" / "a.txt")
    assert _problems(dataset, "error") == [
        f"error: {file}, item images/train/a.jpg: line 2: box (x_center 1.5, y_center 1.5, width 0.2, height 0.2) "
        "lies entirely outside the image; dropped",
        f"error: {file}, item images/train/a.jpg: line 5: polygon lies entirely outside the image; dropped",
    ]
    warnings = [p.message for p in dataset.problems if p.severity == "warning"]
    assert warnings == [
        "line 1: box (x_center 0.95, y_center 0.5, width 0.2, height 0.2) extends outside the image; clipped",
        "line 3: zero-size box (zero area); dropped",
        "line 4: polygon extends outside the image; clipped",
    ]
    shapes = [a.shape for a in dataset.items[0].annotations]
    assert len(shapes) == 3
    assert shapes[0] == Rectangle(pytest.approx(85.0), pytest.approx(20.0), pytest.approx(15.0), pytest.approx(10.0))
    # the polygon (-0.2,0.5) (0.5,0.5) (1.0,0.5)... clipped at x=0 keeps only the part inside
    assert all(0 <= x <= 100 and 0 <= y <= 50 for x, y in shapes[1].points)
    assert min(x for x, _ in shapes[1].points) == 0.0
    assert shapes[2].height == pytest.approx(50.0) and shapes[2].y == 0.0


def test_unannotated_images_are_items_and_orphans_are_warnings(tmp_path: Path) -> None:
    root = _dataset(tmp_path, {"no_file": None, "empty": [], "one": ["1 0.5 0.5 0.5 0.5"]})
    orphan = _labels(root / "labels" / "train" / "ghost.txt", "0 0.5 0.5 0.1 0.1", "1 0.5 0.5 0.1 0.1")
    dataset = YoloReader().read(root)
    assert sorted(i.key for i in dataset.items) == ["images/train/empty.jpg", "images/train/no_file.jpg",
                                                    "images/train/one.jpg"]
    assert sorted(i.key for i in dataset.items if not i.is_annotated) == ["images/train/empty.jpg",
                                                                        "images/train/no_file.jpg"]
    assert _problems(dataset, "warning") == [
        f"warning: {orphan}: label file with no image; its 2 annotation line(s) are not imported"]
    assert dataset.errors == []
    skipped = YoloReader().read(root, unlabelled_images="skip")
    assert sorted(i.key for i in skipped.items) == ["images/train/empty.jpg", "images/train/one.jpg"]
    assert any("1 image(s) without a label file are not imported" in p for p in _problems(skipped, "warning"))


def test_duplicate_images_are_imported_once(tmp_path: Path) -> None:
    root = _dataset(tmp_path, {"a": ["0 0.5 0.5 0.1 0.1"], "b": []},
                    "names: {0: cat}\ntrain: images/train\nval: [images/train/a.jpg, list.txt]\n")
    (root / "list.txt").write_text("./images/train/b.jpg\nimages/train/b.jpg\nimages/train/missing.jpg\n")
    dataset = YoloReader().read(root)
    assert [i.key for i in dataset.items] == ["images/train/a.jpg", "images/train/b.jpg"]
    warnings = [p for p in dataset.problems if p.severity == "warning"]
    assert [(p.item, p.message) for p in warnings] == [
        ("images/train/a.jpg", "listed again in val (first in train); imported once"),
        ("images/train/b.jpg", "listed again in val (first in train); imported once"),
        ("images/train/b.jpg", "listed again in val (first in train); imported once"),
    ]
    assert _problems(dataset, "error") == [
        f"error: {root / 'list.txt'}, item images/train/missing.jpg: line 3: image images/train/missing.jpg not found"]


def test_non_contiguous_names_text_link_and_roboflow_paths(tmp_path: Path) -> None:
    pool = tmp_path / "pool"
    _image(pool / "train" / "x.png", (200, 100))
    root = tmp_path / "ds"
    root.mkdir()
    (root / "images").write_text("../pool\n")  # a symlink checked out as a file
    _labels(root / "labels" / "train" / "x.txt", "17 0.5 0.5 0.5 0.5", "3 0.1 0.2 0.3 0.2 0.2 0.6")
    (root / "data.yaml").write_text("names: {17: cat, 3: dog, 40: bird}\nnc: 3\ntrain: ../images/train\n")
    dataset = YoloReader().read(root)
    assert [lb.name for lb in dataset.labels] == ["dog", "cat", "bird"]  # id order: 3, 17, 40
    item = dataset.items[0]
    assert (item.key, item.path, item.size()) == ("images/train/x.png", pool / "train" / "x.png", (200, 100))
    assert [a.labels for a in item.annotations] == [("cat",), ("dog",)]
    assert item.annotations[0].shape == Rectangle(50.0, 25.0, 100.0, 50.0)
    assert dataset.errors == []
    assert _problems(dataset, "warning") == [
        f"warning: {root / 'data.yaml'}: train: ../images/train does not exist as written; read "
        f"{root / 'images/train'} instead (Roboflow exports write paths one level off)",
        f"warning: {root / 'images'}: a text file naming {pool.resolve()} (a symlink checked out as a file); "
        "followed as that folder"]


def test_folder_without_yaml(tmp_path: Path) -> None:
    root = _dataset(tmp_path, {"a": ["2 0.5 0.5 0.2 0.2"], "b": ["0 0.5 0.5 0.2 0.2"]}, yaml_text=None)
    detection = YoloReader().detect(root)
    assert detection.confidence == 0.7, detection.reasons
    unnamed = YoloReader().read(root)
    assert [lb.name for lb in unnamed.labels] == ["0", "2"]
    assert any("labels are named by class id" in p for p in _problems(unnamed, "warning"))
    (root / "classes.txt").write_text("cat\ndog\nbird\n")
    named = YoloReader().read(root)
    assert [lb.name for lb in named.labels] == ["cat", "dog", "bird"]
    assert [a.labels for i in named.items for a in i.annotations] == [("bird",), ("cat",)]
    assert named.problems == []


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("names: [a]\ntrain: [images/train\n", "data.yaml: line 3, column 1: not valid YAML"),
        ("names: [a]\nkpt_shape: [17]\ntrain: images/train\n", "kpt_shape must be [number of keypoints, 2 or 3]"),
        ("names: [a]\n", "no train, val or test entry"),
        ("names: {x: a}\ntrain: images/train\n", "names: class id 'x' is not an integer"),
        ("names: [a]\ntrain: nowhere\n", "no images found"),
    ],
)
def test_unreadable_yaml_is_a_format_error_naming_it(tmp_path: Path, yaml_text: str, message: str) -> None:
    root = _dataset(tmp_path, {}, yaml_text)
    with pytest.raises(FormatError) as caught:
        YoloReader().read(root)
    assert str(root / "data.yaml") in str(caught.value)
    assert message in str(caught.value)


def test_missing_split_is_an_error_but_other_splits_are_read(tmp_path: Path) -> None:
    root = _dataset(tmp_path, {"a": []}, "names: [a]\ntrain: images/train\nval: images/val\n")
    dataset = YoloReader().read(root)
    assert len(dataset.items) == 1
    assert _problems(dataset, "error") == [
        f"error: {root / 'data.yaml'}: val: images/val is neither a folder nor a file (tried {root / 'images/val'})"]


def test_several_yamls_need_yolo_config(tmp_path: Path) -> None:
    root = _dataset(tmp_path, {"a": ["1 0.5 0.5 0.2 0.2"]}, None)
    (root / "one.yaml").write_text("names: [a, b]\ntrain: images/train\n")
    (root / "two.yml").write_text("names: [x, y]\ntrain: images/train\n")
    with pytest.raises(FormatError, match="several YOLO dataset YAMLs with 'names' \\(one.yaml, two.yml\\)"):
        YoloReader().read(root)
    dataset = YoloReader().read(root, yolo_config="two.yml")
    assert [a.labels for a in dataset.items[0].annotations] == [("y",)]


def test_damaged_image_is_an_error_for_that_item(tmp_path: Path) -> None:
    root = _dataset(tmp_path, {"a": ["0 0.5 0.5 0.2 0.2"]})
    broken = root / "images" / "train" / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    dataset = YoloReader().read(root)
    assert [i.key for i in dataset.items] == ["images/train/a.jpg", "images/train/broken.jpg"]
    [error] = dataset.errors
    assert (error.file, error.item) == (str(broken), "images/train/broken.jpg")
    assert error.message.startswith("cannot read the image size")


def test_detection_scale(tmp_path: Path) -> None:
    yolo = YoloReader()
    assert yolo.detect(_dataset(tmp_path / "yaml", {"a": ["0 0.5 0.5 0.2 0.2"]})).confidence == 0.8
    unlabelled = _dataset(tmp_path / "nolabels", {"a": None})
    assert yolo.detect(unlabelled).confidence == 0.5
    other = _dataset(tmp_path / "other", {"a": ["this is no yolo line"]}, None)
    assert yolo.detect(other).confidence < 0.5
    assert yolo.detect(tmp_path / "missing").confidence == 0.0
