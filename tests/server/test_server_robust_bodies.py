"""Hostile or malformed request bodies over real HTTP: JSON that is not strict JSON (NaN,
Infinity), values of the wrong type where the server looks them up, and oversized bodies. None may
give a 500, store anything, or break a later GET."""

from __future__ import annotations

import json

import pytest

ERROR_KEYS = {"error_code", "http_status", "message"}


def _post_raw(api, url: str, text: str):
    return api.session.post(url, data=text.encode(), headers={"Content-Type": "application/json"}, timeout=60)


def _project_body(name: str, **label) -> dict:
    return {"name": name, "pipeline": {"connections": [{"from": "D", "to": "T"}],
                                       "tasks": [{"title": "D", "task_type": "dataset"},
                                                 {"title": "T", "task_type": "detection",
                                                  "labels": [{"name": "a", **label}]}]}}


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_json_constants_are_refused_and_do_not_poison_listing(api, constant) -> None:
    name = f"nan-{constant}-{api.workspace_id[-6:]}"
    text = json.dumps(_project_body(name, hotkey="HOTKEY")).replace('"HOTKEY"', constant)
    answer = _post_raw(api, f"{api.ws}/projects", text)
    assert answer.status_code == 400, answer.text
    assert set(answer.json()) == ERROR_KEYS and constant.lstrip("-") in answer.json()["message"]
    listing = api.session.get(f"{api.ws}/projects", timeout=30)
    assert listing.status_code == 200 and name not in {p["name"] for p in listing.json()["items"]}


def test_non_finite_configuration_value_is_refused(api) -> None:
    project = api.create_project("detection")
    url = f"{api.ws}/projects/{project['id']}/configuration"
    component = next(c for c in api.session.get(url, timeout=30).json()["task_chain"][0]["components"]
                     if any(p.get("data_type") == "float" for p in c.get("parameters", [])))
    param = next(p for p in component["parameters"] if p.get("data_type") == "float")
    body = {"task_chain": [{"components": [{"entity_identifier": component["entity_identifier"],
                                            "parameters": [{"name": param["name"], "value": "VALUE"}]}]}]}
    answer = _post_raw(api, url, json.dumps(body).replace('"VALUE"', "NaN"))
    assert answer.status_code == 400, answer.text
    assert api.session.get(url, timeout=30).status_code == 200


def test_oversized_json_body_gets_413(api) -> None:
    project = api.create_project("detection")
    url = f"{api.ws}/projects/{project['id']}/configuration"
    answer = _post_raw(api, url, '{"global": [' + " " * (65 * 1024 * 1024) + "]}")
    assert answer.status_code == 413, answer.text[:200]
    assert answer.json()["error_code"] == "payload_too_large"


@pytest.mark.parametrize("task", [
    {"title": "T", "task_type": ["detection"], "labels": [{"name": "a"}]},
    {"title": "T", "task_type": {"x": 1}, "labels": [{"name": "a"}]},
    {"title": "T", "task_type": "detection", "labels": [{"name": "a", "parent_id": ["b"]}]},
    {"title": "T", "task_type": "detection", "labels": [{"name": "a", "hotkey": 5}]},
    {"title": "T", "task_type": "detection", "labels": [{"name": "a", "group": {"g": 1}}]},
    {"title": "T", "task_type": "anomaly_classification", "labels": [{"name": ["Normal"]}]},
])
def test_wrongly_typed_project_fields_get_400(api, task) -> None:
    body = {"name": f"typed-{id(task)}", "pipeline": {"connections": [{"from": "D", "to": "T"}],
                                                      "tasks": [{"title": "D", "task_type": "dataset"}, task]}}
    answer = api.session.post(f"{api.ws}/projects", json=body, timeout=30)
    assert answer.status_code == 400, answer.text
    assert set(answer.json()) == ERROR_KEYS


def test_wrongly_typed_connection_gets_400(api) -> None:
    body = _project_body("typed-connection")
    body["pipeline"]["connections"] = [{"from": ["D"], "to": "T"}]
    answer = api.session.post(f"{api.ws}/projects", json=body, timeout=30)
    assert answer.status_code == 400, answer.text


@pytest.mark.parametrize("shape", [{"type": []}, {"type": {"a": 1}}, {"type": None}])
def test_wrongly_typed_shape_type_gets_400(api, h, shape) -> None:
    project = api.create_project("detection")
    image = api.upload(project, h.jpeg_bytes()).json()
    url = f"{api.dataset_url(project)}/media/images/{image['id']}/annotations"
    label = h.task_of(project)["labels"][0]["id"]
    answer = api.session.post(url, json={"annotations": [{"labels": [{"id": label}], "shape": shape}]}, timeout=30)
    assert answer.status_code == 400, answer.text
    assert "shape type" in answer.json()["message"]


@pytest.mark.parametrize("update", [
    {"parameters": [{"name": ["x"], "value": 1}]},
    {"parameters": [{"name": {"x": 1}, "value": 1}]},
    {"groups": 5},
    {"groups": [{"name": ["g"]}]},
    {"parameters": "abc"},
])
def test_wrongly_typed_configuration_fields_get_400(api, update) -> None:
    project = api.create_project("detection")
    url = f"{api.ws}/projects/{project['id']}/configuration"
    before = api.session.get(url, timeout=30).json()
    component = before["task_chain"][0]["components"][0]
    body = {"task_chain": [{"components": [{"entity_identifier": component["entity_identifier"], **update}]}]}
    answer = api.session.post(url, json=body, timeout=30)
    assert answer.status_code == 400, answer.text
    assert api.session.get(url, timeout=30).json() == before
