"""Atomic backup file writing: nothing half-written ever takes a final name."""

from __future__ import annotations

import json
import os
import stat

import pytest

from sc_importers.export.files import (
    FILE_MODE,
    JOURNAL_NAME,
    Journal,
    sha256_file,
    write_atomically,
    write_json_atomically,
)


def test_written_files_get_ordinary_permissions(tmp_path):
    target = tmp_path / "sub" / "project.json"
    write_json_atomically(target, {"name": "x"})
    umask = os.umask(0)
    os.umask(umask)
    # what open() would give: not mkstemp's owner-only 0600
    assert stat.S_IMODE(target.stat().st_mode) == FILE_MODE == 0o666 & ~umask


def test_failed_write_leaves_the_old_file_and_no_part(tmp_path):
    target = tmp_path / "a.json"
    target.write_text("old")

    def produce(tmp):
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, produce)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_an_image_named_like_a_video_frame_gets_its_own_stem():
    from sc_importers.export.download import media_stems
    from sc_importers.rest.base import RemoteMedia

    media = [
        RemoteMedia("v1", "clip", "video", 64, 48, frame_count=10, fps=5.0),
        RemoteMedia("i1", "clip_frame_3", "image", 64, 48),
        RemoteMedia("i2", "other_frame_3", "image", 64, 48),
    ]
    stems = media_stems(media)
    # annotations/clip_frame_3.json belongs to frame 3 of the video; the image must not write it
    assert stems == {"v1": "clip", "i1": "clip_frame_3__i1", "i2": "other_frame_3"}


def test_scenes_an_earlier_version_journalled_are_fetched_again(tmp_path):
    """An interrupted export of an earlier version left annotation files whose labels have ids only; a
    resume by this version writes project.json without label ids, so it must not keep those files."""
    scene = tmp_path / "annotations" / "a.json"
    write_json_atomically(scene, {"annotations": []})
    info = {"annotations/a.json": {"size": scene.stat().st_size, "sha256": sha256_file(scene)}}
    old_entry = {"done": "m1", "path": "images/Dataset/a.jpg", "annotations": info}
    (tmp_path / JOURNAL_NAME).write_text(json.dumps(old_entry) + "\n")
    assert Journal(tmp_path).finished_annotations("m1", "images/Dataset/a.jpg", tmp_path) is None
    Journal(tmp_path).record_done("m1", "images/Dataset/a.jpg", info)
    assert Journal(tmp_path).finished_annotations("m1", "images/Dataset/a.jpg", tmp_path) == ["annotations/a.json"]
