"""The Geti 2.x dialect's media and annotations on sc-server, over real HTTP: one store seen
through both dialects (pixel shapes in Geti, normalized in SC 1.0), media:query paging with exact
totals, 204 for no annotation, the strict key sets geti-sdk 2.13 parses, video frames."""

from __future__ import annotations

import json

import pytest

#: Keys geti-sdk 2.13 accepts in scenes, annotations and scored labels (it raises on others).
SCENE_KEYS = {"annotations", "media_identifier", "kind", "id", "modified", "labels_to_revisit_full_scene",
              "annotation_state_per_task"}
ANNOTATION_KEYS = {"labels", "shape", "id", "modified", "labels_to_revisit"}
SCORED_LABEL_KEYS = {"probability", "name", "color", "id", "source"}
SOURCE_KEYS = {"user_id", "model_id", "model_storage_id"}


def _check_scene_keys(scene: dict) -> None:
    assert set(scene) <= SCENE_KEYS and {"annotations", "media_identifier"} <= set(scene)
    assert all(set(s) == {"task_id", "state"} for s in scene["annotation_state_per_task"])
    for ann in scene["annotations"]:
        assert set(ann) <= ANNOTATION_KEYS and {"labels", "shape"} <= set(ann)
        for label in ann["labels"]:
            assert set(label) <= SCORED_LABEL_KEYS and "probability" in label
            assert set(label["source"]) <= SOURCE_KEYS
        assert ann["shape"]["type"].isupper()


def _base(geti, media: dict) -> str:
    """Where geti-sdk sends per-media requests: display_url without /display/..."""
    return geti.absolute(media["media_information"]["display_url"].rsplit("/display/", 1)[0])


def test_sc_project_is_seen_by_geti_with_pixel_annotations(api, geti, h) -> None:
    project = api.create_project("detection")
    image = api.upload(project, h.jpeg_bytes(200, 100), filename="sc-made.jpg").json()
    cube = h.task_of(project)["labels"][0]
    url = f"{api.dataset_url(project)}/media/images/{image['id']}/annotations"
    posted = api.session.post(url, json={"annotations": [h.rectangle(cube["id"], 0.25, 0.5, 0.5, 0.25)]}, timeout=30)
    assert posted.status_code == 200, posted.text
    listed = geti.session.get(f"{geti.ws}/projects?limit=100", timeout=30).json()["projects"]
    assert project["id"] in [p["id"] for p in listed]
    seen = geti.session.get(f"{geti.ws}/projects/{project['id']}", timeout=30).json()
    assert {lb["name"]: lb["id"] for lb in seen["pipeline"]["tasks"][1]["labels"]}["cube"] == cube["id"]
    assert seen["datasets"][0]["id"] == project["datasets"][0]["id"]
    query = geti.session.post(f"{geti.dataset_url(seen)}/media:query", json={}, timeout=30).json()
    assert [m["id"] for m in query["media"]] == [image["id"]] and query["total_matched_images"] == 1
    media = query["media"][0]
    assert media["annotation_state_per_task"][0]["state"] == "annotated"
    scene = geti.session.get(f"{_base(geti, media)}/annotations/latest", timeout=30)
    assert scene.status_code == 200 and scene.headers["content-type"] == "application/json"
    _check_scene_keys(scene.json())
    assert scene.json()["annotations"][0]["shape"] == {"type": "RECTANGLE", "x": 50, "y": 50, "width": 100,
                                                       "height": 25}
    full = geti.session.get(geti.absolute(media["media_information"]["display_url"]), timeout=30)
    assert full.content == h.jpeg_bytes(200, 100)


