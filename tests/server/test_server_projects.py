"""Projects as SC 1.0 builds them (empty labels, groups, hierarchies, task chains, anomaly labels),
media pagination, annotation round trips for every shape, configuration, and concurrent uploads."""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

ID = re.compile(r"^[0-9a-f]{24}$")
COLOR = re.compile(r"^#[0-9a-f]{6}ff$")


def _chain_body(name: str) -> dict:
    return {"name": name, "pipeline": {
        "connections": [{"from": "Dataset", "to": "Detection task"}, {"from": "Detection task", "to": "Crop task"},
                        {"from": "Crop task", "to": "Classification task"}],
        "tasks": [{"title": "Dataset", "task_type": "dataset"},
                  {"title": "Detection task", "task_type": "detection", "labels": [{"name": "animal"}]},
                  {"title": "Crop task", "task_type": "crop"},
                  {"title": "Classification task", "task_type": "classification",
                   "labels": [{"name": "dog", "group": "species"}, {"name": "cat", "group": "species"}]}]}}


def test_detection_project_gets_ids_colors_and_no_object_label(api, h) -> None:
    project = api.create_project("detection", labels=[{"name": "cube", "group": "detection task label group"},
                                                      {"name": "cylinder", "hotkey": "ctrl+1"}])
    assert ID.match(project["id"]) and ID.match(project["datasets"][0]["id"])
    assert project["thumbnail"] == f"/api/v1.0/workspaces/{api.workspace_id}/projects/{project['id']}/thumbnail"
    task = h.task_of(project)
    assert ID.match(task["label_schema_id"])
    names = [(lb["name"], lb["group"], lb["is_empty"]) for lb in task["labels"]]
    assert names == [("cube", "detection task label group", False), ("cylinder", "default - Detection task", False),
                     ("No Object", "No Object", True)]
    assert all(COLOR.match(lb["color"]) for lb in task["labels"])
    assert task["labels"][1]["hotkey"] == "ctrl+1"
    assert project["pipeline"]["connections"] == [{"from": project["pipeline"]["tasks"][0]["id"], "to": task["id"]}]
    listed = {p["id"]: p for p in api.session.get(f"{api.ws}/projects", timeout=30).json()["items"]}
    assert listed[project["id"]]["pipeline"] == project["pipeline"]


@pytest.mark.parametrize("task_type, empty", [("segmentation", "Empty"), ("classification", None)])
def test_empty_label_per_task_type(api, h, task_type, empty) -> None:
    labels = h.task_of(api.create_project(task_type))["labels"]
    assert [lb["name"] for lb in labels if lb["is_empty"]] == ([empty] if empty else [])


def test_hierarchy_resolves_parent_names_to_ids(api, h) -> None:
    project = api.create_project("classification", labels=[
        {"name": "vehicle"}, {"name": "car", "parent_id": "vehicle", "group": "vehicle type"},
        {"name": "taxi", "parent_id": "vehicle", "group": "vehicle type"}])
    labels = {lb["name"]: lb for lb in h.task_of(project)["labels"]}
    assert labels["vehicle"]["parent_id"] is None
    assert labels["car"]["parent_id"] == labels["taxi"]["parent_id"] == labels["vehicle"]["id"]


def test_task_chain_with_crop(api) -> None:
    answer = api.session.post(f"{api.ws}/projects", json=_chain_body(f"chain-{uuid.uuid4().hex[:8]}"), timeout=30)
    assert answer.status_code == 201, answer.text
    tasks = answer.json()["pipeline"]["tasks"]
    assert [t["task_type"] for t in tasks] == ["dataset", "detection", "crop", "classification"]
    assert "labels" not in tasks[2]
    assert [lb["name"] for lb in tasks[1]["labels"]] == ["animal", "No Object"]
    connections = answer.json()["pipeline"]["connections"]
    expected = [(a["id"], b["id"]) for a, b in zip(tasks, tasks[1:], strict=False)]
    assert [(c["from"], c["to"]) for c in connections] == expected
    status = api.session.get(f"{api.ws}/projects/{answer.json()['id']}/status", timeout=30).json()
    assert [t["title"] for t in status["tasks"]] == ["Detection task", "Classification task"]
    config = api.session.get(f"{api.ws}/projects/{answer.json()['id']}/configuration", timeout=30).json()
    assert [t["task_id"] for t in config["task_chain"]] == [tasks[1]["id"], tasks[3]["id"]]


def test_anomaly_project_gets_normal_and_anomalous(api, h) -> None:
    labels = h.task_of(api.create_project("anomaly_classification", labels=[]))["labels"]
    assert [lb["name"] for lb in labels] == ["Normal", "Anomalous"]


