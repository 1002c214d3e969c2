"""Which items of a dataset an import uploads, and what it says about the others.

The same checks as ``sc-import --dry-run`` run on the items about to be uploaded (media files
exist, image headers decode, annotations name declared labels, shapes lie on their image), so a
real import never uploads what the dry run said it would skip, and its summary accounts for every
item (uploaded, failed, filtered out on purpose) and every error of the dataset.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from sc_importers.model import Dataset, MediaItem, Problem
from sc_importers.project_types.base import BuildOptions
from sc_importers.uploader.progress import ItemProgress
from sc_importers.validation import validate


@dataclass
class Selection:
    """The outcome of :func:`select_items`.

    ``failed`` holds one record per item that will not be uploaded because of an error (its
    reason starts with "not uploaded:"); ``filtered`` counts items left out on purpose;
    ``dataset_errors`` are errors naming no item of the dataset (something of it was not
    imported: an image the reader dropped because its file is missing, a label file without an
    image); ``warnings`` are imported-with-a-caveat notes.
    """

    items: list[MediaItem]
    failed: list[ItemProgress] = field(default_factory=list)
    filtered: int = 0
    dataset_errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def select_items(dataset: Dataset, options: BuildOptions, limit: int | None, check: bool = True) -> Selection:
    """Split ``dataset`` into the items to upload and everything else (see :class:`Selection`).

    With a label filter, media that never had annotations are only uploaded when they get the
    empty label (``empty_label_for_unannotated``); without one they are uploaded unannotated.
    ``limit`` caps the number uploaded (None or negative: all); the checks run after the cap, so
    uploading ten images of a huge dataset opens ten image headers, not all of them.
    ``check=False`` keeps only the reader's verdicts (for a backup, whose reader checked every
    file against its manifest).
    """
    keys = {it.key for it in dataset.items}
    selection = Selection(items=[])
    broken = _errors_by_item(dataset.problems, selection, keys)
    drop_unannotated = options.labels is not None and not options.empty_label_for_unannotated
    wanted = [it for it in dataset.items if it.key not in broken]
    kept = [it for it in wanted if not (drop_unannotated and not it.is_annotated)]
    selection.filtered = len(wanted) - len(kept)
    if limit is not None and limit >= 0:
        kept = kept[:limit]
    if check:
        checked = validate(dataclasses.replace(dataset, items=kept, problems=[]), check_images=True)
        broken.update((k, m) for k, m in _errors_by_item(checked, selection, keys).items() if k not in broken)
    selection.failed = [ItemProgress(key=k, error=f"not uploaded: {m}") for k, m in broken.items()]
    selection.items = [it for it in kept if it.key not in broken]
    return selection


def _errors_by_item(problems: list[Problem], selection: Selection, keys: set[str]) -> dict[str, str]:
    """First error message per item of the dataset; warnings, and errors naming no item of the
    dataset (an image listed in an annotation file but missing on disk, which the reader dropped;
    a label file without an image), go into ``selection``."""
    broken: dict[str, str] = {}
    for problem in problems:
        if problem.severity != "error":
            selection.warnings.append(str(problem))
        elif problem.item in keys:
            broken.setdefault(problem.item, problem.message)
        else:
            selection.dataset_errors.append(str(problem))
    return broken
