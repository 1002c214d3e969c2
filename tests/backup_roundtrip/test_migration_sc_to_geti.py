"""Migration from SC 1.0 to Geti 2.x: projects made on one server's SC 1.0 dialect (a detection ->
classification chain with images and a video with annotated frames, a hierarchical classification)
are backed up with ``sc-export --all`` and restored onto a SECOND server through its Geti dialect
(``sc-import DIR --format backup --all --api geti --api-key ...``). The two servers are compared
through the neutral model (labels by name, media by name and bytes, annotations in pixels), so the
comparison does not trust the dialect code it checks; then ``sc-export --verify`` must call the
SC 1.0 backup and the Geti project identical."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import pytest

from sc_importers.model import Annotation, Dataset, Label, MediaItem, Polygon, Rectangle, RotatedRectangle
from sc_importers.plugins import format_readers
from sc_importers.project_types.base import BuildOptions
from sc_importers.rest.base import RemoteProject, ServerAPI
from sc_importers.synthetic import make_coco_dataset
from sc_importers.uploader import import_dataset

#: Geti answers whole pixels; SC 1.0 keeps the normalized floats, so a restored shape may move by this.
PIXELS = 0.5 + 1e-6


@pytest.fixture
def servers(tmp_path):
    """Two local servers: the old one spoken to as SC 1.0, the new one as Geti 2.x."""
    from sc_importers.server.testing import running_server

    with running_server(tmp_path / "old") as old, running_server(tmp_path / "new") as new:
        yield old, new


def _fill(api: ServerAPI, folder: Path, video: Path) -> list[str]:
    make_coco_dataset(folder, 6, ["dog", "cat"], seed=31, image_size=(160, 120), unannotated=1)
    coco = format_readers()["coco"].read(folder)
    chain = import_dataset(api, coco, "detection_to_classification", BuildOptions(chain_label="animal"), "chain",
                           workers=4, show_progress=False, iterations=4)
    assert chain.exit_code() == 0, chain.render()
    project = api.get_project(chain.project_id)
    clip = api.upload_media(project, video, "video")
    api.post_annotations(project, clip, [Annotation(("animal", "dog"), Rectangle(10.25, 20, 100, 80))], frame=0)
    api.post_annotations(project, clip, [Annotation(("animal", "cat"), Rectangle(300, 50, 200, 150)),
                                         Annotation(("animal", "dog"), Rectangle(1, 1, 40, 30))], frame=120)
    labels = [Label("animal", group="kingdom", hotkey="a", color="#123456ff"),
              Label("dog", group="species", parent="animal", hotkey="d"),
              Label("cat", group="species", parent="animal", hotkey="c")]
    items = [MediaItem(path=i.path, key=i.key, annotations=[Annotation(("animal", i.annotations[0].labels[0]))])
             for i in coco.items if i.annotations]
    hier = Dataset(name="hier", format="test", root=folder, labels=labels, items=items)
    report = import_dataset(api, hier, "classification", BuildOptions(), "hier", workers=4, show_progress=False)
    assert report.exit_code() == 0, report.render()
    return ["chain", "hier"]


def _labels(project: RemoteProject) -> dict[str, tuple]:
    """Non-empty labels by name: (task type, group, parent name, hotkey, color)."""
    names = {lb.id: lb.name for lb in project.labels}
    return {lb.name: (t.task_type, lb.group, names.get(lb.parent_id), lb.hotkey, lb.color.lower())
            for t in project.trainable_tasks for lb in t.labels if not lb.is_empty}


def _numbers(shape) -> tuple[float, ...]:
    if shape is None:
        return ()
    if isinstance(shape, Polygon):
        return tuple(v for p in shape.points for v in p)
    extra = (shape.angle,) if isinstance(shape, RotatedRectangle) else ()
    return (shape.x, shape.y, shape.width, shape.height, *extra)


def _content(api: ServerAPI, project: RemoteProject) -> dict:
    """(kind, name, SHA-256, frame) -> sorted (labels, shape type, pixel numbers), through the neutral model."""
    out: dict = {}
    for kind in ("image", "video"):
        for media in api.list_media(project, kind):
            target = Path(f"/tmp/.migrate-{media.id}")
            api.download_media(project, media, target)
            sha = hashlib.sha256(target.read_bytes()).hexdigest()
            target.unlink()
            scenes = ({None: api.get_annotation_scene(project, media)} if kind == "image" else
                      {s["media_identifier"]["frame_index"]: s for s in api.get_video_annotations(project, media)})
            for frame, scene in scenes.items():
                if scene:
                    anns = api.annotations_from_scene(project, media, scene)
                    out[(kind, media.name, sha, frame)] = sorted(
                        (tuple(sorted(a.labels)), type(a.shape).__name__, _numbers(a.shape)) for a in anns)
    return out


def _same_content(old: dict, new: dict) -> None:
    assert old.keys() == new.keys()
    for key, left in old.items():
        right = new[key]
        assert [(lb, t) for lb, t, _ in left] == [(lb, t) for lb, t, _ in right], key
        for (_, _, a), (_, _, b) in zip(left, right, strict=True):
            assert len(a) == len(b) and all(math.isclose(x, y, abs_tol=PIXELS) for x, y in zip(a, b, strict=True)), (
                key, a, b)


def _migrate(servers, tmp_path, shared, kit) -> tuple[list[str], ServerAPI, ServerAPI]:
    old_server, new_server = servers
    old_api, new_api = kit.open_api(old_server, "sc1"), kit.open_api(new_server, "geti")
    names = _fill(old_api, tmp_path / "coco", shared.datasets("videos-moviepy-media/chaplin.mp4"))
    exported = kit.cli_for(old_server, "sc1").sc_export("--all", "--target-folder", str(tmp_path / "backups"))
    assert exported.exit_code == 0, exported.output
    restored = kit.cli_for(new_server, "geti").sc_import(str(tmp_path / "backups"), "--format", "backup", "--all",
                                                         "--json")
    assert restored.exit_code == 0, restored.output
    return names, old_api, new_api


def test_sc1_projects_restore_onto_geti_with_everything_a_user_sees(servers, tmp_path, shared, kit):
    names, old_api, new_api = _migrate(servers, tmp_path, shared, kit)
    try:
        assert sorted(p.name for p in new_api.list_projects()) == sorted(names)
        for name in names:
            old, new = old_api.find_project(name), new_api.find_project(name)
            assert [t.task_type for t in new.tasks] == [t.task_type for t in old.tasks], name
            expected = _labels(old)
            if name == "chain":  # Geti makes the detection label the parent of a chain's top-level classes
                expected = {n: (t, g, p or ("animal" if t == "classification" else None), *rest)
                            for n, (t, g, p, *rest) in expected.items()}
            assert _labels(new) == expected, name
            before, after = _content(old_api, old), _content(new_api, new)
            assert before, name
            _same_content(before, after)
        chain = new_api.find_project("chain")
        assert [new_api.get_iterations(chain, t) for t in chain.trainable_tasks] == [4, 4]
        assert not any(new_api.get_auto_training(chain, t) for t in chain.trainable_tasks)
        (clip,) = new_api.list_media(chain, "video")
        assert sorted(s["media_identifier"]["frame_index"] for s in new_api.get_video_annotations(chain, clip)) == [
            0, 120]
    finally:
        old_api.close()
        new_api.close()


def test_verify_calls_the_sc1_backup_and_the_geti_project_identical(servers, tmp_path, shared, kit):
    names, old_api, new_api = _migrate(servers, tmp_path, shared, kit)
    old_api.close()
    new_api.close()
    geti = kit.cli_for(servers[1], "geti")
    stated = {}
    for name in names:
        verified = geti.sc_export("--verify", str(tmp_path / "backups" / name), name, "--json")
        assert verified.exit_code == 0 and json.loads(verified.output)["identical"], verified.output
        stated[name] = "\n".join(json.loads(verified.output)["not_comparable"])
    # every dialect difference is stated, not hidden: Geti's automatic chain parents, SC's project-level
    # parameters Geti 2.12+ cannot hold, Geti's parameters SC 1.0 never had, Geti's whole pixels
    chain = stated["chain"]
    for label in ("cat", "dog"):
        assert f"label {label!r}: parent is 'animal' on the server, None in the backup" in chain
    assert "project: active_manager.max_unseen_media (500 in the backup) has no counterpart" in chain
    assert "Detection task: dynamic_required_annotations (True on the server) has no counterpart" in chain
    assert "match only to within half a pixel" in chain
    assert ": min_images_per_label (" not in chain and ": iterations (" not in chain  # shared: compared
    text = geti.sc_export("--verify", str(tmp_path / "backups" / "chain"), "chain")
    assert text.exit_code == 0 and "identical on everything both dialects hold" in text.output
    assert "Not comparable (" in text.output and "parent is 'animal'" in text.output

    # a parameter both dialects hold, with another value, is a difference
    api = kit.open_api(servers[1], "geti")
    project = api.find_project("chain")
    api.set_iterations(project, project.trainable_tasks[1], 5)
    api.close()
    verified = geti.sc_export("--verify", str(tmp_path / "backups" / "chain"), "chain", "--json")
    answer = json.loads(verified.output)
    assert verified.exit_code == 1 and not answer["identical"]
    assert answer["differences"] == ["configuration: Classification task: iterations is 5 on the server, 4 in the "
                                     "backup"], verified.output
