"""Drive a running ``sc-server --tls`` with the real, unmodified geti-sdk 2.13.1 (run with its own venv's python).

    SC_GETI_TOKEN=geti_pat_... REQUESTS_CA_BUNDLE=<data-dir>/tls/cert.pem \\
        python geti_sdk_roundtrip.py --host https://127.0.0.1:PORT --work DIR [--voc-raccoon DIR]

Steps, each geti-sdk's own public API: log in with the token, verifying the server's certificate through the CA
bundle; create a detection project from a dataset built in ``DIR/detection/source`` (generated JPEG/PNG images,
optionally real voc-raccoon photos, a real video with annotated frames and ``--many`` small images so that
``media:query`` pages) with geti-sdk's GetiAnnotationReader, auto-train off; ``download_project_data``;
``upload_project_data`` under a new name; download that too; then compare: both downloads must hold the same media
bytes, labels and annotations, and match the source dataset. The same for a classification project read with
DirectoryTreeAnnotationReader.
Every divergence is printed as ``DIVERGENCE: ...`` and makes the exit code 1. Only the token's environment
variable carries it (never argv or output).

TLS: geti-sdk has no CA-bundle parameter (``verify_certificate`` is a bool that becomes ``requests``'
``session.verify``), but with ``verify_certificate=True`` requests reads ``REQUESTS_CA_BUNDLE`` on every call, so
the certificate is verified for real; the script first checks that a login without the bundle fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import requests
from folder_compare import canonical, canonical_annotations, labels_of, media_of
from geti_sdk import Geti
from geti_sdk.annotation_readers import DirectoryTreeAnnotationReader, GetiAnnotationReader
from PIL import Image, ImageDraw

PROJECT = "geti-sdk interop"
problems: list[str] = []


def diverge(message: str) -> None:
    problems.append(message)
    print(f"DIVERGENCE: {message}", flush=True)


def build_dataset(folder: Path, voc_raccoon: Path | None, video: Path | None, many: int) -> dict[str, list]:
    """Media in ``folder/media`` and Geti-format annotation files (pixels) in ``folder/annotations``
    (``<image stem>.json``, ``<video stem>_frame_<i>.json``); returns {annotation file stem: sorted annotations}
    as expected back, where an empty list marks an image without annotations."""
    images, annotations = folder / "media", folder / "annotations"
    images.mkdir(parents=True)
    annotations.mkdir()
    expected: dict[str, list] = {}
    generated = [  # (name, format, size, boxes as (label, x, y, w, h))
        ("street-1", "JPEG", (320, 240), [("car", 10, 21, 100, 50), ("bus", 150, 30, 120, 90)]),
        ("street-2", "PNG", (200, 300), [("car", 0, 0, 200, 300), ("person", 20, 40, 30, 80),
                                         ("person", 60, 40, 31, 81)]),
        ("empty-road", "JPEG", (256, 256), []),
    ] + [(f"tiny-{n:03d}", "JPEG", (40 + n % 7, 32 + n % 5), [("person" if n % 2 else "car", n % 9, 1, 12, 20)])
         for n in range(many)]
    for name, fmt, size, boxes in generated:
        image = Image.new("RGB", size, (40, 90, 160))
        draw = ImageDraw.Draw(image)
        for index, (_, x, y, w, h) in enumerate(boxes):
            draw.rectangle((x, y, x + w - 1, y + h - 1), outline=(255, 255 - 60 * index, 0), width=3)
        image.save(images / f"{name}.{'png' if fmt == 'PNG' else 'jpg'}", fmt)
        expected[name] = _write_annotations(annotations / f"{name}.json", boxes)
    if voc_raccoon is not None:  # real photos and their real boxes, read-only: copied into the temp folder
        for stem in ("raccoon-1", "raccoon-10", "raccoon-100"):
            shutil.copy(voc_raccoon / "images" / f"{stem}.jpg", images / f"{stem}.jpg")
            boxes = []
            for obj in ET.parse(voc_raccoon / "annotations" / f"{stem}.xml").getroot().iter("object"):
                box = {k: int(float(obj.findtext(f"bndbox/{k}"))) for k in ("xmin", "ymin", "xmax", "ymax")}
                boxes.append((obj.findtext("name"), box["xmin"], box["ymin"], box["xmax"] - box["xmin"],
                              box["ymax"] - box["ymin"]))
            expected[stem] = _write_annotations(annotations / f"{stem}.json", boxes)
    if video is not None:  # a real video: two annotated frames (the first, and one after the first stride)
        shutil.copy(video, images / video.name)
        for frame, boxes in ((0, [("car", 5, 6, 70, 40)]), (60, [("bus", 100, 50, 90, 60), ("person", 1, 2, 3, 4)])):
            key = f"{video.stem}_frame_{frame}"
            expected[key] = _write_annotations(annotations / f"{key}.json", boxes)
    return expected


def _write_annotations(path: Path, boxes: list[tuple]) -> list:
    if not boxes:
        return []  # no file: geti-sdk uploads nothing for this image
    scene = {"annotations": [{"labels": [{"name": label, "probability": 1.0}],
                              "shape": {"type": "RECTANGLE", "x": x, "y": y, "width": w, "height": h}}
                             for label, x, y, w, h in boxes]}
    path.write_text(json.dumps(scene))
    return sorted(canonical([label], {"type": "RECTANGLE", "x": x, "y": y, "width": w, "height": h})
                  for label, x, y, w, h in boxes)


def build_segmentation(folder: Path) -> dict[str, list]:
    """Images of odd sizes (so pixel -> stored -> pixel conversions are not exact in binary) with polygons,
    an ellipse and a rectangle in Geti-format files; returns the expected annotations per image."""
    (folder / "media").mkdir(parents=True)
    (folder / "annotations").mkdir()
    shapes = {
        "field-1": ((333, 217), [("grass", {"type": "POLYGON", "points": [{"x": 0, "y": 0}, {"x": 332, "y": 0},
                                                                           {"x": 332, "y": 100}, {"x": 7, "y": 116}]}),
                                 ("rock", {"type": "ELLIPSE", "x": 101, "y": 120, "width": 57, "height": 33})]),
        "field-2": ((1001, 77), [("rock", {"type": "POLYGON", "points": [{"x": 999, "y": 76}, {"x": 13, "y": 70},
                                                                          {"x": 500, "y": 3}]}),
                                 ("grass", {"type": "RECTANGLE", "x": 1, "y": 1, "width": 999, "height": 19})]),
    }
    expected = {}
    for name, (size, drawn) in shapes.items():
        Image.new("RGB", size, (30, 140, 60)).save(folder / "media" / f"{name}.png", "PNG")
        scene = {"annotations": [{"labels": [{"name": label, "probability": 1.0}], "shape": shape}
                                 for label, shape in drawn]}
        (folder / "annotations" / f"{name}.json").write_text(json.dumps(scene))
        expected[name] = sorted(canonical([label], shape) for label, shape in drawn)
    return expected


def compare(source: Path, first: Path, second: Path, expected: dict[str, list]) -> dict:
    media_1, media_2 = media_of(first), media_of(second)
    if media_1 != media_2:
        diverge(f"media differ: {sorted(set(media_1) ^ set(media_2)) or 'same names, different bytes'}")
    uploaded = {Path(name).stem: data for name, data in media_of(source).items()}
    downloaded = {Path(name).stem: data for name, data in media_1.items()}
    if downloaded.keys() != uploaded.keys():
        diverge(f"downloaded media {sorted(downloaded)} != uploaded {sorted(uploaded)}")
    changed = sorted(stem for stem in uploaded.keys() & downloaded.keys() if uploaded[stem] != downloaded[stem])
    if changed:
        diverge(f"media not served byte for byte as uploaded: {changed}")
    labels_1, labels_2 = labels_of(first), labels_of(second)
    if labels_1 != labels_2:
        diverge(f"labels differ:\n  {labels_1}\n  {labels_2}")
    wanted = {label for boxes in expected.values() for item in boxes for label in json.loads(item)[0]}
    if {label["name"] for label in labels_1 if not label["is_empty"]} != wanted:
        diverge(f"labels {labels_1} are not the dataset's {sorted(wanted)}")
    annotations_1, annotations_2 = canonical_annotations(first), canonical_annotations(second)
    if annotations_1 != annotations_2:
        diverge(f"annotations differ:\n  {annotations_1}\n  {annotations_2}")
    annotated = {stem: boxes for stem, boxes in expected.items() if boxes}
    if annotations_1 != annotated:
        diverge(f"downloaded annotations {annotations_1} != source {annotated}")
    return {"media": len(media_1), "media_bytes": sum(map(len, media_1.values())), "labels": len(labels_1),
            "annotation_files": len(annotations_1), "shapes": sum(map(len, annotations_1.values()))}


def auto_train_enabled(geti: Geti, project) -> list:
    """``enable`` of every task in the project's configuration, read through geti-sdk's own session."""
    url = f"workspaces/{geti.workspace_id}/projects/{project.id}/project_configuration"
    configuration = geti.session.get_rest_response(url=url, method="GET")  # the session adds organizations/{id}/
    return [item["value"] for task in configuration["task_configs"] for item in task["auto_training"]
            if item["key"] == "enable"]


def round_trip(geti: Geti, name: str, project_type: str, source: Path, reader, work: Path,
               expected: dict[str, list], upload_videos: bool = False) -> dict:
    """Create ``name`` from ``source/media`` with ``reader`` (auto-train off), download it, upload the download
    as ``<name> (restored)``, download that, and compare the two downloads with each other and the source."""
    project = geti.create_single_task_project_from_dataset(
        project_name=name, project_type=project_type, path_to_images=str(source / "media"),
        annotation_reader=reader, enable_auto_train=False, upload_videos=upload_videos)
    if any(auto_train_enabled(geti, project)):
        diverge(f"{name}: auto-train is on after create_single_task_project_from_dataset(enable_auto_train=False)")
    first, second = work / "download-1", work / "download-2"
    geti.download_project_data(project, target_folder=str(first))
    copy = f"{name} (restored)"
    restored = geti.upload_project_data(str(first), project_name=copy, enable_auto_train=False)
    if restored.name != copy or restored.id == project.id:
        diverge(f"upload_project_data gave project {restored.name!r} ({restored.id}), not a new {copy!r}")
    if any(auto_train_enabled(geti, restored)):
        diverge(f"{copy}: auto-train is on after upload_project_data(enable_auto_train=False)")
    geti.download_project_data(restored, target_folder=str(second))
    return compare(source, first, second, expected)


def build_classification(folder: Path, per_label: int) -> dict[str, list]:
    """A directory tree ``folder/media/<label>/<image>`` for DirectoryTreeAnnotationReader; returns the expected
    annotation per image: its folder's label on a full-image rectangle."""
    expected = {}
    for index, (label, color) in enumerate((("cat", (200, 120, 40)), ("dog", (90, 60, 30)), ("bird", (20, 160, 220)))):
        (folder / "media" / label).mkdir(parents=True)
        for number in range(per_label):
            size = (64 + 16 * number, 48 + 8 * index)
            name = f"{label}-{number}"
            Image.new("RGB", size, color).save(folder / "media" / label / f"{name}.jpg", "JPEG", quality=90)
            expected[name] = [canonical([label], {"type": "RECTANGLE", "x": 0, "y": 0,
                                                   "width": size[0], "height": size[1]})]
    return expected


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--work", required=True, type=Path)
    parser.add_argument("--voc-raccoon", type=Path, default=None)
    parser.add_argument("--video", type=Path, default=None)
    parser.add_argument("--many", type=int, default=0, help="extra small annotated images (>100: media:query pages)")
    args = parser.parse_args()
    token = os.environ["SC_GETI_TOKEN"]
    bundle = os.environ.pop("REQUESTS_CA_BUNDLE")
    try:  # the certificate is really verified: without the bundle, the login must fail
        Geti(host=args.host, token=token, verify_certificate=True)
        diverge("login succeeded without the CA bundle: the certificate was not verified")
    except requests.exceptions.SSLError:
        pass
    os.environ["REQUESTS_CA_BUNDLE"] = bundle
    geti = Geti(host=args.host, token=token, verify_certificate=True)

    detection = args.work / "detection"
    expected = build_dataset(detection / "source", args.voc_raccoon, args.video, args.many)
    reader = GetiAnnotationReader(str(detection / "source" / "annotations"))
    summary = {"detection": round_trip(geti, PROJECT, "detection", detection / "source", reader, detection,
                                       expected, upload_videos=args.video is not None)}
    classification = args.work / "classification"
    expected = build_classification(classification / "source", per_label=3)
    reader = DirectoryTreeAnnotationReader(str(classification / "source" / "media"))
    summary["classification"] = round_trip(geti, f"{PROJECT} classification", "classification",
                                           classification / "source", reader, classification, expected)
    segmentation = args.work / "segmentation"
    expected = build_segmentation(segmentation / "source")
    reader = GetiAnnotationReader(str(segmentation / "source" / "annotations"))
    summary["segmentation"] = round_trip(geti, f"{PROJECT} segmentation", "segmentation",
                                         segmentation / "source", reader, segmentation, expected)
    print(json.dumps({"summary": summary, "divergences": len(problems)}), flush=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
