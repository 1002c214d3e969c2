"""Video upload with the real videos of videos-moviepy-media: frame count, fps, size, duration read
from the file; frames as JPEG; the original bytes back; frame and whole-video annotations."""

from __future__ import annotations

import io

import pytest
from PIL import Image

# name -> (frame count, fps, width, height, duration in s), from the data set's SOURCE.txt
VIDEOS = {
    "big_buck_bunny_0_30.webm": (720, 24.0, 1280, 720, 30.0),
    "big_buck_bunny_432_433.webm": (24, 24.0, 1280, 720, 1.0),
    "chaplin.mp4": (241, 25.0, 640, 360, 9.64),
    "smpte-2997.mp4": (251, 25.0, 1920, 1080, 10.05),
}




@pytest.mark.parametrize("name", sorted(VIDEOS))
def test_video_upload_reads_frame_count_and_fps(api, shared, name) -> None:
    path = shared.datasets("videos-moviepy-media") / name
    frames, fps, width, height, duration = VIDEOS[name]
    project = api.create_project("detection")
    answer = api.upload(project, path.read_bytes(), filename=name, kind="videos")
    assert answer.status_code == 200, answer.text
    video = answer.json()
    info = video["media_information"]
    assert video["type"] == "video" and video["name"] == path.stem
    assert info["frame_count"] == frames
    assert info["fps"] == pytest.approx(fps)
    assert (info["width"], info["height"]) == (width, height)
    assert info["duration"] == pytest.approx(duration, abs=0.06)
    assert info["frame_stride"] == round(fps)
    listed = api.list_media(project, "videos")
    assert listed["media_count"] == {"videos": 1}
    assert listed["media"][0]["media_information"] == info

    base = f"{api.dataset_url(project)}/media/videos/{video['id']}"
    stream = api.session.get(f"{base}/display/stream", timeout=60)
    assert stream.status_code == 200 and stream.content == path.read_bytes()
    last = api.session.get(f"{base}/frames/{frames - 1}/display/full", timeout=60)
    assert last.status_code == 200 and last.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(last.content)).size == (width, height)
    beyond = api.session.get(f"{base}/frames/{frames}/display/full", timeout=60)
    assert beyond.status_code == 400 and str(frames) in beyond.json()["message"]


def test_frames_differ_and_thumbnails_are_small(api, shared) -> None:
    path = shared.datasets("videos-moviepy-media") / "chaplin.mp4"
    project = api.create_project("detection")
    video = api.upload(project, path.read_bytes(), filename=path.name, kind="videos").json()
    base = f"{api.dataset_url(project)}/media/videos/{video['id']}"
    first = api.session.get(f"{base}/frames/0/display/full", timeout=60).content
    later = api.session.get(f"{base}/frames/200/display/full", timeout=60).content
    assert first != later
    thumb = Image.open(io.BytesIO(api.session.get(f"{base}/display/thumb", timeout=60).content))
    assert max(thumb.size) <= 256


def test_video_frame_and_whole_video_annotations(api, h, shared) -> None:
    path = shared.datasets("videos-moviepy-media") / "big_buck_bunny_432_433.webm"
    project = api.create_project("detection")
    label = h.task_of(project)["labels"][0]
    video = api.upload(project, path.read_bytes(), filename=path.name, kind="videos").json()
    base = f"{api.dataset_url(project)}/media/videos/{video['id']}"
    assert api.session.get(f"{base}/frames/3/annotations/latest", timeout=30).status_code == 204
    for frame in (12, 3):
        answer = api.session.post(f"{base}/frames/{frame}/annotations",
                                  json={"annotations": [h.rectangle(label["id"], 0.2, 0.2, 0.3, 0.3)]}, timeout=30)
        assert answer.status_code == 200, answer.text
        scene = answer.json()
        assert scene["media_identifier"] == {"frame_index": frame, "type": "video_frame", "video_id": video["id"]}
        assert scene["annotations"][0]["labels"][0]["name"] == label["name"]
    latest = api.session.get(f"{base}/frames/3/annotations/latest", timeout=30).json()
    assert latest["annotations"][0]["shape"] == {"height": 0.3, "type": "RECTANGLE", "width": 0.3, "x": 0.2, "y": 0.2}
    whole = api.session.get(f"{base}/annotations/latest", timeout=30).json()
    assert [s["media_identifier"]["frame_index"] for s in whole["video_annotations"]] == [3, 12]
    assert whole["video_annotation_properties"]["total_count"] == 2
    state = api.list_media(project, "videos")["media"][0]["annotation_state_per_task"][0]["state"]
    assert state == "annotated"


def test_unannotated_video_reads_back_as_204(api, shared) -> None:
    path = shared.datasets("videos-moviepy-media") / "big_buck_bunny_432_433.webm"
    project = api.create_project("detection")
    video = api.upload(project, path.read_bytes(), filename=path.name, kind="videos").json()
    url = f"{api.dataset_url(project)}/media/videos/{video['id']}"
    answer = api.session.get(f"{url}/annotations/latest", timeout=30)
    assert answer.status_code == 204 and not answer.content
    assert api.session.post(f"{url}/frames/3/annotations", json={"annotations": []}, timeout=30).status_code == 200
    assert api.session.get(f"{url}/annotations/latest", timeout=30).status_code == 204
