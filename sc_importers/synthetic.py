"""Generated COCO datasets that look like photos enough to exercise a server: textured JPEGs with
filled shapes, and a COCO instances JSON (boxes and polygons) describing exactly those shapes.

Tests, ``benchmarks/upload.py`` and the README demo use it when no real dataset fits, or when the
dataset must be large (the benchmark uploads thousands of images). The generator also returns the
neutral :class:`~sc_importers.model.Dataset` it wrote, so a test has ground truth that does not
depend on any format reader.

Layout written (the standard COCO one)::

    folder/annotations/instances_default.json
    folder/images/000001.jpg ...
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from sc_importers.model import Annotation, Dataset, Label, MediaItem, Polygon, bounding_box

ANNOTATION_FILE = "annotations/instances_default.json"
IMAGES_DIR = "images"

#: Distinct colors for the shapes of the first categories (RGB).
_PALETTE = [
    (220, 40, 40), (40, 160, 60), (40, 70, 220), (230, 180, 20), (160, 40, 200),
    (20, 190, 190), (240, 120, 30), (120, 80, 40), (250, 250, 250), (30, 30, 30),
]


def _background(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A smooth colour gradient with blurred noise on top: compresses like a photo, not like a flat fill."""
    width, height = size
    small = Image.new("RGB", (max(4, width // 16), max(4, height // 16)))
    base = [rng.randint(40, 200) for _ in range(3)]
    pixels = small.load()
    assert pixels is not None  # None only for an image without pixel data; this one was just made
    for y in range(small.height):
        for x in range(small.width):
            pixels[x, y] = tuple(
                max(0, min(255, c + int(40 * math.sin((x + y * (i + 1)) / 5)) + rng.randint(-25, 25)))
                for i, c in enumerate(base)
            )
    texture = small.resize(size, Image.Resampling.BICUBIC)
    noise = Image.effect_noise(size, 30).convert("RGB")
    return Image.blend(texture, noise, 0.18).filter(ImageFilter.GaussianBlur(0.6))


def _random_polygon(rng: random.Random, size: tuple[int, int]) -> tuple[tuple[float, float], ...]:
    """A star-shaped polygon (5-10 vertices, no self-intersection) fully inside the image."""
    width, height = size
    radius = rng.uniform(0.06, 0.22) * min(width, height)
    cx = rng.uniform(radius + 1, width - radius - 1)
    cy = rng.uniform(radius + 1, height - radius - 1)
    n = rng.randint(5, 10)
    # one vertex per equal sector around the centre: no gap between neighbouring angles reaches pi (random
    # angles could leave one, and the polygon then crossed itself); as many draws as before, so a seed
    # still gives the same images, categories and counts
    draws = [rng.uniform(0, 2 * math.pi) for _ in range(n)]
    angles = [(k + 0.1 + 0.8 * d / (2 * math.pi)) * 2 * math.pi / n for k, d in enumerate(draws)]
    points = []
    for a in angles:
        r = radius * rng.uniform(0.55, 1.0)
        points.append((round(cx + r * math.cos(a), 2), round(cy + r * math.sin(a), 2)))
    return tuple(points)


def _coco_category_ids(categories: list[str]) -> dict[str, int]:
    """Non-contiguous ids (1, 3, 5, ...), as real COCO files have gaps and readers must not assume none."""
    return {name: 2 * i + 1 for i, name in enumerate(categories)}


def make_coco_dataset(
    folder: Path | str,
    n_images: int,
    categories: list[str],
    seed: int = 0,
    image_size: tuple[int, int] = (640, 480),
    *,
    objects_per_image: tuple[int, int] = (1, 4),
    unannotated: int = 0,
) -> Dataset:
    """Write ``n_images`` JPEGs and a COCO instances JSON into ``folder``; return the ground truth.

    Each annotated image gets ``objects_per_image`` (min, max) filled polygons of random categories;
    each object is written to COCO as its polygon ``segmentation`` plus the polygon's ``bbox``.
    The last ``unannotated`` images carry no annotation at all (they are still listed in
    ``images``). The same ``seed`` always produces the same files. The returned Dataset holds one
    :class:`~sc_importers.model.Polygon` annotation per object, in pixels, keyed by the image's
    path relative to ``folder``.
    """
    if not categories:
        raise ValueError("make_coco_dataset: at least one category is needed")
    if n_images < 0 or unannotated > n_images:
        raise ValueError(f"make_coco_dataset: bad counts n_images={n_images}, unannotated={unannotated}")
    folder = Path(folder)
    (folder / IMAGES_DIR).mkdir(parents=True, exist_ok=True)
    (folder / ANNOTATION_FILE).parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    cat_ids = _coco_category_ids(categories)
    colors = {name: _PALETTE[i % len(_PALETTE)] for i, name in enumerate(categories)}

    coco_images: list[dict] = []
    coco_annotations: list[dict] = []
    items: list[MediaItem] = []
    for index in range(1, n_images + 1):
        file_name = f"{index:06d}.jpg"
        image = _background(rng, image_size)
        draw = ImageDraw.Draw(image)
        annotations: list[Annotation] = []
        if index <= n_images - unannotated:
            for _ in range(rng.randint(*objects_per_image)):
                name = rng.choice(categories)
                points = _random_polygon(rng, image_size)
                draw.polygon(points, fill=colors[name], outline=(0, 0, 0))
                box = bounding_box(Polygon(points))
                coco_annotations.append({
                    "id": len(coco_annotations) + 1,
                    "image_id": index,
                    "category_id": cat_ids[name],
                    "bbox": [box.x, box.y, box.width, box.height],
                    "segmentation": [[c for p in points for c in p]],
                    "area": round(Polygon(points).area, 2),
                    "iscrowd": 0,
                })
                annotations.append(Annotation(labels=(name,), shape=Polygon(points)))
        path = folder / IMAGES_DIR / file_name
        image.save(path, "JPEG", quality=88)
        coco_images.append({"id": index, "file_name": file_name, "width": image_size[0],
                            "height": image_size[1]})
        items.append(MediaItem(path=path, key=f"{IMAGES_DIR}/{file_name}", annotations=annotations,
                               width=image_size[0], height=image_size[1]))

    coco = {
        "info": {"description": f"sc-importers synthetic dataset (seed {seed})"},
        "licenses": [],
        "images": coco_images,
        "annotations": coco_annotations,
        "categories": [{"id": cat_ids[n], "name": n, "supercategory": "shape"} for n in categories],
    }
    (folder / ANNOTATION_FILE).write_text(json.dumps(coco))
    return Dataset(
        name=folder.name, format="coco", root=folder,
        labels=[Label(name) for name in categories], items=items,
    )
