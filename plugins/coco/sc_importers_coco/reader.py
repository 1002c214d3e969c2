"""The ``coco`` format reader: COCO instances, person keypoints (their boxes and polygons), stuff
and image-level "labels" files into the neutral model.

Each annotation file is parsed once with :func:`json.load` (no second copy through pycocotools'
``COCO`` index), indexed by image id, turned into media items and dropped before the next file.
Keys of media items are image paths relative to the dataset root, so train and val splits read
together stay apart. Every category becomes a label, used or not (the categories are the label
set the dataset declares); unused ones are listed in one warning.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from sc_importers.formats import Detection, FormatError, FormatReader
from sc_importers.model import Annotation, Dataset, Label, MediaItem, Problem
from sc_importers_coco.convert import CROWD_MODES, ImageContext, convert
from sc_importers_coco.detect import detect_coco
from sc_importers_coco.layout import (
    AnnotationFile,
    classify,
    fallback_image_dirs,
    find_annotation_files,
    image_dirs,
)


class CocoReader(FormatReader):
    """Reads COCO json annotation files (see the package README for layouts and options)."""

    name = "coco"
    description = "COCO instances / person keypoints / labels json (boxes, polygons, RLE masks, labels)"
    options = {
        "annotation_file": "COCO json to read, when it is not found automatically or several are present "
        "(relative to the dataset folder, or absolute)",
        "images_dir": "folder the images' file_name values are relative to, when the images are not "
        "next to the json or in the usual COCO places",
        "crowd": "what to do with iscrowd=1 regions: 'polygon' (default: trace the mask into polygons) "
        "or 'skip'",
    }

    def detect(self, path: Path) -> Detection:
        return detect_coco(Path(path))

    def read(self, path: Path, **options: str) -> Dataset:
        path = Path(path)
        unknown = set(options) - set(self.options)
        if unknown:
            raise FormatError(f"coco reader: unknown option(s) {', '.join(sorted(unknown))}")
        crowd = options.get("crowd") or "polygon"
        if crowd not in CROWD_MODES:
            raise FormatError(f"coco reader: crowd must be one of {', '.join(CROWD_MODES)}, got {crowd!r}")
        if not path.exists():
            raise FormatError(f"{path}: no such file or folder")
        root = path if path.is_dir() else path.parent
        files, skipped = self._files(path, root, options.get("annotation_file"))
        if root.name == "annotations" and path.is_file():
            root = root.parent
        images_dir = _resolve(options["images_dir"], root) if options.get("images_dir") else None
        if images_dir is not None and not images_dir.is_dir():
            raise FormatError(f"{images_dir}: images_dir is not a folder")

        dataset = Dataset(name=root.name, format=self.name, root=root)
        if skipped:
            names = ", ".join(str(s.path.relative_to(root)) for s in skipped)
            dataset.problems.append(
                Problem(
                    "warning",
                    f"also found {names}; not read ({', '.join(sorted({f.kind for f in files}))} files "
                    f"are read instead; pass annotation_file (--annotation-file) to read another one)",
                    str(root),
                )
            )
        state = _ReadState(dataset, crowd)
        for annotation_file in files:
            _read_file(annotation_file, images_dir, state)
        state.finish()
        return dataset

    @staticmethod
    def _files(
        path: Path, root: Path, annotation_file: str | None
    ) -> tuple[list[AnnotationFile], list[AnnotationFile]]:
        if annotation_file:
            chosen = _resolve(annotation_file, root)
            if not chosen.is_file():
                raise FormatError(f"{chosen}: annotation_file does not exist")
            return [classify(chosen)], []
        if path.is_file():
            return [classify(path)], []
        return find_annotation_files(path)


def _resolve(value: str, root: Path) -> Path:
    p = Path(value).expanduser()
    if p.is_absolute() or p.exists():
        return p
    return root / p


class _ReadState:
    """What accumulates over the annotation files of one dataset."""

    def __init__(self, dataset: Dataset, crowd: str) -> None:
        self.dataset = dataset
        self.crowd = crowd
        self.label_names: dict[str, None] = {}
        self.used_labels: set[str] = set()
        self.keys: set[str] = set()
        self.keypoint_files: list[str] = []

    def add_label(self, name: str) -> None:
        if name not in self.label_names:
            self.label_names[name] = None
            self.dataset.labels.append(Label(name))

    def finish(self) -> None:
        unused = [n for n in self.label_names if n not in self.used_labels]
        if unused and self.used_labels:
            self.dataset.problems.append(
                Problem(
                    "warning",
                    f"{len(unused)} categor{'y has' if len(unused) == 1 else 'ies have'} no annotation "
                    f"and {'is' if len(unused) == 1 else 'are'} still created as label(s): "
                    f"{', '.join(unused)}",
                )
            )
        if self.keypoint_files:
            self.dataset.problems.append(
                Problem(
                    "warning",
                    "keypoints are ignored (SC 1.0 has no keypoint shape); their boxes and polygons are "
                    "imported",
                    ", ".join(self.keypoint_files),
                )
            )


def load_json(path: Path) -> dict:
    """Parse one COCO json; a FormatError names the file and, for bad JSON, the error position."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno} (char {exc.pos})"
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path}: cannot be read: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise FormatError(f"{path}: not a COCO annotation file (no top-level 'images' list)")
    for key in ("annotations", "categories"):
        if not isinstance(data.get(key, []), list):
            raise FormatError(f"{path}: '{key}' must be a list")
    if any("segments_info" in a for a in data.get("annotations", [])[:1] if isinstance(a, dict)):
        raise FormatError(f"{path}: COCO panoptic annotations (segments_info + PNG) are not supported")
    return data


