"""Label filtering and renaming on a :class:`~sc_importers.model.Dataset` (``--labels``, ``--label-map``).

Users rarely want every label of a public dataset in their project, and often want to rename
(or merge) labels on the way in. Doing that on the neutral model, before any project-type
builder sees the dataset, keeps the builders simple and lets the dry-run report show exactly
what would be uploaded.

Rules, in order:

1. Renames first: every occurrence of an old name (label list, hierarchy parents, annotations)
   becomes the new name; two old labels mapped to one new name merge into one label.
2. Then filtering: an annotation keeps only its kept labels and is dropped when none is left.
   Hierarchy parents of kept labels are kept too (a child cannot exist without its parent);
   empty labels (``is_empty``, from backups) are always kept, since the server owns them.
3. A media item that had annotations but has none left is filtered out (it is not
   "unannotated"); a media item that never had annotations is kept, the uploader decides
   whether it gets the empty label.
4. Last, ``--add-labels`` adds labels no annotation uses (a project of unannotated images or
   videos, to be annotated on the server, needs at least one); a name the dataset already has
   after steps 1-2 is left as it is.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Callable, Iterator, Sequence

from sc_importers.model import Annotation, Dataset, Label, MediaItem

#: The longest label name (in characters) a server takes: Geti 2.x gives every JSON string a maxLength of
#: 1000 (400 on project creation); SC 1.0's limit is unrecorded and sc-server applies the same.
#: Geti 3 allows 1-50, which its client refuses when it adapts the project.
MAX_LABEL_NAME = 1000


class LabelError(ValueError):
    """``--labels`` or ``--label-map`` names a label the dataset does not have."""


def parse_label_list(raw: str | None) -> list[str] | None:
    """``"a, b,c"`` -> ``["a", "b", "c"]``; None or blank -> None (keep every label)."""
    if raw is None:
        return None
    names = [part.strip() for part in raw.split(",") if part.strip()]
    return names or None


def parse_label_map(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``("old=new", ...)`` -> ``{"old": "new"}``; a pair without ``=`` raises :class:`LabelError`."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise LabelError(f"--label-map {pair!r}: expected OLD=NEW with both names non-empty")
        mapping[old.strip()] = new.strip()
    return mapping


def _describe(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names) if names else "(none)"


def _renamed_labels(labels: list[Label], label_map: dict[str, str]) -> list[Label]:
    """Rename labels and their parents; merge labels that end up with the same name (first wins)."""
    out: dict[str, Label] = {}
    for label in labels:
        new_name = label_map.get(label.name, label.name)
        parent = label_map.get(label.parent, label.parent) if label.parent else None
        if parent == new_name:
            parent = None  # a label merged into its own parent
        if new_name not in out:
            out[new_name] = dataclasses.replace(label, name=new_name, parent=parent)
    return list(out.values())


def _with_ancestors(names: set[str], labels: list[Label]) -> set[str]:
    by_name = {lb.name: lb for lb in labels}
    result = set(names)
    todo = list(names)
    while todo:
        label = by_name.get(todo.pop())
        if label is not None and label.parent and label.parent not in result:
            result.add(label.parent)
            todo.append(label.parent)
    return result


def _filter_annotations(
    annotations: list[Annotation], label_map: dict[str, str], kept: set[str] | None
) -> list[Annotation]:
    out = []
    for ann in annotations:
        names = tuple(dict.fromkeys(label_map.get(n, n) for n in ann.labels))
        if kept is not None:
            names = tuple(n for n in names if n in kept)
            if not names:
                continue
        out.append(dataclasses.replace(ann, labels=names))
    return out


def _filter_item(item: MediaItem, label_map: dict[str, str], kept: set[str] | None) -> MediaItem | None:
    annotations = _filter_annotations(item.annotations, label_map, kept)
    frames = {}
    for index, frame_anns in item.frames.items():
        filtered = _filter_annotations(frame_anns, label_map, kept)
        if filtered or not frame_anns:
            frames[index] = filtered
    new_item = dataclasses.replace(item, annotations=annotations, frames=frames)
    if item.is_annotated and not new_item.is_annotated:
        return None
    return new_item


def _filtered_items(items: Sequence[MediaItem], label_map: dict[str, str],
                    kept: set[str] | None) -> Sequence[MediaItem]:
    """``items`` with the label options applied. A list gives a list of new items, as always; a
    sequence that builds its items when asked (a large dataset's reader) gives one too, filtering each
    item as it is built: itself when there is nothing to change, else a view over the indexes kept."""
    if isinstance(items, list):
        return [new for item in items if (new := _filter_item(item, label_map, kept)) is not None]
    if not label_map and kept is None:
        return items
    if kept is None:  # renaming never leaves an item without annotations: every index is kept
        return _FilteredItems(items, range(len(items)), lambda item: _filter_item(item, label_map, kept))
    indexes = [n for n, item in enumerate(items) if _filter_item(item, label_map, kept) is not None]
    return _FilteredItems(items, indexes, lambda item: _filter_item(item, label_map, kept))


class _FilteredItems(Sequence[MediaItem]):
    """The items of ``base`` at ``indexes``, each passed through ``change`` when asked for (not kept)."""

    def __init__(self, base: Sequence[MediaItem], indexes: Sequence[int],
                 change: Callable[[MediaItem], MediaItem | None]) -> None:
        self._base, self._indexes, self._change = base, indexes, change

    def __len__(self) -> int:
        return len(self._indexes)

    def __iter__(self) -> Iterator[MediaItem]:
        if isinstance(self._indexes, range) and self._indexes == range(len(self._base)):
            for item in self._base:  # the base's own iteration (cheaper than indexing it)
                yield self._change(item)  # type: ignore[misc]
        else:
            for n in self._indexes:
                yield self._change(self._base[n])  # type: ignore[misc]

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        if isinstance(index, slice):
            return [self[n] for n in range(*index.indices(len(self)))]
        return self._change(self._base[self._indexes[index]])


def apply_label_options(dataset: Dataset, keep: list[str] | None, label_map: dict[str, str],
                        add: list[str] | None = None) -> Dataset:
    """A new Dataset with labels renamed per ``label_map``, filtered to ``keep`` (new names), and
    the labels named in ``add`` added when missing (rule 4 above). When no item changes, the new
    dataset shares the input's ``items`` and ``problems``.

    ``keep=None`` keeps every label. Raises :class:`LabelError` listing the dataset's labels when
    ``label_map`` renames a label the dataset lacks or ``keep`` names a label that does not exist
    after renaming. The input dataset is not modified.
    """
    known = [lb.name for lb in dataset.labels]
    unknown_old = [name for name in label_map if name not in known]
    if unknown_old:
        raise LabelError(
            f"{dataset.root}: --label-map names unknown label(s) {_describe(unknown_old)}; "
            f"the dataset's labels are: {_describe(known)}"
        )
    labels = _renamed_labels(dataset.labels, label_map)
    kept: set[str] | None = None
    if keep is not None:
        renamed = [lb.name for lb in labels]
        unknown_keep = [name for name in keep if name not in renamed]
        if unknown_keep:
            hint = f" (after --label-map: {_describe(renamed)})" if label_map else ""
            raise LabelError(
                f"{dataset.root}: --labels names unknown label(s) {_describe(unknown_keep)}; "
                f"the dataset's labels are: {_describe(known)}{hint}"
            )
        kept = _with_ancestors(set(keep), labels) | {lb.name for lb in labels if lb.is_empty}
        labels = [lb for lb in labels if lb.name in kept]
    items = _filtered_items(dataset.items, label_map, kept)
    present = {lb.name for lb in labels}
    labels += [Label(name) for name in dict.fromkeys(add or []) if name not in present]
    if dataset.project is None:  # a backup restores the labels its project had, as they were
        check_label_names(dataset, labels)
    if items is dataset.items:  # nothing filtered or renamed: a dataset still being read keeps adding to its problems
        return dataclasses.replace(dataset, labels=labels)
    return dataclasses.replace(dataset, labels=labels, items=items, problems=list(dataset.problems))


def check_label_names(dataset: Dataset, labels: list[Label]) -> None:
    """Raise :class:`LabelError` for label names a project cannot hold as meant: names that differ
    only by case (``dog`` and ``Dog``: one label to a person, refused or merged by servers that
    compare names case-insensitively), names with control characters (a newline, a tab) and names
    longer than :data:`MAX_LABEL_NAME` characters (refused by the server when the project is created)."""
    by_fold: dict[str, list[str]] = {}
    for label in labels:
        if not label.is_empty:
            by_fold.setdefault(label.name.casefold(), []).append(label.name)
    twins = [names for names in by_fold.values() if len(names) > 1]
    if twins:
        listed = "; ".join(" and ".join(repr(n) for n in names) for names in twins)
        first = twins[0]
        raise LabelError(f"{dataset.root}: label names that differ only by case: {listed}. Merge them "
                         f"(--label-map {first[1]}={first[0]}) or rename one in the dataset")
    bad = [lb.name for lb in labels if any(unicodedata.category(ch) == "Cc" for ch in lb.name)]
    if bad:
        raise LabelError(f"{dataset.root}: label name(s) with control characters (newline, tab, ...): "
                         f"{_describe(bad)}; rename them (--label-map OLD=NEW)")
    long = [lb.name for lb in labels if len(lb.name) > MAX_LABEL_NAME]
    if long:
        listed = ", ".join(f"{name[:40]!r}... ({len(name)} characters)" for name in long)
        raise LabelError(f"{dataset.root}: label name(s) longer than the {MAX_LABEL_NAME} characters servers "
                         f"accept: {listed}; rename them (--label-map OLD=NEW)")
