"""The viewer's pages and images over plain HTTP (no browser): what a browser cannot show as uploaded
is converted, unknown ids get an HTML 404, and nothing is served without a session."""

from __future__ import annotations

import io
import uuid

import requests
from PIL import Image

SAMPLE_ID = "0123456789abcdef01234567"


def _login(server) -> requests.Session:
    session = requests.Session()
    form = session.get(f"{server.url}/user/login", timeout=30)
    session.post(form.url, data={"login": server.username, "password": server.password}, timeout=30)
    return session


def _project_with_a_tiff(server, session: requests.Session) -> tuple[dict, dict]:
    api = f"{server.url}/api/v1.0/workspaces/{session.get(f'{server.url}/api/v1.0/workspaces').json()[0]['id']}"
    body = {"name": f"viewer-pages-{uuid.uuid4().hex[:8]}", "pipeline": {
        "tasks": [{"title": "Dataset", "task_type": "dataset"},
                  {"title": "Detection", "task_type": "detection",
                   "labels": [{"name": "thing", "color": "#00ff00ff"}]}],
        "connections": [{"from": "Dataset", "to": "Detection"}]}}
    project = session.post(f"{api}/projects", json=body, timeout=30).json()
    tiff = io.BytesIO()
    Image.new("RGB", (80, 60), "blue").save(tiff, "TIFF")
    dataset = f"{api}/projects/{project['id']}/datasets/{project['datasets'][0]['id']}"
    media = session.post(f"{dataset}/media/images", files={"file": ("scan.tif", tiff.getvalue())}, timeout=30).json()
    label = project["pipeline"]["tasks"][1]["labels"][0]
    shape = {"type": "ROTATED_RECTANGLE", "x": 0.5, "y": 0.5, "width": 0.5, "height": 0.25, "angle": 45.0}
    answer = session.post(f"{dataset}/media/images/{media['id']}/annotations", timeout=30, json={
        "annotations": [{"labels": [{"id": label["id"]}], "shape": shape}],
        "media_identifier": {"type": "image", "image_id": media["id"]}})
    assert answer.status_code == 200, answer.text
    return project, media


def test_tiff_is_shown_as_png_with_its_rotated_box(sc_server):
    session = _login(sc_server)
    project, media = _project_with_a_tiff(sc_server, session)
    base = f"{sc_server.url}/viewer/projects/{project['id']}/media/{media['id']}"
    full = session.get(f"{base}/full", timeout=30)
    assert full.headers["content-type"] == "image/png" and Image.open(io.BytesIO(full.content)).size == (80, 60)
    thumb = session.get(f"{base}/thumb", timeout=30)
    assert thumb.headers["content-type"] == "image/jpeg"
    page = session.get(base, timeout=30).text
    assert 'viewBox="0 0 80 60"' in page and page.count('class="shape"') == 1
    assert 'transform="rotate(45 40 30)" x="20" y="22.5" width="40" height="15"' in page and 'stroke="#00ff00"' in page


def test_unknown_ids_get_an_html_404(sc_server):
    session = _login(sc_server)
    for path in (f"/viewer/projects/{SAMPLE_ID}", "/viewer/projects/not-an-id",
                 f"/viewer/projects/{SAMPLE_ID}/media/{SAMPLE_ID}"):
        answer = session.get(sc_server.url + path, timeout=30)
        assert answer.status_code == 404 and "does not exist" in answer.text, path
    assert session.get(f"{sc_server.url}/viewer/projects/{SAMPLE_ID}/media/{SAMPLE_ID}/full").status_code == 404
    project, _ = _project_with_a_tiff(sc_server, session)
    typed = session.get(f"{sc_server.url}/viewer/projects/{project['id']}?page=x&per_page=-3", timeout=30)
    assert typed.status_code == 200 and "Page 1 of 1 (1 media)" in typed.text  # a bad page number: the first page


def test_nothing_without_a_session(sc_server):
    project, media = _project_with_a_tiff(sc_server, _login(sc_server))
    base = f"{sc_server.url}/viewer/projects/{project['id']}/media/{media['id']}"
    for url in (f"{sc_server.url}/viewer/", base, f"{base}/full", f"{base}/thumb"):
        answer = requests.get(url, allow_redirects=False, timeout=30)
        assert answer.status_code == 303 and answer.headers["location"] == "/user/login", url
    # the page asked for is remembered for after the login, and given back only to a logged-in browser
    answer = requests.get(base, allow_redirects=False, timeout=30)
    assert f"sc_viewer_next={base.removeprefix(sc_server.url)}" in answer.headers["set-cookie"].replace('"', "")
