"""The Geti 2.x dialect (/api/v1/) of sc-server: the platform calls geti-sdk makes in ``Geti()``,
projects as Geti builds them (colours, groups, empty labels, anomaly, chains), Geti's validation
and error bodies, datasets and the strict key sets geti-sdk 2.13 insists on; all over real HTTP."""

from __future__ import annotations

import re
import uuid

import pytest

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ID = re.compile(r"^[0-9a-f]{24}$")
COLOR = re.compile(r"^#[0-9a-f]{8}$")
#: Keys geti-sdk 2.13 accepts (it raises on any other) -- contract §8.
LABEL_KEYS = {"id", "name", "color", "group", "hotkey", "parent_id", "is_empty", "is_anomalous", "domain",
              "is_background"}
DATASET_KEYS = {"id", "name", "creation_time", "use_for_training"}
PERFORMANCE_KEYS = {"score", "local_score", "global_score", "task_performances"}


def _body(name: str, tasks: list[dict], connections: list[tuple[str, str]]) -> dict:
    return {"name": name, "pipeline": {"tasks": tasks, "connections": [{"from": a, "to": b} for a, b in connections]}}


def _labels(project: dict, index: int = 1) -> dict[str, dict]:
    return {lb["name"]: lb for lb in project["pipeline"]["tasks"][index]["labels"]}


def test_platform_calls_of_geti_sdk_login(sc_server, geti) -> None:
    info = geti.session.get(f"{sc_server.url}/api/v1/product_info", timeout=30)
    assert info.status_code == 200 and info.headers["content-type"] == "application/json"
    assert info.json()["product-version"] == "2.13.0"
    assert re.fullmatch(r"2\.13\.0-release-\d{14}", info.json()["build-version"])
    assert UUID4.match(geti.organization_id) and UUID4.match(geti.workspace_id)
    base = f"{sc_server.url}/api/v1/organizations/{geti.organization_id}"
    listed = geti.session.get(f"{base}/workspaces", timeout=30).json()["workspaces"]
    assert [w["id"] for w in listed] == [geti.workspace_id]
    balance = geti.session.get(f"{base}/balance", timeout=30)
    assert balance.status_code == 200 and not balance.headers["content-type"].startswith("application/json")
    profile = geti.session.get(f"{sc_server.url}/api/v1/profile", timeout=30).json()
    assert profile["organizations"][0]["organizationId"] == geti.organization_id


def test_detection_project_as_geti_builds_it(geti) -> None:
    body = _body(f"det-{uuid.uuid4().hex[:8]}", [
        {"title": "Dataset", "task_type": "dataset"},
        {"title": "Detection", "task_type": "detection",
         "labels": [{"name": "car", "group": "vehicles", "color": "#FF0000"},
                    {"name": "bus", "group": "vehicles", "hotkey": "ctrl+2"}]}], [("Dataset", "Detection")])
    answer = geti.session.post(f"{geti.ws}/projects", json=body, timeout=30)
    assert answer.status_code == 201 and answer.headers["content-type"] == "application/json"
    project = answer.json()
    labels = _labels(project)
    assert labels["car"]["color"] == "#ff0000ff" and COLOR.match(labels["bus"]["color"])
    assert labels["bus"]["hotkey"] == "ctrl+2" and labels["car"]["group"] == "vehicles"
    empty = labels["No object"]
    assert empty["is_empty"] is True and empty["group"] == "No object"
    assert all(set(lb) <= LABEL_KEYS and "is_empty" in lb for lb in labels.values())
    assert [set(d) for d in project["datasets"]] == [DATASET_KEYS]
    assert project["datasets"][0]["use_for_training"] is True and project["datasets"][0]["name"] == "Dataset"
    assert set(project["performance"]) <= PERFORMANCE_KEYS
    tasks = project["pipeline"]["tasks"]
    assert project["pipeline"]["connections"] == [{"from": tasks[0]["id"], "to": tasks[1]["id"]}]
    assert geti.session.get(f"{geti.ws}/projects/{project['id']}", timeout=30).json() == project
    assert geti.session.get(f"{geti.ws}/projects/{project['id']}/status", timeout=30).status_code == 200
    groups = geti.session.get(f"{geti.ws}/projects/{project['id']}/model_groups", timeout=30)
    assert groups.json() == {"model_groups": []}