def test_geti_project_is_seen_by_sc_with_normalized_annotations(api, geti, h) -> None:
    project = geti.create_project("segmentation", labels=[{"name": "road", "group": "g"}])
    answer = geti.upload(project, h.jpeg_bytes(400, 200), filename="geti-made.jpg")
    assert answer.status_code == 200, answer.text
    image = answer.json()
    assert image["media_information"]["display_url"].endswith("/display/full")
    road = [lb for lb in project["pipeline"]["tasks"][1]["labels"] if lb["name"] == "road"][0]
    polygon = {"type": "POLYGON", "points": [{"x": 40, "y": 20}, {"x": 200, "y": 20}, {"x": 200, "y": 100}]}
    body = {"annotations": [{"labels": [{"id": road["id"], "probability": 1.0, "name": "road"}], "shape": polygon}],
            "media_identifier": {"type": "image", "image_id": image["id"]}}
    posted = geti.session.post(f"{_base(geti, image)}/annotations", json=body, timeout=30)
    assert posted.status_code == 200, posted.text
    _check_scene_keys(posted.json())
    assert posted.json()["annotations"][0]["shape"] == polygon
    sc_projects = api.session.get(f"{api.ws}/projects", timeout=30).json()["items"]
    assert project["id"] in [p["id"] for p in sc_projects]
    sc_media = api.list_media({"id": project["id"], "datasets": project["datasets"]})["media"]
    assert [m["id"] for m in sc_media] == [image["id"]]
    sc_scene = api.session.get(f"{api.ws}/projects/{project['id']}/datasets/{project['datasets'][0]['id']}"
                               f"/media/images/{image['id']}/annotations/latest", timeout=30).json()
    points = sc_scene["annotations"][0]["shape"]["points"]
    assert points == [{"x": 0.1, "y": 0.1}, {"x": 0.5, "y": 0.1}, {"x": 0.5, "y": 0.5}]


def test_no_annotation_is_204_and_refusals_store_nothing(geti, h) -> None:
    project = geti.create_project()
    image = geti.upload(project, h.jpeg_bytes(64, 48)).json()
    base = _base(geti, image)
    empty = geti.session.get(f"{base}/annotations/latest", timeout=30)
    assert empty.status_code == 204 and empty.content == b""
    cube = project["pipeline"]["tasks"][1]["labels"][0]["id"]

    def post(body: dict):
        return geti.session.post(f"{base}/annotations", json=body, timeout=30)

    rect = {"type": "RECTANGLE", "x": 10, "y": 10, "width": 20, "height": 20}
    assert post({"annotations": [{"labels": [{"id": "ab" * 12}], "shape": rect}]}).status_code == 404
    out = {**rect, "width": 60}
    refused = post({"annotations": [{"labels": [{"id": cube}], "shape": out}]})
    assert refused.status_code == 400 and "out of bounds" in refused.json()["message"]
    ellipse = {"type": "ELLIPSE", "x": 1, "y": 1, "width": 5, "height": 5}
    assert post({"annotations": [{"labels": [{"id": cube}], "shape": ellipse}]}).status_code == 400
    assert post({"annotations": [], "kind": "annotation"}).status_code == 400  # root keys are strict
    assert post({}).status_code == 400
    assert geti.session.get(f"{base}/annotations/latest", timeout=30).status_code == 204
    assert post({"annotations": [{"labels": [{"id": cube}], "shape": rect}]}).status_code == 200
    assert post({"annotations": []}).status_code == 200  # an empty scene: "not annotated" again
    assert geti.session.get(f"{base}/annotations/latest", timeout=30).status_code == 204


def test_media_query_pages_with_exact_totals(fresh_geti, h) -> None:
    geti = fresh_geti
    project = geti.create_project()
    for index in range(5):
        assert geti.upload(project, h.jpeg_bytes(64, 48), filename=f"img{index}.jpg").status_code == 200
    url = f"{geti.dataset_url(project)}/media:query"
    rule = {"condition": "and", "rules": [{"field": "MEDIA_TYPE", "operator": "EQUAL", "value": "image"}]}
    names, page_sizes, next_url = [], [], f"{url}?limit=2"
    while next_url:
        page = geti.session.post(next_url, json=rule, timeout=30).json()
        assert page["total_matched_images"] == 5 and page["total_matched_videos"] == 0
        names += [m["name"] for m in page["media"]]
        page_sizes.append(len(page["media"]))
        next_url = geti.absolute(page["next_page"]) if "next_page" in page else None
    assert page_sizes == [2, 2, 1] and names == [f"img{i}" for i in range(5)]
    lower = {"condition": "and", "rules": [{"field": "media_type", "operator": "equal", "value": "VIDEO"}]}
    videos = geti.session.post(f"{url}?limit=100", json=lower, timeout=30).json()
    assert videos["media"] == [] and videos["total_matched_videos"] == 0 and "next_page" not in videos
    assert videos["total_images"] == 5
    desc = geti.session.post(f"{url}?sort_direction=dsc&limit=1000", json={}, timeout=30).json()
    assert [m["name"] for m in desc["media"]] == [f"img{i}" for i in reversed(range(5))]
    no_rules = geti.session.post(url, json={"condition": "and", "rules": []}, timeout=30)
    assert no_rules.status_code == 400 and no_rules.json()["error_code"] == "invalid_filter"
    missing = geti.session.post(url, timeout=30)
    assert missing.status_code == 400 and missing.json()["error_code"] == "missing_payload"
    assert geti.session.post(f"{url}?limit=1001", json={}, timeout=30).status_code == 400


