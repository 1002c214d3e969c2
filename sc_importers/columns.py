"""A dataset's image items and their annotations as flat arrays: the neutral form in which a dry run
checks and counts a large dataset at numpy speed instead of one Python object per shape.

A reader whose ``Dataset.items`` holds its items packed (the coco reader's) may offer them this way
with a ``columns()`` method returning :class:`ItemColumns`; :func:`columns_of` asks for it. The dry
run (:func:`sc_importers.validation.validate`) then screens each chunk of items with
:func:`sc_importers.column_checks.clean_items`: an item whose annotations certainly pass every check
is checked for its file only and counted from the arrays (the report's counts, the project type's
conversion counts: ``ProjectType.count_columns``); every other item is built and walked as before,
so every message still comes from the one per-item check.

Only what an item check and a conversion count look at is here: media file, key and declared size
per item; per annotation row its kind (:data:`KINDS`), its label set, its object (rows of one item
with the same non-negative object code are parts of one object, as equal ``Annotation.object_id``
are) and its coordinates (``x, y, width, height`` of a rectangle, ``x1, y1, x2, y2, ...`` of a
polygon). Items are images; a reader with videos, ellipses or rotated boxes offers no columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sc_importers.model import MediaItem

#: Row kinds, by code: an image-level annotation (no shape), a rectangle, a polygon; the names are
#: the shape type names reports count under (:func:`sc_importers.model.shape_type_name`).
KINDS = ("IMAGE", "RECTANGLE", "POLYGON")
IMAGE, RECTANGLE, POLYGON = 0, 1, 2


@dataclass
class ItemColumns:
    """Image items as arrays. Item ``n`` is the file ``media[n][0]`` with the key ``media[n][1]`` and
    the declared width and height ``media[n][2:]`` (None when unknown); its annotation rows are
    ``item_rows[n]:item_rows[n + 1]``. Row ``r`` has the kind ``kinds[r]``, the labels
    ``label_sets[labels[r]]``, the object code ``objects[r]`` (-1: an object of its own) and the
    coordinates ``coords[begins[r]:ends[r]]``."""

    media: Sequence[tuple[str, str, int | None, int | None]]
    item_rows: np.ndarray
    kinds: np.ndarray
    labels: np.ndarray
    label_sets: Sequence[tuple[str, ...]]
    objects: np.ndarray
    begins: np.ndarray
    ends: np.ndarray
    coords: np.ndarray

    def __len__(self) -> int:
        return len(self.media)

    def bare_item(self, n: int) -> MediaItem:
        """Item ``n`` without its annotations: what checking its file needs."""
        path, key, width, height = self.media[n]
        return MediaItem(Path(path), key, width=width, height=height)

    def rows_of(self, items: np.ndarray) -> np.ndarray:
        """The annotation rows of the items ``items`` (item indices, ascending), in order."""
        starts = self.item_rows[items]
        counts = self.item_rows[items + 1] - starts
        heads = np.cumsum(counts) - counts  # where each item's rows begin in the result
        return np.repeat(starts - heads, counts) + np.arange(int(counts.sum()), dtype=np.int64)

    def row_items(self, rows: np.ndarray) -> np.ndarray:
        """The item index of each of ``rows``."""
        return np.searchsorted(self.item_rows, rows, side="right") - 1


def columns_of(items: Sequence[MediaItem]) -> ItemColumns | None:
    """``items`` as :class:`ItemColumns` when they offer it (a ``columns()`` method), else None."""
    columns = getattr(items, "columns", None)
    return columns() if callable(columns) else None
