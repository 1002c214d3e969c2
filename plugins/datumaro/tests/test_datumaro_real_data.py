"""The datumaro reader on real and Datumaro-fixture datasets under /work/shared.

Every expected count is computed here from the raw files (XML, txt, JSON), never by Datumaro.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from sc_importers_datumaro import DatumaroReader

from sc_importers.model import Dataset

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}


@cache
def _read(path: Path, fmt: str | None = None) -> Dataset:
    """Read once per module run: Datumaro imports are not free."""
    return DatumaroReader().read(path, **({"datumaro_format": fmt} if fmt else {}))


def _shape_counts(ds: Dataset) -> Counter:
    counts: Counter = Counter()
    for (_, shape), n in ds.annotation_counts().items():
        counts[shape] += n
    return counts


def test_flat_voc_raccoon(shared) -> None:
    root = shared.datasets("voc-raccoon")
    xmls = sorted((root / "annotations").glob("*.xml"))
    boxes = sum(len(ET.parse(x).getroot().findall("object/bndbox")) for x in xmls)
    classes = {o.findtext("name") for x in xmls for o in ET.parse(x).getroot().iter("object")}
    ds = _read(root)  # format detected: flat VOC, staged as VOCdevkit
    assert (len(xmls), boxes, classes) == (200, 217, {"raccoon"})
    assert len(ds.items) == len(xmls)
    assert [lb.name for lb in ds.labels] == sorted(classes)
    assert _shape_counts(ds) == Counter({"RECTANGLE": boxes})
    assert all(item.path.parent == root / "images" and item.path.is_file() for item in ds.items)
    assert not ds.errors


def test_flat_voc_box_coordinates_are_pixels(shared) -> None:
    root = shared.datasets("voc-raccoon")
    bndbox = ET.parse(root / "annotations" / "raccoon-1.xml").getroot().find("object/bndbox")
    x1, y1, x2, y2 = (float(bndbox.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax"))
    item = next(i for i in _read(root).items if i.key == "images/raccoon-1.jpg")
    rect = item.annotations[0].shape
    assert (rect.x, rect.y, rect.x + rect.width, rect.y + rect.height) == (x1, y1, x2, y2)


def test_labelme_voc_export_without_image_sets(shared) -> None:
    """labelme's VOC export: Annotations/ + JPEGImages/, no ImageSets/, empty <difficult/> flags
    (which Datumaro alone rejects per object): every box is read, at the XML's pixel coordinates."""
    root = shared.datasets("labelme-examples/examples/bbox_detection/data_dataset_voc")
    xmls = sorted((root / "Annotations").glob("*.xml"))
    expected = Counter(o.findtext("name") for x in xmls for o in ET.parse(x).getroot().iter("object"))
    assert sum(expected.values()) == 9 and not (root / "ImageSets").exists()
    ds = _read(root)
    assert ds.format == "datumaro:voc"
    assert not ds.errors, [str(p) for p in ds.errors]
    assert Counter({label: n for (label, _), n in ds.annotation_counts().items()}) == expected
    assert {item.path for item in ds.items} == {root / "JPEGImages" / f"{x.stem}.jpg" for x in xmls}
    first = ET.parse(xmls[0]).getroot().find("object/bndbox")
    x1, y1, x2, y2 = (float(first.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax"))
    rect = next(i for i in ds.items if i.path.stem == xmls[0].stem).annotations[0].shape
    assert (rect.x, rect.y, rect.width, rect.height) == pytest.approx((x1, y1, x2 - x1, y2 - y1), abs=1e-3)


def test_voc_devkit_fixture(shared) -> None:
    root = shared.datasets("datumaro-test-assets/assets/voc_dataset/voc_dataset1")
    # object boxes and their layout parts (VOC <part><bndbox>) are each a box
    boxes = sum(len(list(ET.parse(x).getroot().iter("bndbox"))) for x in (root / "Annotations").glob("*.xml"))
    images = [p for p in (root / "JPEGImages").iterdir() if p.suffix in IMAGE_SUFFIXES]
    ds = _read(root, "voc")
    counts = _shape_counts(ds)
    assert len(ds.items) == len(images)
    assert counts["RECTANGLE"] == boxes
    assert counts["POLYGON"] >= 1  # the SegmentationObject mask became a polygon contour


def test_yolo_coco128_detection(shared) -> None:
    root = shared.datasets("coco128-yolo-lightly/object_detection")
    images = root.parent / "images"  # object_detection/images is a git symlink placeholder file
    expected_items, expected_boxes, orphans = 0, 0, []
    for txt in sorted((root / "labels").glob("*/*.txt")):
        if (images / txt.parent.name / f"{txt.stem}.jpg").is_file():
            expected_items += 1
            expected_boxes += sum(1 for line in txt.read_text().splitlines() if line.strip())
        else:
            orphans.append(txt.stem)
    names = [ln for ln in (root / "config.yaml").read_text().split("names:")[1].splitlines() if ":" in ln]
    ds = _read(root)  # detected via config.yaml, no --datumaro-format
    assert sorted(orphans) == ["000000000656", "000000000659"]
    assert len(ds.items) == expected_items
    assert len(ds.labels) == len(names) == 80
    assert _shape_counts(ds) == Counter({"RECTANGLE": expected_boxes})
    orphan_items = sorted(p.item for p in ds.errors if "orphan" in p.message)
    assert orphan_items == [f"train2017/{o}" for o in sorted(orphans)]
    assert all(item.path.is_file() for item in ds.items)


def test_yolo_seg_is_a_clear_error(shared) -> None:
    import pytest

    from sc_importers.formats import FormatError

    root = shared.datasets("coco128-yolo-lightly/instance_segmentation")
    with pytest.raises(FormatError, match=r"config\.yaml.*not 0\.\.79"):
        DatumaroReader().read(root, datumaro_format="yolo")


def test_labelme_fixture(shared) -> None:
    root = shared.datasets("datumaro-test-assets/assets/labelme_dataset")
    xmls = list((root / "Annotations").glob("**/*.xml"))
    objects = [o for x in xmls for o in ET.parse(x).getroot().iter("object") if o.findtext("deleted", "0") == "0"]
    ds = _read(root, "label_me")
    assert len(ds.items) == len(xmls)
    assert sum(_shape_counts(ds).values()) == len(objects)
    # a polygon typed bounding_box is a box; any other polygon, and every mask (<segm>), a polygon
    expected = Counter(
        (o.findtext("name"), "RECTANGLE" if o.find("polygon") is not None and o.findtext("type") == "bounding_box"
         else "POLYGON") for o in objects)
    assert Counter(ds.annotation_counts()) == expected
    assert sorted(lb.name for lb in ds.labels) == sorted({o.findtext("name") for o in objects})


def test_datumaro_json_fixture(shared) -> None:
    root = shared.datasets("datumaro-test-assets/assets/datumaro_dataset")
    anns: Counter = Counter()
    per_label: Counter = Counter()
    names: list[str] = []
    items = 0
    for js in sorted((root / "legacy" / "annotations").glob("*.json")):
        data = json.loads(js.read_text())
        names = [lb["name"] for lb in data["categories"]["label"]["labels"]]
        for item in data["items"]:
            items += 1
            anns.update(a["type"] for a in item["annotations"])
            per_label.update((names[a["label_id"]], "IMAGE") for a in item["annotations"] if a["type"] == "label")
    ds = _read(root)
    assert len(ds.items) == items
    assert _shape_counts(ds)["IMAGE"] == anns["label"]
    assert Counter(ds.annotation_counts()) == per_label
    assert [lb.name for lb in ds.labels] == names


def test_cvat_images_fixture(shared) -> None:
    root = shared.datasets("datumaro-test-assets/assets/cvat_dataset/for_images/export_task")
    xml = ET.parse(root / "train.xml").getroot()
    labelled_boxes = [b for b in xml.iter("box") if b.get("label")]
    ds = _read(root, "cvat")
    assert len(ds.items) == len(xml.findall("image"))
    assert _shape_counts(ds)["RECTANGLE"] == len(labelled_boxes)
    assert [lb.name for lb in ds.labels] == [lb.findtext("name") for lb in xml.iter("label")]
    assert any("points annotations have no SC 1.0 equivalent" in p.message for p in ds.problems)


def test_cvat_video_frames_keyed_by_frame(shared) -> None:
    root = shared.datasets("datumaro-test-assets/assets/cvat_dataset/for_video")
    frames = sorted(p.stem for p in (root / "images").iterdir())
    ds = _read(root, "cvat")
    assert sorted(i.key for i in ds.items) == [f"for_video/{f}" for f in frames]
    xml = ET.parse(root / "annotations.xml").getroot()
    assert [lb.name for lb in ds.labels] == [lb.findtext("name") for lb in xml.iter("label")]


def test_imagenet_fixture(shared) -> None:
    root = shared.datasets("datumaro-test-assets/assets/imagenet_dataset")
    images = [p for p in root.rglob("*") if p.suffix in IMAGE_SUFFIXES]
    labelled = [p for p in images if p.parent != root]
    ds = _read(root, "imagenet")
    assert len(ds.items) == len(images)
    assert _shape_counts(ds) == Counter({"IMAGE": len(labelled)})
    assert {lb.name for lb in ds.labels} == {p.parent.relative_to(root).as_posix() for p in labelled}
