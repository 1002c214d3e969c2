"""Configuration through the Geti 2.x dialect: ``project_configuration`` (what geti-sdk 2.13 uses to
switch auto-training), ``training_configuration`` (``max_epochs``) and the legacy endpoints, all on
the values the SC 1.0 dialect reads and writes."""

from __future__ import annotations

import contextlib
import sqlite3


def _values(entries: list[dict]) -> dict:
    return {item["key"]: item["value"] for item in entries}


def _sc_parameters(api, project: dict, task_id: str) -> dict:
    answer = api.session.get(f"{api.ws}/projects/{project['id']}/configuration/task_chain/{task_id}", timeout=30)
    assert answer.status_code == 200, answer.text
    found = {}
    for component in answer.json()["components"]:
        for param in component.get("parameters", []):
            found[(component["entity_identifier"].get("component") or component["entity_identifier"]["group_name"],
                   param["name"])] = param["value"]
    return found


def test_project_configuration_round_trip_through_both_dialects(api, geti, sc_server) -> None:
    project = geti.create_project()
    task_id = project["pipeline"]["tasks"][1]["id"]
    url = f"{geti.ws}/projects/{project['id']}/project_configuration"
    config = geti.session.get(url, timeout=30)
    assert config.status_code == 200 and config.headers["content-type"] == "application/json"
    [task] = config.json()["task_configs"]
    assert task["task_id"] == task_id
    assert set(_values(task["auto_training"])) == {"enable", "enable_dynamic_required_annotations",
                                                   "min_images_per_label"}
    assert _values(task["training"]["constraints"]) == {"min_images_per_label": 0}
    patch = {"task_configs": [{"task_id": task_id, "training": {"constraints": [{"key": "min_images_per_label",
                                                                                  "value": 4}]},
                               "auto_training": [{"key": "enable", "value": False},
                                                 {"key": "enable_dynamic_required_annotations", "value": False},
                                                 {"key": "min_images_per_label", "value": 20}]}]}
    answer = geti.session.patch(url, json=patch, timeout=30)
    assert answer.status_code == 204 and answer.content == b""
    [task] = geti.session.get(url, timeout=30).json()["task_configs"]
    assert _values(task["auto_training"]) == {"enable": False, "enable_dynamic_required_annotations": False,
                                              "min_images_per_label": 20}
    assert _values(task["training"]["constraints"]) == {"min_images_per_label": 4}
    sc = _sc_parameters(api, project, task_id)
    assert sc[("TASK_NODE", "auto_training")] is False
    assert sc[("DATASET_COUNTER", "required_images_auto_training")] == 20
    assert sc[("DATASET_COUNTER", "use_dynamic_required_annotations")] is False
    bad = {"task_configs": [{"task_id": task_id, "auto_training": [{"key": "min_images_per_label", "value": 1},
                                                                   {"key": "enable", "value": True}]}]}
    refused = geti.session.patch(url, json=bad, timeout=30)
    assert refused.status_code == 400 and refused.json()["error_code"] == "invalid_configuration_value"
    assert _values(geti.session.get(url, timeout=30).json()["task_configs"][0]["auto_training"])["enable"] is False
    unknown = {"task_configs": [{"task_id": "0" * 24, "auto_training": [{"key": "enable", "value": True}]}]}
    assert geti.session.patch(url, json=unknown, timeout=30).status_code == 404
    assert _meta_keys(sc_server, task_id) == [f"geti.training.min_images_per_label:{task_id}"]
    assert api.session.delete(f"{api.ws}/projects/{project['id']}", timeout=30).status_code == 200
    assert _meta_keys(sc_server, task_id) == []  # deleting through the SC dialect removes it too


def _meta_keys(server, task_id: str) -> list[str]:
    with contextlib.closing(sqlite3.connect(server.data_dir / "sc-server.sqlite3")) as conn:
        return [r[0] for r in conn.execute("SELECT key FROM meta WHERE key LIKE ?", (f"%{task_id}",))]


def test_sc_project_auto_training_through_project_configuration(api, geti) -> None:
    project = api.create_project("classification")
    task_id = project["pipeline"]["tasks"][1]["id"]
    url = f"{geti.ws}/projects/{project['id']}/project_configuration"
    patch = {"task_configs": [{"task_id": task_id, "auto_training": [{"key": "enable", "value": False},
                                                                     {"key": "min_images_per_label", "value": 7}]}]}
    assert geti.session.patch(url, json=patch, timeout=30).status_code == 204
    sc = _sc_parameters(api, project, task_id)
    assert sc[("TASK_NODE", "auto_training")] is False
    assert sc[("DATASET_COUNTER", "required_images_first_training")] == 7  # SC 1.0's name of the same count


def test_training_configuration_max_epochs_and_legacy_endpoints(api, geti) -> None:
    project = geti.create_project("classification", labels=[{"name": "a", "group": "g"}, {"name": "b", "group": "g"}])
    task_id = project["pipeline"]["tasks"][1]["id"]
    base = f"{geti.ws}/projects/{project['id']}"
    training = geti.session.get(f"{base}/training_configuration?task_id={task_id}", timeout=30).json()
    assert training["task_id"] == task_id and "max_epochs" in _values(training["training"])
    patch = {"training": [{"key": "max_epochs", "value": 42}]}
    assert geti.session.patch(f"{base}/training_configuration?task_id={task_id}", json=patch,
                              timeout=30).status_code == 204
    assert _values(geti.session.get(f"{base}/training_configuration", timeout=30).json()["training"]) == {
        "max_epochs": 42}
    assert _sc_parameters(api, project, task_id)[("learning_parameters", "max_num_epochs")] == 42
    legacy = geti.session.get(f"{base}/configuration/task_chain/{task_id}", timeout=30).json()
    assert legacy["task_id"] == task_id
    assert all(c["entity_identifier"]["workspace_id"] == geti.workspace_id for c in legacy["components"])
    node = next(c for c in legacy["components"] if c["entity_identifier"].get("component") == "TASK_NODE")
    post = {"components": [{"entity_identifier": node["entity_identifier"],
                            "parameters": [{"name": "auto_training", "value": False}]}]}
    answer = geti.session.post(f"{base}/configuration/task_chain/{task_id}", json=post, timeout=30)
    assert answer.status_code == 200 and answer.json() == {"result": "success"}
    assert _sc_parameters(api, project, task_id)[("TASK_NODE", "auto_training")] is False
    with_title = {**post, "task_title": "x"}
    assert geti.session.post(f"{base}/configuration/task_chain/{task_id}", json=with_title,
                             timeout=30).status_code == 400
    full = geti.session.get(f"{base}/configuration", timeout=30).json()
    assert set(full) == {"global", "task_chain"}
    wrong = geti.session.post(f"{base}/configuration/task_chain", json={"task_chain": []}, timeout=30)
    assert wrong.status_code == 400 and wrong.json()["error_code"] == "cannot_set_configuration"
