"""Configuration as old clients use it: a project's own ``GET /configuration`` posted back unchanged
is accepted for every project type (non-editable parameters included), a changed non-editable value is
refused naming it, ``/configuration/global`` reads and writes the project-wide components, and
``/model_groups`` answers SC 1.0's JSON list (empty: the local server never trains)."""

from __future__ import annotations

import copy

import pytest

from sc_importers.server.project_builder import TRAINABLE_TYPES


def _labels(task_type: str) -> list[dict] | None:
    return [] if task_type.startswith("anomaly") else None


def _params(component: dict):
    yield from component["parameters"]
    for group in component.get("groups", []):
        yield from group["parameters"]


@pytest.mark.parametrize("task_type", sorted(TRAINABLE_TYPES))
def test_own_configuration_posted_back_unchanged_is_accepted(api, task_type) -> None:
    project = api.create_project(task_type, labels=_labels(task_type))
    url = f"{api.ws}/projects/{project['id']}/configuration"
    before = api.session.get(url, timeout=30).json()
    answer = api.session.post(url, json=before, timeout=30)
    assert answer.status_code == 200, answer.text
    assert api.session.get(url, timeout=30).json() == before


def test_chain_configuration_posted_back_unchanged_is_accepted(api, h) -> None:
    body = {"name": "chain-config-roundtrip", "pipeline": {
        "connections": [{"from": "Dataset", "to": "Detection task"}, {"from": "Detection task", "to": "Crop task"},
                        {"from": "Crop task", "to": "Segmentation task"}],
        "tasks": [{"title": "Dataset", "task_type": "dataset"},
                  {"title": "Detection task", "task_type": "detection", "labels": [{"name": "person"}]},
                  {"title": "Crop task", "task_type": "crop"},
                  {"title": "Segmentation task", "task_type": "segmentation", "labels": [{"name": "shape"}]}]}}
    project = api.session.post(f"{api.ws}/projects", json=body, timeout=30).json()
    url = f"{api.ws}/projects/{project['id']}/configuration"
    before = api.session.get(url, timeout=30).json()
    assert api.session.post(url, json=before, timeout=30).status_code == 200


def test_changed_non_editable_value_is_refused_naming_it(api) -> None:
    project = api.create_project("segmentation")
    url = f"{api.ws}/projects/{project['id']}/configuration"
    config = api.session.get(url, timeout=30).json()
    changed = copy.deepcopy(config)
    locked = [p for entry in changed["task_chain"] for c in entry["components"] for p in _params(c)
              if p.get("editable") is False]
    assert [p["name"] for p in locked] == ["class_name"]
    locked[0]["value"] = "something_else"
    answer = api.session.post(url, json=changed, timeout=30)
    assert answer.status_code == 400
    assert "'class_name'" in answer.json()["message"] and "not editable" in answer.json()["message"]
    assert api.session.get(url, timeout=30).json() == config


def test_configuration_without_ids_matches_by_title_and_component(api) -> None:
    """A configuration saved without ids (as the 2022 client's backups hold it) still applies."""
    project = api.create_project("detection")
    url = f"{api.ws}/projects/{project['id']}/configuration"
    title = project["pipeline"]["tasks"][1]["title"]
    body = {"global": [], "task_chain": [{"task_title": title, "components": [
        {"entity_identifier": {"type": "HYPER_PARAMETER_GROUP", "group_name": "learning_parameters"},
         "parameters": [{"name": "num_iters", "value": 13}]}]}]}
    assert api.session.post(url, json=body, timeout=30).status_code == 200, "posting without ids failed"
    config = api.session.get(url, timeout=30).json()
    learning = next(c for c in config["task_chain"][0]["components"]
                    if c["entity_identifier"].get("group_name") == "learning_parameters")
    assert next(p for p in learning["parameters"] if p["name"] == "num_iters")["value"] == 13
    wrong = {"task_chain": [{"task_title": "No such task", "components": []}]}
    answer = api.session.post(url, json=wrong, timeout=30)
    assert answer.status_code == 400 and "No such task" in answer.json()["message"]


