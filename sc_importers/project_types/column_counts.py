"""Conversion counts from a dataset held as arrays (:class:`~sc_importers.columns.ItemColumns`): what
a project type's ``convert``, ``unused`` and ``lost`` make of many items at once, for the dry run
(``ProjectType.column_counter``).

They are a second statement of rules :mod:`sc_importers.project_types` states item by item, so they
are held equal to those by tests over random datasets (``tests/core/test_column_screen.py``): here
detection, segmentation, the two chains and the anomaly types (objects and regions counted), in
:mod:`~sc_importers.project_types.vote_counts` classification (a label per image, by vote). The
items counted are screened (:mod:`sc_importers.column_checks`): every shape has an area, so every
region with a kept label is converted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sc_importers.columns import IMAGE, KINDS, RECTANGLE, ItemColumns
from sc_importers.model import EMPTY_LABEL
from sc_importers.project_types.base import BuildOptions, ProjectPlan, ProjectType


def _nested() -> defaultdict[str, defaultdict[str, int]]:
    return defaultdict(lambda: defaultdict(int))


@dataclass
class ColumnCounts:
    """What converting some items gives: converted annotations per task title and label
    (``EMPTY_LABEL`` under the first task), items with an annotation per task, converted
    annotations in all; what :meth:`ProjectType.unused` counts (per kind; per kind and label; the
    keys of the items per kind) and what :meth:`ProjectType.lost` counts (per reason and label; per
    reason and kind; the keys of the items per reason)."""

    labels: defaultdict[str, defaultdict[str, int]] = field(default_factory=_nested)
    media: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    annotations: int = 0
    unused: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unused_labels: defaultdict[str, defaultdict[str, int]] = field(default_factory=_nested)
    unused_media: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    lost: defaultdict[str, defaultdict[str, int]] = field(default_factory=_nested)
    lost_kinds: defaultdict[str, defaultdict[str, int]] = field(default_factory=_nested)
    lost_media: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


#: Counts the items ``items`` (indices, ascending) of ``columns``.
ColumnCounter = Callable[[ItemColumns, np.ndarray], ColumnCounts]


@dataclass
class Objects:
    """The objects of some items, as ``labelled_objects`` finds them: regions of an accepted kind with
    a kept label; with ``one_per_object`` the parts of one object (equal object codes and kept labels)
    are one, else every region is. Per object: its item, its kept labels (``kept[code]``) and how many
    of its parts are not rectangles (outlines)."""

    owners: np.ndarray
    codes: np.ndarray
    outlines: np.ndarray
    kept: list[tuple[str, ...]]
    columns: ItemColumns

    def keys(self, chosen: np.ndarray) -> list[str]:
        """The keys of the items of the ``chosen`` objects, each once."""
        return [self.columns.media[n][1] for n in np.unique(self.owners[chosen]).tolist()]

    def tally(self, counts: ColumnCounts, task_of: Callable[[str], str],
              labels_of: Callable[[tuple[str, ...]], tuple[str, ...]], times: np.ndarray) -> None:
        """Add, for each object, ``times`` (per object) annotations with the labels ``labels_of`` its
        kept labels, under each label's task; the items hit count once per task."""
        hit: dict[str, set[int]] = defaultdict(set)
        owners, codes = self.owners, self.codes
        per_code = np.bincount(codes, weights=times, minlength=len(self.kept)).astype(np.int64)
        for code in np.flatnonzero(per_code).tolist():
            items = owners[(codes == code) & (times > 0)].tolist()
            for name in labels_of(self.kept[code]):
                counts.labels[task_of(name)][name] += int(per_code[code])
                hit[task_of(name)].update(items)
        for task, items in hit.items():
            counts.media[task] += len(items)


