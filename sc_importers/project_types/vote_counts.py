"""Classification's conversion counts from a dataset held as arrays: the label of each image per label
group, as :func:`~sc_importers.project_types.common.dominant_label` votes it, for many items at once
(``Classification.column_counter``; see :mod:`sc_importers.project_types.column_counts`).

Per item and group: the first image-level label of the group (annotation order, then label order);
else the group's label with the most shape annotations, the parts of one object counting once, a tie
going to the label met first. The image gets one annotation with its labels in group order; every
shape's label in the plan is "folded" into it when it is the image's label of its group, else
"outvoted" (``Classification.lost``). Held equal to the per-item rules by
``tests/core/test_column_screen.py``.
"""

from __future__ import annotations

import numpy as np

from sc_importers.columns import IMAGE, KINDS, ItemColumns
from sc_importers.model import EMPTY_LABEL
from sc_importers.project_types.base import BuildOptions, ProjectPlan, ProjectType
from sc_importers.project_types.column_counts import (
    ColumnCounter,
    ColumnCounts,
    count_bare,
    count_unused,
    taken_kinds,
)


def vote_counter(project_type: ProjectType, plan: ProjectPlan, options: BuildOptions) -> ColumnCounter:
    """The counter of a one-task classification ``plan``."""
    task = plan.tasks[0].title
    groups: dict[str | None, list[str]] = {}
    for label in plan.tasks[0].labels:
        groups.setdefault(label.group, []).append(label.name)
    names = [name for members in groups.values() for name in members]  # by group, so codes sort by group
    code_of = {name: code for code, name in enumerate(names)}
    group_of = np.array([g for g, members in enumerate(groups.values()) for _ in members] or [0])
    taken = taken_kinds(project_type, plan)

    def count(columns: ItemColumns, items: np.ndarray) -> ColumnCounts:
        counts = ColumnCounts()
        rows = columns.rows_of(items)
        # one pair per (row, label of the plan), in annotation order then label order
        per_set = [[code_of[n] for n in label_set if n in code_of] for label_set in columns.label_sets]
        lengths = np.array([len(codes) for codes in per_set] or [0])[columns.labels[rows]]
        starts = np.cumsum([0] + [len(codes) for codes in per_set])[columns.labels[rows]]
        flat = np.array([c for codes in per_set for c in codes] or [0])
        heads = np.cumsum(lengths) - lengths
        pair_rows = np.repeat(np.arange(len(rows)), lengths)
        label = flat[np.repeat(starts - heads, lengths) + np.arange(int(lengths.sum()))]
        owner = np.searchsorted(items, columns.row_items(rows)[pair_rows])  # position among ``items``
        image = columns.kinds[rows][pair_rows] == IMAGE
        objects = columns.objects[rows][pair_rows].astype(np.int64)
        chosen = np.full((len(items), len(groups)), -1, dtype=np.int64)  # item position, group -> label code
        _vote(chosen, owner[~image], label[~image], objects[~image], group_of)
        first_image = np.unique(owner[image] * len(groups) + group_of[label[image]], return_index=True)
        chosen.reshape(-1)[first_image[0]] = label[image][first_image[1]]  # image-level labels win
        voted = chosen
        labelled = (voted >= 0).any(axis=1)
        counts.annotations += int(labelled.sum())
        counts.media[task] += int(labelled.sum())
        for code, n in zip(*np.unique(voted[voted >= 0], return_counts=True), strict=True):
            counts.labels[task][names[code]] += int(n)
        if options.empty_label_for_unannotated:
            count_bare(counts, columns, items, task, EMPTY_LABEL)
        shape = ~image
        folded = chosen[owner, group_of[label]] == label
        kinds = columns.kinds[rows][pair_rows]
        for reason, which in (("folded", shape & folded), ("outvoted", shape & ~folded)):
            if which.any():
                for code, n in zip(*np.unique(label[which], return_counts=True), strict=True):
                    counts.lost[reason][names[code]] += int(n)
                for kind, n in zip(*np.unique(kinds[which], return_counts=True), strict=True):
                    counts.lost_kinds[reason][KINDS[kind]] += int(n)
                counts.lost_media[reason] += [columns.media[i][1] for i in items[np.unique(owner[which])].tolist()]
        count_unused(columns, rows, taken, counts)
        return counts

    return count


def _vote(chosen: np.ndarray, owner: np.ndarray, label: np.ndarray, objects: np.ndarray,
          group_of: np.ndarray) -> None:
    """Set ``chosen[item, group]`` to each item's most frequent shape label per group (pairs of
    ``owner`` and ``label``, in order; pairs of one object and label count once; a tie goes to the
    label met first)."""
    if not len(owner):
        return
    order = np.arange(len(owner))
    parts = np.flatnonzero(objects >= 0)
    keep = np.ones(len(owner), dtype=bool)
    if len(parts):  # an object's later parts with the same label do not count again
        _, firsts = np.unique(np.stack([owner[parts], objects[parts], label[parts]]), axis=1, return_index=True)
        keep[parts] = False
        keep[parts[firsts]] = True
    owner, label, order = owner[keep], label[keep], order[keep]
    width = int(label.max()) + 1
    pairs, first, times = np.unique(owner * width + label, return_index=True, return_counts=True)
    pair_owner, pair_label = pairs // width, pairs % width
    group = group_of[pair_label]
    # per (item, group): the most votes, then the earliest first vote
    best = np.lexsort((order[first], -times, group, pair_owner))
    slot = pair_owner[best] * chosen.shape[1] + group[best]
    _, winners = np.unique(slot, return_index=True)
    chosen.reshape(-1)[slot[winners]] = pair_label[best][winners]