def test_anomaly_and_chain_projects(geti) -> None:
    anomaly = geti.session.post(f"{geti.ws}/projects", json=_body(f"an-{uuid.uuid4().hex[:8]}", [
        {"title": "Dataset", "task_type": "dataset"}, {"title": "Anomaly", "task_type": "anomaly", "labels": []}],
        [("Dataset", "Anomaly")]), timeout=30).json()
    task = anomaly["pipeline"]["tasks"][1]
    assert task["task_type"] == "anomaly"
    assert [(lb["name"], lb["is_anomalous"]) for lb in task["labels"]] == [("Normal", False), ("Anomalous", True)]
    chain = geti.session.post(f"{geti.ws}/projects", json=_body(f"chain-{uuid.uuid4().hex[:8]}", [
        {"title": "Dataset", "task_type": "dataset"},
        {"title": "Detection task", "task_type": "detection", "labels": [{"name": "animal", "group": "det"}]},
        {"title": "Crop task", "task_type": "crop"},
        {"title": "Classification task", "task_type": "classification",
         "labels": [{"name": "dog", "group": "species"}, {"name": "cat", "group": "species"}]}],
        [("Dataset", "Detection task"), ("Detection task", "Crop task"), ("Crop task", "Classification task")]),
        timeout=30)
    assert chain.status_code == 201, chain.text
    project = chain.json()
    animal = _labels(project, 1)["animal"]
    classes = _labels(project, 3)
    assert classes["dog"]["parent_id"] == classes["cat"]["parent_id"] == animal["id"]
    assert "No class" not in classes  # one exclusive group of two labels: multi-class, no empty label
    assert [t["task_type"] for t in project["pipeline"]["tasks"]] == ["dataset", "detection", "crop",
                                                                       "classification"]


@pytest.mark.parametrize("change, status, code", [
    (lambda b: b.update(extra=1), 400, "bad_request"),
    (lambda b: b["pipeline"]["tasks"][1]["labels"][0].update(is_empty=False), 400, "bad_request"),
    (lambda b: b["pipeline"]["tasks"][1]["labels"][0].pop("group"), 400, "bad_request"),
    (lambda b: b["pipeline"]["tasks"][1].update(task_type="keypoint_detection"), 400, "invalid_task_type"),
    (lambda b: b["pipeline"]["tasks"][1].update(labels=[]), 400, "bad_number_of_labels"),
    (lambda b: b["pipeline"]["tasks"][1]["labels"].append({"name": "cube", "group": "x"}), 400,
     "duplicate_label_names"),
    (lambda b: b["pipeline"]["tasks"][1]["labels"][0].update(name="No object"), 400, "reserved_empty_label"),
    (lambda b: b["pipeline"]["tasks"][1]["labels"][0].update(parent_id="cylinder"), 400,
     "unsupported_hierarchical_labels"),
    (lambda b: b["pipeline"].update(connections=[]), 400, "no_tasks_connections"),
    (lambda b: b.update(name=" "), 400, "empty_project_name"),
])
def test_project_creation_refusals(geti, change, status, code) -> None:
    body = _body(f"bad-{uuid.uuid4().hex[:8]}", [
        {"title": "Dataset", "task_type": "dataset"},
        {"title": "Detection", "task_type": "detection",
         "labels": [{"name": "cube", "group": "g"}, {"name": "cylinder", "group": "g"}]}], [("Dataset", "Detection")])
    change(body)
    before = geti.session.get(f"{geti.ws}/projects?limit=1", timeout=30).json()["project_counts"]
    answer = geti.session.post(f"{geti.ws}/projects", json=body, timeout=30)
    assert answer.status_code == status, answer.text
    assert answer.json()["error_code"] == code and answer.json()["http_status"] == status
    assert geti.session.get(f"{geti.ws}/projects?limit=1", timeout=30).json()["project_counts"] == before


