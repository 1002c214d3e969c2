"""The ``coco`` format reader: COCO instances, person keypoints (their boxes and polygons), stuff
and image-level "labels" files into the neutral model.

Each annotation file is parsed once by msgspec into compact records (:mod:`.parse`), its
annotations indexed by image, and packed into flat arrays: images holding only plain polygons
in numpy, a batch at a time (:mod:`.bulk`), every other image produced once for the problems
only its annotations show (:mod:`.convert`); the parsed file is dropped before the next one. ``Dataset.items``
is then a :class:`~sc_importers_coco.items.CocoItems`, which builds each item when asked for it
(:mod:`.items`): ``dataset.problems`` is complete when :meth:`CocoReader.read` returns, and memory
stays near the size of the coordinates however often the items are walked.

Keys of media items are image paths relative to the dataset root, so train and val splits read
together stay apart. Every category becomes a label, used or not (the categories are the label
set the dataset declares); unused ones are listed in one warning.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING

from sc_importers.formats import Detection, FormatError, FormatReader
from sc_importers.model import Dataset, Label, MediaItem, Polygon, Problem
from sc_importers_coco.convert import CROWD_MODES, CrowdMode
from sc_importers_coco.detect import detect_coco
from sc_importers_coco.layout import (
    AnnotationFile,
    ImageFinder,
    classify,
    find_annotation_files,
    image_dirs,
)

if TYPE_CHECKING:  # numpy and msgspec are imported when a file is read, not when readers are listed
    from sc_importers_coco.items import CompactFile


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
        state = _ReadState(dataset, "skip" if crowd == "skip" else "polygon")
        compact = [_read_file(annotation_file, images_dir, state) for annotation_file in files]
        state.finish()
        from sc_importers_coco.items import CocoItems

        dataset.items = CocoItems(compact)
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

    def __init__(self, dataset: Dataset, crowd: CrowdMode) -> None:
        self.dataset = dataset
        self.crowd = crowd
        self.label_names: dict[str, None] = {}
        self.used_labels: set[str] = set()
        self.keys: dict[str, str] = {}  # item key -> the annotation file that listed it
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


def _categories(categories: list, json_name: str, state: _ReadState) -> dict[object, str]:
    names: dict[object, str] = {}
    for index, cat in enumerate(categories):
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


def _read_file(annotation_file: AnnotationFile, images_dir: Path | None, state: _ReadState) -> CompactFile:
    """Parse one file, report what is wrong with its images and annotation records, and index the
    annotations of the images it keeps; then produce each item once, for the problems only its
    annotations show (so ``dataset.problems`` is complete when :meth:`CocoReader.read` returns), and
    pack it into the compact form the items are built from later (the parsed file is then dropped)."""
    import numpy as np

    from sc_importers_coco.bulk import pack
    from sc_importers_coco.items import IndexedFile, _size
    from sc_importers_coco.parse import Image, load

    coco = load(annotation_file.path)
    json_name = str(annotation_file.path)
    problems = state.dataset.problems
    categories = _categories(coco.categories, json_name, state)

    image_ids = {_hashable(img.get("id")) for img in coco.images if isinstance(img, (Image, dict))}
    image_of = _image_of(coco.annotations, image_ids, json_name, problems)

    fixed_dirs = image_dirs(annotation_file, images_dir)  # items name theirs by position in this list
    finder = ImageFinder(fixed_dirs, state.dataset.root, len(coco.images))
    position_of = {d: n for n, d in enumerate(fixed_dirs)}
    slot_of: dict[object, int] = {}  # image id -> position among the kept images
    image_index: list[int] = []
    paths: list[str] = []
    keys: list[str] = []
    dir_index: list[int] = []
    seen_names: set[str] = set()
    seen_image_ids: set[object] = set()
    image_problems: list[Problem] = []  # reported in file order with the items' own (see below)
    problem_at: list[int] = []  # the image position of each of image_problems

    def drop(problem: Problem) -> None:
        image_problems.append(problem)
        problem_at.append(index)

    for index, img in enumerate(coco.images):
        file_name = img.get("file_name") if isinstance(img, (Image, dict)) else None
        if not isinstance(file_name, str) or not file_name:
            drop(Problem("error", f"image #{index} has no file_name", json_name,
                                    f"image id {img.get('id') if isinstance(img, (Image, dict)) else '?'}"))
            continue
        file_name = file_name.replace("\\", "/")
        if file_name in seen_names:
            drop(Problem("error", f"image id {img.get('id')}: file_name is used by an earlier "
                                    "image entry; this entry and its annotations are dropped",
                                    json_name, file_name))
            continue
        seen_names.add(file_name)
        image_id = _hashable(img.get("id"))
        if image_id in seen_image_ids:
            drop(Problem("error", f"image id {img.get('id')} is used by an earlier image entry; "
                                    "this entry is dropped (annotations go to the first)", json_name, file_name))
            continue
        seen_image_ids.add(image_id)
        found = finder.find(file_name)
        if found is None:
            looked = ", ".join(str(d) for d in finder.dirs)
            drop(Problem("error", f"image id {img.get('id')}: image file not found (looked in "
                                    f"{looked}; see the images_dir option)", json_name, file_name))
            continue
        found_in, path, key = found
        if key in state.keys:
            where = ("by an earlier image entry of this file under another file_name" if state.keys[key] == json_name
                     else f"by another annotation file ({state.keys[key]})")
            drop(Problem("error", f"image id {img.get('id')}: the same image file ({key}) is listed {where}; "
                                  "dropped here", json_name, file_name))
            continue
        state.keys[key] = json_name
        slot_of[image_id] = len(image_index)
        image_index.append(index)
        paths.append(path)
        keys.append(key)
        dir_index.append(position_of[found_in])
    del seen_names, seen_image_ids

    # annotation positions grouped by the slot of their image, file order kept within an image
    slots = np.fromiter(map(slot_of.get, image_of, repeat(-1)), dtype=np.int64, count=len(image_of))
    del image_of, slot_of
    order = np.argsort(slots, kind="stable")
    kept = slots[order] >= 0
    order, slots = order[kept].astype(np.int32), slots[order][kept]
    starts = np.searchsorted(slots, np.arange(len(image_index) + 1)).astype(np.int64)
    indexed = IndexedFile(coco, json_name, categories, paths, keys, np.asarray(image_index, dtype=np.int32),
                          order, starts)

    items = [(path, key, _size(img.get("width")), _size(img.get("height")))
             for path, key, img in zip(paths, keys, map(coco.images.__getitem__, image_index), strict=True)]
    label_names = list(dict.fromkeys(categories.values()))
    label_of = {cat_id: label_names.index(name) for cat_id, name in categories.items()} if BULK else None
    saw_keypoints = False
    flushed = 0

    def produce(n: int, known: dict[int, list[Polygon]]) -> MediaItem:  # an image the bulk path left
        nonlocal flushed, saw_keypoints
        item, ctx, used, keypoints = indexed.produce(n, state.crowd, known)
        while flushed < len(image_problems) and problem_at[flushed] < image_index[n]:
            problems.append(image_problems[flushed])
            flushed += 1
        problems.extend(ctx.problems)
        state.used_labels |= used
        saw_keypoints |= keypoints
        return item

    compact = pack(indexed, items, label_names, label_of, produce)
    state.used_labels.update(compact.label_sets[i][0] for i in np.unique(np.frombuffer(compact.labels, np.int32))
                             if i < len(label_names))
    problems.extend(image_problems[flushed:])
    if saw_keypoints:
        state.keypoint_files.append(json_name)
    usual = image_dirs(annotation_file, images_dir, fallback=False)
    fallback = {n: d for n, d in enumerate(fixed_dirs) if d not in usual}
    used_dirs = sorted({str(fallback[n]) for n in set(dir_index) if n in fallback})
    if used_dirs:
        problems.append(Problem("warning", f"images of {annotation_file.path.name} found in {', '.join(used_dirs)} "
                                "(not beside the json; pass images_dir (--images-dir) to choose another folder)",
                                json_name))
    return compact


def _image_of(annotations: list, image_ids: set[object], json_name: str, problems: list[Problem]) -> list[object]:
    """Per annotation, its image id (or :data:`_DROPPED`), reporting records that are not objects,
    unknown image ids and reused annotation ids.

    The common case, every record a struct with a distinct id and a known image, is settled by
    whole-list operations in C (0.1 s for 800,000 annotations instead of 0.6 s one by one)."""
    from sc_importers_coco.parse import Annotation

    if all(type(ann) is Annotation for ann in annotations):
        ids = [ann.id for ann in annotations]
        of = [ann.image_id for ann in annotations]
        try:
            if image_ids.issuperset(of) and len(set(ids)) == len(ids):
                return of
        except TypeError:  # an unhashable id: the walk below says which
            pass
    image_of: list[object] = []  # per annotation: its image id, or _DROPPED
    seen_ids: set[object] = set()
    repeated: list[object] = []
    for index, ann in enumerate(annotations):
        if not isinstance(ann, (Annotation, dict)):
            problems.append(Problem("error", f"annotation #{index} is not an object", json_name))
            image_of.append(_DROPPED)
            continue
        ann_id, image_id = (ann.id, ann.image_id) if type(ann) is Annotation else (ann.get("id"), ann.get("image_id"))
        if isinstance(ann_id, (int, str)):
            if ann_id in seen_ids:
                repeated.append(ann_id)
            seen_ids.add(ann_id)
        image_id = _hashable(image_id)
        if image_id not in image_ids:
            problems.append(
                Problem("error", f"annotation id {ann_id} refers to unknown image id "
                        f"{ann.get('image_id')!r}; dropped", json_name, f"image id {ann.get('image_id')}")
            )
            image_of.append(_DROPPED)
        else:
            image_of.append(image_id)
    del seen_ids
    if repeated:  # each is still imported: they are separate records, only their ids clash
        shown = ", ".join(map(repr, list(dict.fromkeys(repeated))[:10]))
        problems.append(Problem("warning", f"{len(repeated)} annotation(s) reuse an id of an earlier one ({shown}); "
                                "each is imported as its own annotation", json_name))
    return image_of


#: Whether images whose annotations are all plain polygons take the bulk path (:mod:`.bulk`);
#: the tests turn it off to hold both paths equal.
BULK = True

#: The image id of an annotation that belongs to no image.
_DROPPED = object()


def _hashable(value: object) -> object:
    """``value`` when it can be a dict key (an id), else a marker that matches nothing."""
    try:
        hash(value)
    except TypeError:
        return _DROPPED
    return value
