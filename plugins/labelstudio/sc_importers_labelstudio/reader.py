"""The ``labelstudio`` format reader: Label Studio's JSON export of an image labelling project.

The export is a list of tasks: ``data.image`` names the image (``/data/upload/<project>/<8 hex>-<name>``
for uploaded files, ``/data/local-files/?d=<path>`` for local storage, or a URL), ``annotations[]``
hold the ``result`` regions. Values are in percent of the image (``original_width`` x
``original_height``, else the image's own size). What becomes what:

* ``rectanglelabels`` -> rectangle (rotated rectangle when ``rotation`` is not 0: Label Studio turns
  the box around its top-left corner), ``polygonlabels`` -> polygon, ``ellipselabels`` -> ellipse
  (a rotated one -> a 36-point polygon), ``brushlabels`` -> one polygon per region of the mask (one
  object), ``choices`` -> an image-level label;
* ``keypointlabels`` and every other type have no SC 1.0 equivalent: counted per type and label.

A task's first annotation that was not cancelled is imported; other annotations of the task and
``predictions`` are counted, not imported. Images are looked for beside the JSON by their upload
name (with and without Label Studio's ``<8 hex>-`` prefix), in ``images/`` and anywhere below.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from sc_importers.formats import Detection, FormatError, FormatReader
from sc_importers.model import Annotation, Dataset, Ellipse, Label, MediaItem, Polygon, Problem, Rectangle, Shape
from sc_importers.model import RotatedRectangle as Rotated
from sc_importers_labelstudio.brush import BrushError, decode_brush

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif"}
HEAD_BYTES = 64 * 1024
_UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{8}-")
LABEL_KEYS = ("rectanglelabels", "polygonlabels", "ellipselabels", "brushlabels", "keypointlabels", "labels",
              "choices", "polylinelabels", "taxonomy")
ELLIPSE_POINTS = 36


def _looks_like_export(path: Path) -> bool:
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES).decode("utf-8", errors="replace").lstrip()
    return head.startswith("[") and '"data"' in head and ('"annotations"' in head or '"predictions"' in head)


def find_exports(path: Path) -> list[Path]:
    """The Label Studio JSON exports at ``path``: the file itself, or every one directly in the folder."""
    if path.is_file():
        return [path] if path.suffix.lower() == ".json" and _looks_like_export(path) else []
    return [p for p in sorted(path.glob("*.json")) if _looks_like_export(p)] if path.is_dir() else []


def image_names(reference: str) -> list[str]:
    """File names an image reference may have on disk, most likely first."""
    parsed = urlparse(reference)
    raw = parse_qs(parsed.query).get("d", [parsed.path or reference])[0]
    name = unquote(raw).replace("\\", "/").rsplit("/", 1)[-1]
    names = [name]
    if _UPLOAD_PREFIX.match(name):
        names.append(name[9:])
    return names


class LabelStudioReader(FormatReader):
    """Reads Label Studio JSON exports (image tasks)."""

    name = "labelstudio"
    description = "Label Studio JSON export (rectangles, polygons, ellipses, brush masks, choices)"
    options = {"images_dir": "folder holding the images, when not beside the JSON"}

    def detect(self, path: Path) -> Detection:
        path = Path(path)
        exports = find_exports(path)
        if not exports:
            return Detection(0.0, ["no Label Studio JSON export (a list of tasks with data and annotations)"])
        return Detection(0.8, [f"{', '.join(p.name for p in exports)}: Label Studio JSON export"])

    def read(self, path: Path, **options: str) -> Dataset:
        path = Path(path)
        if not path.exists():
            raise FormatError(f"{path}: no such file or folder")
        exports = find_exports(path)
        if not exports:
            raise FormatError(f"{path}: no Label Studio JSON export (a list of tasks with 'data' and 'annotations')")
        root = path if path.is_dir() else path.parent
        images_dir = Path(options["images_dir"]) if options.get("images_dir") else None
        if images_dir is not None and not images_dir.is_absolute() and not images_dir.exists():
            images_dir = root / images_dir
        if images_dir is not None and not images_dir.is_dir():
            raise FormatError(f"{images_dir}: images_dir is not a folder")
        state = _State(Dataset(name=root.name, format=self.name, root=root), images_dir)
        for export in exports:
            try:
                tasks = json.loads(export.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise FormatError(f"{export}: not valid JSON: {exc}") from exc
            if not isinstance(tasks, list):
                raise FormatError(f"{export}: a Label Studio export is a list of tasks")
            for index, task in enumerate(tasks):
                state.read_task(task, index, export)
        state.finish()
        return state.dataset


class _State:
    def __init__(self, dataset: Dataset, images_dir: Path | None) -> None:
        self.dataset = dataset
        self.images_dir = images_dir
        self.labels: dict[str, None] = {}
        self.keys: set[str] = set()
        self.unsupported: Counter = Counter()  # (type, label)
        self.extra_annotations = 0
        self.predictions = 0
        self.cancelled = 0
        self._index: dict[str, list[Path]] | None = None

    def read_task(self, task: object, index: int, export: Path) -> None:
        if not isinstance(task, dict):
            self.dataset.problems.append(Problem("error", f"task #{index}: not a JSON object; skipped", str(export)))
            return
        where = f"task {task.get('id', f'#{index}')}"
        data = task.get("data")
        reference = next((v for k, v in (data or {}).items() if isinstance(v, str) and k in ("image", "img", "url")),
                         None) or next((v for v in (data or {}).values() if isinstance(v, str)), None)
        if not reference:
            self.dataset.problems.append(Problem("error", f"{where}: no image in 'data'; skipped", str(export)))
            return
        found = self._find(reference, export.parent)
        if found is None:
            self.dataset.problems.append(Problem(
                "error", f"{where}: image {reference!r} not found beside the JSON (looked for "
                f"{' or '.join(image_names(reference))}; see the images_dir option); skipped", str(export), reference))
            return
        key = found.relative_to(self.dataset.root).as_posix() if self.dataset.root in found.parents else str(found)
        if key in self.keys:
            self.dataset.problems.append(Problem(
                "warning", f"{where}: the same image as an earlier task; its annotations are ignored",
                str(export), key))
            return
        self.keys.add(key)
        item = MediaItem(found, key)
        annotations = [a for a in task.get("annotations") or [] if isinstance(a, dict)]
        kept = [a for a in annotations if not a.get("was_cancelled")]
        self.cancelled += len(annotations) - len(kept)
        self.extra_annotations += max(0, len(kept) - 1)
        self.predictions += len(task.get("predictions") or [])
        if kept:
            self._convert(kept[0].get("result") or [], item, export)
        self.dataset.add_items(item)

    def _convert(self, results: list, item: MediaItem, export: Path) -> None:
        choices: list[str] = []
        for position, result in enumerate(results):
            if not isinstance(result, dict) or not isinstance(result.get("value"), dict):
                continue
            kind, value = str(result.get("type", "")), result["value"]
            names = [n for n in value.get(kind) or next((value[k] for k in LABEL_KEYS if k in value), []) if n]
            if kind == "choices":
                choices += [n for n in names if n not in choices]
                continue
            if kind not in ("rectanglelabels", "polygonlabels", "ellipselabels", "brushlabels"):
                for name in names or ["(no label)"]:
                    self.unsupported[(kind or "?", name)] += 1
                continue
            if not names:
                self.unsupported[(kind, "(no label)")] += 1
                continue
            try:
                shapes = self._shapes(kind, value, result, item)
            except (BrushError, KeyError, TypeError, ValueError) as exc:
                self.dataset.problems.append(Problem(
                    "error", f"{kind} region {result.get('id', position)}: cannot be read ({exc}); skipped",
                    str(export), item.key))
                continue
            object_id = f"labelstudio region #{position}" if len(shapes) > 1 else None
            for name in names:
                self._label(name)
                item.annotations.extend(Annotation((name,), shape, object_id) for shape in shapes)
        for name in choices:
            self._label(name)
        if choices:
            item.annotations.insert(0, Annotation(tuple(choices), None))

    def _shapes(self, kind: str, value: dict, result: dict, item: MediaItem) -> Sequence[Shape]:
        width, height = result.get("original_width"), result.get("original_height")
        if not width or not height:
            width, height = item.size()
        else:
            item.width, item.height = int(width), int(height)
        sx, sy = float(width) / 100, float(height) / 100
        rotation = float(value.get("rotation") or 0) % 360
        if kind == "rectanglelabels":
            x, y, w, h = value["x"] * sx, value["y"] * sy, value["width"] * sx, value["height"] * sy
            if not rotation:
                return [Rectangle(x, y, w, h)]
            a = math.radians(rotation)  # Label Studio turns the box around its top-left corner
            cx = x + w / 2 * math.cos(a) - h / 2 * math.sin(a)
            cy = y + w / 2 * math.sin(a) + h / 2 * math.cos(a)
            return [Rotated(cx, cy, w, h, rotation)]
        if kind == "polygonlabels":
            return [Polygon(tuple((float(px) * sx, float(py) * sy) for px, py in value["points"]))]
        if kind == "ellipselabels":
            cx, cy, rx, ry = value["x"] * sx, value["y"] * sy, value["radiusX"] * sx, value["radiusY"] * sy
            if not rotation:
                return [Ellipse(cx - rx, cy - ry, 2 * rx, 2 * ry)]
            a = math.radians(rotation)
            points = []
            for i in range(ELLIPSE_POINTS):
                t = 2 * math.pi * i / ELLIPSE_POINTS
                px, py = rx * math.cos(t), ry * math.sin(t)
                points.append((cx + px * math.cos(a) - py * math.sin(a), cy + px * math.sin(a) + py * math.cos(a)))
            return [Polygon(tuple(points))]
        if value.get("format", "rle") != "rle":
            raise ValueError(f"brush format {value.get('format')!r} (only 'rle' is read)")
        from sc_importers.geometry.masks import mask_to_polygons  # numpy with the first brush

        polygons = mask_to_polygons(decode_brush(value["rle"], int(width), int(height)))
        if not polygons:
            raise ValueError("the mask has no pixel set")
        return polygons

    def _label(self, name: str) -> None:
        if name not in self.labels:
            self.labels[name] = None
            self.dataset.labels.append(Label(name))

    def _find(self, reference: str, here: Path) -> Path | None:
        bases = [b for b in (self.images_dir, here, here / "images", self.dataset.root,
                             self.dataset.root / "images") if b is not None]
        for name in image_names(reference):
            for base in bases:
                if (base / name).is_file():
                    return base / name
        for name in image_names(reference):
            matches = self._by_name().get(name, [])
            if len(matches) == 1:
                return matches[0]
        return None

    def _by_name(self) -> dict[str, list[Path]]:
        if self._index is None:
            self._index = {}
            for dirpath, dirnames, filenames in os.walk(self.dataset.root):
                dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "__MACOSX"]
                for f in filenames:
                    if os.path.splitext(f)[1].lower() in IMAGE_EXTENSIONS:
                        self._index.setdefault(f, []).append(Path(dirpath) / f)
        return self._index

    def finish(self) -> None:
        root = str(self.dataset.root)
        if self.unsupported:
            listed = ", ".join(f"{kind} of {label!r}: {n}" for (kind, label), n in sorted(self.unsupported.items()))
            self.dataset.problems.append(Problem(
                "warning", f"{sum(self.unsupported.values())} regions have no SC 1.0 equivalent and are not "
                f"imported ({listed})", root))
        if self.extra_annotations:
            self.dataset.problems.append(Problem(
                "warning", f"{self.extra_annotations} further annotations of tasks that have several are not "
                "imported (the first one of each task is)", root))
        if self.predictions:
            self.dataset.problems.append(Problem("warning", f"{self.predictions} predictions are not imported", root))
        if self.cancelled:
            self.dataset.problems.append(Problem("warning", f"{self.cancelled} cancelled annotations are skipped",
                                                 root))