def _categories(data: dict, json_name: str, state: _ReadState) -> dict[object, str]:
    names: dict[object, str] = {}
    for index, cat in enumerate(data.get("categories", [])):
        if not isinstance(cat, dict) or "id" not in cat or not str(cat.get("name") or "").strip():
            state.dataset.problems.append(
                Problem("error", f"category #{index} needs an 'id' and a 'name': {cat!r}", json_name)
            )
            continue
        name = str(cat["name"]).strip()
        if cat["id"] in names:
            state.dataset.problems.append(
                Problem("error", f"category id {cat['id']} is declared twice; keeping {names[cat['id']]!r}",
                        json_name)
            )
            continue
        names[cat["id"]] = name
        state.add_label(name)
    _warn_shared_names(names, json_name, state)
    return names


def _warn_shared_names(names: dict[object, str], json_name: str, state: _ReadState) -> None:
    """One warning per category name that several ids share: their annotations all get that one
    label, which is usually what was meant, but is said rather than done silently."""
    ids_of: dict[str, list[object]] = defaultdict(list)
    for cat_id, name in names.items():
        ids_of[name].append(cat_id)
    for name, ids in ids_of.items():
        if len(ids) > 1:
            state.dataset.problems.append(Problem(
                "warning", f"category name {name!r} is shared by category ids {', '.join(map(repr, ids))}; "
                           f"their annotations are merged into one label {name!r}", json_name))