def test_project_list_pages_with_exact_counts(fresh_geti) -> None:
    geti = fresh_geti
    made = [geti.create_project(name=name)["id"] for name in ("beta", "alpha", "gamma")]
    first = geti.session.get(f"{geti.ws}/projects?limit=2", timeout=30).json()
    assert first["project_counts"] == 3 and first["project_page_count"] == 2
    assert [p["id"] for p in first["projects"]] == made[::-1][:2]  # newest first by default
    assert all("datasets" not in p for p in first["projects"])
    second = geti.session.get(geti.url + first["next_page"], timeout=30).json()
    assert [p["id"] for p in second["projects"]] == [made[0]]
    third = geti.session.get(geti.url + second["next_page"], timeout=30).json()
    assert third["projects"] == [] and "next_page" not in third
    by_name = geti.session.get(f"{geti.ws}/projects?sort_by=name&sort_direction=asc&limit=50", timeout=30).json()
    assert [p["name"] for p in by_name["projects"]] == ["alpha", "beta", "gamma"]
    filtered = geti.session.get(f"{geti.ws}/projects?name=AMM", timeout=30).json()
    assert filtered["project_counts"] == 1 and filtered["projects"][0]["name"] == "gamma"
    spaced = geti.create_project(name="a & b")
    first = geti.session.get(f"{geti.ws}/projects", params={"name": "a & b", "limit": 1}, timeout=30).json()
    assert [p["id"] for p in first["projects"]] == [spaced["id"]]
    assert geti.session.get(geti.url + first["next_page"], timeout=30).json()["projects"] == []
    geti.session.delete(f"{geti.ws}/projects/{spaced['id']}", timeout=30)
    for limit in ("0", "101", "x"):
        assert geti.session.get(f"{geti.ws}/projects?limit={limit}", timeout=30).status_code == 400
    deleted = geti.session.delete(f"{geti.ws}/projects/{made[1]}", timeout=30)
    assert deleted.status_code == 200 and deleted.json() == {"result": "success"}
    assert geti.session.get(f"{geti.ws}/projects?limit=1", timeout=30).json()["project_counts"] == 2


def test_malformed_and_unknown_ids(geti) -> None:
    bad = geti.session.get(f"{geti.ws}/projects/not-an-id", timeout=30)
    assert bad.status_code == 400 and bad.json()["error_code"] == "bad_request"
    assert "not a valid ID: 'not-an-id'" in bad.json()["message"]
    missing = geti.session.get(f"{geti.ws}/projects/{'0' * 24}", timeout=30)
    assert missing.status_code == 404 and missing.json()["error_code"] == "project_not_found"
    assert missing.headers["content-type"] == "application/json"
    project = geti.create_project()
    unknown = geti.session.get(f"{geti.ws}/projects/{project['id']}/datasets/{'0' * 24}", timeout=30)
    assert unknown.status_code == 404 and unknown.json()["error_code"] == "dataset_not_found"
    other_ws = geti.ws.replace(geti.workspace_id, str(uuid.uuid4()))
    assert geti.session.get(f"{other_ws}/projects", timeout=30).status_code == 404


def test_datasets_strict_keys_and_conflicts(geti) -> None:
    project = geti.create_project()
    url = f"{geti.ws}/projects/{project['id']}/datasets"
    created = geti.session.post(url, json={"name": "testing"}, timeout=30)
    assert created.status_code in (200, 201), created.text
    dataset = created.json()
    assert set(dataset) == DATASET_KEYS and dataset["use_for_training"] is False and ID.match(dataset["id"])
    assert geti.session.post(url, json={"name": "testing"}, timeout=30).status_code == 409
    listed = geti.session.get(url, timeout=30).json()["datasets"]
    assert [d["name"] for d in listed] == ["Dataset", "testing"] and all(set(d) == DATASET_KEYS for d in listed)
    image = geti.session.post(f"{url}/{dataset['id']}/media/images", files={"file": ("x.png", _png())}, timeout=60)
    assert image.status_code == 200, image.text
    again = geti.session.get(f"{geti.ws}/projects/{project['id']}", timeout=30).json()
    assert [d["id"] for d in again["datasets"]] == [d["id"] for d in listed]
    assert geti.session.delete(f"{url}/{listed[0]['id']}", timeout=30).status_code == 400  # the training dataset
    deleted = geti.session.delete(f"{url}/{dataset['id']}", timeout=30)
    assert deleted.status_code == 200 and deleted.json() == {"result": "success"}
    assert [d["name"] for d in geti.session.get(url, timeout=30).json()["datasets"]] == ["Dataset"]
    assert geti.session.get(f"{url}/{dataset['id']}/media/images/{image.json()['id']}", timeout=30).status_code == 404
    assert geti.session.post(f"{url}/{dataset['id']}/media/images", files={"file": ("x.png", _png())},
                             timeout=60).status_code == 404


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 40), "blue").save(out, "PNG")
    return out.getvalue()


