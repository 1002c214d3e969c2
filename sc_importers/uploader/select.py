"""Which items of a dataset an import uploads, and what it says about the others.

The selection is lazy: :meth:`Selection.walk` hands the upload engine one item at a time (items
with a reader error and items left out by a label filter are recorded on the way, ``limit`` caps
what is handed out), so uploading starts with the first item of a dataset of any size and no list
of its items is held. The per-item checks of ``sc-import --dry-run``
(:class:`~sc_importers.item_checks.ItemChecker`: the file exists, the image decodes, annotations
name declared labels, shapes lie on their image) run in the upload workers, right before each
item's upload (see :func:`item_check`), so a real import never uploads what the dry run said it
would skip, and its summary accounts for every item (uploaded, failed, filtered out on purpose)
and every error of the dataset.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from sc_importers.item_checks import ItemChecker, ItemVerdict
from sc_importers.media_checks import LinkCheck
from sc_importers.model import Dataset, MediaItem
from sc_importers.project_types.base import BuildOptions
from sc_importers.uploader.progress import ItemProgress, ProgressBars
from sc_importers.validation import DuplicateNames


class Selection:
    """The items an import hands to the upload engine, and what it records about the others.

    ``failed`` holds one record per item not uploaded because of a reader error (its reason
    starts with "not uploaded:"; items failing the per-item check are recorded by the engine);
    ``filtered`` counts items left out on purpose; ``kept`` counts items handed out (``limit``
    applied); ``dataset_errors`` are errors naming no item of the dataset (an image the reader
    dropped because its file is missing, a label file without an image); ``warnings`` are
    imported-with-a-caveat notes. Counts are final once :meth:`finish` ran.

    Iterating a selection (``iter(selection)``) yields the kept items again without recording
    anything: what the dataset-level checks and warnings look at after the upload.
    """

    def __init__(self, dataset: Dataset, options: BuildOptions, limit: int | None):
        self.dataset = dataset
        self.limit = limit if limit is not None and limit >= 0 else None
        self.drop_unannotated = options.labels is not None and not options.empty_label_for_unannotated
        self.failed: list[ItemProgress] = []
        self.filtered = 0
        self.kept = 0
        self.dataset_errors: list[str] = []
        self.warnings: list[str] = []
        #: the first reader error of each item it names (items not in the dataset: see finish())
        self.reader_errors: dict[str, str] = {}
        self._reader_error_text: dict[str, list[str]] = {}
        self._problems_seen = 0
        self._sync()
        self._seen_broken: set[str] = set()
        self._rest: Iterator[MediaItem] | None = None

    def _sync(self) -> None:
        """Sort the reader's problems not seen yet. A dataset still being read (a streaming read,
        :meth:`~sc_importers.formats.FormatReader.read_streaming`) adds an item's problems before
        handing out the item, so syncing after each item reached sees its reader errors."""
        problems = self.dataset.problems
        while self._problems_seen < len(problems):
            problem = problems[self._problems_seen]
            self._problems_seen += 1
            if problem.severity != "error":
                self.warnings.append(str(problem))
            elif problem.item is None:
                self.dataset_errors.append(str(problem))
            else:
                self.reader_errors.setdefault(problem.item, problem.message)
                self._reader_error_text.setdefault(problem.item, []).append(str(problem))

    def _wanted(self, item: MediaItem) -> bool:
        return not (self.drop_unannotated and not item.is_annotated)

    def __iter__(self) -> Iterator[MediaItem]:
        kept = 0
        for item in self.dataset.items:
            self._sync()
            if self.limit is not None and kept >= self.limit:
                return
            if item.key in self.reader_errors or not self._wanted(item):
                continue
            kept += 1
            yield item

    def walk(self, bars: ProgressBars | None = None) -> Iterator[MediaItem]:
        """The kept items, one at a time, recording reader-failed and filtered items on the way."""
        items = self._rest = iter(self.dataset.items)  # finish() goes on from where the walk stopped
        for item in items:
            self._sync()
            if self.limit is not None and self.kept >= self.limit:
                self._skipped(item)  # past the cap: counted as filtered or failed, never checked
                continue
            if self._skipped(item):
                if bars:
                    bars.media_done()
                continue
            self.kept += 1
            yield item

    def _skipped(self, item: MediaItem) -> bool:
        if item.key in self.reader_errors:
            if item.key not in self._seen_broken:
                self._seen_broken.add(item.key)
                self.failed.append(ItemProgress(key=item.key, kind=item.kind,
                                                error=f"not uploaded: {self.reader_errors[item.key]}"))
            return True
        if not self._wanted(item):
            self.filtered += 1
            return True
        return False

    def finish(self) -> None:
        """Count the rest of the dataset (past ``limit``, or left when the upload stopped early) and
        sort reader errors naming no item of the dataset into ``dataset_errors`` (once the reader
        is done: a streaming read is waited for)."""
        self.dataset.finish_reading()
        self._sync()
        for item in self._rest if self._rest is not None else iter(self.dataset.items):
            if self.limit is not None and self.kept >= self.limit:
                self._skipped(item)
            elif not self._skipped(item):
                self.kept += 1
        self._rest = iter(())
        for key, texts in self._reader_error_text.items():
            if key not in self._seen_broken:
                self.dataset_errors += texts
        self._reader_error_text = {}

    def dataset_warnings(self, check_warnings: dict[str, ItemVerdict],
                         each: Callable[[MediaItem], object] | None = None) -> list[str]:
        """The warnings of the kept items in the dry run's order: media files', links, annotations'
        (``check_warnings``: item key -> the warnings its check found), duplicate names. The kept
        items are walked once; ``each``, when given, is called with every one of them in that walk."""
        files: list[str] = []
        links: list[str] = []
        shapes: list[str] = []
        link_check = LinkCheck(self.dataset.root)
        names = DuplicateNames()
        for item in self:
            verdict = check_warnings.get(item.key)
            if verdict is not None:
                files += [str(p) for p in verdict.file_problems]
                shapes += [str(p) for p in verdict.annotation_problems]
            if (link := link_check(item)) is not None:
                links.append(str(link))
            names.add(item)
            if each is not None:
                each(item)
        return files + links + shapes + [str(p) for p in names.problems()]


def item_check(dataset: Dataset, warnings: dict[str, ItemVerdict]) -> Callable[[MediaItem], str | None]:
    """The dry run's per-item check as the upload engine runs it: the reason an item is not
    uploaded (None: upload it); the warnings it found go into ``warnings`` (item key -> a verdict
    holding only them), for :meth:`Selection.dataset_warnings`."""
    checker = ItemChecker(dataset.labels)
    lock = threading.Lock()

    def check(item: MediaItem) -> str | None:
        verdict = checker(item)
        kept = ItemVerdict([p for p in verdict.file_problems if p.severity != "error"],
                           [p for p in verdict.annotation_problems if p.severity != "error"])
        if kept.file_problems or kept.annotation_problems:
            with lock:
                warnings[item.key] = kept
        return verdict.error

    return check
