"""Dataset checks run before an import (and by ``sc-import --dry-run``).

A reader reports what it met while parsing; :func:`validate` adds what only a look at the media
and the annotations together reveals. Severity decides what happens at import time:

- ``error`` on an item (missing or unreadable file, an annotation naming a label the dataset
  does not declare, a shape entirely outside its image): the item is skipped, the others are
  imported.
- ``warning`` (a shape partly outside its image, which is clipped; a zero-area shape, which is
  dropped; two media with the same name, which SC shows side by side; annotations of a kind the
  project type cannot hold, such as image-level labels for detection, which are not imported):
  imported with a caveat.

Whether the dataset as a whole can be imported is decided by :func:`build_report` (the dry-run
report): not when no media or no label is left, when the project type cannot be built from it,
or when every item has an error.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from sc_importers.item_checks import ItemChecker, ItemVerdict
from sc_importers.item_summary import ItemSummary
from sc_importers.item_walk import Tally, walk
from sc_importers.media_checks import CheckProblem, LinkCheck
from sc_importers.model import Dataset, MediaItem, Problem
from sc_importers.project_types.base import ProjectPlan
from sc_importers.terminal import progress_wanted

if TYPE_CHECKING:
    from sc_importers.columns import ItemColumns

#: Show a progress bar on stderr when checking more media than this.
PROGRESS_THRESHOLD = 200


#: Kind names, in the order reports list them; reader problems have kind ``reader``.
KINDS = (
    "missing_file", "unreadable_image", "unknown_label", "shape_outside_image",
    "shape_partly_outside_image", "zero_area_shape", "duplicate_name", "unused_annotations",
    "image_too_large", "size_mismatch", "not_finite", "self_intersecting", "link_outside", "file_name",
)


def kind_of(problem: Problem) -> str:
    """The kind a report groups ``problem`` under (``reader`` for problems a reader reported)."""
    return problem.kind if isinstance(problem, CheckProblem) else "reader"


class DuplicateNames:
    """Warnings for media sharing a name (a dataset-level check: it opens no file), fed one item at a time
    from a walk done for something else; holds only names and paths, so a lazily read dataset stays unread."""

    def __init__(self) -> None:
        self._by_name: dict[str, list[tuple[str, str]]] = defaultdict(list)  # name -> [(path, key)]

    def add(self, item: MediaItem) -> None:
        self._by_name[item.name].append((str(item.path), item.key))

    def partial(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """The names added and their (path, key) holders, in the order added."""
        return list(self._by_name.items())

    def merge(self, partial: list[tuple[str, list[tuple[str, str]]]]) -> None:
        """Add another instance's :meth:`partial` (of media added after these)."""
        for name, holders in partial:
            self._by_name[name].extend(holders)

    def problems(self) -> list[Problem]:
        """Warnings for the media added that share a name."""
        problems: list[Problem] = []
        for name, holders in self._by_name.items():
            if len(holders) < 2:
                continue
            others = ", ".join(path for path, _ in holders)
            for path, key in holders:
                problems.append(CheckProblem(
                    "warning", f"{len(holders)} media share the name {name!r} (SC shows names without "
                    f"extension): {others}", path, key, "duplicate_name"))
        return problems


