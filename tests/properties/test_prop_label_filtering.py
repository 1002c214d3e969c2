"""Properties of ``--labels`` / ``--label-map`` (``apply_label_options``) over random datasets.

Filtering must never leave an annotation naming a label the project will not have, must keep
media that were never annotated (the uploader decides about them), and must account for every
annotation and media item: what is kept plus what is filtered out is what there was.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from prop_shapes import DATASET_PROPERTY

from sc_importers.labels import apply_label_options
from sc_importers.model import Annotation, Dataset, Label, MediaItem, Rectangle

NAMES = ("cat", "dog", "car", "tree", "animal")


@st.composite
def _case(draw: st.DrawFn) -> tuple[Dataset, list[str] | None, dict[str, str]]:
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=len(NAMES), unique=True))
    labels = [Label(n, parent="animal" if n in ("cat", "dog") and "animal" in names else None) for n in names]
    annotation = st.builds(
        lambda labels, boxed: Annotation(labels, Rectangle(1, 1, 5, 5) if boxed else None),
        st.lists(st.sampled_from(names), min_size=1, max_size=3).map(tuple), st.booleans())
    items = []
    for index in range(draw(st.integers(min_value=0, max_value=6))):
        frames = draw(st.dictionaries(st.integers(0, 50), st.lists(annotation, max_size=3), max_size=3))
        items.append(MediaItem(Path(f"/nonexistent/{index}.jpg"), f"{index}.jpg",
                               kind="video" if frames else "image",
                               annotations=draw(st.lists(annotation, max_size=4)), frames=frames))
    label_map = draw(st.dictionaries(st.sampled_from(names), st.sampled_from((*names, "pet", "thing")), max_size=2))
    renamed = sorted({label_map.get(n, n) for n in names})
    keep = draw(st.one_of(st.none(), st.lists(st.sampled_from(renamed), min_size=1, unique=True)))
    return Dataset("random", "test", Path("/nonexistent"), labels=labels, items=items), keep, label_map


def _annotations(item: MediaItem) -> list[Annotation]:
    return [*item.annotations, *(a for frame in item.frames.values() for a in frame)]


@DATASET_PROPERTY
@given(_case())
def test_filtering_keeps_only_kept_labels_and_accounts_for_everything(
    case: tuple[Dataset, list[str] | None, dict[str, str]],
) -> None:
    dataset, keep, label_map = case
    before = [(item.key, len(_annotations(item)), item.is_annotated) for item in dataset.items]
    result = apply_label_options(dataset, keep, label_map)
    kept_names = {lb.name for lb in result.labels}
    assert set(keep or ()) <= kept_names

    by_key = {item.key: item for item in result.items}
    assert [i.key for i in result.items] == [i.key for i in dataset.items if i.key in by_key]  # order kept
    assert [(i.key, len(_annotations(i)), i.is_annotated) for i in dataset.items] == before  # input untouched

    dropped_items = 0
    for item in dataset.items:
        if not item.is_annotated:
            assert item.key in by_key, f"never-annotated media {item.key} was filtered out"
        new = by_key.get(item.key)
        if new is None:
            dropped_items += 1
            assert item.is_annotated
            continue
        assert item.is_annotated == new.is_annotated
        new_anns = _annotations(new)
        for ann in new_anns:
            assert ann.labels and set(ann.labels) <= kept_names, (item.key, ann.labels, kept_names)
            assert len(set(ann.labels)) == len(ann.labels)
        # every original annotation is either kept (with its kept, renamed labels) or dropped
        survivors = [a for a in _annotations(item) if {label_map.get(n, n) for n in a.labels} & kept_names]
        assert len(new_anns) == len(survivors)
        assert sorted(new.frames) == sorted(k for k, anns in item.frames.items()
                                            if not anns or any(a in survivors for a in anns))
    assert len(result.items) + dropped_items == len(dataset.items)
