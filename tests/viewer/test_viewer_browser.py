"""The viewer of ``sc-server`` in a real headless browser, on projects imported from real data:
voc-raccoon (200 photos, 217 boxes: a grid of several pages) and labelme's instance-segmentation
example (polygons) with a real video whose frames carry a polygon and an ellipse, and the same example
as a detection → segmentation chain plus a photo without annotations.

What the browser shows is checked against what the server holds, read through the JSON API with a
plain ``requests`` session (never through the viewer's own code)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
import requests

try:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    if os.environ.get("CI"):  # under CI a missing browser stack is a failure (see conftest.py)
        raise
    pytest.skip("selenium is not installed", allow_module_level=True)

from sc_importers.model import Annotation, Ellipse, MediaItem, Polygon
from sc_importers.plugins import format_readers
from sc_importers.project_types.base import BuildOptions
from sc_importers.rest import connect
from sc_importers.server.testing import running_server
from sc_importers.uploader import import_dataset

PER_PAGE = 60
VIDEO_FRAMES = {3: "polygon", 50: "ellipse"}


class Truth:
    """The server's answers, read as JSON through the SC 1.0 API."""

    def __init__(self, url: str, username: str, password: str):
        self.url = url
        self.session = requests.Session()
        form = self.session.get(f"{url}/user/login", timeout=30)
        self.session.post(form.url, data={"login": username, "password": password}, timeout=30)
        self.workspace = self.session.get(f"{url}/api/v1.0/workspaces", timeout=30).json()[0]["id"]

    def get(self, path: str):
        response = self.session.get(f"{self.url}/api/v1.0/workspaces/{self.workspace}{path}", timeout=60)
        response.raise_for_status()
        return None if response.status_code == 204 else response.json()

    def project(self, project_id: str) -> dict:
        return self.get(f"/projects/{project_id}")

    def media(self, project: dict) -> list[dict]:
        """Every media item, following ``next_page`` as a client does."""
        items, path = [], f"/projects/{project['id']}/datasets/{project['datasets'][0]['id']}/media?top=50"
        while True:
            page = self.get(path)
            items += page["media"]
            if not page["media"] or "next_page" not in page:
                return items
            path = page["next_page"].split(f"/workspaces/{self.workspace}", 1)[1]

    def _media_path(self, project: dict, media: dict) -> str:
        return f"/projects/{project['id']}/datasets/{project['datasets'][0]['id']}/media/{media['type']}s/{media['id']}"

    def annotations(self, project: dict, media: dict, frame: int | None = None) -> list[dict]:
        path = self._media_path(project, media) + (f"/frames/{frame}" if frame is not None else "")
        scene = self.get(path + "/annotations/latest")
        return scene["annotations"] if scene else []

    def annotate(self, project: dict, media: dict, annotations: list[dict]) -> None:
        """Replace an image's annotations, as a user saving a scene in the UI would."""
        body = {"annotations": [{"labels": [{"id": lb["id"]} for lb in a["labels"]], "shape": a["shape"]}
                                for a in annotations],
                "media_identifier": {"type": "image", "image_id": media["id"]}}
        url = f"{self.url}/api/v1.0/workspaces/{self.workspace}{self._media_path(project, media)}/annotations"
        self.session.post(url, json=body, timeout=60).raise_for_status()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest, shared):
    """A server holding the two imported projects; yields (server, truth, {name: project id})."""
    shared_path = shared.path

    raccoon = format_readers()["datumaro"].read(shared_path("datasets/voc-raccoon"))
    labelme = format_readers()["labelme"].read(
        shared_path("datasets/labelme-examples/examples/instance_segmentation/data_annotated"))
    video = shared_path("datasets/videos-moviepy-media/chaplin.mp4")  # 640x360, 241 frames
    label = next(a.labels[0] for i in labelme.items for a in i.annotations)
    labelme.items.append(MediaItem(video, "chaplin.mp4", "video", width=640, height=360, frames={
        3: [Annotation((label,), Polygon(((10, 10), (200, 30), (100, 300))))],
        50: [Annotation((label,), Ellipse(100, 50, 200, 100))]}))
    chain = format_readers()["labelme"].read(
        shared_path("datasets/labelme-examples/examples/instance_segmentation/data_annotated"))
    chain.items.append(MediaItem(raccoon.items[0].path, "unannotated.jpg"))  # a real photo, no annotation
    with running_server(tmp_path_factory.mktemp("viewer-server")) as server:
        api = connect(server.url, server.username, server.password, workers=8)
        ids = {}
        for name, dataset, kind in (("raccoons", raccoon, "detection"),
                                    ("people and a video", labelme, "segmentation"),
                                    ("chain", chain, "detection_to_segmentation")):
            report = import_dataset(api, dataset, kind, BuildOptions(), name, workers=8)
            assert report.media_created == len(dataset.items), report.render()
            ids[name] = report.project_id
        api.close()
        yield server, Truth(server.url, server.username, server.password), ids


