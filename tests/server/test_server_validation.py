"""Every refusal the issue lists: status code, SC error body keys, a message naming the problem,
and nothing stored afterwards."""

from __future__ import annotations

import pytest

ERROR_KEYS = {"error_code", "http_status", "message"}
MISSING_ID = "0123456789abcdef01234567"


def assert_error(answer, status: int, *words: str) -> dict:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == ERROR_KEYS and body["http_status"] == status
    for word in words:
        assert word in body["message"], body["message"]
    return body


@pytest.fixture
def annotated_setup(api, h):
    """A detection project with one uploaded image; returns (project, image id, annotations URL)."""
    project = api.create_project("detection")
    image = api.upload(project, h.jpeg_bytes()).json()
    url = f"{api.dataset_url(project)}/media/images/{image['id']}/annotations"
    return project, image["id"], url


def assert_not_annotated(api, url: str) -> None:
    assert api.session.get(f"{url}/latest", timeout=30).status_code == 204


def test_unknown_label_id(api, h, annotated_setup) -> None:
    _, _, url = annotated_setup
    assert_error(api.session.post(url, json={"annotations": [h.rectangle(MISSING_ID)]}, timeout=30), 400,
                 MISSING_ID, "does not exist")
    assert_not_annotated(api, url)


def test_label_of_another_project(api, h, annotated_setup) -> None:
    _, _, url = annotated_setup
    other = api.create_project("detection")
    foreign = h.task_of(other)["labels"][0]["id"]
    assert_error(api.session.post(url, json={"annotations": [h.rectangle(foreign)]}, timeout=30), 400, foreign)
    assert_not_annotated(api, url)


@pytest.mark.parametrize("shape", [
    {"type": "RECTANGLE", "x": 0.6, "y": 0.1, "width": 0.5, "height": 0.2},
    {"type": "RECTANGLE", "x": -0.1, "y": 0.1, "width": 0.5, "height": 0.2},
    {"type": "ELLIPSE", "x": 0.1, "y": 0.1, "width": 0.2, "height": 1.5},
    {"type": "POLYGON", "points": [{"x": 0.1, "y": 0.1}, {"x": 1.2, "y": 0.1}, {"x": 0.5, "y": 0.5}]},
    {"type": "ROTATED_RECTANGLE", "x": 1.5, "y": 0.5, "width": 0.2, "height": 0.2, "angle": 30},
    {"type": "RECTANGLE", "x": 10, "y": 20, "width": 30, "height": 40},
])
def test_shape_outside_unit_square(api, annotated_setup, shape) -> None:
    project, _, url = annotated_setup
    label = project["pipeline"]["tasks"][1]["labels"][0]["id"]
    body = {"annotations": [{"labels": [{"id": label}], "shape": shape}]}
    assert_error(api.session.post(url, json=body, timeout=30), 400, "outside [0, 1]", "annotation 0")
    assert_not_annotated(api, url)


def test_unknown_shape_type(api, annotated_setup) -> None:
    project, _, url = annotated_setup
    label = project["pipeline"]["tasks"][1]["labels"][0]["id"]
    body = {"annotations": [{"labels": [{"id": label}], "shape": {"type": "CIRCLE", "x": 0.5, "y": 0.5}}]}
    assert_error(api.session.post(url, json=body, timeout=30), 400, "CIRCLE")
    assert_not_annotated(api, url)


def test_annotation_for_missing_media(api, h, annotated_setup) -> None:
    project, _, _ = annotated_setup
    label = h.task_of(project)["labels"][0]["id"]
    url = f"{api.dataset_url(project)}/media/images/{MISSING_ID}/annotations"
    assert_error(api.session.post(url, json={"annotations": [h.rectangle(label)]}, timeout=30), 404, MISSING_ID)
    assert api.list_media(project)["media"][0]["annotation_state_per_task"][0]["state"] == "NONE"


