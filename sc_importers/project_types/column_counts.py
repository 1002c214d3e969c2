"""Conversion counts from a dataset held as arrays (:class:`~sc_importers.columns.ItemColumns`): what
a project type's ``convert`` and ``unused`` make of many items at once, for the dry run
(``ProjectType.column_counter``).

They are a second statement of rules :mod:`sc_importers.project_types` states item by item, so they
are held equal to those by tests over random datasets (``tests/core/test_column_counts.py``); only
types whose conversion is a count of regions have one here (detection, segmentation); the others
are counted item by item. The items counted are screened (:mod:`sc_importers.column_checks`):
every shape has an area, so every region with a kept label is converted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sc_importers.columns import IMAGE, KINDS, ItemColumns
from sc_importers.model import EMPTY_LABEL
from sc_importers.project_types.base import BuildOptions, ProjectPlan, ProjectType


@dataclass
class ColumnCounts:
    """What converting some items gives: converted annotations per task title and label
    (``EMPTY_LABEL`` under the first task), items with an annotation per task, converted
    annotations in all, and what :meth:`ProjectType.unused` counts (per kind; per kind and label;
    the keys of the items per kind)."""

    labels: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    media: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    annotations: int = 0
    unused: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unused_labels: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    unused_media: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


#: Counts the items ``items`` (indices, ascending) of ``columns``.
ColumnCounter = Callable[[ItemColumns, np.ndarray], ColumnCounts]


def region_counter(project_type: ProjectType, plan: ProjectPlan, options: BuildOptions,
                   one_per_object: bool) -> ColumnCounter:
    """The counter of a type converting every region with a kept label (a label of ``plan``) of an
    accepted kind into one annotation with the kept labels (``one_per_object``: the parts of one
    object, equal object codes and kept labels, into one), image-level labels left unused, and an
    item without annotations into the empty label when ``options`` ask for it."""
    labels = set(plan.label_names)
    task_of = {lb.name: task.title for task in plan.tasks for lb in task.labels}
    first = plan.tasks[0].title
    accepted = {kind for task in plan.tasks for kind in project_type.accepts.get(task.task_type, ())}
    taken = np.array([kind in accepted for kind in KINDS])

    def count(columns: ItemColumns, items: np.ndarray) -> ColumnCounts:
        counts = ColumnCounts()
        # label sets numbered by their kept labels (-1: none kept): sets keeping the same labels are alike
        kept: dict[tuple[str, ...], int] = {}
        code = np.array([kept.setdefault(k, len(kept)) if (k := tuple(n for n in names if n in labels)) else -1
                         for names in columns.label_sets] or [-1])
        kept_labels = list(kept)
        rows = columns.rows_of(items)
        kinds, sets = columns.kinds[rows], columns.labels[rows]
        region = (kinds != IMAGE) & taken[kinds] & (code[sets] >= 0)
        owners, groups = columns.row_items(rows[region]), code[sets[region]]
        if one_per_object:  # one group per (item, object, kept labels); a row without object alone
            objects = columns.objects[rows[region]]
            parts = np.flatnonzero(objects >= 0)
            if len(parts):  # the first row of each (item, object, kept labels) stays
                keys = np.stack([owners[parts], objects[parts].astype(np.int64), groups[parts]])
                _, firsts = np.unique(keys, axis=1, return_index=True)
                stays = objects < 0
                stays[parts[firsts]] = True
                owners, groups = owners[stays], groups[stays]
        counts.annotations += len(groups)
        tasks_hit: dict[str, set[int]] = defaultdict(set)
        per_kept = np.bincount(groups, minlength=len(kept_labels))
        for index in np.flatnonzero(per_kept).tolist():
            hit = owners[groups == index].tolist()
            for name in kept_labels[index]:
                task = task_of.get(name, first)
                counts.labels[task][name] += int(per_kept[index])
                tasks_hit[task].update(hit)
        if options.empty_label_for_unannotated and not plan.restored:
            bare = items[columns.item_rows[items + 1] == columns.item_rows[items]]
            if len(bare):
                counts.labels[first][EMPTY_LABEL] += len(bare)
                counts.annotations += len(bare)
                tasks_hit[first].update(bare.tolist())
        for task, owners_hit in tasks_hit.items():
            counts.media[task] += len(owners_hit)
        _count_unused(columns, rows, kinds, sets, ~taken[kinds], counts)
        return counts

    return count


def _count_unused(columns: ItemColumns, rows: np.ndarray, kinds: np.ndarray, sets: np.ndarray,
                  unused: np.ndarray, counts: ColumnCounts) -> None:
    """Add the rows ``unused`` marks to ``counts`` as :meth:`ProjectType.unused` and
    :class:`~sc_importers.conversion_counts.UnusedAnnotations` count them."""
    if not unused.any():
        return
    owners = columns.row_items(rows[unused])
    per_pair = np.bincount(sets[unused].astype(np.int64) * len(KINDS) + kinds[unused])  # label set * kinds + kind
    for pair in np.flatnonzero(per_pair).tolist():
        index, kind, times = pair // len(KINDS), pair % len(KINDS), int(per_pair[pair])
        names, word = columns.label_sets[index], KINDS[kind]
        counts.unused[word] += times * (max(1, len(names)) if kind == IMAGE else 1)
        for name in names:
            counts.unused_labels[word][name] += times
    for kind in np.unique(kinds[unused]).tolist():
        counts.unused_media[KINDS[kind]] += [columns.media[i][1] for i in np.unique(owners[kinds[unused] == kind])]
