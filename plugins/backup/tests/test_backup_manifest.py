"""Manifest verification: every bad file listed at once, before anything is returned."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sc_importers_backup import BackupReader
from sc_importers_backup.integrity import escapes, sha256_of

from sc_importers.formats import FormatError


def _edit_manifest(root: Path, change) -> None:
    path = root / "manifest.json"
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest))


def _backup(make_backup, kit) -> Path:
    return make_backup(kit.detection_project(), images={"a.png": (20, 20), "b.png": (20, 20)},
                       scenes={"a": kit.scene(([20], kit.rect(0, 0, 1, 1)))})


def test_intact_backup_verifies(make_backup, kit) -> None:
    dataset = BackupReader().read(_backup(make_backup, kit))
    assert dataset.problems == [] and len(dataset.items) == 2


def test_changed_and_missing_files_are_all_listed(make_backup, kit) -> None:
    root = _backup(make_backup, kit)
    (root / "annotations" / "a.json").write_text("{}")  # different size
    image = root / "images" / "Dataset" / "b.png"
    data = bytearray(image.read_bytes())
    data[-5] ^= 0xFF  # same size, different bytes
    image.write_bytes(bytes(data))
    (root / "images" / "Dataset" / "a.png").unlink()
    with pytest.raises(FormatError) as info:
        BackupReader().read(root)
    message = str(info.value)
    assert "manifest.json: 3 file(s) do not match" in message
    assert "annotations/a.json: size 2 bytes" in message
    assert "images/Dataset/b.png: SHA-256" in message
    assert "images/Dataset/a.png: listed in the manifest but missing" in message


@pytest.mark.parametrize("bad_path", ["../outside.png", "images/../../x.png", "/etc/passwd", "C:/x.png"])
def test_path_leaving_the_folder_is_refused(make_backup, kit, bad_path: str) -> None:
    root = _backup(make_backup, kit)
    _edit_manifest(root, lambda m: m["files"].__setitem__(bad_path, {"size": 1, "sha256": "0" * 64}))
    with pytest.raises(FormatError, match=f"{bad_path}: path leaves the backup folder"):
        BackupReader().read(root)


def test_media_path_leaving_the_folder_is_refused(make_backup, kit) -> None:
    root = _backup(make_backup, kit)
    _edit_manifest(root, lambda m: m["media"].__setitem__("../v.mp4", {"id": "x", "kind": "video"}))
    with pytest.raises(FormatError, match=r"\.\./v\.mp4: path leaves the backup folder \('media' entry\)"):
        BackupReader().read(root)


def test_unsupported_manifest(make_backup, kit) -> None:
    root = _backup(make_backup, kit)
    _edit_manifest(root, lambda m: m.__setitem__("format_version", 2))
    with pytest.raises(FormatError, match="format_version 2 is not supported"):
        BackupReader().read(root)
    _edit_manifest(root, lambda m: m.__setitem__("format", "something-else"))
    with pytest.raises(FormatError, match="not an sc-importers backup manifest"):
        BackupReader().read(root)


def test_file_added_after_download_is_a_warning(make_backup, kit) -> None:
    root = _backup(make_backup, kit)
    (root / "annotations" / "b.json").write_text(json.dumps(kit.scene(([21], kit.rect(0, 0, 1, 1)))))
    dataset = BackupReader().read(root)
    (warning,) = dataset.problems
    assert warning.severity == "warning" and warning.file == "annotations/b.json"
    assert dataset.items[1].annotations[0].labels == ("bus",)


def test_sha256_streams_large_files(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"a" * (3 << 20))
    import hashlib

    assert sha256_of(path) == hashlib.sha256(b"a" * (3 << 20)).hexdigest()


def test_escapes() -> None:
    assert escapes("../a") and escapes("/a") and escapes("a/../../b") and escapes("a\\..\\b")
    assert not escapes("images/Dataset/a..b.png") and not escapes("annotations/a.json")
