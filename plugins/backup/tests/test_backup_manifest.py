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


def test_files_added_after_download_are_refused_all_named(make_backup, kit) -> None:
    """An unlisted media file would become an extra media of the restored project, an unlisted scene
    extra annotations: both refused, before anything is returned, in one message."""
    root = _backup(make_backup, kit)
    (root / "annotations" / "b.json").write_text(json.dumps(kit.scene(([21], kit.rect(0, 0, 1, 1)))))
    extra = root / "images" / "Dataset" / "extra.png"
    extra.write_bytes((root / "images" / "Dataset" / "a.png").read_bytes())
    (root / "videos" / "Dataset").mkdir(parents=True)
    (root / "videos" / "Dataset" / "notes.txt").write_text("not even a video")
    with pytest.raises(FormatError) as info:
        BackupReader().read(root)
    message = str(info.value)
    assert "3 file(s) in images/, videos/ or annotations/ are not listed in the manifest" in message
    for relative in ("annotations/b.json", "images/Dataset/extra.png", "videos/Dataset/notes.txt"):
        assert relative in message


def test_hidden_unlisted_files_only_warn(make_backup, kit) -> None:
    root = _backup(make_backup, kit)
    (root / "images" / "Dataset" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    dataset = BackupReader().read(root)
    (warning,) = dataset.problems
    assert warning.severity == "warning" and warning.file == "images/Dataset/.DS_Store"
    assert len(dataset.items) == 2


def test_without_manifest_added_files_are_read(make_backup, kit) -> None:
    """geti-sdk folders have no manifest: nothing to compare with, every file is read (as before)."""
    root = _backup(make_backup, kit)
    (root / "manifest.json").unlink()
    (root / "images" / "Dataset" / "extra.png").write_bytes((root / "images" / "Dataset" / "a.png").read_bytes())
    dataset = BackupReader().read(root)
    assert sorted(item.key for item in dataset.items) == [f"images/Dataset/{n}.png" for n in ("a", "b", "extra")]


def test_sha256_streams_large_files(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"a" * (3 << 20))
    import hashlib

    assert sha256_of(path) == hashlib.sha256(b"a" * (3 << 20)).hexdigest()


def test_escapes() -> None:
    assert escapes("../a") and escapes("/a") and escapes("a/../../b") and escapes("a\\..\\b")
    assert not escapes("images/Dataset/a..b.png") and not escapes("annotations/a.json")


def _rename_listed(root: Path, old: str, new: str, media_too: bool) -> None:
    """Rename a file and its manifest 'files' key (its checksum still matches); with ``media_too``
    its 'media' entry follows (key and name), as a tool re-writing the manifest would."""
    (root / old).rename(root / new)

    def change(manifest: dict) -> None:
        manifest["files"][new] = manifest["files"].pop(old)
        if media_too:
            entry = manifest["media"].pop(old)
            manifest["media"][new] = {**entry, "name": Path(new).stem}
    _edit_manifest(root, change)


def test_media_file_renamed_in_the_manifest_files_only_is_refused(make_backup, kit) -> None:
    """Before: images/Dataset/c.png was restored as media 'c' and exit 0; the 'media' entry still
    names a.png."""
    root = _backup(make_backup, kit)
    _rename_listed(root, "images/Dataset/a.png", "images/Dataset/c.png", media_too=False)
    with pytest.raises(FormatError) as info:
        BackupReader().read(root)
    message = str(info.value)
    assert "images/Dataset/c.png: a media file without an entry in the manifest's 'media'" in message
    assert "images/Dataset/a.png: has a manifest 'media' entry but is not among its files" in message


def test_media_entry_of_another_name_is_refused(make_backup, kit) -> None:
    root = _backup(make_backup, kit)
    _edit_manifest(root, lambda m: m["media"]["images/Dataset/b.png"].__setitem__("name", "zebra"))
    with pytest.raises(FormatError, match=r"images/Dataset/b\.png: the file name does not match its manifest "
                                          r"entry \(media 'zebra'"):
        BackupReader().read(root)


def test_annotation_file_left_behind_by_a_renamed_media_is_refused(make_backup, kit) -> None:
    """Before: annotations/a.json matched no media file any more, was a warning and was dropped
    (the restored image 'c' had no annotation, exit 0)."""
    root = _backup(make_backup, kit)
    _rename_listed(root, "images/Dataset/a.png", "images/Dataset/c.png", media_too=True)
    with pytest.raises(FormatError, match=r"annotations/a\.json: an annotation file of no media file"):
        BackupReader().read(root)


def test_sc_export_names_pass(make_backup, kit) -> None:
    """``<name>__<id>`` stems (media sharing a name) and video frame files fit their entries."""
    root = make_backup(kit.detection_project(), images={"a__m1.png": (20, 20)}, videos={"clip.mp4": 4},
                       scenes={"a__m1": kit.scene(([20], kit.rect(0, 0, 1, 1))),
                               "clip_frame_1": kit.scene(([20], kit.rect(0, 0, 1, 1)))})
    _edit_manifest(root, lambda m: m["media"].update({
        "images/Dataset/a__m1.png": {"id": "m1", "name": "a", "kind": "image"},
        "videos/Dataset/clip.mp4": {"id": "m2", "name": "clip", "kind": "video"}}))
    dataset = BackupReader().read(root)
    assert [p for p in dataset.problems if p.severity == "error"] == [] and len(dataset.items) == 2