def test_global_configuration_get_and_post(api) -> None:
    project = api.create_project("detection")
    url = f"{api.ws}/projects/{project['id']}/configuration"
    full = api.session.get(url, timeout=30).json()
    answer = api.session.get(f"{url}/global", timeout=30)
    assert answer.status_code == 200 and answer.json() == {"global": full["global"]}
    unchanged = api.session.post(f"{url}/global", json=answer.json(), timeout=30)
    assert unchanged.status_code == 200 and unchanged.json() == {"result": "success"}
    component = copy.deepcopy(full["global"][0])
    param = component["parameters"][0]
    assert param["data_type"] == "integer"
    param["value"] = param["value"] + 1
    assert api.session.post(f"{url}/global", json={"global": [component]}, timeout=30).status_code == 200
    assert api.session.get(f"{url}/global", timeout=30).json()["global"][0]["parameters"][0]["value"] == param["value"]
    bad = copy.deepcopy(component)
    bad["parameters"][0]["value"] = "many"
    refused = api.session.post(f"{url}/global", json={"global": [bad]}, timeout=30)
    assert refused.status_code == 400 and param["name"] in refused.json()["message"]
    assert api.session.post(f"{url}/global", json={"global": "x"}, timeout=30).status_code == 400


def test_model_groups_is_an_empty_list_for_an_untrained_project(api) -> None:
    project = api.create_project("classification")
    answer = api.session.get(f"{api.ws}/projects/{project['id']}/model_groups", timeout=30)
    assert answer.status_code == 200 and answer.json() == []
    missing = api.session.get(f"{api.ws}/projects/{'0' * 24}/model_groups", timeout=30)
    assert missing.status_code == 404


def test_seed_era_configuration_file_applies_as_the_2022_client_posts_it(api, shared) -> None:
    """The 2022 client restores ``configuration.json`` by filling the new project's ids into it
    (tasks by position, its first model storage for every hyper-parameter group) and POSTing the
    whole of it; on failure it falls back to ``POST /configuration/global`` with a bare list."""
    import json

    saved = json.loads((shared.datasets("seed-era-backups/seed-detection") / "configuration.json").read_text())
    project = api.create_project("detection", labels=[{"name": "person"}])
    url = f"{api.ws}/projects/{project['id']}/configuration"
    current = api.session.get(url, timeout=30).json()
    for entry, live in zip(saved["task_chain"], current["task_chain"], strict=True):
        entry["task_id"] = live["task_id"]
        storage = next(c["entity_identifier"]["model_storage_id"] for c in live["components"]
                       if c["entity_identifier"]["type"] == "HYPER_PARAMETER_GROUP")
        for component in entry["components"]:
            ident = component["entity_identifier"]
            ident["workspace_id"] = api.workspace_id
            if ident["type"] == "HYPER_PARAMETER_GROUP":
                ident["model_storage_id"] = storage
            else:
                ident.update(project_id=project["id"], task_id=live["task_id"])
    for component in saved["global"]:
        component["entity_identifier"].update(workspace_id=api.workspace_id, project_id=project["id"])
    answer = api.session.post(url, json=saved, timeout=30)
    assert answer.status_code == 200, answer.text
    learning = next(c for c in api.session.get(url, timeout=30).json()["task_chain"][0]["components"]
                    if c["entity_identifier"].get("group_name") == "learning_parameters")
    assert next(p for p in learning["parameters"] if p["name"] == "num_iters")["value"] == 13
    fallback = api.session.post(f"{url}/global", json=[{"entity_identifier": saved["global"][0]["entity_identifier"],
                                                        "parameters": [{"name": "max_unseen_media", "value": 42}]}],
                                timeout=30)
    assert fallback.status_code == 200, fallback.text
    assert api.session.get(f"{url}/global", timeout=30).json()["global"][0]["parameters"][0]["value"] == 42
