"""What a project type would make of a dataset's items, counted item by item: the dry run's conversion
counts (annotations per task and label, media and annotations created) and the warnings of what the
project type does not take (:class:`UnusedAnnotations`).

Both are fed one item at a time by a walk over the items done for something else (the dry run's
checking walk, the import's summary), so a lazily read dataset (the coco reader's) is not walked
again for them: every walk builds every item anew.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import TYPE_CHECKING

from sc_importers.media_checks import CheckProblem
from sc_importers.model import EMPTY_LABEL, Dataset, MediaItem, Problem
from sc_importers.project_types.base import BuildOptions, ProjectPlan, ProjectType

if TYPE_CHECKING:
    from sc_importers.columns import ItemColumns
    from sc_importers.item_checks import ItemVerdict


class ConversionCounts:
    """What ``project_type.convert`` would produce, per task title (:meth:`result`), added up one item
    at a time (:meth:`add`).

    Items added as skipped (an import skips them for an error) are left out of the counts, not of
    :class:`UnusedAnnotations`' label notes; an exception from ``convert`` becomes an item-level error.
    """

    def __init__(self, project_type: ProjectType, dataset: Dataset, plan: ProjectPlan,
                 options: BuildOptions, reader_skipped: Collection[str] = ()) -> None:
        self.project_type, self.dataset, self.plan, self.options = project_type, dataset, plan, options
        #: items a reader's error skips (:meth:`tally` also skips those whose check found an error)
        self.reader_skipped = reader_skipped
        self.task_of = {lb.name: task.title for task in plan.tasks for lb in task.labels}
        self.first = plan.tasks[0].title if plan.tasks else ""
        self.counts: dict[str, dict[str, int]] = {t.title: defaultdict(int) for t in plan.tasks}
        self.media: dict[str, int] = defaultdict(int)
        self.problems: list[Problem] = []
        self.drop_unannotated = options.labels is not None and not options.empty_label_for_unannotated
        #: what the import then reports as created: ``media`` (every item uploaded: with a ``--labels``
        #: filter, media that never had an annotation only with the empty label, as the uploader selects
        #: them) and ``annotations`` (each converted annotation once, whatever its labels and tasks)
        self.created = {"media": 0, "annotations": 0}
        self.unused = UnusedAnnotations(project_type, dataset, plan)
        #: counts screened items from arrays (:meth:`count`), if the project type can
        self.column_counter = project_type.column_counter(plan, options)

    def add(self, item: MediaItem, skipped: bool = False) -> None:
        """Count ``item``'s conversion, unless it is ``skipped``."""
        self.unused.add(item, counted=not skipped)
        if skipped:
            return
        if not (self.drop_unannotated and not item.is_annotated):
            self.created["media"] += 1
        groups = [("", item.annotations)] + [(f"frame {i}: ", a) for i, a in sorted(item.frames.items())]
        tasks_hit: set[str] = set()
        for where, anns in groups:
            if not anns and where:
                continue
            try:
                converted = self.project_type.convert(item, anns, self.plan, self.options)
            except Exception as exc:
                self.problems.append(CheckProblem(
                    "error", f"{where}{self.project_type.name} cannot convert the annotations: "
                    f"{type(exc).__name__}: {exc}", str(item.path), item.key, "conversion"))
                break
            self.created["annotations"] += len(converted)
            for ann in converted:
                for name in ann.labels:
                    task = self.first if name == EMPTY_LABEL else self.task_of.get(name, self.first)
                    if task in self.counts:
                        self.counts[task][name] += 1
                        tasks_hit.add(task)
        for task in tasks_hit:
            self.media[task] += 1

    def tally(self, item: MediaItem, verdict: ItemVerdict) -> None:
        """:meth:`add` ``item`` in the checking walk (a :class:`~sc_importers.item_walk.Tally`): skipped
        when its check found an error or a reader's error names it, as the import skips it."""
        self.add(item, skipped=verdict.error is not None or item.key in self.reader_skipped)

    def counts_columns(self) -> bool:
        """Whether :meth:`count` can count screened items from arrays (the project type says)."""
        return self.column_counter is not None

    def count(self, columns: ItemColumns, items: list[int], bare: list[MediaItem],
              verdicts: list[ItemVerdict]) -> None:
        """Add the screened items ``items`` of ``columns`` (a :class:`~sc_importers.item_walk.ColumnTally`),
        whose file checks gave ``verdicts``: as :meth:`tally` would, counted from the arrays."""
        import numpy as np  # not at import: the command line's start does without it

        assert self.column_counter is not None, "counts_columns() says whether count() can be called"
        ok = np.array([n for n, item, verdict in zip(items, bare, verdicts, strict=True)
                       if verdict.error is None and item.key not in self.reader_skipped], dtype=np.int64)
        if not len(ok):
            return
        annotated = columns.item_rows[ok + 1] > columns.item_rows[ok]
        self.created["media"] += int(annotated.sum()) if self.drop_unannotated else len(ok)
        counted = self.column_counter(columns, ok)
        for task, labels in counted.labels.items():
            for name, n in labels.items():
                self.counts[task][name] += n
        for task, n in counted.media.items():
            self.media[task] += n
        self.created["annotations"] += counted.annotations
        unused = self.unused
        for kind, n in counted.unused.items():
            unused.counts[kind] += n
        for kind, labels in counted.unused_labels.items():
            for name, n in labels.items():
                unused.labels[kind][name] += n
        for kind, keys in counted.unused_media.items():
            unused.media[kind].update(dict.fromkeys(keys, "image"))
        for mine, theirs in ((unused.lost, counted.lost), (unused.lost_kinds, counted.lost_kinds)):
            for reason, per_name in theirs.items():
                for name, n in per_name.items():
                    mine[reason][name] += n
        for reason, keys in counted.lost_media.items():
            unused.media[reason].update(dict.fromkeys(keys, "image"))

    def fresh(self) -> ConversionCounts:
        return ConversionCounts(self.project_type, self.dataset, self.plan, self.options, self.reader_skipped)

    def partial(self) -> tuple:
        counts = {task: dict(c) for task, c in self.counts.items()}
        return counts, dict(self.media), self.problems, self.created, self.unused.partial()

    def merge(self, partial: tuple) -> None:
        counts, media, problems, created, unused = partial
        for task, labels in counts.items():
            for name, n in labels.items():
                self.counts[task][name] += n
        for task, n in media.items():
            self.media[task] += n
        self.problems += problems
        for key, n in created.items():
            self.created[key] += n
        self.unused.merge(unused)

    def result(self) -> tuple[dict[str, dict], list[Problem]]:
        """``{task title: {"media": n, "labels": {label: annotations}}}`` (``EMPTY_LABEL`` counted
        under the first task; labels in the plan's order, whatever order the walk met them in) and the
        problems: conversion errors, then what is not imported."""
        order = {name: n for n, name in enumerate([*self.plan.label_names, EMPTY_LABEL])}
        counts = {task: {"media": self.media[task],
                         "labels": dict(sorted(c.items(), key=lambda kv: order.get(kv[0], len(order))))}
                  for task, c in self.counts.items()}
        return counts, [*self.problems, *self.unused.problems()]


