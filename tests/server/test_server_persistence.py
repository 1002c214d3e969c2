"""Data survives a restart; deleting a project or a media item removes its files."""

from __future__ import annotations

import requests


def test_everything_survives_a_restart(fresh_sc_server, h, shared) -> None:
    api = h.make_api(fresh_sc_server)
    project = api.create_project("segmentation", labels=[{"name": "cube", "color": "#112233ff", "hotkey": "c"}])
    task = h.task_of(project)
    image = api.upload(project, h.jpeg_bytes(80, 60)).json()
    video_path = shared.datasets("videos-moviepy-media") / "big_buck_bunny_432_433.webm"
    video = api.upload(project, video_path.read_bytes(), filename=video_path.name, kind="videos").json()
    annotation_url = f"{api.dataset_url(project)}/media/images/{image['id']}/annotations"
    points = [{"x": 0.1, "y": 0.1}, {"x": 0.9, "y": 0.1}, {"x": 0.5, "y": 0.8}]
    polygon = {"labels": [{"id": task["labels"][0]["id"]}], "shape": {"type": "POLYGON", "points": points}}
    saved = api.session.post(annotation_url, json={"annotations": [polygon]}, timeout=30).json()
    config_url = f"{api.ws}/projects/{project['id']}/configuration/task_chain/{task['id']}"
    node = next(c for c in api.session.get(config_url, timeout=30).json()["components"]
                if c["entity_identifier"].get("component") == "TASK_NODE")
    off = {"components": [{"entity_identifier": node["entity_identifier"],
                           "parameters": [{"name": "auto_training", "value": False}]}]}
    assert api.session.post(config_url, json=off, timeout=30).json() == {"result": "success"}
    images_before = api.list_media(project)
    videos_before = api.list_media(project, "videos")

    fresh_sc_server.restart()

    # the session is stored server-side, so the old cookie still works after the restart
    assert api.session.get(f"{api.url}/api/v1.0/workspaces", timeout=30).json()[0]["id"] == api.workspace_id
    got = api.session.get(f"{api.ws}/projects/{project['id']}", timeout=30).json()
    assert got["pipeline"] == project["pipeline"]
    assert h.task_of(got)["labels"][0]["color"] == "#112233ff" and h.task_of(got)["labels"][0]["hotkey"] == "c"
    assert api.list_media(project) == images_before
    assert api.list_media(project, "videos") == videos_before
    assert api.session.get(f"{annotation_url}/latest", timeout=30).json() == saved
    full = api.session.get(f"{api.dataset_url(project)}/media/images/{image['id']}/display/full", timeout=30)
    assert full.content == h.jpeg_bytes(80, 60)
    stream = api.session.get(f"{api.dataset_url(project)}/media/videos/{video['id']}/display/stream", timeout=30)
    assert stream.content == video_path.read_bytes()
    node_after = next(c for c in api.session.get(config_url, timeout=30).json()["components"]
                      if c["entity_identifier"].get("component") == "TASK_NODE")
    assert node_after["parameters"][0]["value"] is False
    # and new work continues with ids that sort after the old ones
    newer = api.upload(project, h.jpeg_bytes(10, 10)).json()
    assert newer["id"] > image["id"]


def test_delete_project_removes_its_media_files(fresh_sc_server, h) -> None:
    api = h.make_api(fresh_sc_server)
    project = api.create_project("classification")
    keep = api.create_project("classification")
    for _ in range(3):
        assert api.upload(project, h.jpeg_bytes()).status_code == 200
    assert api.upload(keep, h.jpeg_bytes()).status_code == 200
    folder = fresh_sc_server.data_dir / "media" / project["id"]
    assert len(list(folder.iterdir())) == 3
    assert api.session.delete(f"{api.ws}/projects/{project['id']}", timeout=30).json() == {"result": "success"}
    assert not folder.exists()
    assert len(list((fresh_sc_server.data_dir / "media" / keep["id"]).iterdir())) == 1
    assert api.session.get(f"{api.ws}/projects/{project['id']}", timeout=30).status_code == 404
    names = [p["name"] for p in api.session.get(f"{api.ws}/projects/", timeout=30).json()["items"]]
    assert names == [keep["name"]]


def test_delete_media_removes_file_and_annotation(fresh_sc_server, h) -> None:
    api = h.make_api(fresh_sc_server)
    project = api.create_project("detection")
    image = api.upload(project, h.jpeg_bytes()).json()
    url = f"{api.dataset_url(project)}/media/images/{image['id']}"
    label = h.task_of(project)["labels"][0]["id"]
    assert api.session.post(f"{url}/annotations", json={"annotations": [h.rectangle(label)]},
                            timeout=30).status_code == 200
    assert api.session.delete(url, timeout=30).json() == {"result": "success"}
    assert list((fresh_sc_server.data_dir / "media" / project["id"]).iterdir()) == []
    assert api.session.get(url, timeout=30).status_code == 404
    assert api.list_media(project) == {"media": [], "media_count": {"images": 0}}


def test_restart_keeps_credentials_and_refuses_strangers(fresh_sc_server, h) -> None:
    fresh_sc_server.restart()
    assert requests.get(f"{fresh_sc_server.url}/api/v1.0/workspaces", timeout=30).status_code == 401
    api = h.make_api(fresh_sc_server)
    assert api.workspace_id
