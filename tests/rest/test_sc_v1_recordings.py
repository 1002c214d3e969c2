"""The SC 1.0 dialect against the real SC 1.0 recordings: every recorded answer parses, and the
request bodies we build equal the recorded ones (ids substituted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from sc_importers.model import Annotation, Label, Polygon, Rectangle
from sc_importers.project_types.base import TaskPlan
from sc_importers.rest import sc_v1_records as rec
from sc_importers.rest.base import RemoteMedia

CASSETTES = [
    "TestConfigurationManager.test_get_and_set_configuration.yaml",
    "TestImageManager.test_upload_and_delete_image.yaml",
    "TestImageManager.test_upload_image_folder_and_download.yaml",
    "TestProjectManager.test_create_and_delete_project.yaml",
    "TestProjectManager.test_get_all_projects.yaml",
    "TestSCRESTClient.test_create_single_task_project_from_dataset__Classification_project.yaml",
    "TestSCRESTClient.test_create_single_task_project_from_dataset__Detection_project.yaml",
    "TestSCRESTClient.test_create_single_task_project_from_dataset__Segmentation_project.yaml",
    "TestUtils.test_get_supported_algorithms.yaml",
    "client.yaml",
    "sdk_test_configuration_manager.yaml",
    "sdk_test_configuration_manager_configuration_manager.yaml",
    "sdk_test_configuration_manager_deletion.yaml",
    "sdk_test_image_manager.yaml",
    "sdk_test_image_manager_deletion.yaml",
    "sdk_test_project_hierarchical.yaml",
    "sdk_test_project_hierarchical_deletion.yaml",
    "sdk_test_project_simple.yaml",
    "session.yaml",
]
_CACHE: dict[Path, list] = {}


def interactions(path: Path) -> list[dict]:
    if path not in _CACHE:
        _CACHE[path] = yaml.safe_load(path.read_text())["interactions"]
    return _CACHE[path]


def classify(method: str, uri: str) -> str | None:
    """Which parser a recorded request's answer needs (None: not an API record we parse)."""
    path = uri.split("://", 1)[-1].split("/", 1)[-1].split("?")[0]
    parts = path.split("/")
    if path == "api/v1.0/workspaces":
        return "workspaces"
    if not path.startswith("api/v1.0/workspaces/") or method == "DELETE":
        return None
    if path.endswith("/projects/") and method == "GET":
        return "project_list"
    if path.endswith("/projects") and method == "POST":
        return "project"
    if parts[-1] == "annotations":
        return "scene"
    if parts[-1] in ("images", "videos"):
        return "media_page" if method == "GET" else "media"
    if "configuration" in parts:
        return "configuration" if method == "GET" else None
    if parts[-1] == "status":
        return "status"
    return None


def test_all_cassettes_listed(shared) -> None:
    """A new cassette must be added to CASSETTES (and so be parsed) rather than slip by."""
    root = shared.recordings()
    assert sorted(p.name for p in root.glob("*.yaml")) == sorted(CASSETTES)


@pytest.mark.parametrize("name", CASSETTES)
def test_every_recorded_answer_parses(shared, name: str) -> None:
    counts: dict[str, int] = {}
    for it in interactions(shared.recordings(name)):
        kind = classify(it["request"]["method"], it["request"]["uri"])
        status = it["response"]["status"]["code"]
        if kind is None or status >= 300:
            continue
        raw = json.loads(it["response"]["body"]["string"])
        counts[kind] = counts.get(kind, 0) + 1
        if kind == "project_list":
            projects, next_page = rec.parse_project_page(raw)
            assert next_page is None and projects
            for project in projects:
                assert project.dataset_id and project.trainable_tasks
                for lb in project.labels:
                    assert lb.parent_id is None or lb.parent_id in {x.id for x in project.labels}
        elif kind == "project":
            assert rec.parse_project(raw).tasks[0].task_type == "dataset"
        elif kind == "media":
            media = rec.parse_media(raw)
            assert media.width > 0 and media.height > 0 and media.kind == "image"
        elif kind == "media_page":
            page, next_page = rec.parse_media_page(raw)
            assert (next_page is not None) == bool(page)
            assert len(page) <= sum(raw["media_count"].values())
        elif kind == "scene":
            media = RemoteMedia("m", "m", "image", 455, 256)
            project = _project_from(name, shared)
            anns = rec.annotations_from_scene(project, media, raw)
            assert len(anns) == len(raw["annotations"]) > 0
        elif kind == "workspaces":
            assert raw[0]["id"] and raw[0]["name"]
        elif kind == "status":  # not used by the client yet; its task ids must be real
            assert all(t["id"] and t["title"] for t in raw["tasks"])
        elif kind == "configuration":
            params = list(rec.walk_parameters(raw))
            assert any(p["name"] == "auto_training" for _, p in params)
            assert rec.find_parameter(raw, rec.ITERATION_PARAMETER_NAMES) is not None
    api_calls = [i for i in interactions(shared.recordings(name))
                 if "/workspaces" in i["request"]["uri"] and i["request"]["method"] != "DELETE"]
    assert bool(counts) == bool(api_calls)


def _project_from(name: str, shared) -> rec.RemoteProject:
    """The project a cassette created (its POST projects answer)."""
    for it in interactions(shared.recordings(name)):
        if it["request"]["method"] == "POST" and it["request"]["uri"].endswith("/projects"):
            return rec.parse_project(json.loads(it["response"]["body"]["string"]))
    raise AssertionError(f"{name} creates no project")


def _recorded_post(shared, name: str) -> dict:
    for it in interactions(shared.recordings(name)):
        if it["request"]["method"] == "POST" and it["request"]["uri"].endswith("/projects"):
            return json.loads(it["request"]["body"])
    raise AssertionError(name)


