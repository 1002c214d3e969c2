"""The backup reader on hand-written backup folders: types, labels, pixels, videos."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sc_importers_backup import BackupReader, list_backup_folders

from sc_importers import plugins
from sc_importers.formats import FormatError
from sc_importers.geometry.video import probe_video
from sc_importers.model import Ellipse, Label, Polygon, Rectangle, RotatedRectangle


def test_detection_project_in_pixels(make_backup, kit) -> None:
    config = {"project": {"components": []}, "tasks": {"Detection task": {"components": []}}}
    root = make_backup(kit.detection_project(), images={"a.png": (200, 100), "b.png": (50, 50)},
                       scenes={"a": kit.scene(([20], kit.rect(0.1, 0.2, 0.5, 0.25)),
                                              ([21], kit.rect(0.5, 0.5, 0.1, 0.1, "ELLIPSE")))},
                       configuration=config)
    dataset = BackupReader().read(root)
    assert dataset.project_type == "detection"
    assert dataset.name == "cars" and dataset.format == "backup"
    assert [lb.name for lb in dataset.labels] == ["car", "bus", "No Object"]
    assert dataset.label("No Object").is_empty and dataset.label("No Object").hotkey == "ctrl+0"
    assert dataset.label("car").group == "default - Detection task"
    assert dataset.project == json.loads((root / "project.json").read_text())
    assert dataset.configuration == {"parameters": {}, "editable": [], "tasks": [  # the neutral form
        {"title": "Detection task", "task_type": "detection", "parameters": {}, "editable": []}]}
    a, b = dataset.items
    assert (a.key, a.kind, a.width, a.height) == ("images/Dataset/a.png", "image", 200, 100)
    assert [ann.labels for ann in a.annotations] == [("car",), ("bus",)]
    assert a.annotations[0].shape == Rectangle(20.0, 20.0, 100.0, 25.0)
    assert a.annotations[1].shape == Ellipse(100.0, 50.0, 20.0, 10.0)
    assert not b.is_annotated
    assert dataset.problems == []


def test_polygon_and_rotated_rectangle(make_backup, kit) -> None:
    poly = {"type": "POLYGON", "points": [{"x": 0.0, "y": 0.0}, {"x": 1.0, "y": 0.5}, {"x": 0.5, "y": 1.0}]}
    rot = {"type": "ROTATED_RECTANGLE", "x": 0.5, "y": 0.5, "width": 0.2, "height": 0.4, "angle": 30.0}
    root = make_backup(kit.detection_project(), images={"a.png": (200, 100)},
                       scenes={"a": kit.scene(([20], poly), ([21], rot))})
    (item,) = BackupReader().read(root).items
    assert item.annotations[0].shape == Polygon(((0.0, 0.0), (200.0, 50.0), (100.0, 100.0)))
    assert item.annotations[1].shape == RotatedRectangle(100.0, 50.0, 40.0, 40.0, 30.0)


def test_chain_project_type_and_parents(make_backup, kit) -> None:
    root = make_backup(kit.chain_project(), images={"a.png": (100, 100)},
                       scenes={"a": kit.scene(([20], kit.rect(0.1, 0.1, 0.5, 0.5)),
                                              ([21], kit.rect(0.1, 0.1, 0.5, 0.5)))})
    dataset = BackupReader().read(root)
    assert dataset.project_type == "detection_to_segmentation"
    assert [(lb.name, lb.parent) for lb in dataset.labels] == [
        ("animal", None), ("No Object", None), ("dog", "animal"), ("cat", "animal"), ("Empty", None)]
    assert [a.labels for a in dataset.items[0].annotations] == [("animal",), ("dog",)]


def test_classification_hierarchy_and_full_image_label(make_backup, kit) -> None:
    full = kit.rect(0.0, 0.0, 1.0, 1.0)
    root = make_backup(kit.hierarchy_project(), images={"a.jpg": (64, 32)},
                       scenes={"a": kit.scene(([22, 23, 24], full))})
    dataset = BackupReader().read(root)
    assert dataset.project_type == "classification"
    assert dataset.label("car") == Label("car", color=dataset.label("car").color, group="vehicle type",
                                         parent="vehicle")
    assert dataset.label("red").parent == "vehicle" and dataset.label("dog").parent == "animal"
    (ann,) = dataset.items[0].annotations
    assert ann.labels == ("vehicle", "car", "red")
    # image-level labels stay a full-image rectangle; the builder decides what that means
    assert ann.shape == Rectangle(0.0, 0.0, 64.0, 32.0)


@pytest.mark.parametrize(
    ("types", "expected"),
    [
        (["segmentation"], "segmentation"),
        (["anomaly_classification"], "anomaly_classification"),
        (["anomaly_detection"], "anomaly_detection"),
        (["anomaly_segmentation"], "anomaly_segmentation"),
        (["detection", "crop", "classification"], "detection_to_classification"),
    ],
)
def test_project_types(make_backup, kit, types: list[str], expected: str) -> None:
    tasks = [kit.task(10 + i, t, f"T{i}", None if t == "crop" else [kit.label(30 + i, f"l{i}", "g")])
             for i, t in enumerate(types)]
    root = make_backup(kit.project("p", tasks))
    assert BackupReader().read(root).project_type == expected


def test_unknown_project_type(make_backup, kit) -> None:
    tasks = [kit.task(10, "segmentation", "S", [kit.label(20, "a", "g")]), kit.task(11, "crop", "C"),
             kit.task(12, "detection", "D", [kit.label(21, "b", "g")])]
    root = make_backup(kit.project("p", tasks))
    with pytest.raises(FormatError, match=r"project\.json.*\['segmentation', 'detection'\]"):
        BackupReader().read(root)


def test_video_with_frame_annotations(make_backup, kit) -> None:
    root = make_backup(kit.detection_project(), videos={"clip.mp4": 10}, scenes={
        "clip_frame_0": kit.scene(([20], kit.rect(0.0, 0.0, 0.5, 0.5))),
        "clip_frame_7": kit.scene(([21], kit.rect(0.25, 0.5, 0.5, 0.5)), ([20], kit.rect(0, 0, 1, 1)))})
    dataset = BackupReader().read(root)
    (video,) = dataset.items
    assert (video.key, video.kind, video.width, video.height) == ("videos/Dataset/clip.mp4", "video", 64, 48)
    assert sorted(video.frames) == [0, 7]
    assert video.frames[0][0].shape == Rectangle(0.0, 0.0, 32.0, 24.0)
    assert video.frames[7][0].shape == Rectangle(16.0, 24.0, 32.0, 24.0)
    assert dataset.annotation_counts()[("car", "RECTANGLE")] == 2
    assert dataset.problems == []


def test_video_frame_past_the_end_is_an_error(make_backup, kit) -> None:
    root = make_backup(kit.detection_project(), videos={"clip.mp4": 4},
                       scenes={"clip_frame_9": kit.scene(([20], kit.rect(0, 0, 1, 1)))})
    dataset = BackupReader().read(root)
    assert dataset.items == []
    (error,) = dataset.errors
    assert error.file == "annotations/clip_frame_9.json" and error.item == "videos/Dataset/clip.mp4"
    assert "frame 9" in error.message and "4 frames" in error.message


@pytest.mark.parametrize(
    ("name", "expected"),
    [("chaplin.mp4", (640, 360, 241, 25.0)), ("big_buck_bunny_432_433.webm", (1280, 720, 24, 24.0))],
)
def test_real_video_info(shared, name: str, expected: tuple) -> None:
    # the WebM header has no frame count: frames are counted as demuxed packets (sc_importers.geometry.video)
    info = probe_video(shared.datasets("videos-moviepy-media") / name)
    assert (info.width, info.height, info.frame_count, info.fps) == expected


def test_media_link_leaving_the_folder_is_refused(make_backup, kit, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.png"
    outside.write_bytes(b"x")
    root = make_backup(kit.detection_project(), manifest=False)
    (root / "images" / "Dataset" / "a.png").symlink_to(outside)
    with pytest.raises(FormatError, match=r"a\.png: a link pointing outside the backup folder"):
        BackupReader().read(root)


def test_unknown_label_id_names_file_and_item(make_backup, kit) -> None:
    root = make_backup(kit.detection_project(), images={"a.png": (10, 10), "b.png": (10, 10)},
                       scenes={"a": kit.scene(([20], kit.rect(0, 0, 1, 1)), ([77], kit.rect(0, 0, 1, 1))),
                               "b": kit.scene(([20], kit.rect(0, 0, 1, 1)))})
    dataset = BackupReader().read(root)
    assert [i.key for i in dataset.items] == ["images/Dataset/b.png"]
    (error,) = dataset.errors
    assert error.file == "annotations/a.json" and error.item == "images/Dataset/a.png"
    assert "annotations[1].labels[0]" in error.message and kit.oid(77) in error.message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("{oops", "Expecting property name"),
        ({"annotations": [{"labels": [{"id": "x"}]}]}, "label id 'x'"),
        ({"annotations": [{"labels": [{"id": "6255dd3f234370fcf24c0014"}], "shape": {"type": "KEYPOINT"}}]},
         "annotations[0]: unknown shape type 'KEYPOINT'"),
        ({"annotations": [{"labels": [{"id": "6255dd3f234370fcf24c0014"}], "shape": {"type": "RECTANGLE"}}]},
         "annotations[0]: shape field 'x' must be a number"),
    ],
)
def test_bad_scene_is_an_item_error(make_backup, kit, body, expected: str) -> None:
    root = make_backup(kit.detection_project(), images={"a.png": (10, 10)}, scenes={"a": body})
    dataset = BackupReader().read(root)
    assert dataset.items == []
    (error,) = dataset.errors
    assert (error.file, error.item) == ("annotations/a.json", "images/Dataset/a.png")
    assert expected in error.message


def test_geti_sdk_folder_without_manifest(make_backup, kit) -> None:
    root = make_backup(kit.detection_project(), images={"a.png": (20, 10)}, manifest=False, flat=True,
                       scenes={"a": kit.scene(([20], kit.rect(0, 0, 0.5, 0.5))), "gone": kit.scene()},
                       configuration={"global": [], "task_chain": []})
    dataset = BackupReader().read(root)
    assert [i.key for i in dataset.items] == ["images/a.png"]
    assert dataset.items[0].annotations[0].shape == Rectangle(0.0, 0.0, 10.0, 5.0)
    assert dataset.configuration == {"parameters": {}, "editable": [], "tasks": []}
    warnings = {p.file: p.message for p in dataset.problems if p.severity == "warning"}
    assert "not verified" in warnings["manifest.json"]
    assert "annotations/gone.json" in warnings
    assert dataset.errors == []


def test_detect(make_backup, kit, tmp_path: Path) -> None:
    reader = BackupReader()
    root = make_backup(kit.detection_project())
    assert reader.detect(root).confidence >= 0.9
    assert reader.detect(tmp_path / "nothing").confidence == 0.0
    other = tmp_path / "other"
    other.mkdir()
    (other / "project.json").write_text(json.dumps({"name": "not a project"}))
    assert reader.detect(other).confidence < 0.5


def test_list_backup_folders(make_backup, kit, tmp_path: Path) -> None:
    a = make_backup(kit.detection_project(), name="all/a")
    b = make_backup(kit.chain_project(), name="all/nested/b")
    (tmp_path / "all" / "empty").mkdir()
    assert list_backup_folders(tmp_path / "all") == [a, b]
    assert list_backup_folders(a) == [a]


def test_registered_through_entry_point() -> None:
    plugins.reset()
    assert isinstance(plugins.format_readers()["backup"], BackupReader)
