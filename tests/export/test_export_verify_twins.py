"""``sc-export --verify`` with interchangeable media: images of one name AND identical bytes that
differ only in their annotations. Matching them by (kind, name, SHA-256) alone compared the
annotations of the wrong one; now the old media ids pair them against the backed-up project, and
against another project (a restore) a pairing whose annotations agree is looked for."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest

from sc_importers.model import Annotation, MediaItem, Rectangle

#: Every test here runs against the SC 1.0 and the Geti 2.x dialect of the local server.
pytestmark = pytest.mark.both_dialects


@pytest.fixture
def twins(export_api, exporter, kit, tmp_path, unique):
    """Four images named ``twin.jpg`` with the same bytes: a car, a person, both, nothing."""
    source = kit.write_image(tmp_path / "src" / "twin.jpg", 4)
    shapes = [[("car",)], [("person",)], [("car",), ("person",)], []]
    items = []
    for index, labels in enumerate(shapes):
        path = tmp_path / "src" / f"d{index}" / "twin.jpg"
        path.parent.mkdir(parents=True)
        shutil.copy(source, path)
        items.append(MediaItem(path, f"d{index}/twin.jpg", width=160, height=120, annotations=[
            Annotation(label, Rectangle(10 + 30 * n, 10 + 20 * n, 25, 20)) for n, label in enumerate(labels)]))
    items.append(kit.box_items(tmp_path / "other", 1)[0])
    uploaded = kit.upload(export_api, f"twins-{unique}", "detection", ["car", "person"], items)
    result = exporter.run(uploaded.name, "--target-folder", str(tmp_path / "b"))
    assert result.exit_code == 0, result.output
    return uploaded, tmp_path / "b" / uploaded.name


def test_verify_right_after_export_is_identical(twins, exporter, kit):
    uploaded, folder = twins
    stems = [rel for rel in kit.read_manifest(folder)["media"] if "/twin__" in rel]
    assert len(stems) == 4
    for _ in range(3):  # whatever order the server and the manifest list them in
        verified = exporter.run("--verify", str(folder), uploaded.name)
        assert verified.exit_code == 0 and "identical" in verified.output, verified.output


def test_one_changed_twin_is_one_difference(twins, exporter, tmp_path):
    """Without a manifest (no ids): a pairing is still found for the three unchanged twins, and the
    changed one is the only difference reported."""
    uploaded, folder = twins
    copy = tmp_path / "changed"
    shutil.copytree(folder, copy)
    (copy / "manifest.json").unlink()
    both = next(p for p in (copy / "annotations").glob("twin__*.json")
                if len(json.loads(p.read_text())["annotations"]) == 2)
    scene = json.loads(both.read_text())
    scene["annotations"] = scene["annotations"][:1]
    both.write_text(json.dumps(scene))
    verified = exporter.run("--verify", str(copy), uploaded.name)
    assert verified.exit_code == 1, verified.output
    diffs = [line.strip() for line in verified.output.splitlines()[1:]
            if line.strip() and not line.startswith("View it in a browser: ")
             and not line.strip().startswith("note: ")]
    assert len(diffs) == 1 and diffs[0].startswith("annotations: ") and "twin" in diffs[0], diffs


def test_swapped_twin_annotations_are_a_difference_against_the_source(twins, exporter, tmp_path):
    """Against the backed-up project itself the media ids decide: annotation files swapped between
    two twins are wrong for both, even though some pairing would agree."""
    uploaded, folder = twins
    copy = tmp_path / "swapped"
    shutil.copytree(folder, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    files = sorted(p for p in (copy / "annotations").glob("twin__*.json"))[:2]
    first, second = files[0].read_bytes(), files[1].read_bytes()
    assert first != second
    files[0].write_bytes(second)
    files[1].write_bytes(first)
    for path in files:  # keep the manifest's checksums true: only the pairing is wrong
        manifest["files"][f"annotations/{path.name}"]["sha256"] = hashlib.sha256(
            path.read_bytes()).hexdigest()
        manifest["files"][f"annotations/{path.name}"]["size"] = path.stat().st_size
    (copy / "manifest.json").write_text(json.dumps(manifest))
    verified = exporter.run("--verify", str(copy), uploaded.name)
    assert verified.exit_code == 1, verified.output
    diffs = [line.strip() for line in verified.output.splitlines()[1:]
            if line.strip() and not line.startswith("View it in a browser: ")
             and not line.strip().startswith("note: ")]
    assert len(diffs) == 2 and all(d.startswith("annotations: annotations/twin__") for d in diffs), diffs
