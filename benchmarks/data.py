"""Generated data for the benchmark command (nothing is downloaded).

- :func:`val_dataset`: a COCO dataset of val2017's size (5,000 640x480 JPEGs, about 36,000 polygon
  instances; ``scale`` shrinks it), written by :func:`sc_importers.synthetic.make_coco_dataset`, plus the
  same boxes as Geti annotation files for geti-sdk's ``GetiAnnotationReader``.
- :func:`train_json`: a COCO instances file of train2017's size (118,000 images, 800,000 polygon instances,
  about 300 MB at scale 1), written as a stream; every image entry points to one hard link of a single
  640x480 JPEG, so readers that look for the files find them at no disk cost. With ``crowd`` 1 % of the
  instances are crowd regions with uncompressed RLE counts, as COCO writes them.
"""

from __future__ import annotations

import json
import math
import os
import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from sc_importers.synthetic import ANNOTATION_FILE, IMAGES_DIR, make_coco_dataset

CATEGORIES = ["person", "bicycle", "car", "motorcycle", "bus", "truck", "boat", "bench", "bird", "cat"]
VAL_IMAGES, VAL_OBJECTS = 5000, (3, 12)  # 7.5 instances per image on average, as val2017's 36,781 / 5,000
TRAIN_IMAGES, TRAIN_INSTANCES = 118_000, 800_000
WIDTH, HEIGHT = 640, 480


@dataclass
class ValDataset:
    root: Path
    images: int
    megabytes: float
    annotations: int
    geti_media: Path
    geti_annotations: Path


def val_dataset(folder: Path, scale: float, seed: int = 2017) -> ValDataset:
    """The import dataset (``folder/coco``) and its Geti-format twin for geti-sdk (``folder/geti``)."""
    count = max(10, round(VAL_IMAGES * scale))
    dataset = make_coco_dataset(folder / "coco", count, CATEGORIES, seed=seed, objects_per_image=VAL_OBJECTS)
    coco = json.loads((folder / "coco" / ANNOTATION_FILE).read_text())
    names = {c["id"]: c["name"] for c in coco["categories"]}
    boxes: dict[int, list] = {}
    for ann in coco["annotations"]:
        boxes.setdefault(ann["image_id"], []).append(ann)
    notes = folder / "geti" / "annotations"
    notes.mkdir(parents=True)
    for image in coco["images"]:
        scene = {"annotations": [
            {"labels": [{"name": names[a["category_id"]], "probability": 1.0}],
             "shape": {"type": "RECTANGLE", "x": round(a["bbox"][0]), "y": round(a["bbox"][1]),
                       "width": max(1, round(a["bbox"][2])), "height": max(1, round(a["bbox"][3]))}}
            for a in boxes.get(image["id"], [])]}
        (notes / f"{Path(image['file_name']).stem}.json").write_text(json.dumps(scene))
    megabytes = sum(item.path.stat().st_size for item in dataset.items) / 1e6
    return ValDataset(folder / "coco", count, megabytes, len(coco["annotations"]),
                      folder / "coco" / IMAGES_DIR, notes)


def _polygon(rng: random.Random) -> tuple[list[float], list[float]]:
    cx, cy = rng.uniform(40, WIDTH - 40), rng.uniform(40, HEIGHT - 40)
    radius = rng.uniform(8, 38)
    points = []
    corners = rng.randint(10, 16)
    for index in range(corners):
        angle = 6.2832 * index / corners
        r = radius * rng.uniform(0.6, 1.0)
        points += [round(cx + r * math.cos(angle), 2), round(cy + r * math.sin(angle), 2)]
    xs, ys = points[0::2], points[1::2]
    return points, [round(min(xs), 2), round(min(ys), 2), round(max(xs) - min(xs), 2), round(max(ys) - min(ys), 2)]


def _crowd_counts(rng: random.Random) -> list[int]:
    """Column-major uncompressed RLE of a random rectangle in a WIDTH x HEIGHT image."""
    x0, y0 = rng.randint(0, WIDTH - 120), rng.randint(0, HEIGHT - 90)
    w, h = rng.randint(20, 110), rng.randint(20, 80)
    counts = [x0 * HEIGHT + y0]
    for column in range(w):
        counts.append(h)
        # zeros to the next column's y0, after the last column to the end of the image
        counts.append(HEIGHT - h if column < w - 1 else HEIGHT - h - y0 + (WIDTH - x0 - w) * HEIGHT)
    return counts


def train_json(folder: Path, scale: float, crowd: bool = False, seed: int = 118) -> Path:
    """A train2017-size COCO dataset folder (``images/`` of hard links, ``annotations/instances_default.json``)."""
    images = max(20, round(TRAIN_IMAGES * scale))
    instances = max(100, round(TRAIN_INSTANCES * scale))
    rng = random.Random(seed)
    (folder / IMAGES_DIR).mkdir(parents=True, exist_ok=True)
    (folder / ANNOTATION_FILE).parent.mkdir(parents=True, exist_ok=True)
    originals = []  # one JPEG per 60,000 links (ext4 allows 65,000 links to a file)
    with open(folder / ANNOTATION_FILE, "w", encoding="utf-8") as out:
        out.write('{"info": {"description": "generated train2017-size benchmark file"}, "licenses": [], "images": [')
        for index in range(images):
            name = f"{index + 1:012d}.jpg"
            link = folder / IMAGES_DIR / name
            if index % 60_000 == 0:
                originals.append(folder / f"original-{len(originals)}.jpg")
                Image.new("RGB", (WIDTH, HEIGHT), (90, 120, 150)).save(originals[-1], "JPEG", quality=80)
            if not link.exists():
                os.link(originals[-1], link)
            out.write(("," if index else "") + json.dumps(
                {"id": index + 1, "file_name": name, "width": WIDTH, "height": HEIGHT, "license": 1}))
        out.write('], "annotations": [')
        for index in range(instances):
            image_id = rng.randint(1, images)
            category = rng.randint(1, len(CATEGORIES))
            if crowd and index % 100 == 0:
                counts = _crowd_counts(rng)
                entry = {"id": index + 1, "image_id": image_id, "category_id": category, "iscrowd": 1,
                         "segmentation": {"counts": counts, "size": [HEIGHT, WIDTH]},
                         "area": 1000.0, "bbox": [0, 0, 10, 10]}
            else:
                points, bbox = _polygon(rng)
                entry = {"id": index + 1, "image_id": image_id, "category_id": category, "iscrowd": 0,
                         "segmentation": [points], "area": round(bbox[2] * bbox[3] * 0.7, 2), "bbox": bbox}
            out.write(("," if index else "") + json.dumps(entry))
        out.write('], "categories": ' + json.dumps(
            [{"id": i + 1, "name": name, "supercategory": "thing"} for i, name in enumerate(CATEGORIES)]) + "}")
    for original in originals:
        original.unlink()
    return folder
