"""Detection that survives broken Datumaro importers, and bad input named precisely."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from sc_importers_datumaro import DatumaroReader, datumaro_format_names
from sc_importers_datumaro import detection as detection_mod

from sc_importers.formats import FormatError
from sc_importers.plugins import format_readers


def _flat_voc(root: Path, objects: dict[str, list[str]], images: list[str]) -> Path:
    """A tiny flat VOC dataset: annotations/<id>.xml naming <id>.jpg, and the given images."""
    (root / "annotations").mkdir(parents=True)
    (root / "images").mkdir()
    for stem, names in objects.items():
        objs = "".join(
            f"<object><name>{n}</name><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>6</xmax><ymax>8</ymax>"
            "</bndbox></object>"
            for n in names
        )
        (root / "annotations" / f"{stem}.xml").write_text(
            f"<annotation><filename>{stem}.jpg</filename><size><width>10</width><height>10</height>"
            f"<depth>3</depth></size>{objs}</annotation>"
        )
    for stem in images:
        Image.new("RGB", (10, 10)).save(root / "images" / f"{stem}.jpg")
    return root


def _yolo(root: Path, lines: str) -> Path:
    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    Image.new("RGB", (20, 10)).save(root / "images" / "train" / "a.jpg")
    (root / "labels" / "train" / "a.txt").write_text(lines)
    (root / "data.yaml").write_text("path: .\ntrain: images/train\nnames:\n  0: cat\n  1: dog\n")
    return root


def test_registered_through_entry_point() -> None:
    assert isinstance(format_readers()["datumaro"], DatumaroReader)


def test_format_names_listed() -> None:
    names = datumaro_format_names()
    assert {"voc", "yolo", "cvat", "imagenet", "label_me", "datumaro", "mot_seq"} <= set(names)
    assert len(names) > 50


def test_detection_survives_module_not_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """protobuf is not installed here, but make every lazy importer fail the way it would."""
    root = _flat_voc(tmp_path / "ds", {"a": ["cat"]}, ["a"])
    real = detection_mod._load_importer

    def broken(importer: object) -> object:
        if getattr(importer, "get_plugin_cls", None) is not None and "voc" not in repr(importer).lower():
            raise ModuleNotFoundError("No module named 'google'")
        return real(importer)

    monkeypatch.setattr(detection_mod, "_load_importer", broken)
    det = DatumaroReader().detect(root)
    assert det.confidence >= 0.5
    # a match was found: the unavailable importers are not worth a line in every run's output
    assert not any("ModuleNotFoundError" in r for r in det.reasons), det.reasons
    (tmp_path / "nothing").mkdir()
    (tmp_path / "nothing" / "readme.txt").write_text("no dataset here")
    none = DatumaroReader().detect(tmp_path / "nothing")
    assert none.confidence == 0.0  # nothing matched: now they may be why, so they are said
    assert any("ModuleNotFoundError" in r and "google" in r for r in none.reasons), none.reasons


def test_flat_voc_detected_and_read(tmp_path: Path) -> None:
    root = _flat_voc(tmp_path / "ds", {"a": ["cat", "dog"], "b": ["dog"]}, ["a", "b"])
    assert DatumaroReader().detect(root).confidence >= 0.5
    ds = DatumaroReader().read(root)
    assert sorted(i.key for i in ds.items) == ["images/a.jpg", "images/b.jpg"]
    assert sum(ds.annotation_counts().values()) == 3


def test_missing_image_names_item_and_path(tmp_path: Path) -> None:
    root = _flat_voc(tmp_path / "ds", {"a": ["cat"], "b": ["cat"]}, ["a"])
    ds = DatumaroReader().read(root)
    assert [i.key for i in ds.items] == ["images/a.jpg"]
    (err,) = ds.errors
    assert err.item == "b" and "image file missing" in err.message
    assert str(root / "images" / "b.jpg") in str(err)


def test_unknown_label_index_names_file_and_item(tmp_path: Path) -> None:
    root = _yolo(tmp_path / "ds", "0 0.5 0.5 0.2 0.2\n7 0.5 0.5 0.2 0.2\n")
    ds = DatumaroReader().read(root, datumaro_format="yolo")
    assert ds.errors, "label 7 of 2 must be reported"
    (err,) = ds.errors
    assert err.item == "train/a" and "'7'" in err.message
    assert err.file == str(root / "labels" / "train" / "a.txt")


def test_box_outside_image_clipped_or_rejected(tmp_path: Path) -> None:
    # a box sticking out to the right (clipped), one fully outside would have cx > 1 + w/2
    root = _yolo(tmp_path / "ds", "0 0.95 0.5 0.2 0.2\n")
    ds = DatumaroReader().read(root, datumaro_format="yolo")
    (ann,) = ds.items[0].annotations
    assert ann.shape.x + ann.shape.width == pytest.approx(20.0)
    # problems name the item by its key (what the report and the uploader skip by)
    assert any("extends outside the 20x10 image; clipped" in p.message and p.item == ds.items[0].key
               for p in ds.problems), [str(p) for p in ds.problems]


def test_import_failure_is_format_error(tmp_path: Path) -> None:
    (tmp_path / "ds").mkdir()
    with pytest.raises(FormatError, match=r"ds.*'cvat'"):
        DatumaroReader().read(tmp_path / "ds", datumaro_format="cvat")
    with pytest.raises(FormatError, match="unknown Datumaro format 'nope'"):
        DatumaroReader().read(tmp_path / "ds", datumaro_format="nope")
