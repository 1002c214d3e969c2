"""End to end: the SC 1.0 client against the real local sc-server subprocess (no mocks)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from PIL import Image

from sc_importers.model import EMPTY_LABEL, Annotation, Ellipse, Label, Polygon, Rectangle
from sc_importers.project_types.base import TaskPlan
from sc_importers.rest import AuthenticationError, connect
from sc_importers.rest.sc_v1 import SCv1API


@pytest.fixture(scope="module")
def api(sc_server):
    client = connect(sc_server.url, sc_server.username, sc_server.password, workers=2)
    yield client
    client.close()


@pytest.fixture
def project(api):
    plan = TaskPlan("Detection task", "detection", [Label("cat", group="animals", color="#ff0000ff"),
                                                    Label("dog", group="animals", hotkey="d")])
    created = api.create_project(f"rest-e2e-{uuid.uuid4().hex[:8]}", [plan])
    yield created
    api.delete_project(created)


def write_image(path: Path, size=(64, 48), color=(200, 30, 30)) -> Path:
    Image.new("RGB", size, color).save(path)
    return path


def test_login_and_wrong_password(sc_server) -> None:
    client = connect(sc_server.url, sc_server.username, sc_server.password)
    assert isinstance(client, SCv1API) and client.dialect == "sc-v1"
    assert "product-version" in client.product_info()
    client.close()
    with pytest.raises(AuthenticationError) as info:
        connect(sc_server.url, sc_server.username, "wrong-" + sc_server.password)
    assert sc_server.username in str(info.value) and sc_server.password not in str(info.value)


def test_create_list_get_delete_project(api) -> None:
    name = f"rest-e2e-{uuid.uuid4().hex[:8]}"
    plans = [TaskPlan("Detection task", "detection", [Label("animal")]),
             TaskPlan("Classification task", "classification",
                      [Label("pet"), Label("cat", parent="pet", group="kind"),
                       Label("dog", parent="pet", group="kind")])]
    created = api.create_project(name, plans)
    assert [t.task_type for t in created.tasks] == ["dataset", "detection", "crop", "classification"]
    assert created.label_by_name("cat").parent_id == created.label_by_name("pet").id
    assert created.trainable_tasks[0].empty_label() is not None
    assert api.find_project(name).id == created.id
    fetched = api.get_project(created.id)
    assert [lb.name for lb in fetched.labels] == [lb.name for lb in created.labels]
    api.delete_project(created)
    assert api.find_project(name) is None


def test_upload_download_is_byte_identical(api, project, tmp_path) -> None:
    source = write_image(tmp_path / "red.png")
    media = api.upload_media(project, source, "image")
    assert (media.kind, media.width, media.height, media.name) == ("image", 64, 48, "red")
    target = tmp_path / "back.png"
    api.download_media(project, media, target)
    assert target.read_bytes() == source.read_bytes()
    assert [m.id for m in api.list_media(project, "image")] == [media.id]
    api.delete_media(project, media)
    assert list(api.list_media(project, "image")) == []


def test_annotations_round_trip(api, project, tmp_path) -> None:
    media = api.upload_media(project, write_image(tmp_path / "a.jpg", (640, 480)), "image")
    assert api.get_annotation_scene(project, media) is None
    sent = [Annotation(("cat",), Rectangle(10.5, 20.25, 100.0, 50.0)),
            Annotation(("dog",), Rectangle(300, 200, 33.3, 44.4))]
    answer = api.post_annotations(project, media, sent)
    assert len(answer["annotations"]) == 2
    scene = api.get_annotation_scene(project, media)
    back = api.annotations_from_scene(project, media, scene)
    assert [a.labels for a in back] == [("cat",), ("dog",)]
    for mine, theirs in zip(sent, back, strict=True):
        for field in ("x", "y", "width", "height"):
            assert abs(getattr(mine.shape, field) - getattr(theirs.shape, field)) < 1e-6
    # the empty label placeholder becomes the task's own empty label, whole image
    api.post_annotations(project, media, [Annotation((EMPTY_LABEL,))])
    empty = api.annotations_from_scene(project, media, api.get_annotation_scene(project, media))
    assert empty == [Annotation(("No Object",), None)]


def test_segmentation_shapes_round_trip(api, tmp_path) -> None:
    created = api.create_project(f"rest-e2e-seg-{uuid.uuid4().hex[:8]}",
                                 [TaskPlan("Segmentation task", "segmentation", [Label("blob")])])
    try:
        media = api.upload_media(created, write_image(tmp_path / "s.png", (200, 100)), "image")
        sent = [Annotation(("blob",), Polygon(((10, 10), (50.5, 12), (30, 60.25)))),
                Annotation(("blob",), Ellipse(100, 20, 40, 30))]
        api.post_annotations(created, media, sent)
        back = api.annotations_from_scene(created, media, api.get_annotation_scene(created, media))
        assert isinstance(back[0].shape, Polygon) and isinstance(back[1].shape, Ellipse)
        for (x1, y1), (x2, y2) in zip(sent[0].shape.points, back[0].shape.points, strict=True):
            assert abs(x1 - x2) < 1e-6 and abs(y1 - y2) < 1e-6
    finally:
        api.delete_project(created)


def test_configuration_round_trip(api, project) -> None:
    task = project.trainable_tasks[0]
    assert [t.title for t in api.get_settings(project).tasks] == [task.title]
    api.set_auto_training(project, task, False)
    assert api.get_auto_training(project, task) is False
    api.set_auto_training(project, task, True)
    assert api.get_auto_training(project, task) is True
    api.set_iterations(project, task, 7)
    assert api.get_iterations(project, task) == 7
    settings = api.get_settings(project)
    assert api.apply_settings(project, settings).changed == 0  # writing back what we read changes nothing
    assert settings.tasks[0].iterations == api.get_iterations(project, task) == 7


def test_media_pagination_over_several_pages(api, project, tmp_path) -> None:
    ids = {api.upload_media(project, write_image(tmp_path / f"p{i}.png", color=(i * 40, 0, 0)), "image").id
           for i in range(5)}
    small = SCv1API(api.session, api.workspace_id, media_page_size=2)
    listed = [m.id for m in small.list_media(project, "image")]
    assert sorted(listed) == sorted(ids) and len(listed) == 5


def test_session_expiry_logs_in_again(tmp_path) -> None:
    from sc_importers.server.testing import running_server

    with running_server(tmp_path / "ttl", extra_args=["--session-ttl", "1"]) as server:
        client = connect(server.url, server.username, server.password)
        assert client.list_projects() == []
        logins = client.session._generation  # 1, or 2 when a slow machine took over a second already
        time.sleep(1.5)
        assert client.list_projects() == []
        assert client.session._generation == logins + 1
        client.close()


def write_video(path: Path, frames: int = 6, size=(64, 48)) -> Path:
    import av
    import numpy as np

    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=5)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for i in range(frames):
            image = np.full((size[1], size[0], 3), i * 40, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def test_video_frame_annotations(api, project, tmp_path) -> None:
    source = write_video(tmp_path / "clip.mp4")
    video = api.upload_media(project, source, "video")
    assert (video.kind, video.width, video.height) == ("video", 64, 48) and video.frame_count == 6
    assert api.get_annotation_scene(project, video, frame=2) is None
    api.post_annotations(project, video, [Annotation(("cat",), Rectangle(4, 6, 20, 10))], frame=2)
    scene = api.get_annotation_scene(project, video, frame=2)
    assert scene["media_identifier"] == {"type": "video_frame", "video_id": video.id, "frame_index": 2}
    assert [s["media_identifier"]["frame_index"] for s in api.get_video_annotations(project, video)] == [2]
    target = tmp_path / "back.mp4"
    api.download_media(project, video, target)
    assert target.read_bytes() == source.read_bytes()