def test_upload_refusals(geti, h) -> None:
    project = geti.create_project()
    gif = geti.upload(project, b"GIF89a", filename="x.gif")
    assert gif.status_code == 415 and gif.json()["error_code"] == "invalid_media"
    broken = geti.upload(project, b"not an image", filename="x.jpg")
    assert broken.status_code == 415 and broken.json()["error_code"] == "invalid_media"
    tiny = geti.upload(project, h.jpeg_bytes(16, 16), filename="tiny.jpg")
    assert tiny.status_code == 415 and "dimensions" in tiny.json()["message"]
    query = geti.session.post(f"{geti.dataset_url(project)}/media:query", json={}, timeout=30).json()
    assert query["total_images"] == 0


def test_video_frames_and_whole_video_annotations(geti, shared) -> None:
    path = shared.datasets("videos-moviepy-media") / "big_buck_bunny_432_433.webm"
    project = geti.create_project()
    answer = geti.upload(project, path.read_bytes(), filename=path.name, kind="videos")
    assert answer.status_code == 200, answer.text
    video = answer.json()
    info = video["media_information"]
    assert info["display_url"].endswith("/display/stream") and info["frame_count"] == 24
    assert info["frame_rate"] == pytest.approx(24.0) and info["frame_stride"] == 24 and info["duration"] == 1
    base = _base(geti, video)
    assert geti.session.get(f"{base}/annotations/latest", timeout=30).status_code == 204
    cube = project["pipeline"]["tasks"][1]["labels"][0]["id"]
    rect = {"type": "RECTANGLE", "x": 128, "y": 72, "width": 640, "height": 360}
    for frame in (3, 7):
        body = {"annotations": [{"labels": [{"id": cube}], "shape": rect}],
                "media_identifier": {"type": "video_frame", "video_id": video["id"], "frame_index": frame}}
        assert geti.session.post(f"{base}/frames/{frame}/annotations", json=body, timeout=30).status_code == 200
    assert geti.session.post(f"{base}/frames/24/annotations", json={"annotations": []}, timeout=30).status_code == 404
    whole = geti.session.get(f"{base}/annotations/latest", timeout=30).json()
    assert [s["media_identifier"]["frame_index"] for s in whole["video_annotations"]] == [3, 7]
    for scene in whole["video_annotations"]:
        _check_scene_keys(scene)
        assert scene["annotations"][0]["shape"] == rect
    frames = geti.session.post(f"{base}:query?limit=1", json={}, timeout=30).json()
    assert frames["video_frame_indices"] == [3] and frames["total_matched_video_frames"] == 2
    assert frames["video_frames"][0]["media_information"]["display_url"].endswith("/frames/3/display/full")
    rest = geti.session.post(geti.absolute(frames["next_page"]), json={}, timeout=30).json()
    assert rest["video_frame_indices"] == [7] and "next_page" not in rest
    ranged = geti.session.get(f"{base}/annotations/latest?start_frame=4&end_frame=23", timeout=30).json()
    assert [s["media_identifier"]["frame_index"] for s in ranged["video_annotations"]] == [7]
    frame = geti.session.get(f"{base}/frames/7/display/full", timeout=60)
    assert frame.status_code == 200 and frame.headers["content-type"] == "image/jpeg"
    stream = geti.session.get(geti.absolute(info["display_url"]), timeout=60)
    assert stream.content == path.read_bytes()
    query = geti.session.post(f"{geti.dataset_url(project)}/media:query", json={}, timeout=30).json()
    assert query["total_matched_videos"] == 1 and query["media"][0]["annotation_statistics"]["annotated"] == 2
    assert geti.session.delete(f"{base}", timeout=30).json() == {"result": "success"}
    assert geti.session.get(base, timeout=30).status_code == 404