def test_annotation_for_deleted_media(api, h, annotated_setup) -> None:
    project, image_id, url = annotated_setup
    label = h.task_of(project)["labels"][0]["id"]
    assert api.session.delete(f"{api.dataset_url(project)}/media/images/{image_id}", timeout=30).status_code == 200
    assert_error(api.session.post(url, json={"annotations": [h.rectangle(label)]}, timeout=30), 404, image_id)


def test_empty_label_mixed_with_other_label(api, h, annotated_setup) -> None:
    project, _, url = annotated_setup
    labels = h.task_of(project)["labels"]
    empty = next(lb for lb in labels if lb["is_empty"])
    other = next(lb for lb in labels if not lb["is_empty"])
    annotation = h.rectangle(other["id"], 0, 0, 1, 1)
    annotation["labels"].append({"id": empty["id"], "probability": 1.0})
    assert_error(api.session.post(url, json={"annotations": [annotation]}, timeout=30), 400, "empty label",
                 "No Object")
    assert_not_annotated(api, url)


def test_one_bad_annotation_stores_none_of_the_scene(api, h, annotated_setup) -> None:
    project, _, url = annotated_setup
    good = h.rectangle(h.task_of(project)["labels"][0]["id"])
    bad = h.rectangle(MISSING_ID)
    assert_error(api.session.post(url, json={"annotations": [good, bad]}, timeout=30), 400, "annotation 1")
    assert_not_annotated(api, url)


def test_undecodable_image(api) -> None:
    project = api.create_project("classification")
    answer = api.upload(project, b"this is not an image at all", filename="broken.jpg")
    assert_error(answer, 400, "broken.jpg", "not a decodable image")
    assert ".incoming" not in answer.text and ".upload-" not in answer.text  # no server-side temp path
    assert api.list_media(project)["media_count"] == {"images": 0}


def test_truncated_image(api, h) -> None:
    project = api.create_project("classification")
    answer = api.upload(project, h.jpeg_bytes()[:40], filename="cut.jpg")
    assert_error(answer, 400, "cut.jpg")
    assert api.list_media(project)["media"] == []


def test_undecodable_video(api) -> None:
    project = api.create_project("detection")
    answer = api.upload(project, b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 100, filename="bad.mp4", kind="videos")
    assert_error(answer, 400, "bad.mp4", "not a decodable video")
    assert ".incoming" not in answer.text and ".upload-" not in answer.text
    assert api.list_media(project, "videos")["media_count"] == {"videos": 0}


def test_image_uploaded_as_video_is_refused(api, h) -> None:
    project = api.create_project("detection")
    answer = api.upload(project, h.jpeg_bytes(), filename="still.jpg", kind="videos")
    assert answer.status_code == 400
    assert api.list_media(project, "videos")["media"] == []


def test_upload_without_file_field(api) -> None:
    project = api.create_project("detection")
    answer = api.session.post(f"{api.dataset_url(project)}/media/images", files={"image": ("a.jpg", b"x")},
                              timeout=30)
    assert_error(answer, 400, "file")
    assert api.list_media(project)["media"] == []


@pytest.mark.parametrize("bad_id", ["123", "zzzzzzzzzzzzzzzzzzzzzzzz", "0123456789ABCDEF01234567x"])
def test_malformed_ids(api, h, bad_id) -> None:
    project = api.create_project("detection")
    assert_error(api.session.get(f"{api.ws}/projects/{bad_id}", timeout=30), 400, "Invalid project id")
    assert_error(api.session.get(f"{api.dataset_url(project)}/media/images/{bad_id}", timeout=30), 400,
                 "Invalid image id")
    annotation = {"annotations": [h.rectangle(bad_id)]}
    image = api.upload(project, h.jpeg_bytes()).json()
    url = f"{api.dataset_url(project)}/media/images/{image['id']}/annotations"
    assert_error(api.session.post(url, json=annotation, timeout=30), 400, "malformed")
    assert_not_annotated(api, url)


