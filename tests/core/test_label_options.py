"""apply_label_options: renames, merges, filtering, hierarchy parents and unknown names."""

from __future__ import annotations

from pathlib import Path

import pytest

from sc_importers.labels import LabelError, apply_label_options, parse_label_list, parse_label_map
from sc_importers.model import Annotation, Dataset, Label, MediaItem, Rectangle

BOX = Rectangle(1, 1, 5, 5)


def make_dataset() -> Dataset:
    return Dataset(
        name="zoo", format="test", root=Path("/data/zoo"),
        labels=[Label("animal"), Label("cat", parent="animal"), Label("dog", parent="animal"),
                Label("car"), Label("No Object", is_empty=True)],
        items=[
            MediaItem(Path("/data/zoo/1.jpg"), "1.jpg", annotations=[Annotation(("cat",), BOX),
                                                                    Annotation(("car",), BOX)]),
            MediaItem(Path("/data/zoo/2.jpg"), "2.jpg", annotations=[Annotation(("car",), BOX)]),
            MediaItem(Path("/data/zoo/3.jpg"), "3.jpg"),
            MediaItem(Path("/data/zoo/4.jpg"), "4.jpg", annotations=[Annotation(("dog", "animal"))]),
            MediaItem(Path("/data/zoo/v.mp4"), "v.mp4", kind="video",
                      frames={0: [Annotation(("car",), BOX)], 5: [Annotation(("dog",), BOX)]}),
        ],
    )


def test_keep_filters_annotations_and_drops_media_left_without_any() -> None:
    original = make_dataset()
    kept = apply_label_options(original, ["cat", "dog"], {})
    assert [lb.name for lb in kept.labels] == ["animal", "cat", "dog", "No Object"]  # parent + empty kept
    assert [i.key for i in kept.items] == ["1.jpg", "3.jpg", "4.jpg", "v.mp4"]  # 2.jpg filtered out
    assert kept.items[0].annotations == [Annotation(("cat",), BOX)]
    assert kept.items[2].annotations == [Annotation(("dog", "animal"))]
    assert kept.items[3].frames == {5: [Annotation(("dog",), BOX)]}
    assert len(original.items[0].annotations) == 2  # input untouched


def test_annotation_with_several_labels_keeps_the_kept_ones() -> None:
    kept = apply_label_options(make_dataset(), ["car"], {})
    assert [i.key for i in kept.items] == ["1.jpg", "2.jpg", "3.jpg", "v.mp4"]
    assert kept.items[0].annotations == [Annotation(("car",), BOX)]


def test_map_renames_and_merges_before_filtering() -> None:
    kept = apply_label_options(make_dataset(), ["pet"], {"cat": "pet", "dog": "pet"})
    assert [lb.name for lb in kept.labels] == ["animal", "pet", "No Object"]
    assert kept.label("pet").parent == "animal"
    assert kept.annotation_counts() == {("pet", "RECTANGLE"): 2, ("pet", "IMAGE"): 1, ("animal", "IMAGE"): 1}


def test_map_of_a_parent_renames_the_children_parent_reference() -> None:
    kept = apply_label_options(make_dataset(), None, {"animal": "mammal"})
    assert kept.label("cat").parent == "mammal"
    assert kept.items[3].annotations == [Annotation(("dog", "mammal"))]
    assert len(kept.items) == 5


@pytest.mark.parametrize(
    ("keep", "label_map", "expected"),
    [
        (["horse"], {}, "--labels names unknown label(s) 'horse'"),
        (None, {"horse": "pony"}, "--label-map names unknown label(s) 'horse'"),
        (["cat"], {"cat": "kitty"}, "--labels names unknown label(s) 'cat'"),
    ],
)
def test_unknown_names_list_the_dataset_labels(keep, label_map, expected) -> None:
    with pytest.raises(LabelError) as err:
        apply_label_options(make_dataset(), keep, label_map)
    assert str(err.value).startswith(f"/data/zoo: {expected}")
    assert "the dataset's labels are: 'animal', 'cat', 'dog', 'car', 'No Object'" in str(err.value)


def test_parsers() -> None:
    assert parse_label_list(" a, b ,,c") == ["a", "b", "c"]
    assert parse_label_list(" , ") is None
    assert parse_label_map(("a=b", " c = d ")) == {"a": "b", "c": "d"}
    with pytest.raises(LabelError, match="'a=': expected OLD=NEW"):
        parse_label_map(("a=",))
