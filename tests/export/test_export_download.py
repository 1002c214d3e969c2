"""``sc-export`` end to end over real HTTP against a local sc-server: projects created with the
uploader (and a real video with frame annotations), downloaded, and checked file by file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from sc_importers.model import Annotation, Polygon, Rectangle
from sc_importers.plugins import format_readers
from sc_importers.project_types.base import BuildOptions
from sc_importers.rest.saved_scenes import saved_project

#: Every test here runs against the SC 1.0 and the Geti 2.x dialect of the local server.
pytestmark = pytest.mark.both_dialects


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_manifest(folder: Path, manifest: dict) -> None:
    """The manifest lists exactly the folder's files (but itself) with their true size and SHA-256."""
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(manifest["files"]) == on_disk
    for relative, entry in manifest["files"].items():
        path = folder / relative
        assert entry == {"size": path.stat().st_size, "sha256": sha256(path)}, relative


def test_backup_of_a_mixed_project(export_api, exporter, kit, shared, tmp_path, unique, dialect):
    """Polygons, ellipses, an image without annotations, two images of one name, a video with
    annotated frames: every file, every checksum, stable names, and --verify says identical."""
    uploaded = kit.upload(export_api, f"mixed-{unique}", "segmentation", ["cat", "dog"],
                          kit.mixed_items(tmp_path / "src"))
    first = 1 if dialect == "geti3" else 0  # Geti 3 cannot write frame 0 over REST
    video = kit.add_video(export_api, uploaded, shared.datasets("videos-moviepy-media") / "chaplin.mp4", {
        first: [Annotation(("cat",), Polygon(((10, 10), (200, 20), (100, 300))))],
        120: [Annotation(("dog",), Polygon(((300, 50), (600, 60), (500, 340))))],
    })
    target = tmp_path / "backups"
    result = exporter.run(uploaded.name, "--target-folder", str(target), "--workers", "4")
    assert result.exit_code == 0, result.output
    folder = target / uploaded.name
    manifest = kit.read_manifest(folder)
    assert manifest["dialect"] == {"sc1": "sc-v1", "geti": "geti-v1", "geti3": "geti-v3"}[dialect]
    assert manifest["format"] == "sc-importers-backup"
    assert manifest["tool_version"] and manifest["project_name"] == uploaded.name
    check_manifest(folder, manifest)

    # media: one file per media, bytes identical to what was uploaded
    by_id = {info["id"]: relative for relative, info in manifest["media"].items()}
    assert set(by_id) == set(uploaded.sources)
    for media_id, source in uploaded.sources.items():
        assert (folder / by_id[media_id]).read_bytes() == source.read_bytes(), by_id[media_id]
    assert by_id[video.id].startswith("videos/") and by_id[video.id].endswith("/chaplin.mp4")
    assert manifest["media"][by_id[video.id]]["frame_count"] == 241

    # duplicate names: distinct stems name__id, everything else keeps its name
    stems = sorted(Path(p).stem for p in by_id.values())
    twins = [s for s in stems if s.startswith("twin")]
    assert len(twins) == 2 and len(set(twins)) == 2 and all(s.startswith("twin__") for s in twins)
    assert {s for s in stems if not s.startswith("twin")} == {"poly", "oval", "bare", "chaplin"}

    # annotation files exactly for the annotated images and frames
    expected = set()
    for media_id, frame in uploaded.annotated:
        stem = Path(by_id[media_id]).stem
        expected.add(f"annotations/{stem}.json" if frame is None else f"annotations/{stem}_frame_{frame}.json")
    assert {p.relative_to(folder).as_posix() for p in (folder / "annotations").iterdir()} == expected
    frame_scene = json.loads((folder / "annotations/chaplin_frame_120.json").read_text())
    saved = saved_project(json.loads((folder / "project.json").read_text()))
    labels = [lb for t in saved["pipeline"]["tasks"] for lb in t.get("labels", [])]
    if dialect == "geti3":  # a Geti 3 project.json as the server answered it
        names = {lb["id"]: lb["name"] for lb in labels}
        assert [names[lb["id"]] for a in frame_scene["annotations"] for lb in a["labels"]] == ["dog"]
    else:  # geti-sdk's shape (export/portable.py): no label ids in project.json, scene labels named
        assert labels and all("id" not in lb for lb in labels)
        assert [lb["name"] for a in frame_scene["annotations"] for lb in a["labels"]] == ["dog"]
        live = {lb.name: lb.id for lb in uploaded.project.labels}
        assert [lb["id"] for a in frame_scene["annotations"] for lb in a["labels"]] == [live["dog"]]
    oval = json.loads((folder / "annotations/oval.json").read_text())
    # Geti 3 has no ellipses: the uploader's stated mapping made it a polygon
    assert [a["shape"]["type"] for a in oval["annotations"]] == ["polygon" if dialect == "geti3" else "ELLIPSE"]

    # settings.json: the neutral settings, read through get_settings (restores and --verify use it);
    # configuration.json: the server's own GET /configuration body, for older tools (the 2022 client
    # posts its "global" and "task_chain" back); the local server has it in both SC 1.0 and Geti 2.x
    (task,) = uploaded.project.trainable_tasks
    settings = json.loads((folder / "settings.json").read_text())
    assert settings == export_api.get_settings(uploaded.project).to_json()
    if dialect == "geti3":  # no per-project configuration in Geti 3
        assert not (folder / "configuration.json").exists()
        assert settings["tasks"] == [] and settings["parameters"] == {}
    else:
        native = json.loads((folder / "configuration.json").read_text())
        assert [e["task_title"] for e in native["task_chain"]] == [task.title] and "global" in native
        assert "configuration.json" in manifest["files"]
        (saved_task,) = settings["tasks"]
        assert saved_task["title"] == task.title and isinstance(saved_task["parameters"]["iterations"], int)
        assert saved_task["parameters"]["auto_training"] is export_api.get_auto_training(uploaded.project, task)

    # a second download into a fresh folder names everything the same
    again = exporter.run(uploaded.name, "--target-folder", str(tmp_path / "again"))
    assert again.exit_code == 0, again.output
    assert set(kit.read_manifest(tmp_path / "again" / uploaded.name)["files"]) == set(manifest["files"])

    # a re-run into the same folder keeps every media file (nothing downloaded again)
    inodes = {rel: (folder / rel).stat().st_ino for rel in manifest["media"]}
    rerun = exporter.run(uploaded.name, "--target-folder", str(target), "--json")
    assert rerun.exit_code == 0, rerun.output
    (summary,) = json.loads(rerun.output)
    assert (summary["media_downloaded"], summary["media_kept"]) == (0, len(uploaded.sources))
    assert {rel: (folder / rel).stat().st_ino for rel in manifest["media"]} == inodes
    check_manifest(folder, kit.read_manifest(folder))

    verified = exporter.run("--verify", str(folder), uploaded.name)
    assert verified.exit_code == 0, verified.output
    assert "identical" in verified.output

    # the backup reader (sc-import --format backup) accepts the folder without a single problem
    dataset = format_readers()["backup"].read(folder)
    assert dataset.problems == []
    assert len(dataset.items) == len(uploaded.sources)
    (clip,) = [item for item in dataset.items if item.kind == "video"]
    assert sorted(clip.frames) == [first, 120]


