"""The media items of a COCO dataset, produced when asked.

Reading goes in two steps. :class:`IndexedFile` holds one parsed file and, per kept image, the
positions of its annotations; :meth:`IndexedFile.produce` converts one image's annotations (with
every check and problem of :mod:`.convert`). The reader produces each item that has something to
report or convert once that way (the others are packed in bulk: :mod:`.bulk`), for the problems,
and packs what came out into a :class:`CompactFile`: flat arrays of coordinates, label
sets and shape kinds, with no Python object per shape. Then the parsed file is dropped.

:class:`CocoItems`, the ``Dataset.items`` of the coco reader, is a :class:`~collections.abc.Sequence`
(``len``, iteration, indexing, slicing) over the compact files that builds each :class:`MediaItem`,
with its annotations and polygons, every time it is asked for one, and keeps none of them: a
train2017-size dataset costs about half its json's size in memory however many times it is walked,
and a walk builds objects without decoding or checking anything again.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, overload

import numpy as np

from sc_importers.columns import IMAGE, POLYGON, RECTANGLE, ItemColumns
from sc_importers.model import Annotation, MediaItem, Polygon, Rectangle
from sc_importers_coco.convert import Converted, CrowdMode, ImageContext, convert
from sc_importers_coco.parse import Annotation as CocoAnnotation
from sc_importers_coco.parse import CocoFile

if TYPE_CHECKING:
    from sc_importers_coco.pending import Packing


@dataclass
class IndexedFile:
    """One annotation file's kept images and, per image, the positions of its annotations.

    Image ``n`` of this file is ``coco.images[image_index[n]]``, the file ``paths[n]`` with the key
    ``keys[n]``; its annotations are ``coco.annotations[order[starts[n]:starts[n + 1]]]``, in file order.
    """

    coco: CocoFile
    json_name: str
    categories: dict[object, str]
    paths: list[str]
    keys: list[str]
    image_index: np.ndarray
    order: np.ndarray
    starts: np.ndarray

    def __len__(self) -> int:
        return len(self.image_index)

    def produce(self, n: int, crowd: CrowdMode, known: dict[int, list[Polygon]] | None = None
                ) -> tuple[MediaItem, ImageContext, set[str], bool]:
        """Item ``n`` with its annotations; the problems met (in the context), the labels used and
        whether any annotation carried keypoints. ``known`` holds the polygons of annotations
        already converted (by position among the item's annotations: the bulk path's plain
        polygons of an image it could not take whole), which are then not converted again. Each
        item is produced once: its annotation records are released on the way (the reader's peak
        memory is the parsed file or the packed items, not both)."""
        img = self.coco.images[int(self.image_index[n])]
        item = MediaItem(Path(self.paths[n]), self.keys[n], width=_size(img.get("width")),
                         height=_size(img.get("height")))
        ctx = ImageContext(self.json_name, item.key, item.width, item.height)  # problems name the item by its key
        annotations = self.coco.annotations
        positions = self.order[self.starts[n]:self.starts[n + 1]].tolist()
        anns = [annotations[i] for i in positions]
        for i in positions:
            annotations[i] = None
        used, keypoints = _annotate(item, anns, self.categories, ctx, crowd, known or {})
        return item, ctx, used, keypoints


def polygon(flat: list[float]) -> Polygon:
    """The polygon of the coordinates ``[x1, y1, x2, y2, ...]``."""
    numbers = iter(flat)
    return Polygon(tuple(zip(numbers, numbers, strict=True)))


#: Shape kinds in :class:`CompactFile` rows.
_IMAGE, _RECTANGLE, _POLYGON = IMAGE, RECTANGLE, POLYGON  # the codes of sc_importers.columns


@dataclass
class CompactFile:
    """The items of one annotation file as produced once, packed into flat arrays.

    Item ``n`` is ``items[n]`` (path, key, width, height) with the annotation rows
    ``item_rows[n]:item_rows[n + 1]``; row ``r`` has the kind ``kinds[r]`` (image-level, rectangle,
    polygon), the labels ``label_sets[labels[r]]``, the object id ``"coco annotation #objects[r]"``
    (none when -1) and the coordinates ``coords[begins[r]:ends[r]]`` (x, y, width, height of
    a rectangle; x1, y1, x2, y2, ... of a polygon). Rows name their coordinates by offsets, so the
    coordinates need not lie in row order (the bulk path appends its own before those of the images
    produced one by one).
    """

    items: list[tuple[str, str, int | None, int | None]] = field(default_factory=list)
    item_rows: array = field(default_factory=lambda: array("q", [0]))
    kinds: array = field(default_factory=lambda: array("b"))
    labels: array = field(default_factory=lambda: array("i"))
    objects: array = field(default_factory=lambda: array("i"))
    begins: array = field(default_factory=lambda: array("q"))
    ends: array = field(default_factory=lambda: array("q"))
    coords: array = field(default_factory=lambda: array("d"))
    label_sets: list[tuple[str, ...]] = field(default_factory=list)
    _label_set_index: dict[tuple[str, ...], int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.items)

    def add(self, item: MediaItem, path: str) -> None:
        """Append ``item`` (as :meth:`IndexedFile.produce` built it: rectangles, polygons, image labels),
        whose file is ``path``."""
        self.items.append((path, item.key, item.width, item.height))
        for ann in item.annotations:
            shape = ann.shape
            self.begins.append(len(self.coords))
            if shape is None:
                self.kinds.append(_IMAGE)
            elif type(shape) is Polygon:
                self.kinds.append(_POLYGON)
                self.coords.extend(chain.from_iterable(shape.points))
            else:
                assert type(shape) is Rectangle, shape
                self.kinds.append(_RECTANGLE)
                self.coords.extend((shape.x, shape.y, shape.width, shape.height))
            self.ends.append(len(self.coords))
            self.labels.append(self.label_set(ann.labels))
            self.objects.append(-1 if ann.object_id is None else int(ann.object_id.rpartition("#")[2]))
        self.item_rows.append(len(self.kinds))

    def label_set(self, labels: tuple[str, ...]) -> int:
        """The index of ``labels`` in :attr:`label_sets` (added when new)."""
        index = self._label_set_index.setdefault(labels, len(self.label_sets))
        if index == len(self.label_sets):
            self.label_sets.append(labels)
        return index

    def item(self, n: int) -> MediaItem:
        """Item ``n``, built anew."""
        path, key, width, height = self.items[n]
        item = MediaItem(Path(path), key, width=width, height=height)
        annotations = item.annotations
        kinds, labels, objects, begins, ends, coords, label_sets = (
            self.kinds, self.labels, self.objects, self.begins, self.ends, self.coords, self.label_sets)
        for r in range(self.item_rows[n], self.item_rows[n + 1]):
            kind, obj = kinds[r], objects[r]
            if kind == _POLYGON:
                shape: Polygon | Rectangle | None = polygon(coords[begins[r]:ends[r]].tolist())
            elif kind == _RECTANGLE:
                shape = Rectangle(*coords[begins[r]:ends[r]].tolist())
            else:
                shape = None
            annotations.append(Annotation(label_sets[labels[r]], shape,
                                          None if obj < 0 else f"coco annotation #{obj}"))
        return item


class CocoItems(Sequence[MediaItem]):
    """The items of the compact files in order, each built when asked for and not kept.

    With ``packing`` (:meth:`CocoReader.read_streaming <sc_importers_coco.reader.CocoReader.read_streaming>`)
    the last file is still being packed in a thread: ``lengths`` gives every file's number of
    items, an item not packed yet is waited for, and :meth:`finish_reading` waits for all.
    ``may_label_images`` is whether that file may hold image-level labels (see
    :meth:`image_only_labels`)."""

    def __init__(self, files: list[CompactFile], lengths: list[int] | None = None,
                 packing: Packing | None = None, may_label_images: bool = True) -> None:
        self._files = files
        self._offsets = np.cumsum([0] + (lengths if lengths is not None else [len(f) for f in files]))
        self._packing = packing
        self._may_label_images = may_label_images

    def __len__(self) -> int:
        return int(self._offsets[-1])

    def __iter__(self) -> Iterator[MediaItem]:
        packing = self._packing
        for number, compact in enumerate(self._files):
            if packing is None or number < len(self._files) - 1:
                for n in range(len(compact)):
                    yield compact.item(n)
            else:
                for n in range(packing.total):
                    packing.wait_for(n)
                    yield compact.item(n)

    @overload
    def __getitem__(self, index: int) -> MediaItem: ...

    @overload
    def __getitem__(self, index: slice) -> list[MediaItem]: ...

    def __getitem__(self, index: int | slice) -> MediaItem | list[MediaItem]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("CocoItems index out of range")
        part = int(np.searchsorted(self._offsets, index, side="right")) - 1
        n = index - int(self._offsets[part])
        packing = self._packing
        if packing is not None and part == len(self._files) - 1:
            packing.wait_for(n)
        return self._files[part].item(n)

    def finish_reading(self) -> None:
        """Wait until every item is packed and the reader's last problems are reported
        (:meth:`sc_importers.model.Dataset.finish_reading`)."""
        if self._packing is not None:
            self._packing.wait_for(self._packing.total)
            self._packing = None

    def columns(self) -> ItemColumns:
        """The items as arrays (:func:`sc_importers.columns.columns_of`: the dry run screens and counts
        them at numpy speed), over the packed rows without copying them when there is one file."""
        self.finish_reading()
        parts = [_columns(compact) for compact in self._files]
        if len(parts) == 1:
            return parts[0]
        index: dict[tuple[str, ...], int] = {}  # every file's label sets, numbered anew
        labels, item_rows, begins, ends = [], [np.zeros(1, dtype=np.int64)], [], []
        rows = coords = 0
        for part in parts:
            mapping = np.array([index.setdefault(names, len(index)) for names in part.label_sets] or [0])
            labels.append(mapping[part.labels] if len(part.labels) else part.labels)
            item_rows.append(part.item_rows[1:] + rows)
            begins.append(part.begins + coords)
            ends.append(part.ends + coords)
            rows += len(part.kinds)
            coords += len(part.coords)
        return ItemColumns(
            [m for part in parts for m in part.media], np.concatenate(item_rows),
            np.concatenate([p.kinds for p in parts]), np.concatenate(labels), list(index),
            np.concatenate([p.objects for p in parts]), np.concatenate(begins), np.concatenate(ends),
            np.concatenate([p.coords for p in parts]))

    def label_use(self) -> tuple[set[str], set[str]]:
        """(labels of annotations with a shape, labels of image-level annotations), from the packed
        rows without building an item (:meth:`sc_importers.model.Dataset.label_use`)."""
        self.finish_reading()
        on_shapes: set[str] = set()
        on_images: set[str] = set()
        for compact in self._files:
            kinds = np.frombuffer(compact.kinds, dtype=np.int8)
            labels = np.frombuffer(compact.labels, dtype=np.int32)
            for names, rows in ((on_images, kinds == _IMAGE), (on_shapes, kinds != _IMAGE)):
                for index in np.unique(labels[rows]).tolist():
                    names.update(compact.label_sets[index])
        return on_shapes, on_images

    def image_only_labels(self) -> set[str]:
        """Labels only image-level annotations use (:meth:`sc_importers.model.Dataset.image_only_labels`):
        while the last file is packed, none when no image-level label is found in the files
        packed before and that file's records show none can come (the plan of a project of shapes
        then needs no wait); else from :meth:`label_use`."""
        packing = self._packing
        if packing is not None and not packing.done and not self._may_label_images:
            if not any((np.frombuffer(f.kinds, dtype=np.int8) == _IMAGE).any() for f in self._files[:-1]):
                return set()
        on_shapes, on_images = self.label_use()
        return on_images - on_shapes

    def __eq__(self, other: object) -> bool:
        """Equal to a list (or another sequence of items) holding equal items in the same order."""
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<CocoItems: {len(self)} items from {len(self._files)} file(s), built when asked>"


def _columns(compact: CompactFile) -> ItemColumns:
    """One compact file's rows as :class:`ItemColumns` (views of its arrays: the row kinds share
    their codes)."""
    def view(packed: array, dtype: type) -> np.ndarray:
        return np.frombuffer(packed, dtype=dtype) if len(packed) else np.empty(0, dtype=dtype)

    return ItemColumns(compact.items, view(compact.item_rows, np.int64), view(compact.kinds, np.int8),
                       view(compact.labels, np.int32), compact.label_sets, view(compact.objects, np.int32),
                       view(compact.begins, np.int64), view(compact.ends, np.int64),
                       view(compact.coords, np.float64))


def _annotate(item: MediaItem, anns: list, categories: dict[object, str], ctx: ImageContext,
              crowd: CrowdMode, known: dict[int, list[Polygon]]) -> tuple[set[str], bool]:
    """Add ``anns`` to ``item``; image-level labels are merged into one annotation. Returns the
    labels given to some shape and whether any annotation carried keypoints."""
    image_labels: list[str] = []
    used: set[str] = set()
    saw_keypoints = False
    for position, ann in enumerate(anns):
        try:
            label = categories.get(ann.category_id if type(ann) is CocoAnnotation else ann.get("category_id"))
        except TypeError:  # an unhashable category_id (a list): unknown
            label = None
        if label is None:
            ctx.report("error", ann, f"unknown category id {ann.get('category_id')!r}; dropped")
            continue
        converted = Converted(known[position]) if position in known else convert(ann, ctx, crowd)
        saw_keypoints |= converted.had_keypoints
        # One COCO annotation is one object even when drawn in several parts (a segmentation of
        # several polygons, a mask traced into several outlines): the parts share an object_id.
        # Its position among the image's annotations is unique even where "id"s are not.
        object_id = f"coco annotation #{position}" if len(converted.shapes) > 1 else None
        for shape in converted.shapes:
            used.add(label)
            if shape is None:
                if label not in image_labels:
                    image_labels.append(label)
            else:
                item.annotations.append(Annotation((label,), shape, object_id))
    if image_labels:
        item.annotations.insert(0, Annotation(tuple(image_labels), None))
    return used, saw_keypoints


def _size(value: object) -> int | None:
    return int(value) if isinstance(value, (int, float)) and value > 0 else None