def _read_file(annotation_file: AnnotationFile, images_dir: Path | None, state: _ReadState) -> None:
    data = load_json(annotation_file.path)
    json_name = str(annotation_file.path)
    problems = state.dataset.problems
    categories = _categories(data, json_name, state)

    image_ids = {img.get("id") for img in data["images"] if isinstance(img, dict)}
    by_image: dict[object, list[dict]] = defaultdict(list)
    seen_ids: set[object] = set()
    repeated: list[object] = []
    for index, ann in enumerate(data.get("annotations", [])):
        if isinstance(ann, dict) and "id" in ann and isinstance(ann["id"], (int, str)):
            if ann["id"] in seen_ids:
                repeated.append(ann["id"])
            seen_ids.add(ann["id"])
        if not isinstance(ann, dict):
            problems.append(Problem("error", f"annotation #{index} is not an object", json_name))
        elif ann.get("image_id") not in image_ids:
            problems.append(
                Problem("error", f"annotation id {ann.get('id')} refers to unknown image id "
                        f"{ann.get('image_id')!r}; dropped", json_name, f"image id {ann.get('image_id')}")
            )
        else:
            by_image[ann["image_id"]].append(ann)
    data["annotations"] = None  # from here on by_image holds the only reference: freed image by image
    if repeated:  # each is still imported: they are separate records, only their ids clash
        shown = ", ".join(map(repr, list(dict.fromkeys(repeated))[:10]))
        problems.append(Problem("warning", f"{len(repeated)} annotation(s) reuse an id of an earlier one ({shown}); "
                                "each is imported as its own annotation", json_name))

    dirs = image_dirs(annotation_file, images_dir)
    first_item = len(state.dataset.items)
    seen_names: set[str] = set()
    seen_ids = set()  # now the image ids
    saw_keypoints = False
    for index, img in enumerate(data["images"]):
        file_name = img.get("file_name") if isinstance(img, dict) else None
        if not isinstance(file_name, str) or not file_name:
            problems.append(Problem("error", f"image #{index} has no file_name", json_name,
                                    f"image id {img.get('id') if isinstance(img, dict) else '?'}"))
            continue
        file_name = file_name.replace("\\", "/")
        if file_name in seen_names:
            problems.append(Problem("error", f"image id {img.get('id')}: file_name is used by an earlier "
                                    "image entry; this entry and its annotations are dropped",
                                    json_name, file_name))
            continue
        seen_names.add(file_name)
        if img.get("id") in seen_ids:
            problems.append(Problem("error", f"image id {img.get('id')} is used by an earlier image entry; "
                                    "this entry is dropped (annotations go to the first)", json_name, file_name))
            continue
        seen_ids.add(img.get("id"))
        image_path = _find_image(file_name, dirs)
        if image_path is None:
            looked = ", ".join(str(d) for d in dirs)
            problems.append(Problem("error", f"image id {img.get('id')}: image file not found (looked in "
                                    f"{looked}; see the images_dir option)", json_name, file_name))
            continue
        key = _key(image_path, state.dataset.root)
        if key in state.keys:
            problems.append(Problem("error", f"image id {img.get('id')}: the same image file is listed by "
                                    "another annotation file; dropped here", json_name, file_name))
            continue
        state.keys.add(key)
        item = MediaItem(image_path, key, width=_size(img.get("width")), height=_size(img.get("height")))
        ctx = ImageContext(json_name, key, item.width, item.height)  # problems name the item by its key
        saw_keypoints |= _annotate(item, by_image.pop(img.get("id"), []), categories, ctx, state)
        problems.extend(ctx.problems)
        state.dataset.items.append(item)
    if saw_keypoints:
        state.keypoint_files.append(json_name)
    usual = image_dirs(annotation_file, images_dir, fallback=False)
    fallback = [d for d in fallback_image_dirs(annotation_file, images_dir) if d not in usual]
    new_items = state.dataset.items[first_item:]
    found_in = (next((d for d in fallback if d in item.path.parents), None) for item in new_items)
    used = sorted({str(d) for d in found_in if d is not None})
    if used:
        problems.append(Problem("warning", f"images of {annotation_file.path.name} found in {', '.join(used)} "
                                "(not beside the json; pass images_dir (--images-dir) to choose another folder)",
                                json_name))


def _annotate(item: MediaItem, anns: list[dict], categories: dict[object, str], ctx: ImageContext,
              state: _ReadState) -> bool:
    """Add ``anns`` to ``item``; image-level labels are merged into one annotation. Returns whether
    any annotation carried keypoints."""
    image_labels: list[str] = []
    saw_keypoints = False
    for position, ann in enumerate(anns):
        label = categories.get(ann.get("category_id"))
        if label is None:
            ctx.report("error", ann, f"unknown category id {ann.get('category_id')!r}; dropped")
            continue
        converted = convert(ann, ctx, state.crowd)  # type: ignore[arg-type]
        saw_keypoints |= converted.had_keypoints
        # One COCO annotation is one object even when drawn in several parts (a segmentation of
        # several polygons, a mask traced into several outlines): the parts share an object_id.
        # Its position among the image's annotations is unique even where "id"s are not.
        object_id = f"coco annotation #{position}" if len(converted.shapes) > 1 else None
        for shape in converted.shapes:
            state.used_labels.add(label)
            if shape is None:
                if label not in image_labels:
                    image_labels.append(label)
            else:
                item.annotations.append(Annotation((label,), shape, object_id))
    if image_labels:
        item.annotations.insert(0, Annotation(tuple(image_labels), None))
    return saw_keypoints


def _find_image(file_name: str, dirs: list[Path]) -> Path | None:
    for d in dirs:
        candidate = d / file_name
        if candidate.is_file():
            if d is not dirs[0]:  # look in the folder that worked first next time
                dirs.remove(d)
                dirs.insert(0, d)
            return candidate
    return None


def _key(image_path: Path, root: Path) -> str:
    try:
        return image_path.relative_to(root).as_posix()
    except ValueError:
        return image_path.as_posix()


def _size(value: object) -> int | None:
    return int(value) if isinstance(value, (int, float)) and value > 0 else None