@pytest.mark.parametrize("name,task_type,title", [
    ("TestSCRESTClient.test_create_single_task_project_from_dataset__Detection_project.yaml",
     "detection", "Detection task"),
    ("TestSCRESTClient.test_create_single_task_project_from_dataset__Classification_project.yaml",
     "classification", "Classification task"),
    ("TestSCRESTClient.test_create_single_task_project_from_dataset__Segmentation_project.yaml",
     "segmentation", "Segmentation task"),
])
def test_project_body_matches_recording(shared, name: str, task_type: str, title: str) -> None:
    group = f"{task_type} task label group"
    plan = TaskPlan(title, task_type, [Label("cylinder", group=group), Label("cube", group=group)])
    assert rec.project_body(f"sdk_test_{task_type}_project_from_dataset", [plan]) == _recorded_post(shared, name)


def test_hierarchical_project_body_matches_recording(shared) -> None:
    labels = [Label("animal"), Label("dog", parent="animal"), Label("cat", parent="animal"),
              Label("vehicle")]
    labels += [Label(n, parent="vehicle", group="vehicle type") for n in ("car", "taxi", "truck")]
    labels += [Label(n, parent="vehicle", group="vehicle color") for n in ("red", "blue", "black", "grey")]
    plan = TaskPlan("Classification task", "classification", labels + [Label("Empty", is_empty=True)])
    body = rec.project_body("sdk_test_project_hierarchical", [plan])
    assert body == _recorded_post(shared, "sdk_test_project_hierarchical.yaml")


def test_task_chain_body_has_crop_between_trainable_tasks() -> None:
    body = rec.project_body("chain", [
        TaskPlan("Detection task", "detection", [Label("animal", color="#ff0000ff", hotkey="a")]),
        TaskPlan("Classification task", "classification", [Label("dog", parent="animal")]),
    ])
    tasks = body["pipeline"]["tasks"]
    assert [t["task_type"] for t in tasks] == ["dataset", "detection", "crop", "classification"]
    assert body["pipeline"]["connections"] == [
        {"from": "Dataset", "to": "Detection task"}, {"from": "Detection task", "to": "Crop task"},
        {"from": "Crop task", "to": "Classification task"}]
    assert tasks[1]["labels"] == [{"name": "animal", "color": "#ff0000ff", "hotkey": "a"}]
    assert tasks[3]["labels"] == [{"name": "dog", "parent_id": "animal"}]


def _recorded_annotation_posts(shared, name: str):
    project = _project_from(name, shared)
    for it in interactions(shared.recordings(name)):
        uri = it["request"]["uri"]
        if it["request"]["method"] == "POST" and uri.endswith("/annotations"):
            yield project, uri.split("/")[-2], json.loads(it["request"]["body"])


@pytest.mark.parametrize("kind", ["Detection", "Classification", "Segmentation"])
def test_annotation_bodies_match_recordings(shared, kind: str) -> None:
    """Rebuild every recorded annotation POST from pixel annotations and compare."""
    name = f"TestSCRESTClient.test_create_single_task_project_from_dataset__{kind}_project.yaml"
    posts = list(_recorded_annotation_posts(shared, name))
    assert len(posts) >= 13  # 13 to 16 annotated images per recording
    width, height = 455, 256  # the recorded images' size (media_information)
    for project, image_id, recorded in posts:
        media = RemoteMedia(image_id, "img", "image", width, height)
        names = {lb.id: lb.name for lb in project.labels}
        anns = []
        for ann in recorded["annotations"]:
            labels = tuple(names[lb["id"]] for lb in ann["labels"])
            s = ann["shape"]
            if rec.is_full_image(s) and kind == "Classification":
                shape = None
            elif s["type"] == "RECTANGLE":
                shape = Rectangle(s["x"] * width, s["y"] * height, s["width"] * width, s["height"] * height)
            else:
                shape = Polygon(tuple((p["x"] * width, p["y"] * height) for p in s["points"]))
            anns.append(Annotation(labels, shape))
        built = rec.annotation_body(project, media, anns)
        assert built["media_identifier"] == recorded["media_identifier"]
        assert len(built["annotations"]) == len(recorded["annotations"])
        for mine, theirs in zip(built["annotations"], recorded["annotations"], strict=True):
            # the recording repeats a classification label; the meaning is one label
            assert mine["labels"] == list({lb["id"]: lb for lb in theirs["labels"]}.values())
            assert _close(mine["shape"], theirs["shape"])


def _close(a, b, tol: float = 1e-9) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], tol) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y, tol) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        return abs(a - b) <= tol
    return a == b


def test_auto_training_body_matches_recording(shared) -> None:
    name = "TestSCRESTClient.test_create_single_task_project_from_dataset__Detection_project.yaml"
    items = interactions(shared.recordings(name))
    config = json.loads(items[4]["response"]["body"]["string"])
    recorded = json.loads(items[5]["request"]["body"])
    component, param = rec.find_parameter(config, ("auto_training",))
    assert param["value"] is True
    assert rec.parameter_update_body(component, {"auto_training": False}) == recorded


def test_iterations_found_in_learning_parameters(shared) -> None:
    items = interactions(shared.recordings("TestConfigurationManager.test_get_and_set_configuration.yaml"))
    config = json.loads(items[0]["response"]["body"]["string"])
    component, param = rec.find_parameter(config, rec.ITERATION_PARAMETER_NAMES)
    assert (param["name"], param["value"]) == ("num_iters", 300)
    assert component["entity_identifier"]["group_name"] == "learning_parameters"
    body = rec.task_configuration_body(config)
    assert len(body["components"]) == len(config["components"])
    assert {"name": "num_iters", "value": 300} in body["components"][0]["parameters"]