class _Checked:
    """The checking walk's own tally (:class:`~sc_importers.item_walk.Tally`): the items' problems,
    their files and names.

    Links are looked at after a walk in this process (a system call in the walk, while the checking
    threads hold the interpreter, waits for their switch interval each time: 2.7 s instead of 0.1 s
    for 17,700 items); a walking process, which has no such threads, looks at its chunk's files when
    it sends them back (:meth:`partial`), with ``links`` (its own copy: one listing of a folder per
    process), so 118,000 files are not looked at one after the other after the walk."""

    def __init__(self, links: LinkCheck) -> None:
        self.links = links
        self.file_problems: list[Problem] = []
        self.annotation_problems: list[Problem] = []
        self.files: list[tuple[str, str]] = []  # (file, key)
        self.names = DuplicateNames()
        #: what links the walking processes found, in the items' order (None: none was sent back)
        self.link_problems: list[Problem] | None = None

    def tally(self, item: MediaItem, verdict: ItemVerdict) -> None:
        self.file_problems += verdict.file_problems
        self.annotation_problems += verdict.annotation_problems
        self.files.append((str(item.path), item.key))
        self.names.add(item)

    def fresh(self) -> _Checked:
        return _Checked(self.links)

    def partial(self) -> tuple:
        return self.file_problems, self.annotation_problems, self.files, self.names.partial(), self.found_links()

    def found_links(self) -> list[Problem]:
        """The warnings of the files added that are links leading out of the dataset folder."""
        if self.link_problems is not None:
            return self.link_problems
        return [p for file, key in self.files if (p := self.links.check(file, key)) is not None]

    def counts_columns(self) -> bool:
        return True

    def count(self, columns: ItemColumns, items: list[int], bare: list[MediaItem],
              verdicts: list[ItemVerdict]) -> None:
        """Add screened items: their annotations pass, so what they are without them is enough."""
        for item, verdict in zip(bare, verdicts, strict=True):
            self.tally(item, verdict)

    def merge(self, partial: tuple) -> None:
        file_problems, annotation_problems, files, names, links = partial
        if self.link_problems is None:
            self.link_problems = []
        self.link_problems += links
        self.file_problems += file_problems
        self.annotation_problems += annotation_problems
        self.files += files
        self.names.merge(names)


def validate(dataset: Dataset, check_images: bool = True, tallies: Sequence[Tally] = ()) -> list[Problem]:
    """The reader's problems plus every problem the checks find, in a stable order: the reader's,
    the media files' (per item, :mod:`sc_importers.item_checks`), links, annotations, duplicate names.

    Every item is checked with the same :class:`ItemChecker` the import runs in its upload workers,
    in one walk over the items (a lazily read dataset builds them anew at every walk), split over
    processes for a large dataset (:func:`sc_importers.item_walk.walk`); ``tallies`` are the other
    counts made in that walk (the dry run's report counts and conversion counts). When the items
    are held as arrays (:mod:`sc_importers.columns`), those the screen finds clean
    (:mod:`sc_importers.column_checks`) have only their file checked there, and the tallies that can
    count them from the arrays do. Nothing is
    reported twice: the media files of items a reader already gave an error are not checked again
    (readers report unreadable images they opened themselves).

    ``check_images=False`` skips opening image headers (only existence is checked), for callers
    that will read the images anyway; shapes are then only checked against sizes readers gave.
    """
    checker = ItemChecker(dataset.labels, skipped_items(dataset.problems), check_images)
    checked = _Checked(LinkCheck(dataset.root))
    total = len(dataset.items)
    from sc_importers.column_checks import ColumnScreen  # numpy: not at import, for the command line's start
    from sc_importers.columns import columns_of

    columns = columns_of(dataset.items)  # a dataset held as arrays is screened for clean items
    screen = None if columns is None else ColumnScreen(columns, checker.known, checker.reader_failed)
    with tqdm(total=total, desc="checking images", unit="item", file=sys.stderr,
              disable=not check_images or total <= PROGRESS_THRESHOLD or not progress_wanted()) as bar:
        walk(dataset.items, checker, [checked, *tallies], progress=bar.update, screen=screen)
    return [
        *dataset.problems,
        *checked.file_problems,
        *checked.found_links(),
        *checked.annotation_problems,
        *checked.names.problems(),
    ]


def skipped_items(problems: list[Problem]) -> set[str]:
    """Keys of the items an import skips: those with at least one item-level error."""
    return {p.item for p in problems if p.severity == "error" and p.item is not None}


#: How many problems of each kind a report lists in full (the rest are counted).
EXAMPLES_PER_KIND = 10


def _problem_groups(problems: list[Problem]) -> dict[str, dict]:
    groups: dict[str, dict] = {}
    order = {k: i for i, k in enumerate(("reader",) + KINDS)}
    for problem in sorted(problems, key=lambda p: order.get(kind_of(p), len(order))):
        group = groups.setdefault(kind_of(problem), {"errors": 0, "warnings": 0, "examples": []})
        group["errors" if problem.severity == "error" else "warnings"] += 1
        if len(group["examples"]) < EXAMPLES_PER_KIND:
            group["examples"].append(str(problem))
    return groups


