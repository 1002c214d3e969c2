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
    assert sum("listed by another annotation file" in p for p in listed[1]) == 1
