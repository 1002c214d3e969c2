"""``sc-import --resume`` against the real local sc-server: an import killed part-way is finished
without duplicating media or annotations, media uploaded without their annotations get them,
a complete project is left as it is, and projects that do not match are refused untouched."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from sc_importers.cli.import_cmd import build_command
from sc_importers.client import SCRESTClient
from sc_importers.model import Annotation, Dataset, Label, MediaItem, Polygon
from sc_importers.plugins import format_readers
from sc_importers.project_types.base import BuildOptions
from sc_importers.synthetic import make_coco_dataset
from sc_importers.uploader import import_dataset

IMAGES = 120

#: Every test here runs against the SC 1.0 and the Geti 2.x dialect of the local server.
pytestmark = pytest.mark.both_dialects


def _args(connection: list[str], folder: Path, name: str, *extra: str) -> list[str]:
    return [str(folder), "--format", "coco", "--type", "segmentation", "--project-name", name,
            *connection, *extra]


def _resume(connection: list[str], folder: Path, name: str, *extra: str) -> tuple[int, dict]:
    result = CliRunner().invoke(build_command(), _args(connection, folder, name, "--resume", "--json", *extra))
    assert result.stdout.strip(), result.output
    return result.exit_code, json.loads(result.stdout)


def _expected(flat, item: MediaItem) -> list:
    return [flat.expected(a, *item.size()) for a in item.annotations]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_import_is_finished_by_resume(connection, connection_env, api, view, flat, tmp_path, project_name):
    folder = tmp_path / "many"
    truth = make_coco_dataset(folder, IMAGES, ["dog", "cat"], seed=21, image_size=(640, 480), unannotated=6)
    env = {**os.environ, **connection_env}
    command = ["sc-import", str(folder), "--format", "coco", "--type", "segmentation",
               "--project-name", project_name, "--workers", "2"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        project = None
        while time.monotonic() < deadline and process.poll() is None:
            project = project or api.find_project(project_name)
            if project is not None and sum(1 for _ in api.list_media(project, "image")) >= 10:
                break
            time.sleep(0.01)
        assert process.poll() is None, "sc-import finished before it could be killed"
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    time.sleep(0.5)  # requests the server had fully received when the client died are committed

    before = {m.name: m for m in api.list_media(project, "image")}
    assert 10 <= len(before) < IMAGES
    by_name = {item.name: item for item in truth.items}
    had_scene = {name for name, m in before.items() if api.get_annotation_scene(project, m) is not None}
    lacking = {name for name in before if by_name[name].annotations and name not in had_scene}

    code, summary = _resume(connection, folder, project_name, "--workers", "4")
    assert code == 0, summary
    assert summary["resumed"] is True and summary["failed"] == [] and summary["items"] == IMAGES
    assert summary["media_already_there"] == len(before)
    assert summary["media_created"] == IMAGES - len(before)
    assert summary["existing_media_completed"] == len(lacking)
    total = sum(len(item.annotations) for item in truth.items)
    assert summary["annotations_created"] == total - sum(len(by_name[n].annotations) for n in had_scene)
    assert summary["media_on_server_not_in_dataset"] == 0

    # exactly one media per item (names compared as lists, so a duplicate shows), the earlier
    # uploads kept (same ids), and every image holds exactly its ground-truth annotations
    after = list(api.list_media(project, "image"))
    assert sorted(m.name for m in after) == sorted(by_name)
    assert {m.name: m.id for m in after if m.name in before} == {n: m.id for n, m in before.items()}
    view(project).check_images(truth.items, lambda item: _expected(flat, item))
    assert api.get_auto_training(project, project.trainable_tasks[0]) is False


def test_media_without_annotations_gets_them_and_is_not_uploaded_again(sc_server, dialect, api, view, flat,
                                                                          tmp_path, project_name):
    folder = tmp_path / "partial"
    truth = make_coco_dataset(folder, 8, ["dog", "cat"], seed=4, image_size=(240, 180), unannotated=2)
    dataset = format_readers()["coco"].read(folder)
    first = import_dataset(api, dataset, "segmentation", BuildOptions(), project_name, workers=2, limit=3)
    assert first.exit_code() == 0 and first.media_created == 3, first.render()
    project = api.get_project(first.project_id)
    # a run that died between a media and its annotations: media 4 (annotated) and the last one
    # (never annotated) are on the server without any annotation
    annotated, unannotated = dataset.items[3], dataset.items[-1]
    assert annotated.annotations and not unannotated.annotations
    bare = {item.name: api.upload_media(project, item.path, "image").id for item in (annotated, unannotated)}
    on_server = {m.name: m for m in api.list_media(project, "image")}
    assert len(on_server) == 5 and api.get_annotation_scene(project, on_server[annotated.name]) is None

    client = (SCRESTClient(sc_server.url, api_key=sc_server.api_key) if dialect == "geti"
              else SCRESTClient(sc_server.geti3().url) if dialect == "geti3"
              else SCRESTClient(sc_server.url, sc_server.username, sc_server.password))
    resumed = client.create_single_task_project_from_dataset(
        project_name, "segmentation", folder, dataset_format="coco", workers=3, resume=True,
        enable_auto_train=True, iterations=5)
    assert resumed.id == project.id

    images = {m.name: m for m in api.list_media(project, "image")}
    assert sorted(images) == sorted(item.name for item in truth.items)
    assert all(images[name].id == media_id for name, media_id in bare.items())
    view(project).check_images(truth.items, lambda item: _expected(flat, item))
    task = project.trainable_tasks[0]
    if dialect == "geti3":  # no auto-training, no per-project epochs in Geti 3
        assert api.get_auto_training(project, task) is False and api.get_iterations(project, task) is None
    else:
        assert api.get_auto_training(project, task) is True and api.get_iterations(project, task) == 5


def test_resume_of_a_complete_project_uploads_nothing(connection, api, view, flat, animals, project_name):
    folder, truth = animals
    done = CliRunner().invoke(build_command(), _args(connection, folder, project_name, "--workers", "4"))
    assert done.exit_code == 0, done.output
    project = api.find_project(project_name)
    ids = {m.name: m.id for m in api.list_media(project, "image")}
    scenes = {m.name: api.get_annotation_scene(project, m) for m in api.list_media(project, "image")}

    code, summary = _resume(connection, folder, project_name)
    assert code == 0, summary
    assert summary["media_created"] == 0 and summary["annotations_created"] == 0
    assert summary["media_already_there"] == len(truth.items) == summary["items"]
    assert summary["existing_media_completed"] == 0 and summary["failed"] == []
    assert {m.name: m.id for m in api.list_media(project, "image")} == ids
    assert {m.name: api.get_annotation_scene(project, m) for m in api.list_media(project, "image")} == scenes
    view(project).check_images(truth.items, lambda item: _expected(flat, item))

    human = CliRunner().invoke(build_command(), _args(connection, folder, project_name, "--resume"))
    assert human.exit_code == 0, human.output
    assert "media created:       0 of 15" in human.stdout
    assert "already there:       15 media" in human.stdout


def test_resume_refuses_a_missing_or_different_project(connection, api, animals, project_name, dialect):
    folder, _ = animals
    missing = CliRunner().invoke(build_command(), _args(connection, folder, project_name, "--resume"))
    assert missing.exit_code == 2
    assert "nothing to resume" in missing.stderr and project_name in missing.stderr
    assert api.find_project(project_name) is None, "a refused resume must not create the project"

    first = CliRunner().invoke(build_command(), _args(connection, folder, project_name, "--labels", "dog",
                                                      "--auto-train"))
    assert first.exit_code == 0, first.output
    project = api.find_project(project_name)
    task = project.trainable_tasks[0]
    ids = sorted(m.id for m in api.list_media(project, "image"))

    other_type = [str(folder), "--format", "coco", "--type", "detection", "--project-name", project_name,
                  "--resume", *connection]
    wrong_type = CliRunner().invoke(build_command(), other_type)
    assert wrong_type.exit_code == 2
    assert "not the project" in wrong_type.stderr and "segmentation" in wrong_type.stderr
    assert "detection" in wrong_type.stderr

    wrong_labels = CliRunner().invoke(build_command(), _args(connection, folder, project_name, "--resume"))
    assert wrong_labels.exit_code == 2
    assert "lacks label(s) 'cat'" in wrong_labels.stderr

    # nothing changed: the same media, auto-training still as the first import left it (Geti 3: never on)
    assert sorted(m.id for m in api.list_media(project, "image")) == ids
    assert api.get_auto_training(project, task) is (dialect != "geti3")


def test_same_named_files_are_told_apart_by_content_on_resume(api, tmp_path, project_name):
    """a/x.jpg and b/x.jpg are both "x" on the server. An interrupted run that uploaded only the
    later one (b) must, on --resume, upload a's bytes, not b's again: by name alone the first
    item in dataset order (a) was taken as uploaded, so a's picture never reached the server."""
    import hashlib

    files = {}
    for key, color in (("a/x.jpg", (200, 30, 30)), ("b/x.jpg", (30, 30, 200)), ("y.jpg", (0, 90, 0))):
        path = tmp_path / key  # a and b: the same pixel size, so only their bytes differ
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (48, 32), color).save(path)
        files[key] = path
    box = [Annotation(("thing",), Polygon(((1, 1), (20, 1), (20, 20))))]
    items = [MediaItem(path, key, annotations=list(box)) for key, path in files.items()]
    dataset = Dataset("twins", "test", tmp_path, labels=[Label("thing")], items=items)
    first = import_dataset(api, Dataset("twins", "test", tmp_path, labels=[Label("thing")], items=items[1:2]),
                           "segmentation", BuildOptions(), project_name, workers=1, show_progress=False)
    assert first.exit_code() == 0, first.render()  # the "interrupted" run: only b/x.jpg arrived

    done = import_dataset(api, dataset, "segmentation", BuildOptions(), project_name, workers=2,
                          show_progress=False, resume=True)

    assert done.exit_code() == 0, done.render()
    assert (done.media_created, done.media_already_there) == (2, 1)
    project = api.find_project(project_name)
    held = []
    for media in api.list_media(project, "image"):
        target = tmp_path / f"held-{media.id}"
        api.download_media(project, media, target)
        held.append(hashlib.sha256(target.read_bytes()).hexdigest())
    assert sorted(held) == sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in files.values())