@pytest.mark.not_geti3("it exports a task chain; Geti 3 has one task per project (chains: tests/migration)")
def test_all_writes_one_folder_per_project(export_api, exporter, kit, tmp_path, unique):
    """``--all``: a detection project and a detection->segmentation chain (and whatever other tests
    left on the server) each get a complete folder that verifies as identical."""
    boxes = kit.upload(export_api, f"boxes-{unique}", "detection", ["car", "person"],
                       kit.box_items(tmp_path / "boxes", 6), iterations=4)
    chain_items = kit.box_items(tmp_path / "chain", 4)
    for item in chain_items:
        item.annotations.append(Annotation(("wheel",), Polygon(((10, 10), (30, 12), (20, 30)))))
    chain = kit.upload(export_api, f"chain-{unique}", "detection_to_segmentation", ["car", "person", "wheel"],
                       chain_items, BuildOptions(chain_label="vehicle"))
    target = tmp_path / "all"
    result = exporter.run("--all", "--target-folder", str(target), "--json")
    assert result.exit_code == 0, result.output
    summary = {r["project"]: r for r in json.loads(result.output)}
    names = {p.name for p in export_api.list_projects()}
    assert set(summary) == names
    assert {p.name for p in target.iterdir()} >= {boxes.name, chain.name}
    for uploaded in (boxes, chain):
        folder = target / uploaded.name
        manifest = kit.read_manifest(folder)
        check_manifest(folder, manifest)
        assert len(manifest["media"]) == len(uploaded.sources)
        annotation_files = [f for f in manifest["files"] if f.startswith("annotations/")]
        assert len(annotation_files) == len(uploaded.sources)
        project = json.loads((folder / "project.json").read_text())
        assert [t["task_type"] for t in project["pipeline"]["tasks"]] == (
            ["dataset", "detection"] if uploaded is boxes else ["dataset", "detection", "crop", "segmentation"])
        settings = json.loads((folder / "settings.json").read_text())
        assert [t["title"] for t in settings["tasks"]] == [t.title for t in uploaded.project.trainable_tasks]
        verified = exporter.run("--verify", str(folder), uploaded.name)
        assert verified.exit_code == 0 and "identical" in verified.output, verified.output