@pytest.fixture(scope="module")
def logged_in(browser, served):
    """The browser asks for a viewer page, is sent through the SC login form, and lands on that page."""
    server, _, ids = served
    wanted = f"{server.url}/viewer/projects/{ids['raccoons']}?per_page={PER_PAGE}"
    browser.get(wanted)
    assert "/dex/auth/ldap/login" in browser.current_url
    browser.find_element(By.ID, "login").send_keys(server.username)
    browser.find_element(By.ID, "password").send_keys(server.password)
    browser.find_element(By.ID, "submit-login").click()
    WebDriverWait(browser, 30).until(lambda d: "/viewer/projects/" in d.current_url)
    assert browser.current_url == wanted  # back on the page asked for
    return browser


def _screenshot(browser, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    assert browser.save_screenshot(str(path))
    print(f"screenshot: {path}")
    return path


def test_projects_page_lists_imported_projects(logged_in, served):
    server, truth, ids = served
    logged_in.get(f"{server.url}/viewer/")
    rows = {r.get_attribute("data-project-id"): r for r in logged_in.find_elements(By.CSS_SELECTOR, "tr.project")}
    assert set(rows) == set(ids.values())
    for name, project_id in ids.items():
        project = truth.project(project_id)
        row = rows[project_id]
        assert row.find_element(By.CSS_SELECTOR, "a.project-link").text == name
        media = truth.media(project)
        assert int(row.find_element(By.CSS_SELECTOR, ".images").text) == sum(m["type"] == "image" for m in media)
        assert int(row.find_element(By.CSS_SELECTOR, ".videos").text) == sum(m["type"] == "video" for m in media)
        trainable = [t for t in project["pipeline"]["tasks"] if "labels" in t]
        assert row.find_element(By.CSS_SELECTOR, ".type").text == " → ".join(t["task_type"] for t in trainable)
        shown = {c.get_attribute("data-label-id"): c.get_attribute("data-color")
                 for c in row.find_elements(By.CSS_SELECTOR, ".label")}
        assert shown == {lb["id"]: lb["color"][:7] for t in trainable for lb in t["labels"]}


def test_grid_shows_every_media_item_across_pages(logged_in, served, tmp_path):
    server, truth, ids = served
    project = truth.project(ids["raccoons"])
    task = next(t for t in project["pipeline"]["tasks"] if "labels" in t)
    logged_in.get(f"{server.url}/viewer/projects/{project['id']}?per_page={PER_PAGE}")
    _screenshot(logged_in, tmp_path, "grid.png")
    seen: dict[str, int] = {}
    pages = 0
    while True:
        pages += 1
        for card in logged_in.find_elements(By.CSS_SELECTOR, "#media-grid .card"):
            count = card.find_element(By.CSS_SELECTOR, f'.task-count[data-task-id="{task["id"]}"] .n').text
            assert card.get_attribute("data-media-id") not in seen
            seen[card.get_attribute("data-media-id")] = int(count)
        following = logged_in.find_elements(By.ID, "next-page")
        if not following:
            break
        following[0].click()
    media = truth.media(project)
    assert pages == math.ceil(len(media) / PER_PAGE) == 4
    assert set(seen) == {m["id"] for m in media} and len(seen) == 200
    expected = {m["id"]: len(truth.annotations(project, m)) for m in media}
    assert seen == expected and sum(seen.values()) == 217


def _drawn(browser) -> list[tuple[str, str, tuple[str, ...]]]:
    """(shape type, stroke color, label ids) of every annotation drawn on the media page."""
    out = []
    for group in browser.find_elements(By.CSS_SELECTOR, "#canvas g.annotation"):
        shape = group.find_element(By.CSS_SELECTOR, ".shape")
        out.append((shape.get_attribute("data-shape-type"), shape.get_attribute("stroke"),
                    tuple(group.get_attribute("data-labels").split())))
    return sorted(out)


def _expected(annotations: list[dict]) -> list[tuple[str, str, tuple[str, ...]]]:
    return sorted((a["shape"]["type"], a["labels"][0]["color"][:7], tuple(lb["id"] for lb in a["labels"]))
                  for a in annotations)


def _image_loaded(browser) -> bool:
    return browser.execute_script(
        "const i=document.querySelector('#canvas image');const b=i.getBBox();return b.width>0")


def test_media_page_draws_the_annotations_of_an_image(logged_in, served, tmp_path):
    server, truth, ids = served
    project = truth.project(ids["people and a video"])
    image = max((m for m in truth.media(project) if m["type"] == "image"),
                key=lambda m: len(truth.annotations(project, m)))
    held = truth.annotations(project, image)
    assert len(held) >= 4 and {a["shape"]["type"] for a in held} == {"POLYGON"}
    logged_in.get(f"{server.url}/viewer/projects/{project['id']}/media/{image['id']}")
    WebDriverWait(logged_in, 30).until(_image_loaded)
    assert _drawn(logged_in) == _expected(held)
    for polygon, annotation in zip(logged_in.find_elements(By.CSS_SELECTOR, "#canvas polygon.shape"), held,
                                   strict=True):  # drawn in the server's order, every point kept
        assert len(polygon.get_attribute("points").split()) == len(annotation["shape"]["points"])
    _screenshot(logged_in, tmp_path, "image.png")
    # the label filter hides exactly the annotations of an unchecked label
    first = held[0]["labels"][0]["id"]
    logged_in.find_element(By.CSS_SELECTOR, f'input.label-filter[value="{first}"]').click()
    visible = [g for g in logged_in.find_elements(By.CSS_SELECTOR, "#canvas g.annotation") if g.is_displayed()]
    assert len(visible) == sum(1 for a in held if first not in {lb["id"] for lb in a["labels"]})
    assert int(logged_in.find_element(By.ID, "shown-count").text) == len(visible)
    # previous / next walk the project's media in the API's order
    order = [m["id"] for m in truth.media(project)]
    at = order.index(image["id"])
    for key, step in (("next", 1), ("prev", -1)):
        links = logged_in.find_elements(By.ID, f"{key}-media")
        assert bool(links) == (0 <= at + step < len(order))
        if links:
            assert links[0].get_attribute("href").endswith(f"/media/{order[at + step]}")


def test_media_page_draws_the_annotations_of_a_video_frame(logged_in, served, tmp_path):
    server, truth, ids = served
    project = truth.project(ids["people and a video"])
    video = next(m for m in truth.media(project) if m["type"] == "video")
    for frame, kind in VIDEO_FRAMES.items():
        held = truth.annotations(project, video, frame)
        assert [a["shape"]["type"] for a in held] == [kind.upper()]
        logged_in.get(f"{server.url}/viewer/projects/{project['id']}/media/{video['id']}?frame={frame}")
        WebDriverWait(logged_in, 30).until(_image_loaded)
        assert _drawn(logged_in) == _expected(held)
        links = [a.text for a in logged_in.find_elements(By.CSS_SELECTOR, "a.frame-link")]
        assert links == [str(f) for f in VIDEO_FRAMES]
    ellipse = logged_in.find_element(By.CSS_SELECTOR, "#canvas ellipse.shape")  # Ellipse(100, 50, 200, 100)
    assert [float(ellipse.get_attribute(k)) for k in ("cx", "cy", "rx", "ry")] == pytest.approx([200, 100, 100, 50],
                                                                                                abs=0.02)
    _screenshot(logged_in, tmp_path, "video-frame.png")


def test_viewer_needs_a_login(served):
    server, _, ids = served
    answer = requests.get(f"{server.url}/viewer/projects/{ids['raccoons']}", allow_redirects=False, timeout=30)
    assert answer.status_code == 303 and answer.headers["location"] == "/user/login"
    thumb = requests.get(f"{server.url}/viewer/", allow_redirects=True, timeout=30)
    assert 'name="password"' in thumb.text  # the login form, not the projects


def test_grid_filters_find_unannotated_media_and_a_chain_with_its_second_task_empty(logged_in, served):
    server, truth, ids = served
    project = truth.project(ids["chain"])
    detection, segmentation = [t for t in project["pipeline"]["tasks"] if "labels" in t]
    media = {m["name"]: m for m in truth.media(project)}
    never = next(m for name, m in media.items() if name.startswith("raccoon-"))  # the photo without annotations
    # a user keeps only the boxes of one image: its segmentation task is now empty
    emptied = media["2011_000003"]
    boxes = [a for a in truth.annotations(project, emptied)
             if {lb["id"] for lb in a["labels"]} <= {lb["id"] for lb in detection["labels"]}]
    assert boxes and len(boxes) < len(truth.annotations(project, emptied))
    truth.annotate(project, emptied, boxes)

    def cards(show: str) -> dict[str, object]:
        logged_in.get(f"{server.url}/viewer/projects/{project['id']}?show={show}")
        return {c.get_attribute("data-media-id"): c for c in logged_in.find_elements(By.CSS_SELECTOR, ".card")}

    assert set(cards("unannotated")) == {never["id"]}
    partial = cards("partial")
    assert set(partial) == {emptied["id"]}
    count = partial[emptied["id"]].find_element
    assert count(By.CSS_SELECTOR, f'[data-task-id="{detection["id"]}"] .n').text == str(len(boxes))
    assert count(By.CSS_SELECTOR, f'[data-task-id="{segmentation["id"]}"] .n').text == "0"
    assert logged_in.find_element(By.ID, "show-partial").text.endswith("(1)")
    others = {emptied["id"], never["id"]}
    assert set(cards("annotated")) == {m["id"] for m in media.values()} - others
    logged_in.get(f"{server.url}/viewer/")  # the projects page counts the same
    text = logged_in.find_element(By.CSS_SELECTOR, f'tr[data-project-id="{project["id"]}"] .counts').text
    assert f"{len(media) - 2} annotated, 1 partly, 1 unannotated" in text
