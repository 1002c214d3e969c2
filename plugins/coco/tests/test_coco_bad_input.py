"""Bad COCO input: every problem names the json file and the image, and never stops the whole read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from sc_importers_coco import CocoReader

from sc_importers.formats import FormatError
from sc_importers.model import Polygon, Rectangle


def _dataset(root: Path, annotations: list[dict], images: list[dict] | None = None,
             categories: list[dict] | None = None, write_images: bool = True) -> Path:
    """A COCO folder: ``annotations/instances_default.json`` + ``images/default/*.png`` (40x30)."""
    images = images if images is not None else [
        {"id": 1, "file_name": "one.png", "width": 40, "height": 30},
        {"id": 2, "file_name": "two.png", "width": 40, "height": 30},
    ]
    categories = categories if categories is not None else [{"id": 3, "name": "cat"}, {"id": 7, "name": "dog"}]
    (root / "annotations").mkdir(parents=True)
    json_file = root / "annotations" / "instances_default.json"
    json_file.write_text(json.dumps({"images": images, "annotations": annotations, "categories": categories}))
    if write_images:
        (root / "images" / "default").mkdir(parents=True)
        for img in images:
            Image.new("RGB", (40, 30)).save(root / "images" / "default" / img["file_name"])
    return json_file


def _box(ann_id: int, image_id: int, bbox: list[float], category_id: int = 3) -> dict:
    return {"id": ann_id, "image_id": image_id, "category_id": category_id, "bbox": bbox, "iscrowd": 0,
            "segmentation": []}


def _only(problems, text: str):
    found = [p for p in problems if text in p.message]
    assert len(found) == 1, [str(p) for p in problems]
    return found[0]


#: The key of one.png's media item: problems about an item name it by its key, so that an error
#: skips exactly that item (in the dry-run report and in the uploader).
ONE_KEY = "images/default/one.png"


def test_unknown_category_is_an_error_for_that_annotation(tmp_path: Path) -> None:
    json_file = _dataset(tmp_path, [_box(1, 1, [1, 1, 5, 5]), _box(2, 1, [2, 2, 5, 5], category_id=99)])
    dataset = CocoReader().read(tmp_path)
    problem = _only(dataset.problems, "unknown category id 99")
    assert (problem.severity, problem.file, problem.item) == ("error", str(json_file), ONE_KEY)
    assert "annotation id 2" in problem.message
    one = next(i for i in dataset.items if i.key == "images/default/one.png")
    assert [a.shape for a in one.annotations] == [Rectangle(1, 1, 5, 5)]


def test_unknown_image_id_is_an_error(tmp_path: Path) -> None:
    json_file = _dataset(tmp_path, [_box(1, 1, [1, 1, 5, 5]), _box(5, 77, [1, 1, 5, 5])])
    dataset = CocoReader().read(tmp_path)
    problem = _only(dataset.problems, "unknown image id 77")
    assert (problem.severity, problem.file, problem.item) == ("error", str(json_file), "image id 77")
    assert "annotation id 5" in problem.message
    assert sum(len(i.annotations) for i in dataset.items) == 1


def test_missing_image_file_is_reported_and_the_rest_read(tmp_path: Path) -> None:
    json_file = _dataset(tmp_path, [_box(1, 1, [1, 1, 5, 5]), _box(2, 2, [1, 1, 5, 5])])
    (tmp_path / "images" / "default" / "two.png").unlink()
    dataset = CocoReader().read(tmp_path)
    problem = _only(dataset.problems, "image file not found")
    assert (problem.severity, problem.file, problem.item) == ("error", str(json_file), "two.png")
    assert "images_dir" in problem.message
    assert [i.key for i in dataset.items] == ["images/default/one.png"]


def test_images_dir_option_points_at_the_images(tmp_path: Path) -> None:
    _dataset(tmp_path / "ds", [_box(1, 1, [1, 1, 5, 5])], write_images=False)
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    for name in ("one.png", "two.png"):
        Image.new("RGB", (40, 30)).save(pictures / name)
    assert len(CocoReader().read(tmp_path / "ds").errors) == 2
    dataset = CocoReader().read(tmp_path / "ds", images_dir=str(pictures))
    assert dataset.errors == []
    assert sorted(i.path for i in dataset.items) == [pictures / "one.png", pictures / "two.png"]
    with pytest.raises(FormatError, match="images_dir"):
        CocoReader().read(tmp_path / "ds", images_dir=str(tmp_path / "nowhere"))


def test_duplicate_file_name_is_an_error_for_the_second_entry(tmp_path: Path) -> None:
    images = [
        {"id": 1, "file_name": "one.png", "width": 40, "height": 30},
        {"id": 2, "file_name": "one.png", "width": 40, "height": 30},
    ]
    json_file = _dataset(tmp_path, [_box(1, 1, [1, 1, 5, 5]), _box(2, 2, [3, 3, 5, 5])], images=images)
    dataset = CocoReader().read(tmp_path)
    problem = _only(dataset.problems, "used by an earlier image entry")
    assert (problem.severity, problem.file, problem.item) == ("error", str(json_file), "one.png")
    assert "image id 2" in problem.message
    assert len(dataset.items) == 1
    assert [a.shape for a in dataset.items[0].annotations] == [Rectangle(1, 1, 5, 5)]


def test_boxes_outside_the_image(tmp_path: Path) -> None:
    json_file = _dataset(tmp_path, [_box(1, 1, [30, 20, 20, 20]), _box(2, 1, [50, 5, 5, 5])])
    dataset = CocoReader().read(tmp_path)
    clipped = _only(dataset.problems, "extends outside the 40x30 image; clipped")
    assert (clipped.severity, clipped.file, clipped.item) == ("warning", str(json_file), ONE_KEY)
    outside = _only(dataset.problems, "entirely outside")
    assert (outside.severity, outside.item) == ("error", ONE_KEY)
    assert "annotation id 2" in outside.message
    one = next(i for i in dataset.items if i.key.endswith("one.png"))
    assert [a.shape for a in one.annotations] == [Rectangle(30, 20, 10, 10)]


def test_zero_area_shapes_are_dropped_with_a_warning(tmp_path: Path) -> None:
    flat_polygon = {"id": 2, "image_id": 1, "category_id": 7, "iscrowd": 0,
                    "segmentation": [[1, 1, 5, 5, 9, 9], [1, 1, 10, 1, 10, 10]]}
    two_points = {"id": 3, "image_id": 2, "category_id": 7, "iscrowd": 0, "segmentation": [[1, 1, 5, 5]]}
    json_file = _dataset(tmp_path, [_box(1, 1, [3, 3, 0, 4]), flat_polygon, two_points])
    dataset = CocoReader().read(tmp_path)
    box = _only(dataset.problems, "bbox [3, 3, 0, 4] has zero area")
    assert (box.severity, box.file, box.item) == ("warning", str(json_file), ONE_KEY)
    part = _only(dataset.problems, "polygon part 0 has zero area")
    assert "annotation id 2" in part.message and part.item == ONE_KEY
    short = _only(dataset.problems, "fewer than 3 points")
    assert short.item == "images/default/two.png"
    one = next(i for i in dataset.items if i.key.endswith("one.png"))
    assert [a.shape for a in one.annotations] == [Polygon(((1.0, 1.0), (10.0, 1.0), (10.0, 10.0)))]
    assert dataset.errors == []


def test_broken_json_names_the_file_and_position(tmp_path: Path) -> None:
    json_file = _dataset(tmp_path, [_box(1, 1, [1, 1, 5, 5])])
    json_file.write_text('{"images": [\n  {"id": 1,, "file_name": "one.png"}]}')
    with pytest.raises(FormatError) as info:
        CocoReader().read(tmp_path)
    message = str(info.value)
    assert str(json_file) in message and "line 2, column 12" in message


def test_json_that_is_not_coco_is_a_format_error(tmp_path: Path) -> None:
    json_file = tmp_path / "data.json"
    json_file.write_text(json.dumps([{"bbox": [1, 2, 3, 4], "image_id": 1}]))
    with pytest.raises(FormatError, match="no top-level 'images' list"):
        CocoReader().read(json_file)
    assert CocoReader().detect(json_file).confidence == 0.0


def test_bad_options_are_format_errors(tmp_path: Path) -> None:
    _dataset(tmp_path, [_box(1, 1, [1, 1, 5, 5])])
    with pytest.raises(FormatError, match="crowd must be one of polygon, skip"):
        CocoReader().read(tmp_path, crowd="mask")
    with pytest.raises(FormatError, match="annotation_file does not exist"):
        CocoReader().read(tmp_path, annotation_file="annotations/nope.json")


def test_several_unrelated_json_files_need_annotation_file(tmp_path: Path) -> None:
    for name in ("first.json", "second.json"):
        (tmp_path / name).write_text(json.dumps({"images": [], "annotations": [], "categories": []}))
    assert CocoReader().detect(tmp_path).confidence < 0.8
    with pytest.raises(FormatError) as info:
        CocoReader().read(tmp_path)
    assert "annotation_file" in str(info.value)
    assert str(tmp_path / "first.json") in str(info.value) and str(tmp_path / "second.json") in str(info.value)
    assert CocoReader().read(tmp_path, annotation_file="second.json").items == []


def test_detect_reads_only_the_ends_of_a_large_file(tmp_path: Path) -> None:
    """The middle of this file is not JSON at all: a full parse would fail, detection must not."""
    big = tmp_path / "annotations.json"
    with open(big, "w") as f:
        f.write('{"info": {}, "images": [{"id": 1, "file_name": "a.jpg"}, ')
        f.write("x" * 3_000_000)
        f.write('], "categories": [{"id": 1, "name": "a"}]}')
    verdict = CocoReader().detect(tmp_path)
    assert verdict.confidence == 0.8, verdict.reasons
    with pytest.raises(FormatError, match="not valid JSON"):
        CocoReader().read(tmp_path)


def test_duplicate_image_id_is_an_error_and_annotations_go_to_the_first(tmp_path: Path) -> None:
    images = [
        {"id": 1, "file_name": "one.png", "width": 40, "height": 30},
        {"id": 1, "file_name": "two.png", "width": 40, "height": 30},
    ]
    json_file = _dataset(tmp_path, [_box(1, 1, [1, 1, 5, 5])], images=images)
    dataset = CocoReader().read(tmp_path)
    problem = _only(dataset.problems, "image id 1 is used by an earlier image entry")
    assert (problem.severity, problem.file, problem.item) == ("error", str(json_file), "two.png")
    assert [(i.key, len(i.annotations)) for i in dataset.items] == [("images/default/one.png", 1)]


def test_image_level_labels_are_merged_per_image(tmp_path: Path) -> None:
    anns = [
        {"id": 1, "image_id": 1, "category_id": 3},
        {"id": 2, "image_id": 1, "category_id": 7},
        {"id": 3, "image_id": 1, "category_id": 3},
        {"id": 4, "image_id": 2, "category_id": 7, "bbox": [], "segmentation": []},
    ]
    _dataset(tmp_path, anns)
    dataset = CocoReader().read(tmp_path)
    by_key = {i.key: [(a.labels, a.shape) for a in i.annotations] for i in dataset.items}
    assert by_key == {"images/default/one.png": [(("cat", "dog"), None)],
                      "images/default/two.png": [(("dog",), None)]}
    assert dataset.problems == []


def test_non_crowd_rle_is_read_even_when_crowds_are_skipped(tmp_path: Path) -> None:
    mask_ann = {"id": 1, "image_id": 1, "category_id": 3, "iscrowd": 0,
                "segmentation": {"counts": [30 * 2, 30 * 3, 30 * 35], "size": [30, 40]}}
    crowd_ann = dict(mask_ann, id=2, iscrowd=1)
    _dataset(tmp_path, [mask_ann, crowd_ann])
    dataset = CocoReader().read(tmp_path, crowd="skip")
    one = next(i for i in dataset.items if i.key.endswith("one.png"))
    assert [(a.labels, a.shape.area) for a in one.annotations] == [(("cat",), 90.0)]
    assert dataset.problems == [p for p in dataset.problems if "no annotation" in p.message]


def test_json_path_under_annotations_keys_items_from_the_dataset_root(tmp_path: Path) -> None:
    json_file = _dataset(tmp_path, [_box(1, 1, [1, 1, 5, 5])])
    assert CocoReader().detect(json_file).confidence == 0.9
    dataset = CocoReader().read(json_file)
    assert dataset.root == tmp_path
    assert sorted(i.key for i in dataset.items) == ["images/default/one.png", "images/default/two.png"]


def test_image_files_are_found_through_links_sub_folders_and_dot_parts(tmp_path: Path) -> None:
    """A link to a file is found, a folder or a dangling link with the image's name is not, and names
    with sub-folders, '..' or './' parts are looked up through the file system."""
    import os

    names = ["one.png", "sub/two.png", "../default/three.png", "./four.png", "link.png", "folder.png",
             "dangling.png"]
    images = [{"id": n + 1, "file_name": name, "width": 40, "height": 30} for n, name in enumerate(names)]
    _dataset(tmp_path, [], images=images, write_images=False)
    folder = tmp_path / "images" / "default"
    (folder / "sub").mkdir(parents=True)
    for name in ("one.png", "sub/two.png", "three.png", "four.png", "target.png"):
        Image.new("RGB", (40, 30)).save(folder / name)
    os.symlink(folder / "target.png", folder / "link.png")
    (folder / "folder.png").mkdir()
    os.symlink(folder / "gone.png", folder / "dangling.png")
    dataset = CocoReader().read(tmp_path)
    assert sorted(i.path.name for i in dataset.items) == ["four.png", "link.png", "one.png", "three.png", "two.png"]
    missing = sorted(p.item for p in dataset.problems if "image file not found" in p.message)
    assert missing == ["dangling.png", "folder.png"]