def test_range_annotation_labels_every_skip_frame(api, geti, shared) -> None:
    path = shared.datasets("videos-moviepy-media") / "big_buck_bunny_432_433.webm"
    project = geti.create_project("classification", labels=[{"name": "day", "group": "time"},
                                                            {"name": "night", "group": "time"}])
    day, night = (lb["id"] for lb in project["pipeline"]["tasks"][1]["labels"][:2])
    video = geti.upload(project, path.read_bytes(), filename=path.name, kind="videos").json()
    url = f"{_base(geti, video)}/range_annotation"
    ranges = [{"start_frame": 0, "end_frame": 9, "label_ids": [day]},
              {"start_frame": 10, "end_frame": 23, "label_ids": [night]}]
    answer = geti.session.post(f"{url}?skip_frame=5", json={"range_labels": ranges}, timeout=60)
    assert answer.status_code == 200, answer.text
    assert geti.session.get(url, timeout=30).json() == {"video_id": video["id"], "range_labels": ranges}
    whole = geti.session.get(f"{_base(geti, video)}/annotations/latest", timeout=30).json()["video_annotations"]
    frames = {s["media_identifier"]["frame_index"]: s["annotations"][0] for s in whole}
    assert sorted(frames) == [0, 5, 10, 15, 20]
    assert [lb["id"] for lb in frames[5]["labels"]] == [day] and [lb["id"] for lb in frames[20]["labels"]] == [night]
    assert frames[0]["shape"] == {"type": "RECTANGLE", "x": 0, "y": 0, "width": 1280, "height": 720}
    overlap = [{"start_frame": 0, "end_frame": 10, "label_ids": [day]},
               {"start_frame": 10, "end_frame": 12, "label_ids": [night]}]
    assert geti.session.post(url, json={"range_labels": overlap}, timeout=30).status_code == 400
    sc_video = api.session.get(f"{api.ws}/projects/{project['id']}/datasets/{project['datasets'][0]['id']}"
                               f"/media/videos/{video['id']}/annotations/latest", timeout=30).json()
    assert len(sc_video["video_annotations"]) == 5
    labelled = geti.session.post(f"{geti.dataset_url(project)}/media/videos", data={"upload_info": json.dumps(
        {"label_ids": [night]})}, files={"file": (path.name, path.read_bytes())}, timeout=60).json()
    assert labelled["annotation_statistics"] == {"annotated": 1, "partially_annotated": 0, "unannotated": 23}
    detection = geti.create_project()
    other = geti.upload(detection, path.read_bytes(), filename=path.name, kind="videos").json()
    refused = geti.session.post(f"{_base(geti, other)}/range_annotation", json={"range_labels": []}, timeout=30)
    assert refused.status_code == 400


def test_label_combinations_geti_refuses(geti, h) -> None:
    chain = geti.session.post(f"{geti.ws}/projects", json={"name": "combos", "pipeline": {
        "tasks": [{"title": "Dataset", "task_type": "dataset"},
                  {"title": "Det", "task_type": "detection", "labels": [{"name": "animal", "group": "d"}]},
                  {"title": "Crop", "task_type": "crop"},
                  {"title": "Cls", "task_type": "classification",
                   "labels": [{"name": "dog", "group": "species"}, {"name": "cat", "group": "species"}]}],
        "connections": [{"from": "Dataset", "to": "Det"}, {"from": "Det", "to": "Crop"},
                        {"from": "Crop", "to": "Cls"}]}}, timeout=30).json()
    ids = {lb["name"]: lb["id"] for task in chain["pipeline"]["tasks"] for lb in task.get("labels", [])}
    image = geti.upload(chain, h.jpeg_bytes(100, 100)).json()
    url = f"{_base(geti, image)}/annotations"
    box = {"type": "RECTANGLE", "x": 10, "y": 10, "width": 30, "height": 30}

    def post(*annotations: dict):
        return geti.session.post(url, json={"annotations": list(annotations)}, timeout=30)

    both = post({"labels": [{"id": ids["animal"]}, {"id": ids["dog"]}, {"id": ids["cat"]}], "shape": box})
    assert both.status_code == 400 and both.json()["error_code"] == "conflicting_exclusive_labels"
    orphan = post({"labels": [{"id": ids["dog"]}], "shape": box})
    assert orphan.status_code == 400 and "preceding task" in orphan.json()["message"]
    full = {"type": "RECTANGLE", "x": 0, "y": 0, "width": 100, "height": 100}
    overlap = post({"labels": [{"id": ids["No object"]}], "shape": full}, {"labels": [{"id": ids["animal"]}],
                                                                           "shape": box})
    assert overlap.status_code == 400 and "empty box" in overlap.json()["message"]
    same_id = "8e3bd3a6-0d55-4b1f-a7a3-1d9f6e2b0c11"
    twice = post({"id": same_id, "labels": [{"id": ids["animal"]}], "shape": box},
                 {"id": same_id, "labels": [{"id": ids["animal"]}], "shape": full})
    assert twice.status_code == 400 and twice.json()["error_code"] == "duplicated_annotation_id"
    assert geti.session.get(f"{url}/latest", timeout=30).status_code == 204
    good = post({"labels": [{"id": ids["animal"]}, {"id": ids["dog"]}], "shape": box})
    assert good.status_code == 200, good.text
    assert geti.session.get(f"{url}/{good.json()['id']}", timeout=30).json() == good.json()
    assert geti.session.get(f"{url}/{'0' * 24}", timeout=30).status_code == 404


