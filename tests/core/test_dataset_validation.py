"""validate() and build_report(): every check names the file and the item; report counts and verdict."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from sc_importers import validation
from sc_importers.model import Annotation, Dataset, Label, MediaItem, Polygon, Problem, Rectangle
from sc_importers.project_types.base import ProjectPlan, TaskPlan
from sc_importers.validation import build_report, kind_of, validate


def image(root: Path, name: str, size: tuple[int, int] = (100, 50)) -> MediaItem:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size).save(path)
    return MediaItem(path, name)


def problems_of(kind: str, problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if kind_of(p) == kind]


def test_each_check_names_file_item_and_problem(tmp_path: Path) -> None:
    good = image(tmp_path, "good.png")
    good.annotations = [
        Annotation(("cat",), Rectangle(90, 40, 20, 20)),  # partly outside: clipped
        Annotation(("cat",), Rectangle(150, 0, 5, 5)),  # entirely outside
        Annotation(("cat",), Rectangle(5, 5, 0, 10)),  # zero area
        Annotation(("cat",), Polygon(((1, 1), (2, 2), (3, 3)))),  # collinear: zero area
        Annotation(("ghost",), None),  # unknown label
    ]
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image at all")
    dataset = Dataset("d", "test", tmp_path, labels=[Label("cat")], items=[
        good, MediaItem(broken, "broken.png"), MediaItem(tmp_path / "gone.jpg", "gone.jpg"),
        image(tmp_path, "sub/good.jpg"),
    ], problems=[Problem("warning", "reader said so", "ann.json", "x")])
    problems = validate(dataset)

    assert problems[0] == dataset.problems[0] and kind_of(problems[0]) == "reader"
    [missing] = problems_of("missing_file", problems)
    assert str(missing) == f"error: {tmp_path / 'gone.jpg'}, item gone.jpg: media file not found"
    [unreadable] = problems_of("unreadable_image", problems)
    assert str(unreadable).startswith(f"error: {broken}, item broken.png: unreadable image (")
    [outside] = problems_of("shape_outside_image", problems)
    assert str(outside) == (f"error: {good.path}, item good.png: rectangle at x=150, y=0, w=5, h=5 "
                            "lies entirely outside the 100x50 image; the item is skipped")
    [partly] = problems_of("shape_partly_outside_image", problems)
    assert partly.severity == "warning" and "extends outside the 100x50 image; clipped" in partly.message
    zero = problems_of("zero_area_shape", problems)
    assert [p.severity for p in zero] == ["warning", "warning"]
    assert "rectangle at x=5, y=5, w=0, h=10 has" in zero[0].message
    assert "polygon of 3 points (1, 1), (2, 2), (3, 3) has" in zero[1].message
    assert all(p.message.endswith("has zero area; dropped") for p in zero)
    [unknown] = problems_of("unknown_label", problems)
    assert unknown.item == "good.png" and "'ghost'" in unknown.message
    dupes = problems_of("duplicate_name", problems)
    assert [p.item for p in dupes] == ["good.png", "sub/good.jpg"]
    assert all("2 media share the name 'good'" in p.message for p in dupes)
    assert validation.skipped_items(problems) == {"gone.jpg", "broken.png", "good.png"}
    # every check names the file and the item (the dry-run report prints str(problem))
    named = [partly, *zero, unknown]
    assert all((p.file, p.item) == (str(good.path), "good.png") for p in named)
    assert all(str(p).startswith(f"{p.severity}: {good.path}, item good.png: ") for p in named)
    assert [(p.file, p.item) for p in dupes] == [(str(good.path), "good.png"),
                                                  (str(tmp_path / "sub/good.jpg"), "sub/good.jpg")]


def test_video_frames_are_checked_against_the_reader_size(tmp_path: Path) -> None:
    video = tmp_path / "v.mp4"
    video.write_bytes(b"\0")  # only existence is checked for videos
    item = MediaItem(video, "v.mp4", kind="video", width=64, height=48,
                     frames={3: [Annotation(("cat",), Rectangle(70, 0, 5, 5))]})
    problems = validate(Dataset("d", "test", tmp_path, labels=[Label("cat")], items=[item]))
    [outside] = problems
    assert outside.message.startswith("frame 3: rectangle at x=70") and "64x48" in outside.message


def test_check_images_false_opens_no_header(tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"junk")
    dataset = Dataset("d", "test", tmp_path, items=[MediaItem(broken, "broken.png")])
    assert validate(dataset, check_images=False) == []
    assert len(validate(dataset)) == 1


def test_progress_bar_only_for_many_items(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    items = [image(tmp_path, f"{i}.png", (4, 4)) for i in range(5)]
    dataset = Dataset("d", "test", tmp_path, items=items)
    monkeypatch.setattr(validation, "progress_wanted", lambda: True)  # as on a terminal
    validate(dataset)
    assert "checking images" not in capsys.readouterr().err
    monkeypatch.setattr(validation, "PROGRESS_THRESHOLD", 3)
    assert validate(dataset) == []
    assert "checking images" in capsys.readouterr().err
    monkeypatch.setattr(validation, "progress_wanted", lambda: False)  # stderr a file or a pipe, or sc -q
    assert validate(dataset) == []
    assert "checking images" not in capsys.readouterr().err


def make_report(tmp_path: Path, **kwargs) -> dict:
    a = image(tmp_path, "a.png")
    a.annotations = [Annotation(("cat",), Rectangle(1, 1, 5, 5)), Annotation(("cat",), None)]
    b = image(tmp_path, "b.png")
    dataset = Dataset("d", "test", tmp_path, labels=[Label("cat"), Label("dog")], items=[a, b])
    filtered = MediaItem(tmp_path / "c.png", "c.png", annotations=[Annotation(("dog",), None)])
    original = Dataset("d", "test", tmp_path, labels=dataset.labels, items=[a, b, filtered])
    return build_report(original, dataset, validate(dataset), None, **kwargs)


def test_report_counts(tmp_path: Path) -> None:
    report = make_report(tmp_path)
    assert report["media"] == {"total": 2, "images": 2, "videos": 0, "frames_annotated": 0,
                               "unannotated": 1, "filtered_out": 1, "skipped": 0}
    assert report["annotations"] == {"total": 2, "per_label": {"cat": {"IMAGE": 1, "RECTANGLE": 1}},
                                     "per_shape": {"IMAGE": 1, "RECTANGLE": 1}}
    assert report["importable"] is True and report["blockers"] == [] and report["project"] is None


def test_report_blockers(tmp_path: Path) -> None:
    report = make_report(tmp_path, project_type="segmentation", plan_error="only boxes")
    assert report["importable"] is False
    assert report["blockers"] == ["project type 'segmentation' cannot be built: only boxes"]
    empty = Dataset("e", "test", tmp_path, labels=[Label("Empty", is_empty=True)])
    report = build_report(empty, empty, [Problem("error", "bad json", "x.json")], None)
    assert report["blockers"] == ["error: x.json: bad json", "no media to import", "no labels to import"]


def test_report_lists_plan_and_caps_examples(tmp_path: Path) -> None:
    plan = ProjectPlan("detection", [TaskPlan("Detection", "detection", [Label("cat")])])
    many = [validation.CheckProblem("warning", f"w{i}", "f", str(i), "zero_area_shape") for i in range(15)]
    ds = Dataset("d", "test", tmp_path, labels=[Label("cat")], items=[image(tmp_path, "a.png")])
    report = build_report(ds, ds, many, plan, project_type="detection",
                          conversion={"Detection": {"media": 1, "labels": {"cat": 2}}})
    assert report["project"]["tasks"] == [{"title": "Detection", "task_type": "detection", "labels": ["cat"],
                                           "would_convert": {"media": 1, "labels": {"cat": 2}}}]
    group = report["problems"]["by_kind"]["zero_area_shape"]
    assert group["warnings"] == 15 and len(group["examples"]) == validation.EXAMPLES_PER_KIND


def test_float_rounding_at_the_image_edge_is_not_a_problem(tmp_path: Path) -> None:
    """Normalized coordinates converted to pixels end a hair past the edge (coco128's YOLO labels:
    13.99008 + 626.00992 = 640.0000000000001); that is not "partly outside", a real overshoot is."""
    item = image(tmp_path, "a.png", size=(640, 480))
    assert 13.990079999999985 + 626.0099200000001 > 640
    item.annotations = [
        Annotation(("cat",), Rectangle(13.990079999999985, 2.86992, 626.0099200000001, 418.65024)),
        Annotation(("cat",), Rectangle(600, 0, 40.01, 10)),
    ]
    dataset = Dataset("d", "test", tmp_path, labels=[Label("cat")], items=[item])
    partly = problems_of("shape_partly_outside_image", validate(dataset))
    assert [p.message.split(" extends")[0] for p in partly] == ["rectangle at x=600, y=0, w=40.01, h=10"]


def test_shapes_in_messages_are_rounded_for_people(tmp_path: Path) -> None:
    """A float such as 244.55999999999997 is shown as 244.56 (the dataset keeps its full precision)."""
    item = image(tmp_path, "a.png", (400, 400))
    crossing = Polygon(((5.1, 5.0), (244.55999999999997, 30.0), (244.55999999999997, 5.0), (5.1, 40.000000000000004),
                        (1.0, 1.0)))
    item.annotations = [Annotation(("cat",), crossing), Annotation(("cat",), Rectangle(10.123456, 3, 0.0, 7))]
    problems = validate(Dataset("d", "test", tmp_path, labels=[Label("cat")], items=[item]))
    text = "\n".join(str(p) for p in problems)
    assert "polygon of 5 points (5.1, 5), (244.56, 30), (244.56, 5), ... crosses itself" in text, text
    assert "rectangle at x=10.12, y=3, w=0, h=7 has zero area" in text, text
    assert "244.5599" not in text and "40.0000" not in text
    assert crossing.points[1][0] == 244.55999999999997


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_file_cut_anywhere_before_its_end_marker_is_unreadable(tmp_path: Path, fmt: str) -> None:
    """The image check decodes nothing when a JPEG/PNG ends with its end marker; a file cut short
    is decoded and refused like before (a JPEG even when only the marker's last byte is gone; a PNG
    without its IEND chunk's last bytes still decodes, as it did when every image was decoded)."""
    from PIL import ImageDraw

    whole = tmp_path / f"whole.{fmt.lower()}"
    im = Image.new("RGB", (64, 48), (10, 20, 30))
    ImageDraw.Draw(im).ellipse((5, 5, 50, 40), fill=(200, 100, 0))
    im.save(whole, fmt)
    data = whole.read_bytes()
    items = [MediaItem(whole, "whole")]
    cuts = (1, len(data) // 10, len(data) // 2) if fmt == "JPEG" else (len(data) // 10, len(data) // 2)
    for cut in cuts:
        part = tmp_path / f"cut{cut}.{fmt.lower()}"
        part.write_bytes(data[:-cut])
        items.append(MediaItem(part, f"cut{cut}"))
    problems = validate(Dataset("d", "test", tmp_path, labels=[Label("a")], items=items))
    assert sorted(p.item for p in problems_of("unreadable_image", problems)) == sorted(f"cut{c}" for c in cuts)


def test_bytes_after_a_jpeg_end_marker_are_decoded_and_accepted(tmp_path: Path) -> None:
    """Some cameras write bytes after the JPEG's end: no end marker at the file's end, so the image is
    decoded, and it decodes: no problem."""
    path = tmp_path / "camera.jpg"
    Image.new("RGB", (64, 48), (1, 2, 3)).save(path, "JPEG")
    path.write_bytes(path.read_bytes() + b"\0" * 37)
    problems = validate(Dataset("d", "test", tmp_path, labels=[Label("a")], items=[MediaItem(path, "camera.jpg")]))
    assert problems_of("unreadable_image", problems) == []


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_a_polygon_with_one_coordinate_not_finite_is_an_error_wherever_it_is(tmp_path: Path, bad: float) -> None:
    """The finiteness check settles most polygons from their area (NaN or infinite if any coordinate
    is): every position of the bad number, with zero neighbours too (inf * 0 is NaN), is still caught,
    and a polygon whose area overflows but whose coordinates are finite is not refused for it."""
    base = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]
    item = image(tmp_path, "a.png")
    for n in range(len(base)):
        for axis in (0, 1):
            points = [list(p) for p in base]
            points[n][axis] = bad
            item.annotations.append(Annotation(("a",), Polygon(tuple((x, y) for x, y in points))))
    huge = Polygon(((0.0, 0.0), (1e200, 0.0), (1e200, 1e200), (0.0, 1e200)))
    item.annotations.append(Annotation(("a",), huge))
    problems = validate(Dataset("d", "test", tmp_path, labels=[Label("a")], items=[item]))
    assert len(problems_of("not_finite", problems)) == 2 * len(base)  # one each; none for the huge polygon
