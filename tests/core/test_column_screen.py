"""The dry run's screen and counts over items held as arrays agree with the per-item rules.

The screen (:mod:`sc_importers.column_checks`) may only call an item clean when the per-item check
finds nothing on it and every shape converts; the counts from arrays (``ItemSummary.count``,
``ProjectType.column_counter``) must equal what the per-item code counts for those items. Both are
checked on random items (hypothesis, shapes near every limit) and on real COCO 2017 polygons.
"""

from __future__ import annotations

import math
from array import array
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sc_importers import plugins
from sc_importers.column_checks import ColumnScreen
from sc_importers.columns import IMAGE, POLYGON, RECTANGLE, ItemColumns
from sc_importers.conversion_counts import ConversionCounts
from sc_importers.item_checks import ItemVerdict, check_annotation
from sc_importers.item_summary import ItemSummary
from sc_importers.model import EMPTY_LABEL, Annotation, Dataset, Label, MediaItem, Polygon, Rectangle
from sc_importers.project_types.anomaly import (
    AnomalyClassification,
    AnomalyDetection,
    AnomalySegmentation,
    AnomalyType,
)
from sc_importers.project_types.base import BuildOptions, ProjectPlan, TaskPlan
from sc_importers.project_types.chains import DetectionToClassification, DetectionToSegmentation
from sc_importers.project_types.common import has_area
from sc_importers.project_types.single import Classification, Detection, Segmentation

KNOWN = ["a", "b", "c"]


def columns_from_items(items: list[MediaItem]) -> ItemColumns:
    """The arrays of ``items`` (rectangles, polygons, image-level labels), built here independently of
    any reader; object ids become codes (equal ids, equal codes)."""
    item_rows, kinds, labels, objects, begins, ends = [0], [], [], [], [], []
    coords: list[float] = []
    label_sets: dict[tuple[str, ...], int] = {}
    for item in items:
        codes: dict[str, int] = {}
        for ann in item.annotations:
            begins.append(len(coords))
            if ann.shape is None:
                kinds.append(IMAGE)
            elif isinstance(ann.shape, Polygon):
                kinds.append(POLYGON)
                coords += [v for point in ann.shape.points for v in point]
            else:
                kinds.append(RECTANGLE)
                coords += [ann.shape.x, ann.shape.y, ann.shape.width, ann.shape.height]
            ends.append(len(coords))
            labels.append(label_sets.setdefault(ann.labels, len(label_sets)))
            objects.append(-1 if ann.object_id is None else codes.setdefault(ann.object_id, len(codes)))
        item_rows.append(len(kinds))
    return ItemColumns(
        [(str(i.path), i.key, i.width, i.height) for i in items], np.array(item_rows, dtype=np.int64),
        np.array(kinds, dtype=np.int8), np.array(labels, dtype=np.int32), list(label_sets),
        np.array(objects, dtype=np.int32), np.array(begins, dtype=np.int64), np.array(ends, dtype=np.int64),
        np.frombuffer(array("d", coords), dtype=np.float64) if coords else np.empty(0))


# -- random items, with values at and around every limit the checks have ---------------------------------

_EDGE = [0.0, -0.0, 1e-7, -1e-7, 1e-300, 5e-324, 0.5, 1.0, 7.0, 9.999999, 10.0, 10.000001, 20.0, 1e6, 1e300,
         math.nan, math.inf, -math.inf]
_PAST = [-1e-6, 0.0, 1e-12, 1e-7, 1e-6, 2e-6, 1e-5]
_number = st.one_of(st.sampled_from(_EDGE), st.floats(-5, 25, allow_nan=False),
                    st.integers(0, 20).map(float))
_labels = st.lists(st.sampled_from([*KNOWN * 4, "zz"]), min_size=1, max_size=2, unique=True).map(tuple)


