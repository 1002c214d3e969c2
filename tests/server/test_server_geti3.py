"""``sc-server --dialect geti3`` over real HTTP(S): the Geti 3 API's status codes, bodies and validation
(facts: the API notes' geti-v3.md), checked with plain ``requests``, not with our client."""

from __future__ import annotations

import io
import uuid

import pytest
import requests
from PIL import Image

from sc_importers.model import Label


@pytest.fixture(scope="module")
def g3_server(tmp_path_factory):
    """A Geti 3 mode server over HTTPS (its default)."""
    from sc_importers.server.testing import running_server

    with running_server(tmp_path_factory.mktemp("geti3"), dialect="geti3", tls=True) as server:
        yield server


@pytest.fixture(scope="module")
def g3(g3_server):
    """The server's API base URL and a session trusting its certificate."""
    with requests.Session() as http:
        http.verify = str(g3_server.cert_path)
        http.trust_env = False  # REQUESTS_CA_BUNDLE would override the certificate given
        yield g3_server.url + "/api", http


def _png(size=(100, 80)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(out, "PNG")
    return out.getvalue()


def _project(g3, task_type="detection", exclusive=True, labels=("a", "b"), **extra) -> dict:
    api, http = g3
    body = {"name": f"p-{uuid.uuid4().hex[:6]}", "task": {"task_type": task_type, "exclusive_labels": exclusive,
                                                          "labels": [{"name": n} for n in labels]}, **extra}
    response = http.post(f"{api}/projects", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _upload(g3, project, name="x.PNG", data=None) -> requests.Response:
    api, http = g3
    return http.post(f"{api}/projects/{project['id']}/dataset/media", files={"file": (name, data or _png())})


def test_https_health_and_openapi(g3):
    api, http = g3
    assert api.startswith("https://")
    assert http.get(api.removesuffix("/api") + "/health").json() == {"status": "ok"}
    assert "/api/projects" in http.get(f"{api}/openapi.json").json()["paths"]


def test_projects_ids_conflicts_and_errors(g3):
    api, http = g3
    chosen = str(uuid.uuid4())
    project = _project(g3, id=chosen)
    assert project["id"] == chosen and project["task"]["task_type"] == "detection"
    assert all(lb["color"].startswith("#") and len(lb["color"]) == 7 for lb in project["task"]["labels"])
    again = http.post(f"{api}/projects", json={"name": "dup", "id": chosen, "task": {"task_type": "detection"}})
    assert again.status_code == 409 and "detail" in again.json()
    dup_labels = http.post(f"{api}/projects", json={"name": "d", "task": {"task_type": "detection",
                                                                          "labels": [{"name": "a"}, {"name": "a"}]}})
    assert dup_labels.status_code == 409
    alpha = http.post(f"{api}/projects", json={"name": "c", "task": {"task_type": "detection",
                                                                     "labels": [{"name": "a", "color": "#ff0000ff"}]}})
    assert alpha.status_code == 422 and isinstance(alpha.json()["detail"], list)
    chain = http.post(f"{api}/projects", json={"name": "s", "task": {"task_type": "segmentation"}})
    assert chain.status_code == 422  # no semantic segmentation in Geti 3
    bad = http.get(f"{api}/projects/not-a-uuid")
    assert bad.status_code == 400 and bad.json() == {"detail": "Invalid project_id: 'not-a-uuid' must be a valid UUID "
                                                               "format."}
    assert http.get(f"{api}/projects/{uuid.uuid4()}").status_code == 404
    assert any(p["id"] == chosen for p in http.get(f"{api}/projects").json())
    assert http.patch(f"{api}/projects/{chosen}", json={"name": "renamed"}).json()["name"] == "renamed"
    assert http.delete(f"{api}/projects/{chosen}").status_code == 204
    assert http.get(f"{api}/projects/{chosen}").status_code == 404


def test_media_upload_list_and_delete(g3):
    api, http = g3
    project = _project(g3)
    assert _upload(g3, project, "notes.txt", b"hello").status_code == 422
    assert _upload(g3, project, "broken.png", b"not an image").status_code == 422
    ids = [_upload(g3, project, f"img{i}.jpg" if i % 2 else f"img{i}.PNG").json()["id"] for i in range(5)]
    base = f"{api}/projects/{project['id']}/dataset/media"
    assert http.get(base, params={"limit": 101}).status_code == 422
    page = http.get(base, params={"limit": 2, "offset": 0, "sort_direction": "asc"}).json()
    assert page["pagination"] == {"limit": 2, "offset": 0, "total": 5, "count": 2}
    assert [m["id"] for m in page["items"]] == ids[:2]
    newest = http.get(base).json()["items"][0]
    assert newest["id"] == ids[-1] and newest["format"] == "png" and (newest["width"], newest["height"]) == (100, 80)
    assert http.get(f"{base}/{ids[0]}/binary").content == _png()
    assert http.delete(f"{base}/{ids[0]}").status_code == 204
    assert http.request("DELETE", base, json={"media_ids": [ids[1], str(uuid.uuid4())]}).status_code == 204
    assert http.get(base).json()["pagination"]["total"] == 3


def test_annotation_validation_per_task(g3):
    api, http = g3
    detection = _project(g3)
    media = _upload(g3, detection).json()
    path = f"{api}/projects/{detection['id']}/dataset/media/{media['id']}/annotations"
    a, _ = (lb["id"] for lb in detection["task"]["labels"])
    assert http.get(path).status_code == 404
    box = {"labels": [{"id": a}], "shape": {"type": "rectangle", "x": 1, "y": 2, "width": 50, "height": 70}}
    created = http.post(path, json={"annotations": [box], "subset": "training"})
    assert created.status_code == 201 and created.json()["annotations"][0]["confidences"] is None
    outside = {**box, "shape": {**box["shape"], "y": 20}}
    assert http.post(path, json={"annotations": [outside]}).status_code == 400
    half = {**box, "shape": {**box["shape"], "x": 1.5}}
    assert http.post(path, json={"annotations": [half]}).status_code == 422
    polygon = {"labels": [{"id": a}], "shape": {"type": "polygon", "points": [[1, 2], [3, 4], [5, 6]]}}
    assert http.post(path, json={"annotations": [polygon]}).status_code == 400  # detection holds rectangles
    assert http.post(path, json={"annotations": [box], "subset": "testing"}).status_code == 409
    assert http.post(path, json={"annotations": []}).json()["annotations"] == []  # "no objects"
    assert http.get(path).json()["annotations"] == []

    segmentation = _project(g3, "instance_segmentation")
    image = _upload(g3, segmentation).json()
    seg_path = f"{api}/projects/{segmentation['id']}/dataset/media/{image['id']}/annotations"
    polygon["labels"] = [{"id": segmentation["task"]["labels"][0]["id"]}]
    stored = http.post(seg_path, json={"annotations": [polygon]}).json()["annotations"][0]["shape"]
    assert stored["points"] == [{"x": 1, "y": 2}, {"x": 3, "y": 4}, {"x": 5, "y": 6}]  # pairs in, objects out

    multiclass = _project(g3, "classification", True, ("cat", "dog"))
    image = _upload(g3, multiclass).json()
    cls_path = f"{api}/projects/{multiclass['id']}/dataset/media/{image['id']}/annotations"
    assert http.post(cls_path, json={"annotations": []}).status_code == 400
    both = [{"labels": [{"id": lb["id"]} for lb in multiclass["task"]["labels"]], "shape": {"type": "full_image"}}]
    assert http.post(cls_path, json={"annotations": both}).status_code == 400
    stranger = [{"labels": [{"id": str(uuid.uuid4())}], "shape": {"type": "full_image"}}]
    assert "is not found in the project" in http.post(cls_path, json={"annotations": stranger}).json()["detail"]


def test_video_frames(g3, shared):
    api, http = g3
    project = _project(g3, "detection")
    with open(shared.datasets("videos-moviepy-media/chaplin.mp4"), "rb") as f:
        video = _upload(g3, project, "chaplin.mp4", f.read()).json()
    assert video["type"] == "video" and video["frame_count"] == 241 and video["fps"] > 0
    path = f"{api}/projects/{project['id']}/dataset/media/{video['id']}/annotations"
    box = {"labels": [{"id": project["task"]["labels"][0]["id"]}],
           "shape": {"type": "rectangle", "x": 1, "y": 2, "width": 50, "height": 70}}
    assert http.post(path, json={"annotations": [box]}).status_code == 400  # no frame index
    assert http.post(path, params={"frame_index": 0}, json={"annotations": [box]}).status_code == 400  # as Geti 3
    assert http.post(path, params={"frame_index": 241}, json={"annotations": [box]}).status_code == 400
    frame = http.post(path, params={"frame_index": 120}, json={"annotations": [box]})
    assert frame.status_code == 201 and frame.json()["media_id"] != video["id"]
    frames = http.get(f"{api}/projects/{project['id']}/dataset/media/{video['id']}/frames").json()
    assert [(f["frame_index"], f["media_id"]) for f in frames] == [(120, frame.json()["media_id"])]
    assert http.get(path, params={"frame_index": 7}).status_code == 404
    jpeg = http.get(f"{api}/projects/{project['id']}/dataset/media/{video['id']}/binary", params={"frame_index": 120})
    assert jpeg.headers["content-type"] == "image/jpeg"
    listed = http.get(f"{api}/projects/{project['id']}/dataset/media").json()
    assert [m["type"] for m in listed["items"]] == ["video"] and listed["items"][0]["annotated_frame_count"] == 1
    stats = http.get(f"{api}/projects/{project['id']}/dataset/statistics").json()
    assert stats["media_counts"] == {"images": 0, "videos": 1, "video_frames": 1}
    page = http.get(api.removesuffix("/api") + f"/viewer/projects/{project['id']}")
    assert page.status_code == 200 and "chaplin.mp4" in page.text and "1 annotated frame(s) of 241" in page.text


def test_client_detects_geti3_over_https_and_refuses_an_untrusted_certificate(g3_server, monkeypatch):
    from sc_importers.rest import ServerError, connect

    api = connect(g3_server.url, verify=str(g3_server.cert_path))  # no credentials, no --api: probed
    try:
        assert api.dialect == "geti-v3" and isinstance(api.list_projects(), list)
    finally:
        api.close()
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ServerError, match="(?i)certificate"):  # TLS verified by default: self-signed is refused
        connect(g3_server.url, api="geti3")


def test_resumable_upload_protocol(g3):
    import base64
    import hashlib

    api, http = g3
    project = _project(g3)
    data = _png((64, 48))
    assert http.options(f"{api}/uploads").headers["Tus-Version"] == "1.0.0"
    meta = "filename " + base64.b64encode(b"small.png").decode()
    assert http.post(f"{api}/uploads", headers={"Upload-Length": str(len(data))}).status_code == 412
    created = http.post(f"{api}/uploads", headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(len(data)),
                                                   "Upload-Metadata": meta})
    assert created.status_code == 201 and created.headers["Location"].startswith("/api/uploads/")
    url = api.removesuffix("/api") + created.headers["Location"]
    upload_id = created.headers["Location"].rsplit("/", 1)[1]
    tus = {"Tus-Resumable": "1.0.0", "Content-Type": "application/offset+octet-stream"}
    from_upload = f"{api}/projects/{project['id']}/dataset/media:from-upload"
    assert http.post(from_upload, json={"upload_id": upload_id}).status_code == 409  # not complete yet
    first = http.patch(url, data=data[:50], headers={**tus, "Upload-Offset": "0"})
    assert first.status_code == 204 and first.headers["Upload-Offset"] == "50"
    assert http.patch(url, data=data[50:], headers={**tus, "Upload-Offset": "0"}).status_code == 409
    wrong = base64.b64encode(hashlib.sha1(b"other").digest()).decode()
    assert http.patch(url, data=data[50:], headers={**tus, "Upload-Offset": "50",
                                                     "Upload-Checksum": f"sha1 {wrong}"}).status_code == 460
    assert http.head(url, headers={"Tus-Resumable": "1.0.0"}).headers["Upload-Offset"] == "50"
    right = base64.b64encode(hashlib.sha1(data[50:]).digest()).decode()
    assert http.patch(url, data=data[50:], headers={**tus, "Upload-Offset": "50",
                                                     "Upload-Checksum": f"sha1 {right}"}).status_code == 204
    media = http.post(from_upload, json={"upload_id": upload_id, "name": "renamed"})
    assert media.status_code == 201 and (media.json()["name"], media.json()["width"]) == ("renamed", 64)
    assert http.post(from_upload, json={"upload_id": upload_id}).status_code == 410  # used once
    assert http.get(f"{api}/projects/{project['id']}/dataset/media/{media.json()['id']}/binary").content == data


def test_client_uploads_large_media_resumably_and_continues_a_broken_upload(g3_server, shared):
    from sc_importers.rest import connect

    video = shared.datasets("videos-moviepy-media/chaplin.mp4")
    api = connect(g3_server.url, api="geti3", verify=str(g3_server.cert_path))
    try:
        from sc_importers.project_types.base import TaskPlan

        project = api.create_project(f"tus-{uuid.uuid4().hex[:6]}", [TaskPlan("Detection", "detection",
                                                                               [Label("car")])])
        api.resumable_threshold, api.tus.chunk_size = 1, 256 * 1024
        media = api.upload_media(project, video, "video")
        assert media.kind == "video" and media.frame_count == 241
        # a transfer that broke off after its first chunk: the next call asks the offset and continues
        upload = api.tus.create(video)
        api.session.request("PATCH", upload, body=lambda: video.read_bytes()[:1000], expect="any", headers={
            "Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
        assert api.tus.offset(upload) == 1000
        api.tus.resume(upload, video)
        assert api.tus.offset(upload) == video.stat().st_size
        target = g3_server.data_dir / "back.mp4"
        api.download_media(project, media, target)
        assert target.read_bytes() == video.read_bytes()
    finally:
        api.close()
