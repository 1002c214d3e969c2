"""Image files found from a folder listing (ImageFinder, large files) answer as a stat per file does."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import sc_importers_coco.layout as layout
from sc_importers_coco import CocoReader


def _read(root: Path, list_from: int, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    with monkeypatch.context() as patch:
        patch.setattr(layout, "LIST_FROM", list_from)
        dataset = CocoReader().read(root)
    return [(item.key, str(item.path)) for item in dataset.items], [str(p) for p in dataset.problems]


def test_listing_and_stat_find_the_same_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    images = tmp_path / "images"
    (images / "sub").mkdir(parents=True)
    (images / "a.jpg").write_bytes(b"x")
    (images / "sub" / "b.jpg").write_bytes(b"x")
    (images / "folder.jpg").mkdir()  # a folder named like an image is not one
    os.symlink(images / "a.jpg", images / "link.jpg")  # a link to a file is a file
    os.symlink(images / "gone.jpg", images / "dangling.jpg")
    (tmp_path / "c.jpg").write_bytes(b"x")  # beside the json: the next folder looked in
    names = ["a.jpg", "sub/b.jpg", "folder.jpg", "link.jpg", "dangling.jpg", "missing.jpg", "c.jpg", "./a.jpg"]
    (tmp_path / "instances.json").write_text(json.dumps({
        "images": [{"id": n, "file_name": name, "width": 4, "height": 4} for n, name in enumerate(names)],
        "annotations": [], "categories": [{"id": 1, "name": "cat"}]}))
    listed = _read(tmp_path, 1, monkeypatch)
    assert listed == _read(tmp_path, 10**9, monkeypatch)
    keys = [key for key, _ in listed[0]]
    assert keys == ["images/a.jpg", "images/sub/b.jpg", "images/link.jpg", "c.jpg"]  # ./a.jpg is a.jpg again
    assert sum("image file not found" in p for p in listed[1]) == 3  # folder.jpg, dangling.jpg, missing.jpg
    assert sum("(images/a.jpg) is listed by an earlier image entry of this file under another file_name" in p
               for p in listed[1]) == 1


def test_an_image_listed_by_two_annotation_files_names_the_first(tmp_path: Path) -> None:
    (tmp_path / "annotations").mkdir()
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a.jpg").write_bytes(b"x")
    for split in ("train", "val"):
        (tmp_path / "annotations" / f"instances_{split}.json").write_text(json.dumps({
            "images": [{"id": 1, "file_name": "a.jpg", "width": 4, "height": 4}],
            "annotations": [], "categories": [{"id": 1, "name": "cat"}]}))
    dataset = CocoReader().read(tmp_path, images_dir="images")
    assert [item.key for item in dataset.items] == ["images/a.jpg"]
    (problem,) = [p for p in dataset.problems if p.severity == "error"]
    assert problem.file is not None and problem.file.endswith("instances_val.json")
    assert "(images/a.jpg) is listed by another annotation file (" in problem.message
    assert "instances_train.json)" in problem.message


@pytest.mark.parametrize("layout_name", ["all in the second folder", "split over two folders", "one missing"])
def test_every_image_found_at_once_is_where_each_is_found_alone(tmp_path: Path, layout_name: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """ImageFinder.find_all (the usual file: every image in one folder) answers as find per image, or
    leaves it to find: the folders looked in first may be missing, not hold some of the images."""
    (tmp_path / "annotations").mkdir()
    (tmp_path / "images").mkdir()  # images/<split>/ (looked in first) does not exist
    names = [f"{n}.jpg" for n in range(6)]
    for n, name in enumerate(names):
        if layout_name == "one missing" and n == 3:
            continue
        folder = tmp_path / "images" if layout_name != "split over two folders" or n % 2 else tmp_path / "annotations"
        (folder / name).write_bytes(b"x")
    (tmp_path / "annotations" / "instances_val.json").write_text(json.dumps({
        "images": [{"id": n, "file_name": name, "width": 4, "height": 4} for n, name in enumerate(names)],
        "annotations": [], "categories": [{"id": 1, "name": "cat"}]}))
    found_at_once = layout.ImageFinder.find_all
    calls: list[object] = []

    def spied(self, names):  # type: ignore[no-untyped-def]
        calls.append(result := found_at_once(self, names))
        return result

    monkeypatch.setattr(layout.ImageFinder, "find_all", spied)
    listed = _read(tmp_path, 1, monkeypatch)
    assert listed == _read(tmp_path, 10**9, monkeypatch)  # listed or not: one stat per image
    assert (calls[0] is not None) == (layout_name == "all in the second folder")
    assert len(listed[0]) == (5 if layout_name == "one missing" else 6)