def test_bad_input_is_refused_clearly(export_api, exporter, kit, tmp_path, unique):
    missing = exporter.run(f"no-such-project-{unique}", "--target-folder", str(tmp_path / "out"))
    assert missing.exit_code == 2  # refused before anything was written
    assert f"no-such-project-{unique}" in missing.output and "no project named" in missing.output
    assert not (tmp_path / "out" / f"no-such-project-{unique}").exists()

    empty = tmp_path / "empty"
    empty.mkdir()
    not_backup = exporter.run("--verify", str(empty))
    assert not_backup.exit_code != 0
    assert "project.json" in not_backup.output and str(empty) in not_backup.output

    boxes = kit.upload(export_api, f"bad-{unique}", "detection", ["car", "person"],
                       kit.box_items(tmp_path / "src", 2))
    assert exporter.run(boxes.name, "--target-folder", str(tmp_path / "b")).exit_code == 0
    unknown = exporter.run("--verify", str(tmp_path / "b" / boxes.name), f"gone-{unique}")
    assert unknown.exit_code != 0 and f"gone-{unique}" in unknown.output

    neither = exporter.run("--target-folder", str(tmp_path))
    assert neither.exit_code == 2 and "--all" in neither.output


def test_rectangles_survive_byte_for_byte(export_api, exporter, kit, tmp_path, unique):
    """The saved scene is the server's own answer (same shapes and coordinates as a fresh GET), each label
    with its name and colour added (what geti-sdk's annotation reader needs; Geti 3 scenes are as answered)."""
    boxes = kit.upload(export_api, f"rect-{unique}", "detection", ["car", "person"],
                       kit.box_items(tmp_path / "src", 3))
    assert exporter.run(boxes.name, "--target-folder", str(tmp_path / "b")).exit_code == 0
    folder = tmp_path / "b" / boxes.name
    manifest = kit.read_manifest(folder)
    for relative, info in manifest["media"].items():
        media = next(m for m in export_api.list_media(boxes.project, "image") if m.id == info["id"])
        live = export_api.get_annotation_scene(boxes.project, media)
        saved = json.loads((folder / "annotations" / f"{Path(relative).stem}.json").read_text())
        named = {lb.id: lb for lb in boxes.project.labels}
        for annotation in live["annotations"] if export_api.dialect != "geti-v3" else []:
            for label in annotation["labels"]:
                label.update(name=named[label["id"]].name, color=named[label["id"]].color)
        assert saved == live
        assert all(a["shape"]["type"].upper() == "RECTANGLE" for a in saved["annotations"])
    assert Rectangle  # rectangles came from box_items