def find_objects(columns: ItemColumns, rows: np.ndarray, names: set[str], taken: np.ndarray,
                 one_per_object: bool) -> Objects:
    """The :class:`Objects` of the annotation rows ``rows`` with a label in ``names`` and a kind
    ``taken`` says is accepted (by kind code)."""
    kept: dict[tuple[str, ...], int] = {}  # label sets numbered by their kept labels (-1: none kept)
    code = np.array([kept.setdefault(k, len(kept)) if (k := tuple(n for n in label_set if n in names)) else -1
                     for label_set in columns.label_sets] or [-1])
    kinds = columns.kinds[rows]
    region = (kinds != IMAGE) & taken[kinds] & (code[columns.labels[rows]] >= 0)
    owners, codes = columns.row_items(rows[region]), code[columns.labels[rows[region]]]
    outline = (kinds[region] != RECTANGLE).astype(np.int64)
    if not one_per_object:
        return Objects(owners, codes, outline, list(kept), columns)
    objects = columns.objects[rows[region]]
    group = np.arange(len(owners))  # each part's object: itself, or the first part of its object
    parts = np.flatnonzero(objects >= 0)
    if len(parts):
        keys = np.stack([owners[parts], objects[parts].astype(np.int64), codes[parts]])
        _, firsts, back = np.unique(keys, axis=1, return_index=True, return_inverse=True)
        group[parts] = parts[firsts][back.ravel()]
    heads = np.unique(group)
    outlines = np.bincount(np.searchsorted(heads, group), weights=outline, minlength=len(heads)).astype(np.int64)
    return Objects(owners[heads], codes[heads], outlines, list(kept), columns)


#: What a type makes of the objects of some items: ``convert(counts, objects, task_of)``.
Conversion = Callable[[ColumnCounts, Objects, Callable[[str], str]], None]


def same_rules(project_type: ProjectType, own: type[ProjectType], plan: ProjectPlan) -> bool:
    """Whether a counter stating the rules of the core type ``own`` counts ``project_type``'s
    conversion under ``plan``: not when the plan restores a backup (annotations pass as they are) or
    ``project_type`` is a subclass converting otherwise than ``own`` (the anomaly types' marks too)."""
    return not plan.restored and all(getattr(type(project_type), m, None) is getattr(own, m, None)
                                     for m in ("convert", "convert_new", "unused", "lost", "local_shapes"))


def taken_kinds(project_type: ProjectType, plan: ProjectPlan) -> np.ndarray:
    """Per kind code, whether a task of ``plan`` accepts the kind (:attr:`ProjectType.accepts`)."""
    accepted = {kind for task in plan.tasks for kind in project_type.accepts.get(task.task_type, ())}
    return np.array([kind in accepted for kind in KINDS])


def count_bare(counts: ColumnCounts, columns: ItemColumns, items: np.ndarray, task: str, label: str) -> None:
    """Give each of ``items`` without annotations one annotation ``label`` (the empty label asked for
    with ``--empty-label-for-unannotated``; ``Normal`` for anomaly) under ``task``."""
    bare = int((columns.item_rows[items + 1] == columns.item_rows[items]).sum())
    if bare:
        counts.labels[task][label] += bare
        counts.annotations += bare
        counts.media[task] += bare


def object_counter(project_type: ProjectType, plan: ProjectPlan, options: BuildOptions, names: set[str],
                   one_per_object: bool, conversion: Conversion) -> ColumnCounter:
    """The counter of a type converting the :class:`Objects` with a label in ``names`` as
    ``conversion`` says, leaving the kinds it does not accept unused, and giving an item without
    annotations the empty label when ``options`` ask for it."""
    task_titles = {lb.name: task.title for task in plan.tasks for lb in task.labels}
    first = plan.tasks[0].title

    def task_of(name: str) -> str:
        return first if name == EMPTY_LABEL else task_titles.get(name, first)

    taken = taken_kinds(project_type, plan)

    def count(columns: ItemColumns, items: np.ndarray) -> ColumnCounts:
        counts = ColumnCounts()
        rows = columns.rows_of(items)
        conversion(counts, find_objects(columns, rows, names, taken, one_per_object), task_of)
        if options.empty_label_for_unannotated:
            count_bare(counts, columns, items, first, EMPTY_LABEL)
        count_unused(columns, rows, taken, counts)
        return counts

    return count