@st.composite
def _shape(draw: st.DrawFn) -> Rectangle | Polygon | None:
    kind = draw(st.sampled_from(["image", "rect", "poly", "regular", "bowtie", "edge", *["fits"] * 12]))
    if kind == "image":
        return None
    if kind == "fits":  # a box, a convex polygon or a concave one, well inside the 10x10 image
        x, y = draw(st.floats(0, 4)), draw(st.floats(0, 4))
        w, h = draw(st.floats(0.5, 5)), draw(st.floats(0.5, 5))
        form = draw(st.sampled_from(["box", "triangle", "arrow"]))
        if form == "box":
            return Rectangle(x, y, w, h)
        if form == "triangle":
            return Polygon(((x, y), (x + w, y), (x, y + h)))
        return Polygon(((x, y), (x + w, y), (x + w / 4, y + h / 4), (x, y + h)))  # concave: not star-shaped
    if kind == "edge":  # a box or triangle ending a hair inside or past the image's right or bottom edge
        start, past = draw(st.sampled_from([0.0, 2.5, 9.0])), draw(st.sampled_from(_PAST))
        box = (start, 1.0, 10.0 - start + past, 2.0)
        if draw(st.booleans()):
            box = (box[1], box[0], box[3], box[2])
        if draw(st.booleans()):
            return Rectangle(*box)
        x, y, w, h = box
        return Polygon(((x, y), (x + w, y), (x, y + h)))
    if kind == "rect":
        return Rectangle(draw(_number), draw(_number), draw(_number), draw(_number))
    if kind == "regular":  # a convex polygon: star-shaped, so the numpy test takes it
        n, cx, cy, r = draw(st.integers(3, 9)), draw(_number), draw(_number), draw(st.sampled_from([1e-9, 0.5, 3.0]))
        return Polygon(tuple((cx + r * math.cos(2 * math.pi * k / n), cy + r * math.sin(2 * math.pi * k / n))
                             for k in range(n)))
    if kind == "bowtie":
        x, y = draw(st.floats(0, 8)), draw(st.floats(0, 8))
        return Polygon(((x, y), (x + 3, y + 2), (x + 3, y), (x, y + 1)))  # crosses itself, lobes unequal
    return Polygon(tuple(draw(st.lists(st.tuples(_number, _number), min_size=1, max_size=8))))


@st.composite
def _item(draw: st.DrawFn, n: int) -> MediaItem:
    sized = draw(st.sampled_from([True, True, True, False]))
    item = MediaItem(Path(f"/data/{n}.jpg"), f"{n}.jpg", width=10 if sized else None, height=10 if sized else None)
    for _ in range(draw(st.integers(0, 5))):
        shape = draw(_shape())
        part = draw(st.sampled_from([None, None, "o1", "o2"])) if shape is not None else None
        item.annotations.append(Annotation(draw(_labels), shape, part))
    return item


_items = st.integers(1, 12).flatmap(lambda k: st.tuples(*[_item(n) for n in range(k)]).map(list))


def _clean(items: list[MediaItem], failed: set[str] = frozenset()) -> list[bool]:  # type: ignore[assignment]
    columns = columns_from_items(items)
    screen = ColumnScreen(columns, set(KNOWN), failed)
    half = len(items) // 2  # two chunks: the screen works on any span of items
    return screen.clean(0, half).tolist() + screen.clean(half, len(items)).tolist()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_items)
def test_a_clean_item_has_no_problem_and_every_shape_converts(items: list[MediaItem]) -> None:
    for item, clean in zip(items, _clean(items), strict=True):
        if clean:
            size = (item.width, item.height)
            assert [p for a in item.annotations for p in check_annotation(item, "", a, set(KNOWN), size)] == []
            assert all(has_area(a.shape) for a in item.annotations if a.shape is not None)


def test_the_screen_sends_every_kind_of_problem_to_the_walk() -> None:
    def item(n: int, *anns: Annotation, width: int | None = 10) -> MediaItem:
        return MediaItem(Path(f"/d/{n}.jpg"), f"{n}.jpg", annotations=list(anns), width=width, height=10)

    square = Polygon(((1, 1), (4, 1), (4, 4), (1, 4)))
    items = [
        item(0, Annotation(("a",), square), Annotation(("b",), Rectangle(0, 0, 10, 10)), Annotation(("c",), None)),
        item(1),  # no annotation
        item(2, Annotation(("zz",), square)),  # undeclared label
        item(3, Annotation(("a",), Rectangle(8, 8, 3, 1))),  # partly outside
        item(4, Annotation(("a",), Polygon(((20, 20), (30, 20), (30, 30))))),  # outside
        item(5, Annotation(("a",), Polygon(((1, 1), (6, 5), (6, 1), (1, 3))))),  # crosses itself
        item(6, Annotation(("a",), Rectangle(1, 1, 0, 3))),  # no area
        item(7, Annotation(("a",), Rectangle(1, math.nan, 2, 3))),  # not finite
        item(8, Annotation(("a",), square), width=None),  # size unknown
        item(9, Annotation(("a",), Polygon(((1, 1), (3, 1), (3, 3), (2, 2), (1, 3))))),  # concave, not crossing
        item(10, Annotation(("a",), square)),  # named by a reader's error
    ]
    assert _clean(items, {"10.jpg"}) == [True, True, False, False, False, False, False, False, False, True, False]


def _convert_counts(project_type, items: list[MediaItem], plan: ProjectPlan, options: BuildOptions,
                    by_columns: bool) -> tuple:
    dataset = Dataset("d", "test", Path("/d"), labels=[Label(n) for n in KNOWN], items=items)
    counter = ConversionCounts(project_type, dataset, plan, options)
    columns = columns_from_items(items)
    verdicts = [ItemVerdict() for _ in items]
    if by_columns:
        counter.count(columns, list(range(len(items))), [columns.bare_item(n) for n in range(len(items))], verdicts)
    else:
        for item, verdict in zip(items, verdicts, strict=True):
            counter.tally(item, verdict)
    counts, problems = counter.result()
    return counts, counter.created, [p.message for p in problems]