def test_upload_info_labels_a_classification_upload(geti, h) -> None:
    project = geti.create_project("classification", labels=[{"name": "ok", "group": "q"},
                                                            {"name": "bad", "group": "q"}])
    ok = project["pipeline"]["tasks"][1]["labels"][0]["id"]
    url = f"{geti.dataset_url(project)}/media/images"

    def upload(info: str):
        return geti.session.post(url, files={"file": ("x.jpg", h.jpeg_bytes(80, 60))}, data={"upload_info": info},
                                 timeout=60)

    answer = upload(f'{{"label_ids": ["{ok}"]}}')
    assert answer.status_code == 200, answer.text
    assert answer.json()["annotation_state_per_task"][0]["state"] == "annotated"
    scene = geti.session.get(f"{_base(geti, answer.json())}/annotations/latest", timeout=30).json()
    assert scene["annotations"][0]["shape"] == {"type": "RECTANGLE", "x": 0, "y": 0, "width": 80, "height": 60}
    assert [lb["id"] for lb in scene["annotations"][0]["labels"]] == [ok]
    assert upload('{"label_ids": ["' + "0" * 24 + '"]}').status_code == 404
    assert upload("not json").status_code == 400
    detection = geti.create_project()
    refused = geti.session.post(f"{geti.dataset_url(detection)}/media/images",
                                data={"upload_info": f'{{"label_ids": ["{ok}"]}}'},
                                files={"file": ("x.jpg", h.jpeg_bytes())}, timeout=60)
    assert refused.status_code == 400
    total = geti.session.post(f"{geti.dataset_url(project)}/media:query", json={}, timeout=30).json()["total_images"]
    assert total == 1  # refused uploads stored nothing


def test_labels_to_revisit_keep_the_project_labels(api, geti, h) -> None:
    project = geti.create_project()
    cube = project["pipeline"]["tasks"][1]["labels"][0]["id"]
    image = geti.upload(project, h.jpeg_bytes(64, 48)).json()
    rect = {"type": "RECTANGLE", "x": 1, "y": 1, "width": 20, "height": 20}
    body = {"annotations": [{"labels": [{"id": cube}], "shape": rect, "labels_to_revisit": [cube, "f" * 24]}],
            "labels_to_revisit_full_scene": [cube]}
    posted = geti.session.post(f"{_base(geti, image)}/annotations", json=body, timeout=30)
    assert posted.status_code == 200, posted.text
    scene = geti.session.get(f"{_base(geti, image)}/annotations/latest", timeout=30).json()
    assert scene["annotations"][0]["labels_to_revisit"] == [cube]  # an id of another project is left out
    assert scene["labels_to_revisit_full_scene"] == [cube]
    sc_scene = api.session.get(f"{api.ws}/projects/{project['id']}/datasets/{project['datasets'][0]['id']}"
                               f"/media/images/{image['id']}/annotations/latest", timeout=30).json()
    assert sc_scene["annotations"][0]["labels_to_revisit"] == [cube]