#: How reports name each annotation kind (shape type names, ``IMAGE`` for image-level labels).
KIND_WORDS = {
    "IMAGE": "image-level label(s)", "RECTANGLE": "box(es)", "ELLIPSE": "ellipse(s)",
    "POLYGON": "polygon(s)", "ROTATED_RECTANGLE": "rotated box(es)",
}


def _kind_rank(kind: str) -> int:
    order = list(KIND_WORDS)
    return order.index(kind) if kind in order else len(order)


#: Why :meth:`ProjectType.lost` says an accepted annotation is (partly) lost, as reports say it.
LOST_REASONS = {
    "folded": "become the image's label: a {type} project keeps one label per image (per label group) "
              "and not the shapes",
    "outvoted": "are not imported: their label is not the image's label (the image's image-level label, "
                "else its most frequent shape label)",
    "no_outline": "have no outline: the segmentation task gets nothing for them, only the detection task "
                  "gets their box",
}


def _per_label(counter: dict[str, int]) -> str:
    return ", ".join(f"{label} {n}" for label, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


class UnusedAnnotations:
    """Warnings, with counts per kind and label, of everything the project type drops: annotation
    kinds it does not accept (``ProjectType.unused``: a dataset of image-level labels imported as
    detection would otherwise upload bare images without a word), what it loses of the ones it
    takes (``ProjectType.lost``) and dataset labels it does not create; items in ``skip`` are left
    out. Fed one item at a time by a walk over the items done for something else
    (the dry run's checking walk, the import's summary), so a lazily read dataset is walked once."""

    def __init__(self, project_type: ProjectType, dataset: Dataset, plan: ProjectPlan,
                 skip: set[str] | None = None) -> None:
        self.project_type, self.dataset, self.plan, self.skip = project_type, dataset, plan, skip
        self.counts: dict[str, int] = defaultdict(int)
        self.labels: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.lost: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))  # reason -> label -> n
        self.lost_kinds: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))  # reason -> kind -> n
        self.media: dict[str, dict[str, str]] = defaultdict(dict)  # kind or reason -> {item key: kind}
        self.planned = set(plan.label_names)
        self.names = [lb.name for lb in dataset.labels if not lb.is_empty]
        #: a type that creates the dataset's labels (not anomaly): the labels it leaves out are reported
        self.creates_labels = not plan.restored and bool(self.planned & set(self.names))

    def add(self, item: MediaItem, counted: bool = True) -> None:
        """Count ``item``'s annotations (``counted``, unless it is in ``skip``)."""
        if not counted or (self.skip and item.key in self.skip):
            return
        project_type, plan = self.project_type, self.plan
        for anns in [item.annotations, *item.frames.values()]:
            for kind, n in project_type.unused(anns, plan).items():
                self.counts[kind] += n
                self.media[kind][item.key] = item.kind
            for ann in anns:
                for kind in project_type.unused([ann], plan):
                    for name in ann.labels:
                        self.labels[kind][name] += 1
            for (reason, kind, name), n in project_type.lost(anns, plan).items():
                self.lost[reason][name] += n
                self.lost_kinds[reason][kind] += n
                self.media[reason][item.key] = item.kind

    def partial(self) -> tuple:
        """What was added, as plain dicts (picklable: the defaultdicts' factories are not)."""
        def plain(nested: dict) -> dict:
            return {k: dict(v) for k, v in nested.items()}

        return dict(self.counts), plain(self.labels), plain(self.lost), plain(self.lost_kinds), plain(self.media)

    def merge(self, partial: tuple) -> None:
        """Add another instance's :meth:`partial` (of items added after these)."""
        counts, labels, lost, lost_kinds, media = partial
        for kind, n in counts.items():
            self.counts[kind] += n
        for mine, theirs in ((self.labels, labels), (self.lost, lost), (self.lost_kinds, lost_kinds)):
            for key, per_name in theirs.items():
                for name, n in per_name.items():
                    mine[key][name] += n
        for key, kinds in media.items():
            self.media[key].update(kinds)

    def problems(self) -> list[Problem]:
        """The warnings of everything added."""
        project_type, media, root = self.project_type, self.media, str(self.dataset.root)
        accepted = sorted({k for t in self.plan.tasks for k in project_type.accepts.get(t.task_type, ())},
                          key=_kind_rank)
        takes = ", ".join(KIND_WORDS.get(k, k).replace("(s)", "s").replace("(es)", "es") for k in accepted)
        problems: list[Problem] = []

        def where(key: str) -> str:
            return f"{len(media[key])} {'image(s)' if set(media[key].values()) == {'image'} else 'media item(s)'}"

        for kind in sorted(self.counts, key=_kind_rank):
            hint = " (use --type classification for image-level labels)" if kind == "IMAGE" else ""
            problems.append(CheckProblem(
                "warning", f"{self.counts[kind]} {KIND_WORDS.get(kind, kind)} on {where(kind)} "
                f"are not imported: a {project_type.name} project takes {takes or 'none of them'}{hint} "
                f"(per label: {_per_label(self.labels[kind])})", root, None, "unused_annotations"))
        for reason in sorted(self.lost):
            kinds = ", ".join(f"{KIND_WORDS.get(k, k)} {n}" for k, n in sorted(self.lost_kinds[reason].items()))
            text = LOST_REASONS.get(reason, reason).format(type=project_type.name)
            problems.append(CheckProblem(
                "warning", f"{sum(self.lost[reason].values())} shapes ({kinds}) on {where(reason)} {text} "
                f"(per label: {_per_label(self.lost[reason])})", root, None, "unused_annotations"))
        unplanned = [n for n in self.names if n not in self.planned] if self.creates_labels else []
        if unplanned:  # not created only when no shape of the dataset (skipped items included) uses it
            on_shapes = self.dataset.label_use()[0]
            left_out = [n for n in unplanned if n not in on_shapes]
            if left_out:
                problems.append(CheckProblem(
                    "warning", f"{len(left_out)} label(s) are not created: only image-level labels use them, "
                    f"which a {project_type.name} project does not take: {', '.join(left_out)}",
                    root, None, "unused_annotations"))
        return problems
