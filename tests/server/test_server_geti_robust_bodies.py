"""Every value of a valid Geti 2.x request body replaced, one at a time, by a value of the wrong
type: the server must answer each with a 4xx in Geti's error shape, never a 500 (a crash in a
lookup such as ``[1] in dict``), and still serve the project afterwards."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import requests

ERROR_KEYS = {"error_code", "http_status", "message"}
WRONG = ([], {}, None, 7, "x", True, [{"a": 1}])


def _variants(body: object) -> Iterator[tuple[str, object]]:
    """(path, body) for every single-value replacement of ``body`` by a wrongly typed value."""
    def paths(node: object, prefix: tuple) -> Iterator[tuple]:
        yield prefix
        if isinstance(node, dict):
            for key, value in node.items():
                yield from paths(value, (*prefix, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from paths(value, (*prefix, index))

    for path in paths(body, ()):
        for wrong in WRONG:
            variant = copy.deepcopy(body)
            if not path:
                yield "<root>", wrong
                continue
            parent = variant
            for step in path[:-1]:
                parent = parent[step]
            parent[path[-1]] = copy.deepcopy(wrong)
            yield "/".join(map(str, path)) + f" = {wrong!r}", variant


def _check_all(send, body: object) -> list[str]:
    problems = []
    for where, variant in _variants(body):
        try:
            answer = send(variant)
        except requests.ConnectionError as exc:  # the server closes the connection after a 500
            problems.append(f"{where}: {exc}")
            continue
        if answer.status_code >= 500:
            problems.append(f"{where}: {answer.status_code} {answer.text[:120]}")
        elif answer.status_code >= 400 and answer.headers.get("content-type") == "application/json" \
                and not ERROR_KEYS <= set(answer.json()):
            problems.append(f"{where}: error body {answer.text[:120]}")
    return problems


def test_project_bodies(geti) -> None:
    create = {"name": "robust", "pipeline": {
        "tasks": [{"title": "Dataset", "task_type": "dataset"},
                  {"title": "Detection task", "task_type": "detection",
                   "labels": [{"name": "car", "group": "g", "color": "#ff0000", "hotkey": "", "parent_id": None}]},
                  {"title": "Crop task", "task_type": "crop"},
                  {"title": "Classification task", "task_type": "classification",
                   "labels": [{"name": "a", "group": "c", "parent_id": "car"}, {"name": "b", "group": "c"}]}],
        "connections": [{"from": "Dataset", "to": "Detection task"}, {"from": "Detection task", "to": "Crop task"},
                        {"from": "Crop task", "to": "Classification task"}]}}
    problems = _check_all(lambda b: geti.session.post(f"{geti.ws}/projects", json=b, timeout=30), create)
    project = geti.create_project()
    url = f"{geti.ws}/projects/{project['id']}"
    put = {k: v for k, v in project.items() if k != "storage_info"}
    put["pipeline"]["tasks"][1]["labels"].append({"name": "new", "group": "shapes"})
    put["pipeline"]["tasks"][1]["labels"][1]["is_deleted"] = True
    problems += _check_all(lambda b: geti.session.put(url, json=b, timeout=30), put)
    problems += _check_all(lambda b: geti.session.post(f"{url}/datasets", json=b, timeout=30), {"name": "extra"})
    assert not problems, "\n".join(problems)
    assert geti.session.get(url, timeout=30).status_code == 200


def test_media_annotation_and_configuration_bodies(geti, h) -> None:
    project = geti.create_project()
    url = f"{geti.ws}/projects/{project['id']}"
    task_id = project["pipeline"]["tasks"][1]["id"]
    label = project["pipeline"]["tasks"][1]["labels"][0]["id"]
    image = geti.upload(project, h.jpeg_bytes(64, 48)).json()
    base = geti.absolute(image["media_information"]["display_url"].rsplit("/display/", 1)[0])
    annotation = {"annotations": [
        {"labels": [{"id": label, "probability": 1.0}], "shape": {"type": "RECTANGLE", "x": 1, "y": 2, "width": 3,
                                                                  "height": 4}},
        {"labels": [{"id": label}], "shape": {"type": "POLYGON", "points": [{"x": 1, "y": 1}, {"x": 9, "y": 1},
                                                                             {"x": 5, "y": 8}]}}],
        "media_identifier": {"type": "image", "image_id": image["id"]}}
    problems = _check_all(lambda b: geti.session.post(f"{base}/annotations", json=b, timeout=30), annotation)
    query = {"condition": "and", "rules": [{"field": "MEDIA_TYPE", "operator": "EQUAL", "value": "image"},
                                           {"field": "media_name", "operator": "in", "value": ["img"]}]}
    problems += _check_all(lambda b: geti.session.post(f"{geti.dataset_url(project)}/media:query", json=b,
                                                       timeout=30), query)
    patch = {"task_configs": [{"task_id": task_id,
                               "training": {"constraints": [{"key": "min_images_per_label", "value": 0}]},
                               "auto_training": [{"key": "enable", "value": False},
                                                 {"key": "enable_dynamic_required_annotations", "value": False},
                                                 {"key": "min_images_per_label", "value": 12}]}]}
    problems += _check_all(lambda b: geti.session.patch(f"{url}/project_configuration", json=b, timeout=30), patch)
    problems += _check_all(lambda b: geti.session.patch(f"{url}/training_configuration", json=b, timeout=30),
                           {"task_id": task_id, "training": [{"key": "max_epochs", "value": 10}]})
    legacy = geti.session.get(f"{url}/configuration/task_chain/{task_id}", timeout=30).json()
    node = next(c for c in legacy["components"] if c["entity_identifier"].get("component") == "TASK_NODE")
    post = {"components": [{"entity_identifier": node["entity_identifier"],
                            "parameters": [{"name": "auto_training", "value": False}]}]}
    problems += _check_all(lambda b: geti.session.post(f"{url}/configuration/task_chain/{task_id}", json=b,
                                                       timeout=30), post)
    problems += _check_all(lambda b: geti.session.post(f"{url}/configuration/task_chain", json=b, timeout=30),
                           {"task_chain": [post]})
    assert not problems, "\n".join(problems)
    assert geti.session.post(f"{geti.dataset_url(project)}/media:query", json={}, timeout=30).status_code == 200


def test_range_annotation_bodies(geti, shared) -> None:
    path = shared.datasets("videos-moviepy-media") / "big_buck_bunny_432_433.webm"
    project = geti.create_project("classification", labels=[{"name": "a", "group": "g"}, {"name": "b", "group": "g"}])
    label = project["pipeline"]["tasks"][1]["labels"][0]["id"]
    video = geti.upload(project, path.read_bytes(), filename=path.name, kind="videos").json()
    url = geti.absolute(video["media_information"]["display_url"].rsplit("/display/", 1)[0]) + "/range_annotation"
    body = {"range_labels": [{"start_frame": 0, "end_frame": 3, "label_ids": [label]},
                             {"start_frame": 5, "end_frame": 6, "label_ids": [label]}]}
    problems = _check_all(lambda b: geti.session.post(url, json=b, timeout=30), body)
    assert not problems, "\n".join(problems)
