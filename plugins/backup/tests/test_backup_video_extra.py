"""A backup with videos in an install without PyAV (the core install): refused, naming the [video] extra,
rather than read with every video as an "unreadable video" error."""

from __future__ import annotations

import pytest
from sc_importers_backup import BackupReader

from sc_importers import extras
from sc_importers.extras import MissingExtra


def test_backup_with_videos_needs_the_video_extra(make_backup, kit, monkeypatch) -> None:
    root = make_backup(kit.detection_project(), videos={"clip.mp4": 3})
    monkeypatch.setattr(extras, "_installed", lambda module: module != "av")
    with pytest.raises(MissingExtra) as refused:
        BackupReader().read(root)
    assert str(refused.value) == (f"{root}: reading its videos (clip.mp4) needs the [video] extra: "
                                  "pip install 'sc-importers[video]'")


def test_backup_of_images_needs_no_pyav(make_backup, kit, monkeypatch) -> None:
    root = make_backup(kit.detection_project(), images={"a.png": (8, 6)})
    monkeypatch.setattr(extras, "_installed", lambda module: module != "av")
    (item,) = BackupReader().read(root).items
    assert (item.width, item.height) == (8, 6)  # image headers are read with Pillow, part of the core install