def test_put_renames_edits_adds_and_deletes_labels(api, geti) -> None:
    project = geti.create_project()
    url = f"{geti.ws}/projects/{project['id']}"
    with_size = {**project, "storage_info": {}}
    refused = geti.session.put(url, json=with_size, timeout=30)
    assert refused.status_code == 400 and "storage_info" in refused.json()["message"]
    body = {k: v for k, v in project.items() if k != "storage_info"}
    labels = body["pipeline"]["tasks"][1]["labels"]
    cube, cylinder = labels[0], labels[1]
    missing = {**body, "pipeline": {**body["pipeline"], "tasks": [body["pipeline"]["tasks"][0],
                                                                  {**body["pipeline"]["tasks"][1],
                                                                   "labels": [cube]}]}}
    answer = geti.session.put(url, json=missing, timeout=30)
    assert answer.status_code == 400 and answer.json()["error_code"] == "missing_labels"
    moved = geti.session.put(url, json={**body, "pipeline": {**body["pipeline"], "tasks": [
        body["pipeline"]["tasks"][0], {**body["pipeline"]["tasks"][1],
                                       "labels": [{**cube, "parent_id": cylinder["id"]}, *labels[1:]]}]}}, timeout=30)
    assert moved.status_code == 400 and "parent" in moved.json()["message"]
    cube.update(name="box", color="#00ff00ff")
    cylinder["is_deleted"] = True
    labels.append({"name": "sphere", "group": "shapes", "color": "#0000ff"})
    body["name"] = project["name"] + "-renamed"
    answer = geti.session.put(url, json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    names = {lb["name"]: lb for lb in answer.json()["pipeline"]["tasks"][1]["labels"]}
    assert sorted(names) == ["No object", "box", "sphere"]
    assert names["box"]["id"] == cube["id"] and names["box"]["color"] == "#00ff00ff"
    assert names["sphere"]["color"] == "#0000ffff" and not names["sphere"]["is_empty"]
    assert geti.session.get(url, timeout=30).json() == answer.json()
    sc_view = api.session.get(f"{api.ws}/projects/{project['id']}", timeout=30).json()
    assert sc_view["name"] == project["name"] + "-renamed"
    assert [lb["name"] for lb in sc_view["pipeline"]["tasks"][1]["labels"]] == ["box", "No object", "sphere"]


def test_hierarchy_by_parent_name_and_storage_size(geti, h) -> None:
    project = geti.create_project("classification", labels=[
        {"name": "vehicle", "group": "kind"}, {"name": "animal", "group": "kind"},
        {"name": "car", "group": "vehicle type", "parent_id": "vehicle"},
        {"name": "taxi", "group": "vehicle type", "parent_id": "vehicle"}])
    labels = _labels(project)
    assert labels["car"]["parent_id"] == labels["taxi"]["parent_id"] == labels["vehicle"]["id"]
    assert labels["vehicle"]["parent_id"] is None and "No class" not in labels
    url = f"{geti.ws}/projects/{project['id']}"
    assert geti.session.get(f"{url}?with_size=true", timeout=30).json()["storage_info"] == {"size": 0}
    data = h.jpeg_bytes(64, 48)
    assert geti.upload(project, data).status_code == 200
    assert geti.session.get(f"{url}?with_size=true", timeout=30).json()["storage_info"] == {"size": len(data)}
    assert geti.session.get(url, timeout=30).json()["storage_info"] == {}


def test_jobs_list_is_empty_and_unknown_job_is_404(geti) -> None:
    listed = geti.session.get(f"{geti.ws}/jobs", timeout=30).json()
    assert listed["jobs"] == [] and set(listed["jobs_count"].values()) == {0}
    missing = geti.session.get(f"{geti.ws}/jobs/{'1' * 24}", timeout=30)
    assert missing.status_code == 404 and "could not be found" in missing.json()["message"]
    assert geti.session.get(f"{geti.ws}/jobs/nope", timeout=30).status_code == 400


def test_sc_anomaly_project_through_geti(api, geti) -> None:
    anomaly = api.create_project("anomaly_classification", labels=[])
    seen = geti.session.get(f"{geti.ws}/projects/{anomaly['id']}", timeout=30).json()
    task = seen["pipeline"]["tasks"][1]
    assert task["task_type"] == "anomaly"
    assert {lb["name"]: lb["is_anomalous"] for lb in task["labels"]} == {"Normal": False, "Anomalous": True}
    assert all(set(lb) <= LABEL_KEYS and "is_empty" in lb for lb in task["labels"])
    assert [set(d) for d in seen["datasets"]] == [DATASET_KEYS]
