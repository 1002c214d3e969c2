"""What the dry-run report counts over a dataset's items, gathered in one walk.

A reader of a large file builds its items anew at every walk (``Dataset.items`` of the coco
reader), so the report's counts (media per kind, annotations per label and shape) are added up
item by item, in a walk done anyway: :func:`sc_importers.validation.validate` takes an
:class:`ItemSummary` as one of its tallies (:class:`sc_importers.item_walk.Tally`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sc_importers.model import MediaItem, shape_type_name

if TYPE_CHECKING:
    from sc_importers.columns import ItemColumns
    from sc_importers.item_checks import ItemVerdict


@dataclass
class ItemSummary:
    """Counts over the items added: media per kind, annotated frames, unannotated media, the item
    keys, and annotations per (label name, shape type name), video frames included."""

    total: int = 0
    images: int = 0
    videos: int = 0
    frames_annotated: int = 0
    unannotated: int = 0
    keys: set[str] = field(default_factory=set)
    #: (label name, shape type name) -> annotations, as :meth:`Dataset.annotation_counts` counts them
    annotation_counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: every annotation once, whatever its number of labels
    annotations: int = 0

    @classmethod
    def of(cls, items: Iterable[MediaItem]) -> ItemSummary:
        """The summary of ``items``, in one walk."""
        summary = cls()
        for item in items:
            summary.add(item)
        return summary

    def add(self, item: MediaItem) -> None:
        """Count ``item``."""
        self.total += 1
        if item.kind == "image":
            self.images += 1
        elif item.kind == "video":
            self.videos += 1
        self.frames_annotated += sum(1 for f in item.frames.values() if f)
        if not item.is_annotated:
            self.unannotated += 1
        self.keys.add(item.key)
        counts = self.annotation_counts
        for anns in [item.annotations, *item.frames.values()]:
            self.annotations += len(anns)
            for ann in anns:
                shape = shape_type_name(ann.shape)
                for name in ann.labels:
                    counts[(name, shape)] += 1

    def tally(self, item: MediaItem, verdict: ItemVerdict) -> None:
        """Count ``item`` (a tally of the checking walk: every item counts, whatever its check found)."""
        self.add(item)

    def counts_columns(self) -> bool:
        """Always: :meth:`count` counts any items held as arrays."""
        return True

    def count(self, columns: ItemColumns, items: list[int], bare: list[MediaItem],
              verdicts: list[ItemVerdict]) -> None:
        """Count the items ``items`` of ``columns`` (images; ``bare`` are them without annotations)
        from the arrays, as :meth:`add` counts them (a :class:`~sc_importers.item_walk.ColumnTally`)."""
        import numpy as np  # not at import: the command line's start does without it

        from sc_importers.columns import KINDS

        chosen = np.array(items, dtype=np.int64)
        per_item = columns.item_rows[chosen + 1] - columns.item_rows[chosen]
        self.total += len(items)
        self.images += len(items)
        self.unannotated += int((per_item == 0).sum())
        self.keys.update(item.key for item in bare)
        rows = columns.rows_of(chosen)
        self.annotations += len(rows)
        # rows per (label set, kind), numbered label set * kinds + kind
        per_pair = np.bincount(columns.labels[rows].astype(np.int64) * len(KINDS) + columns.kinds[rows])
        for pair in np.flatnonzero(per_pair).tolist():
            for name in columns.label_sets[pair // len(KINDS)]:
                self.annotation_counts[(name, KINDS[pair % len(KINDS)])] += int(per_pair[pair])

    def fresh(self) -> ItemSummary:
        return ItemSummary()

    def partial(self) -> ItemSummary:
        return self

    def merge(self, other: ItemSummary) -> None:
        """Add the counts of ``other``."""
        self.total += other.total
        self.images += other.images
        self.videos += other.videos
        self.frames_annotated += other.frames_annotated
        self.unannotated += other.unannotated
        self.keys |= other.keys
        self.annotation_counts.update(other.annotation_counts)
        self.annotations += other.annotations