def _frames_on_server(api, project, video) -> dict[int, str]:
    """Frame index -> annotation scene id (Geti 3: the frame's own media id) of every annotated frame."""
    return {s["media_identifier"]["frame_index"]: s.get("id") or s["media_identifier"]["media_id"]
            for s in api.get_video_annotations(project, video)}


def test_resumed_video_gets_only_its_missing_frames(api, shared, tmp_path, project_name, dialect):
    """A video uploaded with frame 0 annotated but frame 120 not (the run died in between) gets
    frame 120 on --resume; frame 0's scene stays the same one, the video is not uploaded again.
    Geti 3 cannot write frame 0 over REST, so there the first frame is frame 1."""
    first = 1 if dialect == "geti3" else 0
    video_path = shared.datasets("videos-moviepy-media/chaplin.mp4")
    image = tmp_path / "still.png"
    Image.new("RGB", (64, 48), (10, 200, 30)).save(image)
    frame0 = [Annotation(("thing",), Polygon(((10, 10), (200, 20), (100, 300))))]
    frame120 = [Annotation(("thing",), Polygon(((300, 50), (600, 60), (500, 340)))),
                Annotation(("thing",), Polygon(((1, 1), (50, 2), (30, 40))))]
    video_item = MediaItem(video_path, "chaplin.mp4", kind="video", frames={first: frame0, 120: frame120})
    image_item = MediaItem(image, "still.png", annotations=[Annotation(("thing",), Polygon(((1, 1), (30, 2),
                                                                                          (20, 40))))])
    dataset = Dataset(name="v", format="test", root=tmp_path, labels=[Label("thing")],
                      items=[video_item, image_item])
    created = import_dataset(api, dataset, "segmentation", BuildOptions(), project_name, workers=2, limit=0,
                             show_progress=False)
    assert created.exit_code() == 0 and created.media_created == 0, created.render()
    project = api.get_project(created.project_id)
    video = api.upload_media(project, video_path, "video")
    api.post_annotations(project, video, frame0, frame=first)
    before = _frames_on_server(api, project, video)
    assert set(before) == {first}

    report = import_dataset(api, dataset, "segmentation", BuildOptions(), project_name, workers=2,
                            show_progress=False, resume=True)
    assert report.exit_code() == 0, report.render()
    assert (report.media_created, report.media_already_there, report.completed_existing) == (1, 1, 1)
    assert report.annotations_created == len(frame120) + 1
    (video_record,) = [r for r in report.items if r.key == "chaplin.mp4"]
    assert video_record.resumed and video_record.media_id == video.id and video_record.frames_posted == 1

    (video_after,) = api.list_media(project, "video")
    assert video_after.id == video.id
    after = _frames_on_server(api, project, video)
    assert set(after) == {first, 120} and after[first] == before[first]
    assert len(api.get_annotation_scene(project, video, 120)["annotations"]) == len(frame120)
    assert [m.name for m in api.list_media(project, "image")] == ["still"]