def _annotation_summary(summary: ItemSummary) -> dict:
    per_label: dict[str, dict[str, int]] = defaultdict(dict)
    per_shape: dict[str, int] = defaultdict(int)
    for (label, shape), n in sorted(summary.annotation_counts.items()):
        per_label[label][shape] = n
        per_shape[shape] += n
    return {"total": summary.annotations, "per_label": dict(per_label), "per_shape": dict(per_shape)}


def import_blockers(problems: list[Problem], items: int, skipped: int, labels: list) -> list[str]:
    """Why a dataset cannot be imported as asked (empty: it can): errors of the whole dataset
    (naming no item), no media, every media item in error, no label. The dry run reports them
    (exit 1) and the import refuses with them before creating anything (exit 2): one rule."""
    blockers = [str(p) for p in problems if p.severity == "error" and p.item is None]
    if not items:
        blockers.append("no media to import")
    elif skipped == items:
        blockers.append("every media item has an error")
    if not [lb for lb in labels if not lb.is_empty]:
        blockers.append("no labels to import")
    return blockers


def build_report(
    dataset: Dataset, kept_dataset: Dataset, problems: list[Problem], project_type_plan: ProjectPlan | None,
    *, project_type: str | None = None, plan_error: str | None = None,
    conversion: dict[str, dict] | None = None, created: dict | None = None, summary: ItemSummary | None = None,
) -> dict:
    """The dry-run report as a JSON-ready dict; ``importable`` says whether an import can run.

    ``dataset`` is what the reader read, ``kept_dataset`` what is left after ``--labels`` and
    ``--label-map``, ``problems`` what :func:`validate` found on ``kept_dataset``.
    ``project_type_plan`` (or ``plan_error``, the builder's BuildError message) is the plan of the
    asked ``project_type``; ``conversion`` and ``created`` are what
    :class:`~sc_importers.conversion_counts.ConversionCounts` counted (``result()`` and ``created``: the
    media and annotations the import would report as created). ``summary``: the counts of
    ``kept_dataset``'s items when a walk over them made them already (``validate(..., tallies=[summary])``);
    without it they are counted here, in one walk.
    """
    if summary is None:
        summary = ItemSummary.of(kept_dataset.items)
    kept_keys = summary.keys
    skipped = skipped_items(problems) & kept_keys
    if dataset.items is kept_dataset.items:  # no --labels or --label-map: nothing was filtered out
        filtered_out = 0
    else:
        filtered_out = len({i.key for i in dataset.items} - kept_keys)
    blockers = import_blockers(problems, summary.total, len(skipped), kept_dataset.labels)
    if plan_error:
        blockers.append(f"project type {project_type!r} cannot be built: {plan_error}")
    project: dict[str, Any] | None = None
    if project_type is not None:
        project = {"type": project_type, "error": plan_error, "tasks": [], "would_create": created}
        for task in project_type_plan.tasks if project_type_plan else []:
            project["tasks"].append({
                "title": task.title, "task_type": task.task_type,
                "labels": [lb.name for lb in task.labels],
                "would_convert": (conversion or {}).get(task.title),
            })
    return {
        "dataset": kept_dataset.name,
        "format": kept_dataset.format,
        "source": str(kept_dataset.root),
        "labels": {
            "found": [lb.name for lb in dataset.labels],
            "kept": [lb.name for lb in kept_dataset.labels],
        },
        "media": {
            "total": summary.total,
            "images": summary.images,
            "videos": summary.videos,
            "frames_annotated": summary.frames_annotated,
            "unannotated": summary.unannotated,
            "filtered_out": filtered_out,
            "skipped": len(skipped),
        },
        "annotations": _annotation_summary(summary),
        "problems": {
            "errors": sum(1 for p in problems if p.severity == "error"),
            "warnings": sum(1 for p in problems if p.severity == "warning"),
            "by_kind": _problem_groups(problems),
        },
        "project": project,
        "importable": not blockers,
        "blockers": blockers,
    }
