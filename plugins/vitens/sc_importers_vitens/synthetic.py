"""Generate a small, realistic Vitens-format dataset (the real one is confidential).

Each image is a photo-like Petri dish: a dark background, a pale round plate, and a number of
small round colonies on it; each colony is annotated as a ``point`` (centre and radius, relative
to the image size) exactly as the Vitens annotation tool wrote them. Optionally some colonies
are annotated as ``polygon`` outlines instead, and some images get no annotation file at all.
Tests and ``examples/create_vitens_project.py`` use it.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter


@dataclass
class SyntheticVitens:
    """What :func:`make_vitens_dataset` wrote, for tests to compare a reader's output against."""

    folder: Path
    images: list[Path] = field(default_factory=list)
    annotation_files: list[Path] = field(default_factory=list)
    points: int = 0
    polygons: int = 0
    labels: tuple[str, ...] = ()


def _colony(rng: random.Random, size: int, plate_r: float) -> tuple[float, float, float]:
    """A colony centre (pixels) inside the plate and its radius (pixels)."""
    radius = rng.uniform(0.006, 0.018) * size
    dist = math.sqrt(rng.random()) * (plate_r - radius - 2)
    angle = rng.uniform(0, 2 * math.pi)
    return size / 2 + dist * math.cos(angle), size / 2 + dist * math.sin(angle), radius


def _circle_polygon(cx: float, cy: float, r: float, n: int = 12) -> list[tuple[float, float]]:
    steps = [2 * math.pi * k / n for k in range(n)]
    return [(cx + r * math.cos(a), cy + r * math.sin(a)) for a in steps]


def make_vitens_dataset(
    folder: Path | str,
    n_images: int = 4,
    seed: int = 0,
    *,
    size: int = 256,
    colonies: tuple[int, int] = (5, 25),
    labels: tuple[str, ...] = ("aeromonas",),
    polygon_fraction: float = 0.0,
    n_unannotated: int = 0,
) -> SyntheticVitens:
    """Write ``n_images`` plate images (``size`` x ``size`` JPEG) and their annotation files.

    ``colonies`` is the (min, max) number of colonies per image; each colony gets a label chosen
    from ``labels``; ``polygon_fraction`` of them are written as polygons instead of points; the
    last ``n_unannotated`` images get no annotation file. The same ``seed`` gives the same files.
    Images are named ``0000_plate.jpg``, annotations ``0000_annotation.json``.
    """
    rng = random.Random(seed)
    root = Path(folder)
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "annotation").mkdir(parents=True, exist_ok=True)
    out = SyntheticVitens(folder=root, labels=tuple(labels))
    plate_r = size * 0.42
    for index in range(n_images):
        image = Image.new("RGB", (size, size), (28, 30, 34))
        draw = ImageDraw.Draw(image)
        c = size / 2
        draw.ellipse((c - plate_r, c - plate_r, c + plate_r, c + plate_r), fill=(214, 200, 160),
                     outline=(240, 240, 235), width=max(2, size // 100))
        entries: list[dict[str, Any]] = []
        for _ in range(rng.randint(*colonies)):
            cx, cy, r = _colony(rng, size, plate_r)
            label = rng.choice(labels)
            shade = rng.randint(-25, 25)
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(150 + shade, 110 + shade, 60))
            if rng.random() < polygon_fraction:
                points = [{"x": px / size, "y": py / size} for px, py in _circle_polygon(cx, cy, r)]
                shape = {"type": "polygon", "geometry": {"points": points}}
            else:
                shape = {"type": "point", "geometry": {"points": [{"x": cx / size, "y": cy / size,
                                                                    "r": r / size}]}}
            entries.append({"labels": [{"name": label}], "shapes": [shape]})
        image = image.filter(ImageFilter.GaussianBlur(0.6))
        image_path = root / "images" / f"{index:04d}_plate.jpg"
        image.save(image_path, quality=90)
        out.images.append(image_path)
        if index >= n_images - n_unannotated:
            continue
        kinds = [e["shapes"][0]["type"] for e in entries]
        out.points += kinds.count("point")
        out.polygons += kinds.count("polygon")
        ann_path = root / "annotation" / f"{index:04d}_annotation.json"
        ann_path.write_text(json.dumps({"data": entries}, indent=1), encoding="utf-8")
        out.annotation_files.append(ann_path)
    return out