def test_duplicate_project_name_is_refused(api) -> None:
    name = f"dup-{uuid.uuid4().hex[:8]}"
    api.create_project("detection", name=name)
    answer = api.session.post(f"{api.ws}/projects", json=_chain_body(name), timeout=30)
    assert answer.status_code == 409 and name in answer.json()["message"]


def test_pagination_with_top_and_skiptoken(api, h) -> None:
    project = api.create_project("classification")
    ids = [api.upload(project, h.jpeg_bytes(), filename=f"i{i}.jpg").json()["id"] for i in range(5)]
    url = f"{api.dataset_url(project)}/media/images?top=2"
    seen, pages = [], 0
    while url:
        page = api.session.get(url if url.startswith("http") else api.url + url, timeout=30).json()
        assert page["media_count"] == {"images": 5}
        seen += [m["id"] for m in page["media"]]
        url = page.get("next_page")
        pages += 1
    assert seen == ids and pages == 4  # 2 + 2 + 1, then an empty page without next_page
    bad = api.session.get(f"{api.dataset_url(project)}/media/images?top=zero", timeout=30)
    assert bad.status_code == 400


def test_every_shape_round_trips(api, h) -> None:
    project = api.create_project("detection")
    label = h.task_of(project)["labels"][0]
    image = api.upload(project, h.jpeg_bytes()).json()
    shapes = [{"type": "RECTANGLE", "x": 0.0, "y": 0.0, "width": 1.0, "height": 1.0},
              {"type": "ELLIPSE", "x": 0.2, "y": 0.3, "width": 0.4, "height": 0.5},
              {"type": "POLYGON", "points": [{"x": 0.1, "y": 0.2}, {"x": 0.5, "y": 0.9}, {"x": 0.9, "y": 0.2}]},
              {"type": "ROTATED_RECTANGLE", "x": 0.5, "y": 0.5, "width": 0.2, "height": 0.4, "angle": 45.0}]
    body = {"annotations": [{"labels": [{"id": label["id"], "probability": 1.0}] * 2, "shape": s} for s in shapes]}
    url = f"{api.dataset_url(project)}/media/images/{image['id']}/annotations"
    saved = api.session.post(url, json=body, timeout=30).json()
    assert saved["kind"] == "annotation" and ID.match(saved["id"])
    assert saved["annotation_state_per_task"] == [{"state": "annotated", "task_id": h.task_of(project)["id"]}]
    got = api.session.get(f"{url}/latest", timeout=30).json()
    assert got == saved
    for sent, answered in zip(shapes, got["annotations"], strict=True):
        assert answered["shape"] == sent
        assert answered["labels"] == [{"color": label["color"], "id": label["id"], "name": label["name"],
                                       "probability": 1.0, "source": {"id": "N/A", "type": "N/A"}}]


def test_configuration_learning_parameters_and_global(api, h) -> None:
    project = api.create_project("detection")
    task = h.task_of(project)
    url = f"{api.ws}/projects/{project['id']}/configuration"
    config = api.session.get(url, timeout=30).json()
    learning = config["task_chain"][0]["components"][0]
    assert {p["name"] for p in learning["parameters"]} >= {"batch_size", "learning_rate", "num_iters"}
    body = {"global": [{"entity_identifier": config["global"][0]["entity_identifier"],
                        "parameters": [{"name": "max_unseen_media", "value": 100}]}],
            "task_chain": [{"task_id": task["id"], "components": [
                {"entity_identifier": learning["entity_identifier"],
                 "parameters": [{"name": "batch_size", "value": 4}, {"name": "learning_rate", "value": 0.002},
                                {"name": "num_iters", "value": 10}]}]}]}
    assert api.session.post(url, json=body, timeout=30).json() == {"result": "success"}
    after = api.session.get(f"{url}/task_chain/{task['id']}", timeout=30).json()
    values = {p["name"]: p["value"] for p in after["components"][0]["parameters"]}
    assert (values["batch_size"], values["learning_rate"], values["num_iters"]) == (4, 0.002, 10)
    assert api.session.get(url, timeout=30).json()["global"][0]["parameters"][0]["value"] == 100


def test_concurrent_uploads_never_fail(api, h) -> None:
    project = api.create_project("detection")
    images = [h.jpeg_bytes(64 + i, 48, "blue") for i in range(48)]

    def upload(index: int) -> int:
        return api.upload(project, images[index], filename=f"c{index}.jpg").status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(upload, range(len(images))))
    assert codes == [200] * len(images)
    listed = api.list_media(project)
    assert listed["media_count"] == {"images": len(images)}
    assert len({m["id"] for m in listed["media"]}) == len(images)
