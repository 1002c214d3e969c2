"""Properties of every core project-type builder over random datasets.

Whatever a dataset holds (image-level labels, any shape, shapes crossing the border, degenerate
shapes), ``convert`` must only produce what the planned project can store: labels of the plan
(or the empty-label placeholder), shape types the label's task draws, and no zero-area shape.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from prop_shapes import DATASET_PROPERTY, any_shape, image_sizes

from sc_importers.model import (
    EMPTY_LABEL,
    Annotation,
    Dataset,
    Ellipse,
    Label,
    MediaItem,
    Rectangle,
    RotatedRectangle,
    shape_type_name,
)
from sc_importers.project_types.anomaly import ANOMALOUS, NORMAL
from sc_importers.project_types.base import BuildOptions, ProjectPlan, ProjectType
from sc_importers.project_types.builtin import register_project_types

LABELS = ("cat", "dog", "car", "tree")
BUILDERS = {builder.name: builder for builder in register_project_types()}

#: Shape types each task type may hold when it is alone or first in the pipeline; "FULL" is the
#: full-image rectangle SC uses for image-level labels.
SHAPES_ALONE = {
    "detection": {"RECTANGLE"},
    "segmentation": {"POLYGON", "ELLIPSE"},
    "classification": {"FULL"},
    "anomaly_classification": {"FULL"},
    "anomaly_detection": {"FULL", "RECTANGLE"},
    "anomaly_segmentation": {"FULL", "POLYGON", "ELLIPSE"},
}
#: The second task of a chain works inside the first task's boxes (chains.py): segmentation
#: outlines, or a class on the detection box itself.
SHAPES_IN_CHAIN = {"segmentation": {"POLYGON", "ELLIPSE"}, "classification": {"RECTANGLE"}}


@st.composite
def _item(draw: st.DrawFn, index: int) -> MediaItem:
    width, height = draw(image_sizes())
    region = st.builds(lambda labels, shape: Annotation(labels, shape),
                       st.lists(st.sampled_from(LABELS), min_size=1, max_size=2, unique=True).map(tuple),
                       any_shape(width, height))
    image_level = st.builds(lambda name: Annotation((name,)), st.sampled_from(LABELS))
    annotations = draw(st.lists(st.one_of(region, image_level), max_size=5))
    return MediaItem(Path(f"/nonexistent/{index}.jpg"), f"{index}.jpg", annotations=annotations,
                     width=width, height=height)


@st.composite
def datasets(draw: st.DrawFn) -> Dataset:
    """A few labels (maybe grouped), a few images of random sizes with random annotations."""
    names = draw(st.lists(st.sampled_from(LABELS), min_size=1, max_size=len(LABELS), unique=True))
    groups = draw(st.booleans())
    labels = [Label(n, group=("animals" if n in ("cat", "dog") else "things") if groups else None) for n in names]
    count = draw(st.integers(min_value=1, max_value=4))
    items = [draw(_item(i)) for i in range(count)]
    for item in items:  # annotations only use declared labels, as readers guarantee (validation errors otherwise)
        item.annotations = [a for a in item.annotations if set(a.labels) <= set(names)]
    return Dataset("random", "test", Path("/nonexistent"), labels=labels, items=items)


def _options(builder: ProjectType, dataset: Dataset, draw: st.DrawFn) -> BuildOptions:
    names = [lb.name for lb in dataset.labels]
    anomalous = draw(st.lists(st.sampled_from(names), max_size=len(names), unique=True))
    return BuildOptions(empty_label_for_unannotated=draw(st.booleans()),
                        anomalous_labels=anomalous if builder.name.startswith("anomaly") else None)


def _kind(ann: Annotation, item: MediaItem) -> str:
    if ann.shape == Rectangle(0.0, 0.0, float(item.width), float(item.height)):
        return "FULL"
    return shape_type_name(ann.shape)


def _allowed(plan: ProjectPlan) -> dict[str, set[str]]:
    """Label name -> shape kinds its task may hold."""
    allowed = {EMPTY_LABEL: {"FULL"}}
    for position, task in enumerate(plan.tasks):
        table = SHAPES_IN_CHAIN if position else SHAPES_ALONE
        for label in task.labels:
            allowed[label.name] = table[task.task_type]
    return allowed


@DATASET_PROPERTY
@given(st.sampled_from(sorted(BUILDERS)), datasets(), st.data())
def test_every_builder_only_produces_what_its_plan_can_hold(name: str, dataset: Dataset, data: st.DataObject) -> None:
    builder = BUILDERS[name]
    options = _options(builder, dataset, data.draw)
    plan = builder.plan(dataset, options)
    allowed = _allowed(plan)
    if name.startswith("anomaly"):
        assert set(plan.label_names) == {NORMAL, ANOMALOUS}
    for item in dataset.items:
        for ann in builder.convert(item, item.annotations, plan, options):
            kind = _kind(ann, item)
            assert ann.labels, (name, item.key, ann)
            for label in ann.labels:
                assert label in allowed, (name, label, plan.label_names)
                # a box may cover the whole image: FULL is also a RECTANGLE
                assert kind in allowed[label] or (kind == "FULL" and "RECTANGLE" in allowed[label]), \
                    (name, item.key, label, kind, ann.shape)
            assert ann.shape is not None and ann.shape.area > 0, (name, item.key, ann)
            if kind in ("RECTANGLE", "ELLIPSE"):
                assert ann.shape.width > 0 and ann.shape.height > 0, (name, item.key, ann)


def test_a_shape_whose_corners_collapse_in_floats_is_dropped_by_every_builder() -> None:
    """Found by the property above: a rotated box 1e-38 px wide has a positive area, but its
    corners and bounding box collapse to zero area in float arithmetic; builders passed it on as a
    zero-area polygon (segmentation, chains) or box (detection), which SC refuses. Now dropped,
    like any zero-area shape."""
    thin = RotatedRectangle(1.0, 0.4999999995, 1.1754943496467932e-38, 0.999999999, 0.0)
    item = MediaItem(Path("/nonexistent/0.jpg"), "0.jpg", annotations=[Annotation(("cat",), thin)],
                     width=1, height=1)
    dataset = Dataset("thin", "test", Path("/nonexistent"), labels=[Label("cat")], items=[item])
    assert thin.area > 0
    for name, builder in sorted(BUILDERS.items()):
        options = BuildOptions(anomalous_labels=["cat"] if name.startswith("anomaly") else None)
        plan = builder.plan(dataset, options)
        converted = builder.convert(item, item.annotations, plan, options)
        assert all(a.shape is not None and a.shape.area > 0 for a in converted), (name, converted)
        if name in ("detection", "segmentation", "detection_to_segmentation", "detection_to_classification"):
            assert converted == [], (name, converted)


def test_a_shape_whose_far_edge_collapses_in_floats_is_dropped_by_every_builder() -> None:
    """Found by the property above: an ellipse 2e-167 px wide at x=1 has a positive area and box
    width, but x + width == x, so the box builders compute (union_box) is 0 px wide."""
    thin = Ellipse(1.0, 0.0, 2.1607757100084253e-167, 2.0)
    item = MediaItem(Path("/nonexistent/0.jpg"), "0.jpg", annotations=[Annotation(("cat",), thin)],
                     width=1, height=1)
    dataset = Dataset("thin", "test", Path("/nonexistent"), labels=[Label("cat")], items=[item])
    for name, builder in sorted(BUILDERS.items()):
        options = BuildOptions(anomalous_labels=["cat"] if name.startswith("anomaly") else None)
        plan = builder.plan(dataset, options)
        converted = builder.convert(item, item.annotations, plan, options)
        assert all(a.shape is not None and a.shape.area > 0 for a in converted), (name, converted)
