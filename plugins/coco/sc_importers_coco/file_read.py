"""One COCO annotation file read into compact items, in two steps (:class:`FileRead`): parse and
index it (what is wrong with its categories, images and annotation records is reported here), then
pack its items (:mod:`.bulk`; the problems of single annotations are reported on the way, in image
order). :mod:`.reader` runs both for each file, or leaves the last file's packing to a thread.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sc_importers.model import Dataset, Label, MediaItem, Polygon, Problem
from sc_importers_coco.convert import CrowdMode
from sc_importers_coco.layout import AnnotationFile, ImageFinder, image_dirs

if TYPE_CHECKING:  # numpy and msgspec are imported when a file is read, not when readers are listed
    from sc_importers_coco.items import CompactFile


class ReadState:
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


def _categories(categories: list, json_name: str, state: ReadState) -> dict[object, str]:
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


def _warn_shared_names(names: dict[object, str], json_name: str, state: ReadState) -> None:
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


class FileRead:
    """One annotation file read in two steps: making a ``FileRead`` parses the file, reports what is
    wrong with its categories, images and annotation records and indexes the annotations of the
    images it keeps; :meth:`pack` then produces each item that has something to report or convert once, for the
    problems only its annotations show, and packs every item into the compact form the items are
    built from (the parsed file is dropped on the way). The streaming read runs :meth:`pack` in a
    thread while the items packed so far are uploaded."""

    def __init__(self, annotation_file: AnnotationFile, images_dir: Path | None, state: ReadState) -> None:
        import numpy as np

        from sc_importers_coco.items import IndexedFile, _size
        from sc_importers_coco.parse import Image, load

        self.annotation_file, self.images_dir, self.state = annotation_file, images_dir, state
        coco = load(annotation_file.path)
        self.json_name = json_name = str(annotation_file.path)
        problems = state.dataset.problems
        categories = _categories(coco.categories, json_name, state)

        self.fixed_dirs = fixed_dirs = image_dirs(annotation_file, images_dir)  # items name theirs by position
        finder = ImageFinder(fixed_dirs, state.dataset.root, len(coco.images))
        at_once = _all_images_kept(coco.images, finder, state.keys)
        image_ids = (set(at_once[3]) if at_once is not None else
                     {_hashable(img.get("id")) for img in coco.images if isinstance(img, (Image, dict))})
        image_of = _image_of(coco.annotations, image_ids, json_name, problems)

        position_of = {d: n for n, d in enumerate(fixed_dirs)}
        slot_of: dict[object, int] = {}  # image id -> position among the kept images
        self.image_index: list[int] = []
        image_index = self.image_index
        paths: list[str] = []
        keys: list[str] = []
        self.dir_index: list[int] = []
        dir_index = self.dir_index
        seen_names: set[str] = set()
        seen_image_ids: set[object] = set()
        self.image_problems: list[Problem] = []  # reported in file order with the items' own (see pack)
        self.problem_at: list[int] = []  # the image position of each of image_problems
        image_problems, problem_at = self.image_problems, self.problem_at

        def drop(problem: Problem) -> None:
            image_problems.append(problem)
            problem_at.append(index)

        if at_once is not None:  # the usual file: every image listed once, found in one folder
            found_in, paths, keys, ids = at_once
            state.keys.update(dict.fromkeys(keys, json_name))
            slot_of = dict(zip(ids, range(len(ids)), strict=True))
            image_index += range(len(ids))
            dir_index += [position_of[found_in]] * len(ids)
        for index, img in enumerate(coco.images if at_once is None else ()):
            file_name = img.get("file_name") if isinstance(img, (Image, dict)) else None
            if not isinstance(file_name, str) or not file_name:
                drop(Problem("error", f"image #{index} has no file_name", json_name,
                             f"image id {img.get('id') if isinstance(img, (Image, dict)) else '?'}"))
                continue
            file_name = file_name.replace("\\", "/")
            if file_name in seen_names:
                drop(Problem("error", f"image id {img.get('id')}: file_name is used by an earlier "
                             "image entry; this entry and its annotations are dropped", json_name, file_name))
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
                where = ("by an earlier image entry of this file under another file_name"
                         if state.keys[key] == json_name else f"by another annotation file ({state.keys[key]})")
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
        self.indexed = IndexedFile(coco, json_name, categories, paths, keys,
                                   np.asarray(image_index, dtype=np.int32), order, starts)
        if at_once is not None:  # structs, all kept: their sizes read as attributes, the usual ints at once
            self.items = [(path, key, w if type(w) is int and w > 0 else _size(w),
                           h if type(h) is int and h > 0 else _size(h))
                          for path, key, w, h in zip(paths, keys, (img.width for img in coco.images),
                                                     (img.height for img in coco.images), strict=True)]
        else:
            self.items = [(path, key, _size(img.get("width")), _size(img.get("height")))
                          for path, key, img in zip(paths, keys, map(coco.images.__getitem__, image_index),
                                                    strict=True)]
        self.label_names = list(dict.fromkeys(categories.values()))

    def __len__(self) -> int:
        return len(self.items)

    def may_label_images(self) -> bool:
        """Whether some annotation may become an image-level label (:func:`_may_label_images`);
        asked before :meth:`pack`, which releases the records."""
        return _may_label_images(self.indexed.coco.annotations)

    def pack(self, compact: CompactFile, publish: Callable[[int], None] | None = None) -> None:
        """Pack every item into ``compact`` (empty), reporting the problems of each in image order;
        ``publish(n)``, when given, is called each time the first ``n`` items and their problems
        are in place (the packing then goes a batch at a time, see :func:`~.bulk.pack`)."""
        import numpy as np

        from sc_importers_coco.bulk import pack

        state, indexed, image_index = self.state, self.indexed, self.image_index
        image_problems, problem_at = self.image_problems, self.problem_at
        problems = state.dataset.problems
        label_names = self.label_names
        label_of = ({cat_id: label_names.index(name) for cat_id, name in indexed.categories.items()}
                    if BULK else None)
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

        pack(compact, indexed, self.items, label_names, label_of, produce, publish)
        del self.indexed  # the parsed file goes with this call: the packed items are all that is kept
        state.used_labels.update(compact.label_sets[i][0]
                                 for i in np.unique(np.frombuffer(compact.labels, np.int32)).tolist()
                                 if i < len(label_names))
        problems.extend(image_problems[flushed:])
        if saw_keypoints:
            state.keypoint_files.append(self.json_name)
        usual = image_dirs(self.annotation_file, self.images_dir, fallback=False)
        fallback = {n: d for n, d in enumerate(self.fixed_dirs) if d not in usual}
        used_dirs = sorted({str(fallback[n]) for n in set(self.dir_index) if n in fallback})
        if used_dirs:
            problems.append(Problem("warning", f"images of {self.annotation_file.path.name} found in "
                                    f"{', '.join(used_dirs)} (not beside the json; pass images_dir "
                                    "(--images-dir) to choose another folder)", self.json_name))


def _all_images_kept(images: list, finder: ImageFinder, keys: dict[str, str]
                     ) -> tuple[Path, list[str], list[str], list[object]] | None:
    """(folder, paths, keys, ids) of ``images`` when the image loop of :class:`FileRead` would
    keep every one, found in one folder (structs with distinct plain file names and distinct ids,
    none listed by an earlier file), settled by whole-list operations. None when that loop has
    something to say."""
    from sc_importers_coco.parse import Image

    if not all(type(img) is Image for img in images):
        return None
    names = [img.file_name for img in images]
    ids = [img.id for img in images]
    if not all(type(name) is str and name and "\\" not in name for name in names) or len(set(names)) < len(names):
        return None
    try:
        if len(set(ids)) < len(ids):
            return None
    except TypeError:  # an unhashable id: the loop says which
        return None
    found = finder.find_all(names)
    if found is None or not keys.keys().isdisjoint(found[2]):
        return None
    return (*found, ids)


def _may_label_images(annotations: list) -> bool:
    """Whether some annotation may become an image-level label: one with no box may (its
    segmentation decides, :func:`~.convert.convert`), and so may a null or empty box; a record read
    as a dict is not looked into. An over-estimate, cheap enough (under 0.1 s for 800,000
    annotations) that a project of shapes can be planned before the file is packed."""
    import numpy as np

    from sc_importers_coco.parse import Annotation

    boxes: list[Any] = [a.bbox if type(a) is Annotation else None for a in annotations]
    if None in boxes:
        return True
    lengths = np.fromiter(map(len, boxes), dtype=np.int64, count=len(boxes))
    return any(bytes(boxes[i]).strip(b"[] \t\r\n") in (b"", b"null")
               for i in np.flatnonzero(lengths < 16).tolist())


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
