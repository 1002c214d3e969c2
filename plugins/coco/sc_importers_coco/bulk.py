"""The reader's bulk path: the images whose every annotation is a plain polygon, converted in numpy.

Most images of a large COCO file hold only polygons that lie on their image, have three or more
points, finite coordinates and an area: nothing to report and nothing to change. Converting them
one annotation at a time (:mod:`.convert`) cost a train2017-size file about 6 of its 10 s of reading.
Here their segmentations are decoded a batch at a time into flat coordinate arrays and checked all
at once: closing point repeating the first, coordinates all finite, at least 3 points, inside the
image (no clipping needed), and an area clearly above zero. An image whose annotations all pass
has its rows built from the arrays; any other image (one annotation with a box only, an RLE mask, a
keypoint, an unknown category, a part to clip or drop, an area too close to zero to decide here)
is produced by :meth:`~sc_importers_coco.items.IndexedFile.produce` as before, with its problems.
So the result is the one the per-annotation path gives, only sooner (test_coco_bulk.py holds them
equal on real and edge-case files). Both kinds of image are packed in file order, batch by batch,
straight into the :class:`~sc_importers_coco.items.CompactFile` the items are built from: no
second copy of the coordinates is held.
"""

from __future__ import annotations

import gc
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, compress
from typing import Any

import msgspec
import numpy as np

from sc_importers.geometry.rings import measure
from sc_importers.model import MediaItem, Polygon
from sc_importers_coco.items import _POLYGON, CompactFile, IndexedFile, polygon
from sc_importers_coco.parse import Annotation

#: Produces image ``n`` one annotation at a time, given the polygons already converted.
Producer = Callable[[int, dict[int, list[Polygon]]], MediaItem]

#: Annotations decoded per msgspec call (whole images: more when one image has more): large
#: enough to keep the Python overhead per batch small, small enough that the decoded floats
#: (Python objects) stay a few tens of MB.
_BATCH = 20_000

# an RLE's values stay undecoded (Raw): its counts, hundreds of numbers, go to the per-annotation path
_SEGMENTATIONS = msgspec.json.Decoder(list[list[list[float]] | dict[str, msgspec.Raw] | None])
_SEGMENTATION = msgspec.json.Decoder(list[list[float]] | dict[str, msgspec.Raw] | None)

#: An area is "clearly above zero" when the shoelace sum exceeds this fraction of the sum of its
#: terms' magnitudes: far above the rounding of any summation order (about n * 1.1e-16 for n
#: points), so the per-annotation path, summing in another order, finds it above zero too.
_AREA_MARGIN = 1e-9


def pack(compact: CompactFile, indexed: IndexedFile, items: list[tuple[str, str, int | None, int | None]],
         label_names: list[str], label_of: dict[object, int] | None, produce: Producer,
         publish: Callable[[int], None] | None = None) -> None:
    """Pack ``indexed``, whose image ``n`` is ``items[n]`` (path, key, width, height), into
    ``compact`` (empty). Images whose annotations all pass the bulk checks are packed from arrays;
    each other image ``n`` is ``produce(n, known)`` (called in image order, so its problems can be
    reported in order; ``known``: the polygons of its annotations that passed, see
    :meth:`IndexedFile.produce`). ``label_of`` maps a category id to its position in
    ``label_names``; None turns the bulk path off (every image is produced: what the tests compare
    it with).

    Without ``publish``, two passes: every batch is checked and its images' coordinates appended to
    the packed array first; then the images left are produced and every batch's rows appended, in
    image order. Producing images one by one leaves the heap fragmented, and the next batch's
    decoded floats, scattered over it, made the checks a third slower on a file with 1 % crowd
    regions. With ``publish`` (a streaming read), each batch is checked and packed before the next,
    and ``publish(n)`` is called once the first ``n`` images are in ``compact``: the first items are
    ready after one batch."""
    for name in label_names:  # a category's position in label_names is its label set's index
        compact.label_set((name,))
    if label_of is None:
        for n, item in enumerate(items):
            compact.add(produce(n, {}), item[0])
            if publish is not None:
                publish(n + 1)
        return
    unknown = np.inf  # an image of unknown size: nothing is clipped (convert.py)
    widths = np.array([w if w and h else unknown for _, _, w, h in items], dtype=np.float64)
    heights = np.array([h if w and h else unknown for _, _, w, h in items], dtype=np.float64)
    starts = indexed.starts
    annotations = indexed.coco.annotations
    batches: list[_Checked | None] = []
    with _collector_paused():
        first = 0
        while first < len(items):
            end = int(np.searchsorted(starts, starts[first] + _BATCH, side="right")) - 1
            end = min(max(end, first + 1), len(items))
            slot = np.repeat(np.arange(first, end), np.diff(starts[first:end + 1]))  # per annotation: its image
            positions = indexed.order[starts[first]:starts[end]].tolist()
            batch = _Batch.check([annotations[i] for i in positions], label_of, widths[slot], heights[slot])
            checked = _Checked.of(compact, first, starts[first:end + 1] - starts[first], batch)
            if publish is None:
                batches.append(checked)
            else:
                checked.pack(compact, items, produce)
                publish(end)
            first = end
        for index, waiting in enumerate(batches):
            batches[index] = None  # its arrays go once packed
            assert waiting is not None
            waiting.pack(compact, items, produce)


