"""A VOCdevkit export whose classes are not the 20 VOC classes and that has no labelmap.txt (what
LabelImg and many exporters write), built from the real raccoon dataset: overlapping image lists
(train, val, trainval), one class 'raccoon'. Every box is read once, under the XML's class name."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner
from sc_importers_datumaro import DatumaroReader

from sc_importers.cli.import_cmd import build_command

TRAIN, VAL = [f"raccoon-{i}" for i in range(1, 7)], [f"raccoon-{i}" for i in range(7, 11)]


def make_voc_devkit(raccoon: Path, root: Path, labelmap: bool = False) -> Path:
    """``root/VOC2012`` with Annotations/, JPEGImages/ and ImageSets/Main/{train,val,trainval}.txt."""
    voc = root / "VOC2012"
    for sub in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (voc / sub).mkdir(parents=True)
    for stem in TRAIN + VAL:
        shutil.copy(raccoon / "annotations" / f"{stem}.xml", voc / "Annotations")
        shutil.copy(raccoon / "images" / f"{stem}.jpg", voc / "JPEGImages")
    lists = {"train": TRAIN, "val": VAL, "trainval": TRAIN + VAL}
    for name, stems in lists.items():
        (voc / "ImageSets" / "Main" / f"{name}.txt").write_text("".join(f"{s}\n" for s in stems))
    if labelmap:
        (voc / "labelmap.txt").write_text("# label:color_rgb:parts:actions\nraccoon:10,20,30::\n")
    return root


def _boxes(voc: Path) -> int:
    return sum(len(ET.parse(x).getroot().findall("object/bndbox")) for x in (voc / "Annotations").glob("*.xml"))


def test_voc_devkit_without_labelmap_takes_its_classes_from_the_xml(shared, tmp_path: Path) -> None:
    root = make_voc_devkit(shared.datasets("voc-raccoon"), tmp_path / "export")
    boxes = _boxes(root / "VOC2012")
    ds = DatumaroReader().read(root)
    assert [lb.name for lb in ds.labels] == ["raccoon"]
    assert len(ds.items) == 10
    assert sum(len(i.annotations) for i in ds.items) == boxes
    assert not ds.errors, ds.errors
    assert any("no labelmap.txt" in p.message for p in ds.problems)


def test_voc_devkit_with_labelmap_reads_each_listed_item_once(shared, tmp_path: Path) -> None:
    root = make_voc_devkit(shared.datasets("voc-raccoon"), tmp_path / "export", labelmap=True)
    ds = DatumaroReader().read(root / "VOC2012")
    assert len(ds.items) == 10
    assert sum(len(i.annotations) for i in ds.items) == _boxes(root / "VOC2012")
    relisted = [p for p in ds.problems if "listed again" in p.message]
    assert len(relisted) == 1 and "10 in trainval" in relisted[0].message  # one line, not one per item


def test_dry_run_of_an_undeclared_class_is_not_importable_when_every_box_fails(shared, tmp_path: Path) -> None:
    """Datumaro refuses boxes of undeclared classes: with a labelmap that does not name 'raccoon',
    every item has an error, and the dry run says so with exit code 1 (it said "importable", 0)."""
    root = make_voc_devkit(shared.datasets("voc-raccoon"), tmp_path / "export")
    (root / "VOC2012" / "labelmap.txt").write_text("# label:color_rgb:parts:actions\ndog:1,2,3::\n")
    result = CliRunner().invoke(build_command(), [str(root / "VOC2012"), "--dry-run", "--type", "detection"])
    assert result.exit_code == 1, result.output
    assert "every media item has an error" in result.output
    assert "item JPEGImages/raccoon-1.jpg" in result.output  # errors name the item by its key


def test_dry_run_of_the_export_creates_the_xml_classes(shared, tmp_path: Path) -> None:
    root = make_voc_devkit(shared.datasets("voc-raccoon"), tmp_path / "export")
    result = CliRunner().invoke(build_command(), [str(root), "--dry-run", "--type", "detection", "--json"])
    assert result.exit_code == 0, result.output
    report = __import__("json").loads(result.output[result.output.index("{"):])
    assert report["labels"]["found"] == ["raccoon"]
    assert report["project"]["tasks"][0]["would_convert"] == {"media": 10, "labels": {"raccoon": _boxes(
        root / "VOC2012")}}


def test_cvat_video_tracks_outside_their_frame_and_attributes_are_counted(shared) -> None:
    """CVAT for video (read by datumaro): a track's shape with outside="1" marks the object as not
    visible there, so it is no box; attribute values are counted per label, not dropped silently."""
    root = shared.datasets("datumaro-test-assets/assets/cvat_dataset/for_video")
    xml = ET.parse(root / "annotations.xml").getroot()
    visible_boxes = sum(1 for track in xml.iter("track") for box in track.iter("box") if box.get("outside") == "0")
    outside = sum(1 for track in xml.iter("track") for shape in track if shape.get("outside") == "1")
    ds = DatumaroReader().read(root, datumaro_format="cvat")
    boxes = sum(1 for item in ds.items for a in item.annotations if a.shape is not None)
    assert boxes == visible_boxes
    messages = " | ".join(p.message for p in ds.problems)
    assert f"{outside} track shapes are marked outside their frame" in messages
    assert "attribute values are not imported" in messages and "hgl of 'klhg'" in messages
