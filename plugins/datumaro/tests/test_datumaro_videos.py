"""Datumaro video datasets become one SC video per video file, with annotations per frame.

Expected sizes and frame counts come from PyAV on the files, expected boxes from what the tests
wrote into the generated Datumaro dataset, never from the reader under test.
"""

from __future__ import annotations

import csv
import json
import math
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from sc_importers_datumaro import DatumaroReader

from sc_importers.model import Rectangle

#: Frame index -> (label index, x, y, w, h) boxes written into the generated dataset.
BOXES = {2: [(0, 3.0, 2.0, 10.0, 5.0)], 5: [(1, 6.0, 4.0, 20.0, 8.0), (0, 30.5, 10.25, 12.0, 9.0)]}
LABELS = ["car", "person"]
FRAMES, WIDTH, HEIGHT = 10, 64, 48


def _pyav_size_and_frames(path: Path) -> tuple[int, int, int]:
    """Width, height and decoded frame count of the first video stream, by decoding every frame."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        count = sum(1 for _ in container.decode(stream))
        return stream.codec_context.width, stream.codec_context.height, count


def _write_video(path: Path, frames: int = FRAMES, width: int = WIDTH, height: int = HEIGHT) -> Path:
    """A short synthetic video (MPEG-4 part 2 in .mp4), each frame a different grey."""
    import av
    import numpy as np

    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(np.full((height, width, 3), i * 20, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _write_datumaro_video_dataset(folder: Path, extra: dict[int, list] | None = None) -> Path:
    """A Datumaro-format export of one video: frame items 2 and 5 with :data:`BOXES`, frame 7
    without annotations, plus ``extra`` frame items (index -> boxes)."""
    import datumaro as dm
    from datumaro.components.annotation import Bbox
    from datumaro.components.media import Video, VideoFrame

    video = Video(str(_write_video(folder.parent / f"{folder.name}-clip.mp4")))
    frames = {**BOXES, 7: [], **(extra or {})}
    items = [dm.DatasetItem(id=f"clip_{index:03d}", media=VideoFrame(video, index),
                            annotations=[Bbox(x, y, w, h, label=lb) for lb, x, y, w, h in boxes])
             for index, boxes in frames.items()]
    dataset = dm.Dataset.from_iterable(items, categories=LABELS, media_type=VideoFrame)
    dataset.export(str(folder), "datumaro", save_media=True)
    return folder


def test_video_file_as_video_frames_is_one_unannotated_video(shared) -> None:
    path = shared.datasets("datumaro-test-assets/assets/video_dataset/video.avi")
    width, height, _ = _pyav_size_and_frames(path)
    for fmt in ("video_frames", "video_keyframes"):
        ds = DatumaroReader().read(path, datumaro_format=fmt)
        (item,) = ds.items
        assert (item.kind, item.key, item.path) == ("video", "video.avi", path), fmt
        assert (item.width, item.height) == (width, height), fmt
        assert item.frames == {} and item.annotations == [] and not ds.problems, fmt


def test_kinetics_imports_videos_and_warns_once_of_video_labels(shared) -> None:
    root = shared.datasets("datumaro-test-assets/assets/kinetics_dataset")
    with open(root / "test.csv", encoding="utf-8") as f:
        rows = {r["youtube_id"]: r["split"] for r in csv.DictReader(f)}
    rows.update({k: v["subset"] for k, v in json.loads((root / "train.json").read_text()).items()})
    # Kinetics names a video file after the item's YouTube id (the id is part of the file name)
    videos = {k: [p for p in root.rglob("*.avi") if k in p.stem] for k in rows}
    found = sorted({p.relative_to(root).as_posix() for ps in videos.values() for p in ps})
    missing = sorted(f"{rows[k]}/{k}" for k, ps in videos.items() if not ps)
    assert found and missing  # the fixture has both cases

    ds = DatumaroReader().read(root, datumaro_format="kinetics")
    assert sorted(i.key for i in ds.items) == found
    assert all(i.kind == "video" and i.frames == {} for i in ds.items)
    for item in ds.items:
        assert (item.width, item.height) == _pyav_size_and_frames(item.path)[:2], item.key
    assert sorted(p.item for p in ds.errors) == missing
    assert all("no video file" in p.message and "image" not in p.message for p in ds.errors)
    warnings = [p for p in ds.problems if p.severity == "warning"]
    assert len(warnings) == 1 and "video-level" in warnings[0].message
    assert f"{len(found)} video-level annotations" in warnings[0].message


def test_generated_datumaro_video_groups_frames_into_one_video(tmp_path) -> None:
    root = _write_datumaro_video_dataset(tmp_path / "dm", extra={12: [(0, 1.0, 1.0, 5.0, 5.0)]})
    ds = DatumaroReader().read(root)  # format detected: datumaro
    (item,) = ds.items
    assert item.kind == "video" and (item.width, item.height) == (WIDTH, HEIGHT)
    assert item.key == item.path.relative_to(root).as_posix() and item.path.suffix == ".mp4"
    assert [lb.name for lb in ds.labels] == LABELS
    assert sorted(item.frames) == sorted(BOXES)  # frame 7 has no annotation; frame 12 is past the end
    for index, boxes in BOXES.items():
        got = sorted((a.labels, a.shape) for a in item.frames[index])
        assert got == sorted(((LABELS[lb],), Rectangle(x, y, w, h)) for lb, x, y, w, h in boxes), index
    (error,) = ds.errors
    assert "frame index 12" in error.message and f"{FRAMES} frames" in error.message
    assert error.file == str(item.path) and error.item == f"{item.key} frame 12"


def test_box_outside_a_frame_is_clipped_to_the_video_size(tmp_path) -> None:
    root = _write_datumaro_video_dataset(tmp_path / "dm", extra={3: [(1, 50.0, 40.0, 30.0, 30.0)]})
    (item,) = DatumaroReader().read(root).items
    (ann,) = item.frames[3]
    assert ann.shape == Rectangle(50.0, 40.0, WIDTH - 50.0, HEIGHT - 40.0)


def test_sc_import_uploads_one_video_with_frame_annotations(sc_server, tmp_path) -> None:
    from sc_importers.cli.import_cmd import build_command
    from sc_importers.rest import connect

    root = _write_datumaro_video_dataset(tmp_path / "dm")
    name = f"datumaro-video-{uuid.uuid4().hex[:8]}"
    args = [str(root), "--format", "datumaro", "--type", "detection", "--project-name", name, "--json",
            "--host", sc_server.url, "--username", sc_server.username, "--password", sc_server.password]
    result = CliRunner().invoke(build_command(), args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["annotations_created"] == sum(len(b) for b in BOXES.values()), summary

    api = connect(sc_server.url, sc_server.username, sc_server.password, workers=2)
    try:
        project = api.get_project(summary["project"]["id"])
        assert list(api.list_media(project, "image")) == []
        (video,) = list(api.list_media(project, "video"))
        assert (video.width, video.height, video.frame_count) == (WIDTH, HEIGHT, FRAMES)
        for index in range(FRAMES):
            scene = api.get_annotation_scene(project, video, index)
            got = sorted((tuple(lb["name"] for lb in a["labels"]), a["shape"]["type"],
                          tuple(float(a["shape"][k]) for k in ("x", "y", "width", "height")))
                         for a in (scene or {}).get("annotations", []))
            want = sorted(((LABELS[lb],), "RECTANGLE", (x / WIDTH, y / HEIGHT, w / WIDTH, h / HEIGHT))
                          for lb, x, y, w, h in BOXES.get(index, []))
            assert len(got) == len(want), f"frame {index}: {got}"
            for (gl, gt, gv), (wl, wt, wv) in zip(got, want, strict=True):
                assert (gl, gt) == (wl, wt) and all(map(math.isclose, gv, wv)), f"frame {index}: {got}"
    finally:
        api.close()


@pytest.mark.parametrize("fmt", ["datumaro"])
def test_image_items_next_to_videos_stay_images(tmp_path, fmt) -> None:
    """An image dataset is untouched by the video grouping: items stay images keyed by path."""
    import datumaro as dm
    import numpy as np
    from datumaro.components.annotation import Bbox
    from datumaro.components.media import Image

    items = [dm.DatasetItem(id=f"img{i}", media=Image.from_numpy(np.zeros((20, 30, 3), np.uint8)),
                            annotations=[Bbox(1, 2, 3, 4, label=0)]) for i in range(2)]
    dm.Dataset.from_iterable(items, categories=["a"]).export(str(tmp_path / "d"), fmt, save_media=True)
    ds = DatumaroReader().read(tmp_path / "d")
    assert [i.kind for i in ds.items] == ["image", "image"] and all(i.frames == {} for i in ds.items)
    assert sorted(i.key for i in ds.items) == ["images/default/img0.jpg", "images/default/img1.jpg"]