@dataclass
class _Checked:
    """One checked batch of images ``first`` to ``first + len(fast)``: whether each took the bulk
    path, the rows of those that did (their coordinates already in the packed array), and the
    parts of the others' annotations that passed (``known`` for :meth:`IndexedFile.produce`)."""

    first: int
    fast: np.ndarray
    local: np.ndarray  # image k's annotations are the batch's local[k] to local[k + 1]
    images: np.ndarray  # per bulk row: its image, from 0
    labels: np.ndarray
    objects: np.ndarray
    begins: np.ndarray
    lengths: np.ndarray
    other: _Batch  # the parts of the other images' annotations

    @classmethod
    def of(cls, compact: CompactFile, first: int, local: np.ndarray, batch: _Batch) -> _Checked:
        slot = np.repeat(np.arange(len(local) - 1), np.diff(local))  # per annotation: its image, from 0
        bad_before = np.concatenate(([0], np.cumsum(~batch.good)))
        fast = bad_before[local[1:]] == bad_before[local[:-1]]
        part_slot = slot[batch.part_ann]
        keep = fast[part_slot]
        coordinate_kept = np.repeat(keep, 2 * batch.points)
        points = batch.points[keep]
        begins = len(compact.coords) + 2 * (np.cumsum(points) - points)
        _extend(compact.coords, batch.coords[coordinate_kept])
        several, part_ann = batch.several[keep], batch.part_ann[keep]
        images = part_slot[keep]
        # a polygon's object number is its annotation's position among its image's annotations
        objects = np.where(several, part_ann - local[images], -1)
        other = _Batch(batch.good, batch.part_ann[~keep], batch.labels[~keep], batch.several[~keep],
                       batch.points[~keep], batch.coords[~coordinate_kept])
        return cls(first, fast, local, images, batch.labels[keep], objects, begins, 2 * points, other)

    def pack(self, compact: CompactFile, items: list, produce: Producer) -> None:
        """Produce this batch's other images and append every image's rows to ``compact``, in order."""
        slow = CompactFile()
        slow_images = np.flatnonzero(~self.fast)
        other = self.other
        image_parts = np.searchsorted(other.part_ann, self.local)
        point_starts = np.concatenate(([0], np.cumsum(other.points)))
        for k in slow_images.tolist():
            known = _known(other, point_starts, int(image_parts[k]), int(image_parts[k + 1]), int(self.local[k]))
            slow.add(produce(self.first + k, known), items[self.first + k][0])
        base = len(compact.coords)
        compact.coords.extend(slow.coords)
        slow_label = np.array([compact.label_set(labels) for labels in slow.label_sets], dtype=np.int32)
        # both kinds of rows, put in image order (an image's rows all come from one of them) and appended at once
        per_image: np.ndarray = np.diff(np.frombuffer(slow.item_rows, dtype=np.int64))
        images = np.concatenate((self.images, np.repeat(slow_images, per_image)))
        order = np.argsort(images, kind="stable")
        rows = len(compact.kinds)
        compact.items.extend(items[self.first:self.first + len(self.fast)])
        _extend(compact.item_rows, rows + np.cumsum(np.bincount(images, minlength=len(self.fast))))
        _extend(compact.kinds, np.concatenate((np.full(len(self.images), _POLYGON, dtype=np.int8),
                                               np.frombuffer(slow.kinds, dtype=np.int8)))[order])
        slow_labels = np.frombuffer(slow.labels, dtype=np.int32)
        _extend(compact.labels, np.concatenate((self.labels, slow_label[slow_labels] if len(slow_labels)
                                                else slow_labels))[order])
        _extend(compact.objects, np.concatenate((self.objects, np.frombuffer(slow.objects, dtype=np.int32)))[order])
        slow_begins = base + np.frombuffer(slow.begins, dtype=np.int64)
        slow_ends = base + np.frombuffer(slow.ends, dtype=np.int64)
        _extend(compact.begins, np.concatenate((self.begins, slow_begins))[order])
        _extend(compact.ends, np.concatenate((self.begins + self.lengths, slow_ends))[order])


def _known(batch: _Batch, point_starts: np.ndarray, part: int, end: int, image_first: int) -> dict[int, list[Polygon]]:
    """The polygons of the annotations that passed the bulk checks among parts ``part`` to ``end``
    of ``batch`` (one image's, whose first annotation is ``image_first`` of the batch), by their
    position in the image: an image left to the per-annotation path (for an RLE mask, say) does
    not convert its plain polygons again."""
    known: dict[int, list[Polygon]] = {}
    for j in range(part, end):
        ann = int(batch.part_ann[j])
        if batch.good[ann]:
            flat = batch.coords[2 * point_starts[j]:2 * point_starts[j + 1]].tolist()
            known.setdefault(ann - image_first, []).append(polygon(flat))
    return known