_PLANS = [
    ProjectPlan("t", [TaskPlan("Task", "detection", [Label(n) for n in KNOWN])]),
    ProjectPlan("t", [TaskPlan("Task", "detection", [Label("a"), Label("c")])]),  # b is not kept
    # two label groups (classification chooses a label in each)
    ProjectPlan("t", [TaskPlan("Task", "detection", [Label("a", group="x"), Label("c", group="y"),
                                                     Label("b", group="x")])]),
]


def _plan_of(project_type, labels: list[Label]) -> ProjectPlan:  # type: ignore[no-untyped-def]
    """A plan of ``project_type`` with ``labels`` (a chain's second task's; its first has ``thing``)."""
    if isinstance(project_type, AnomalyType):
        labels = [Label("Normal"), Label("Anomalous")]
    if len(project_type.task_types) == 1:
        return ProjectPlan(project_type.name, [TaskPlan("Task", project_type.task_types[0], labels)])
    return ProjectPlan(project_type.name, [TaskPlan("Detection task", "detection", [Label("thing")]),
                                           TaskPlan("Second task", project_type.task_types[1], labels)])


_TYPES = [Detection(), Segmentation(), DetectionToSegmentation(), DetectionToClassification(), Classification(),
          AnomalyClassification(), AnomalyDetection(), AnomalySegmentation()]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_items, st.sampled_from(_TYPES), st.sampled_from(_PLANS), st.booleans(), st.booleans())
def test_counts_from_arrays_equal_the_per_item_counts(items: list[MediaItem], project_type, plan: ProjectPlan,
                                                      empty: bool, filtered: bool) -> None:
    clean = [item for item, ok in zip(items, _clean(items), strict=True) if ok]
    options = BuildOptions(empty_label_for_unannotated=empty, labels=["a", "c"] if filtered else None,
                           anomalous_labels=["A", "zz"] if filtered else None)  # else "Anomalous": none is
    plan = _plan_of(project_type, plan.tasks[0].labels)
    walked = _convert_counts(project_type, clean, plan, options, by_columns=False)
    assert _convert_counts(project_type, clean, plan, options, by_columns=True) == walked
    summary = ItemSummary.of(clean)
    counted = ItemSummary()
    if clean:
        columns = columns_from_items(clean)
        counted.count(columns, list(range(len(clean))), [columns.bare_item(n) for n in range(len(clean))], [])
    assert counted == summary


def test_counts_from_arrays_include_the_empty_label_and_image_level_labels() -> None:
    items = [MediaItem(Path("/d/0.jpg"), "0.jpg", width=10, height=10),
             MediaItem(Path("/d/1.jpg"), "1.jpg", width=10, height=10, annotations=[
                 Annotation(("a", "b"), None),
                 Annotation(("a",), Rectangle(1, 1, 2, 2), "o"), Annotation(("a",), Rectangle(5, 5, 2, 2), "o")])]
    options = BuildOptions(empty_label_for_unannotated=True)
    counts, created, problems = _convert_counts(Detection(), items, _PLANS[0], options, by_columns=True)
    assert counts == {"Task": {"media": 2, "labels": {"a": 1, EMPTY_LABEL: 1}}}  # one object in two parts
    assert created == {"media": 2, "annotations": 2}
    assert problems == ["2 image-level label(s) on 1 image(s) are not imported: a detection project takes boxes, "
                        "ellipses, polygons, rotated boxes (use --type classification for image-level labels) "
                        "(per label: a 1, b 1)"]


def test_only_types_converting_regions_count_from_arrays() -> None:
    plan = _PLANS[0]
    assert all(t.column_counter(_plan_of(t, plan.tasks[0].labels), BuildOptions()) is not None for t in _TYPES)

    class Flagged(AnomalyDetection):  # marks anomalies otherwise: counted item by item
        def local_shapes(self, anomalous):  # type: ignore[no-untyped-def]
            return []

    assert Flagged().column_counter(_plan_of(Flagged(), []), BuildOptions()) is None
    assert Detection().column_counter(ProjectPlan("t", plan.tasks, restored=True), BuildOptions()) is None

    class Boxes(Detection):  # a third-party type converting otherwise: counted item by item
        def convert_new(self, item, annotations, plan, options):  # type: ignore[no-untyped-def]
            return []

    assert Boxes().column_counter(plan, BuildOptions()) is None