def test_unknown_project_and_dataset(api) -> None:
    assert_error(api.session.get(f"{api.ws}/projects/{MISSING_ID}", timeout=30), 404, MISSING_ID)
    project = api.create_project("detection")
    url = f"{api.ws}/projects/{project['id']}/datasets/{MISSING_ID}/media/images"
    assert_error(api.session.get(url, timeout=30), 404, MISSING_ID)


@pytest.mark.parametrize("body, words", [
    ({"name": "", "pipeline": {}}, ("name",)),
    ({"name": "x-no-tasks", "pipeline": {"tasks": [], "connections": []}}, ("dataset",)),
    ({"name": "x-bad-type", "pipeline": {"connections": [{"from": "Dataset", "to": "T"}], "tasks": [
        {"title": "Dataset", "task_type": "dataset"}, {"title": "T", "task_type": "painting", "labels": []}]}},
     ("painting",)),
    ({"name": "x-no-crop", "pipeline": {"connections": [{"from": "Dataset", "to": "D"}, {"from": "D", "to": "C"}],
                                        "tasks": [{"title": "Dataset", "task_type": "dataset"},
                                                  {"title": "D", "task_type": "detection", "labels": [{"name": "a"}]},
                                                  {"title": "C", "task_type": "classification",
                                                   "labels": [{"name": "b"}]}]}}, ("crop",)),
    ({"name": "x-parent", "pipeline": {"connections": [{"from": "Dataset", "to": "C"}], "tasks": [
        {"title": "Dataset", "task_type": "dataset"},
        {"title": "C", "task_type": "classification", "labels": [{"name": "a", "parent_id": "nope"}]}]}},
     ("nope",)),
])
def test_invalid_project_bodies_create_nothing(api, body, words) -> None:
    before = api.session.get(f"{api.ws}/projects", timeout=30).json()["items"]
    assert_error(api.session.post(f"{api.ws}/projects", json=body, timeout=30), 400, *words)
    after = api.session.get(f"{api.ws}/projects", timeout=30).json()["items"]
    assert len(after) == len(before)


def test_invalid_configuration_value_changes_nothing(api, h) -> None:
    project = api.create_project("detection")
    task = h.task_of(project)
    url = f"{api.ws}/projects/{project['id']}/configuration/task_chain/{task['id']}"
    before = api.session.get(url, timeout=30).json()
    learning = before["components"][0]
    body = {"components": [{"entity_identifier": learning["entity_identifier"],
                            "parameters": [{"name": "batch_size", "value": 100000}]}]}
    assert_error(api.session.post(url, json=body, timeout=30), 400, "batch_size")
    assert api.session.get(url, timeout=30).json() == before


def test_unknown_root_key_in_annotation_body_is_refused(api, h, annotated_setup) -> None:
    """Root keys are annotations, media_identifier, modified, labels_to_revisit_full_scene (Geti's
    schema has additionalProperties false at the root; SC 1.0 recordings only send the first two)."""
    project, _, url = annotated_setup
    label = h.task_of(project)["labels"][0]["id"]
    body = {"annotations": [h.rectangle(label)], "kind": "annotation", "id": "x"}
    assert_error(api.session.post(url, json=body, timeout=30), 400, "'id'", "'kind'")
    assert_not_annotated(api, url)
    ok = {"annotations": [h.rectangle(label)], "media_identifier": {}, "labels_to_revisit_full_scene": [],
          "modified": "2022-01-01T00:00:00Z"}
    assert api.session.post(url, json=ok, timeout=30).status_code == 200


def test_empty_scene_reads_back_as_204(api, annotated_setup) -> None:
    """Geti: an empty scene is stored but GET latest answers 204, like no annotation at all."""
    _, _, url = annotated_setup
    assert api.session.post(url, json={"annotations": []}, timeout=30).status_code == 200
    assert_not_annotated(api, url)
