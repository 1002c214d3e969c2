"""``sc-export --verify`` compares media by checksum: a media file whose bytes changed (another valid
image under the same name) is a difference, with and without a manifest; and one deliberate change of
each other kind at once (an annotation removed, a label's parent, a configuration value) gives one
line each."""

from __future__ import annotations

import json
import shutil

import pytest

#: Every test here runs against the SC 1.0 and the Geti 2.x dialect of the local server.
pytestmark = pytest.mark.both_dialects


@pytest.fixture
def backup(export_api, exporter, kit, tmp_path, unique):
    uploaded = kit.upload(export_api, f"verify-media-{unique}", "detection", ["car", "person"],
                          kit.box_items(tmp_path / "src", 3), iterations=5)
    result = exporter.run(uploaded.name, "--target-folder", str(tmp_path / "b"))
    assert result.exit_code == 0, result.output
    return uploaded, tmp_path / "b" / uploaded.name


def _differences(result) -> list[str]:
    assert result.exit_code == 1, result.output
    return [line.strip() for line in result.output.splitlines()[1:]
            if line.strip() and not line.startswith("View it in a browser: ")
            and not line.strip().startswith("note: ")]


@pytest.mark.parametrize("with_manifest", [True, False], ids=["manifest", "no-manifest"])
def test_changed_media_bytes(backup, exporter, kit, tmp_path, with_manifest):
    uploaded, folder = backup
    copy = tmp_path / "changed"
    shutil.copytree(folder, copy)
    (media,) = [rel for rel in kit.read_manifest(copy)["media"] if rel.endswith("/img0001.jpg")]
    kit.write_image(copy / media, seed=999)  # a valid JPEG, other pixels, same name
    if not with_manifest:
        (copy / "manifest.json").unlink()
    diffs = _differences(exporter.run("--verify", str(copy), uploaded.name))
    assert diffs and all(d.startswith("media: ") for d in diffs), diffs
    assert any("img0001" in d for d in diffs), diffs


@pytest.mark.not_geti3("it has no label parents and no per-project iterations")
def test_each_kind_of_change_is_its_own_line(backup, exporter, export_api, tmp_path):
    uploaded, folder = backup
    copy = tmp_path / "several"
    shutil.copytree(folder, copy)
    (copy / "manifest.json").unlink()  # the files are edited on purpose; compare content, not checksums
    scene_path = copy / "annotations" / "img0001.json"  # img0001 holds a car and a person
    scene = json.loads(scene_path.read_text())
    scene["annotations"] = scene["annotations"][:1]
    scene_path.write_text(json.dumps(scene))
    project = json.loads((copy / "project.json").read_text())
    labels = {lb["name"]: lb for t in project["pipeline"]["tasks"] for lb in t.get("labels", [])}
    labels["person"]["parent_id"] = "car"  # project.json names parents (geti-sdk's shape)
    (copy / "project.json").write_text(json.dumps(project))
    (task,) = uploaded.project.trainable_tasks
    export_api.set_iterations(uploaded.project, task, 8)

    diffs = _differences(exporter.run("--verify", str(copy), uploaded.name))
    assert len(diffs) == 3, diffs
    assert sum(d.startswith("annotations: annotations/img0001.json") for d in diffs) == 1, diffs
    assert sum(d.startswith("labels: ") and "'person'" in d and "parent" in d for d in diffs) == 1, diffs
    assert sum(d.startswith(f"configuration: {task.title}: ") and "8 on the server, 5 in the backup" in d
               for d in diffs) == 1, diffs


def test_files_not_in_the_manifest_are_differences(backup, exporter, kit, tmp_path):
    """A media file and an annotation file added after the backup (so not in manifest.json) would be
    restored as an extra media / extra annotations: --verify names both."""
    uploaded, folder = backup
    copy = tmp_path / "extra"
    shutil.copytree(folder, copy)
    (media,) = [rel for rel in kit.read_manifest(copy)["media"] if rel.endswith("/img0001.jpg")]
    extra = (copy / media).with_name("extra.jpg")
    shutil.copy(copy / media, extra)
    shutil.copy(copy / "annotations" / "img0001.json", copy / "annotations" / "extra.json")
    diffs = _differences(exporter.run("--verify", str(copy), uploaded.name))
    extra_rel = extra.relative_to(copy).as_posix()
    assert sorted(diffs) == sorted([
        f"media: {extra_rel} is in the folder but not listed in manifest.json (added after the backup; "
        "a restore refuses it)",
        "annotations: annotations/extra.json is in the folder but not listed in manifest.json (added after "
        "the backup; a restore refuses it)",
    ]), diffs