def regions(counts: ColumnCounts, objects: Objects, task_of: Callable[[str], str]) -> None:
    """Detection and segmentation: one annotation per object (or region) with its kept labels."""
    counts.annotations += len(objects.owners)
    objects.tally(counts, task_of, lambda kept: kept, np.ones(len(objects.owners), dtype=np.int64))


def chain_counter(chain_label: str, outlines: bool) -> Conversion:
    """A chain: each object gives a box with ``chain_label``; then, with ``outlines``
    (detection -> segmentation), each part that is not a box gives an outline with the object's kept
    labels, and an object drawn only as boxes is lost to the second task (``no_outline``); without
    (detection -> classification), the box also carries the object's first kept label."""
    def convert(counts: ColumnCounts, objects: Objects, task_of: Callable[[str], str]) -> None:
        once = np.ones(len(objects.owners), dtype=np.int64)
        counts.annotations += len(objects.owners)
        objects.tally(counts, task_of, lambda kept: (chain_label,), once)
        if not outlines:
            objects.tally(counts, task_of, lambda kept: kept[:1], once)
            return
        counts.annotations += int(objects.outlines.sum())
        objects.tally(counts, task_of, lambda kept: kept, objects.outlines)
        boxes_only = objects.outlines == 0
        for code in np.unique(objects.codes[boxes_only]).tolist():
            lost = int(((objects.codes == code) & boxes_only).sum())
            for name in objects.kept[code]:
                counts.lost["no_outline"][name] += lost
                counts.lost_kinds["no_outline"]["RECTANGLE"] += lost
        counts.lost_media["no_outline"] += objects.keys(boxes_only)

    return convert


def count_unused(columns: ItemColumns, rows: np.ndarray, taken: np.ndarray, counts: ColumnCounts) -> None:
    """Add the ``rows`` of a kind not ``taken`` (:func:`taken_kinds`) to ``counts`` as
    :meth:`ProjectType.unused` and :class:`~sc_importers.conversion_counts.UnusedAnnotations` count them."""
    kinds, sets = columns.kinds[rows], columns.labels[rows]
    unused = ~taken[kinds]
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


def anomaly_counter(project_type: ProjectType, plan: ProjectPlan, options: BuildOptions, words: tuple[str, str],
                    regions: str) -> ColumnCounter:
    """The counter of an anomaly type: an annotated item is anomalous when one of its annotations has
    an anomalous label (``options.anomalous_labels``, else ``Anomalous``, any case), then it gets
    ``words[1]`` on the image and on each region marking the anomaly (``regions``: ``objects``, one
    per anomalous object; ``shapes``, one per anomalous shape; empty: none), else ``words[0]``; an
    item without annotations gets ``words[0]`` when ``options`` ask for the empty label."""
    task = plan.tasks[0].title
    normal_word, anomalous_word = words
    anomalous = {n.casefold() for n in (options.anomalous_labels or (anomalous_word,))}
    taken = taken_kinds(project_type, plan)

    def count(columns: ItemColumns, items: np.ndarray) -> ColumnCounts:
        counts = ColumnCounts()
        rows = columns.rows_of(items)
        marked = np.array([any(n.casefold() in anomalous for n in label_set) for label_set in columns.label_sets]
                          or [False])[columns.labels[rows]]
        annotated = int((columns.item_rows[items + 1] > columns.item_rows[items]).sum())
        bad = len(np.unique(columns.row_items(rows[marked])))
        normal = annotated - bad
        local = rows[marked & (columns.kinds[rows] != IMAGE)]
        if regions == "objects":
            every_name = {n for label_set in columns.label_sets for n in label_set}
            local_marks = len(find_objects(columns, local, every_name, np.ones(len(KINDS), dtype=bool), True).owners)
        else:
            local_marks = len(local) if regions == "shapes" else 0
        for word, n in ((normal_word, normal), (anomalous_word, bad + local_marks)):
            if n:
                counts.labels[task][word] += n
        counts.annotations += normal + bad + local_marks
        counts.media[task] += normal + bad
        if options.empty_label_for_unannotated:
            count_bare(counts, columns, items, task, normal_word)
        count_unused(columns, rows, taken, counts)
        return counts

    return count