def test_real_coco_polygons_screen_as_the_per_item_check_finds_them(shared) -> None:
    """COCO 2017's own polygons (coco128, as YOLO-seg): most are not star-shaped, so the screen runs the
    per-item self-intersection test on them; clean items have no problem and count as walked."""
    root = shared.datasets("coco128-yolo-lightly/instance_segmentation")
    dataset = plugins.format_readers()["yolo"].read(root)
    items = [i for i in dataset.items if i.annotations]
    known = {lb.name for lb in dataset.labels}
    columns = columns_from_items(items)
    clean = ColumnScreen(columns, known).clean(0, len(items)).tolist()
    polygons = [a.shape for item in items for a in item.annotations if isinstance(a.shape, Polygon)]
    assert len(polygons) > 700 and sum(clean) > len(items) // 2
    for item, ok in zip(items, clean, strict=True):
        problems = [p for a in item.annotations for p in check_annotation(item, "", a, known, item.size())]
        if ok:
            assert problems == [], item.key
    chosen = [item for item, ok in zip(items, clean, strict=True) if ok]
    plan = Detection().plan(Dataset("d", "yolo", root, labels=dataset.labels, items=chosen), BuildOptions())
    labels = plan.tasks[0].labels
    for project_type in _TYPES:
        plan = _plan_of(project_type, labels)
        counter = ConversionCounts(project_type, dataset, plan, BuildOptions())
        for item in chosen:
            counter.tally(item, ItemVerdict())
        fast = ConversionCounts(project_type, dataset, plan, BuildOptions())
        columns = columns_from_items(chosen)
        fast.count(columns, list(range(len(chosen))), [columns.bare_item(n) for n in range(len(chosen))],
                   [ItemVerdict() for _ in chosen])
        assert (fast.result()[0], fast.created) == (counter.result()[0], counter.created)


@pytest.mark.parametrize("count", [0, 1, 3])
def test_rows_of_gives_each_items_rows_in_order(count: int) -> None:
    items = [MediaItem(Path(f"/d/{n}.jpg"), f"{n}.jpg", annotations=[Annotation(("a",), None)] * (n % 3))
             for n in range(7)]
    columns = columns_from_items(items)
    chosen = np.array([1, 2, 4, 5, 6][:count + 2], dtype=np.int64)
    expected = [r for n in chosen.tolist() for r in range(columns.item_rows[n], columns.item_rows[n + 1])]
    assert columns.rows_of(chosen).tolist() == expected
    assert columns.row_items(np.array(expected, dtype=np.int64)).tolist() == \
        [n for n in chosen.tolist() for _ in range(n % 3)]


def test_a_classification_vote_counts_an_object_in_parts_once() -> None:
    box = Rectangle(1, 1, 2, 2)
    items = [
        MediaItem(Path("/d/0.jpg"), "0.jpg", width=10, height=10, annotations=[  # b and a tie: b came first
            Annotation(("b",), box), Annotation(("a",), box, "o1"), Annotation(("a",), box, "o1")]),
        MediaItem(Path("/d/1.jpg"), "1.jpg", width=10, height=10, annotations=[  # image-level c and b outvote a
            Annotation(("a",), box), Annotation(("a",), box), Annotation(("c",), box), Annotation(("c", "b"), None)]),
    ]
    plan = _plan_of(Classification(), _PLANS[2].tasks[0].labels)  # groups x (a, b) and y (c)
    walked = _convert_counts(Classification(), items, plan, BuildOptions(), by_columns=False)
    assert _convert_counts(Classification(), items, plan, BuildOptions(), by_columns=True) == walked
    assert walked[0] == {"Task": {"media": 2, "labels": {"b": 2, "c": 1}}}


@pytest.mark.parametrize(("project_type", "anomalous"), [(AnomalyDetection(), 3), (AnomalySegmentation(), 4),
                                                          (AnomalyClassification(), 1)])
def test_anomalies_are_marked_per_object_or_per_shape(project_type, anomalous: int) -> None:  # type: ignore[no-untyped-def]
    box = Rectangle(1, 1, 2, 2)
    items = [MediaItem(Path("/d/0.jpg"), "0.jpg", width=10, height=10, annotations=[
                 Annotation(("a",), box, "o1"), Annotation(("a",), box, "o1"), Annotation(("a",), box),
                 Annotation(("b",), box)]),
             MediaItem(Path("/d/1.jpg"), "1.jpg", width=10, height=10, annotations=[Annotation(("b",), box)])]
    plan, options = _plan_of(project_type, []), BuildOptions(anomalous_labels=["a"])
    walked = _convert_counts(project_type, items, plan, options, by_columns=False)
    assert _convert_counts(project_type, items, plan, options, by_columns=True) == walked
    assert walked[0] == {"Task": {"media": 2, "labels": {"Normal": 1, "Anomalous": anomalous}}}