def _extend(values: array, more: np.ndarray) -> None:
    """Append ``more`` to ``values`` (converted to its type) without a Python object per number."""
    values.frombytes(np.ascontiguousarray(more, dtype=np.dtype(values.typecode)).data.cast("B"))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused (refcounting still frees everything): the batches
    decode into lists of floats, which hold no cycle, but as millions of new containers they set
    off its collections, which took 60 % of the decoding time (train2017 size: 2.0 s -> 0.8 s)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class _Batch:
    """One batch of annotations checked: ``good`` per annotation, and the parts of the good ones."""

    good: np.ndarray
    part_ann: np.ndarray  # per part: its annotation's position in the batch
    labels: np.ndarray
    several: np.ndarray  # per part: whether its annotation has several parts (one object id for them)
    points: np.ndarray  # per part: its number of points (a closing point dropped)
    coords: np.ndarray  # x1, y1, x2, y2, ... of every part, one after the other

    @classmethod
    def check(cls, records: list, label_of: dict[object, int], widths: np.ndarray,
              heights: np.ndarray) -> _Batch:
        count = len(records)
        labels = np.fromiter(map(lambda r: _label(r, label_of), records), dtype=np.int32, count=count)
        segmentations = _decode([r.segmentation if label >= 0 and r.segmentation is not None else b"null"
                                 for r, label in zip(records, labels.tolist(), strict=True)])
        polygons = [s if type(s) is list and label >= 0 else []
                    for s, label in zip(segmentations, labels.tolist(), strict=True)]
        del segmentations
        part_count = np.fromiter(map(len, polygons), dtype=np.int64, count=count)
        lengths = np.fromiter(map(len, chain.from_iterable(polygons)), dtype=np.int64, count=int(part_count.sum()))
        part_ann = np.repeat(np.arange(count), part_count)
        odd_or_short = (lengths < 6) | (lengths % 2 == 1)
        good = (part_count > 0) & (np.bincount(part_ann, weights=odd_or_short, minlength=count) == 0)
        take = good[part_ann]
        part_ann, lengths = part_ann[take], lengths[take]
        flat = np.fromiter(chain.from_iterable(chain.from_iterable(compress(polygons, good.tolist()))),
                           dtype=np.float64, count=int(lengths.sum()))
        del polygons
        part_good, points, coords = _check_parts(flat, lengths // 2, widths[part_ann], heights[part_ann])
        good &= np.bincount(part_ann, weights=~part_good, minlength=count) == 0
        return cls(good, part_ann, labels[part_ann], part_count[part_ann] > 1, points, coords)


def _label(record: Any, label_of: dict[object, int]) -> int:
    """The label index of a record the bulk path may take, else -1 (no struct, an unknown or
    unhashable category, keypoints: each has something to report)."""
    if type(record) is not Annotation:
        return -1
    keypoints: object = record.keypoints  # a Raw, or None when the record has none
    if keypoints is not None:
        return -1
    try:
        return label_of.get(record.category_id, -1)
    except TypeError:
        return -1


def _decode(raws: list) -> list:
    """The segmentations of ``raws`` (``msgspec.Raw`` or ``b"null"``); one that decodes as none
    of polygons, an object or null (strings, NaN ...) becomes None (the per-annotation path reports it)."""
    try:
        return _SEGMENTATIONS.decode(b"[" + b",".join(raws) + b"]")
    except (msgspec.ValidationError, msgspec.DecodeError):
        return [_decode_one(raw) for raw in raws]


def _decode_one(raw: Any) -> Any:
    try:
        return _SEGMENTATION.decode(raw)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None


def _check_parts(flat: np.ndarray, points: np.ndarray, widths: np.ndarray,
                 heights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per part of ``flat`` (``points[k]`` >= 3 points each): whether the per-annotation path keeps
    it unchanged, and the parts' point counts and coordinates with each closing point (a last
    point repeating the first) dropped, as that path does."""
    if not len(points):
        return np.zeros(0, dtype=bool), points, flat
    xs, ys = flat[0::2], flat[1::2]
    first = np.concatenate(([0], np.cumsum(points)[:-1]))
    last = first + points - 1
    closed = (xs[first] == xs[last]) & (ys[first] == ys[last])
    if closed.any():
        keep = np.ones(len(xs), dtype=bool)
        keep[last[closed]] = False
        xs, ys = xs[keep], ys[keep]
        points = points - closed
        first = np.concatenate(([0], np.cumsum(points)[:-1]))
    rings = measure(xs, ys, first, points)  # every part keeps 2 or more points here
    with np.errstate(invalid="ignore"):
        good = ((points >= 3) & rings.finite & (rings.x0 >= 0) & (rings.y0 >= 0) & (rings.x1 <= widths)
                & (rings.y1 <= heights) & (np.abs(rings.twice_area) > _AREA_MARGIN * rings.term_sizes))
    coords = np.empty(2 * len(xs))
    coords[0::2], coords[1::2] = xs, ys
    return good, points, coords
