"""The direct path for image uploads and annotation POSTs (server/hot_routes.py) answers exactly as the
FastAPI routes do. The same request is sent twice over real HTTP: with a Content-Length (the direct
path answers) and chunked (no Content-Length, so the FastAPI route answers); the two answers must be
byte-identical once the fresh ids and timestamps are masked. An in-process check makes sure the direct
path really answered the first and left the others to FastAPI."""

from __future__ import annotations

import asyncio
import re

import pytest
import requests
from urllib3.filepost import encode_multipart_formdata

from sc_importers.server import hot_routes
from sc_importers.server.app import create_app
from sc_importers.server.auth import new_api_key

_ID = re.compile(rb"[0-9a-f]{24}")
_TIME = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00")


def _masked(response: requests.Response) -> tuple[int, str, bytes]:
    return response.status_code, response.headers["content-type"], _TIME.sub(b"T", _ID.sub(b"I", response.content))


def _twice(session: requests.Session, url: str, body: bytes, content_type: str) -> tuple[requests.Response, ...]:
    """The direct path's answer (Content-Length) and the FastAPI route's (chunked) to one request."""
    headers = {"content-type": content_type}
    direct = session.post(url, data=body, headers=headers, timeout=60)
    routed = session.post(url, data=iter([body]), headers=headers, timeout=60)
    assert "content-length" in direct.request.headers and "content-length" not in routed.request.headers
    return direct, routed


def _form(fields: dict) -> tuple[bytes, str]:
    return encode_multipart_formdata(fields, boundary="hot-routes-test-boundary")


def _same(session: requests.Session, url: str, body: bytes, content_type: str) -> requests.Response:
    direct, routed = _twice(session, url, body, content_type)
    assert _masked(direct) == _masked(routed), (direct.text, routed.text)
    return direct


@pytest.mark.parametrize("dialect", ["sc1", "geti"])
def test_uploads_and_annotations_answer_as_the_routes_do(dialect, api, geti, h) -> None:
    client = api if dialect == "sc1" else geti
    session, project = client.session, client.create_project("detection")
    dataset = client.dataset_url(project)
    image = h.jpeg_bytes(200, 100)
    for name in ("cat.jpg", "../../odd name \u00e9.JPG", ""):
        first = _same(session, f"{dataset}/media/images", *_form({"file": (name, image, "image/jpeg")}))
    assert first.status_code in (200, 415)  # Geti refuses a file without a name, SC 1.0 names it "upload"
    uploaded = _same(session, f"{dataset}/media/images", *_form({"file": ("cat.jpg", image, "image/jpeg")}))
    assert uploaded.status_code == 200
    media = uploaded.json()["id"]
    label = h.task_of(project)["labels"][0]["id"]
    if dialect == "sc1":  # normalized shapes; floats that JSON encoders write differently
        shapes = [{"type": "RECTANGLE", "x": 1e-05, "y": 1 / 3, "width": 0.5, "height": 0.25},
                  {"type": "POLYGON", "points": [{"x": 0.1, "y": 0.2}, {"x": 0.7, "y": 1e-7}, {"x": 0.5, "y": 0.9}]}]
    else:
        shapes = [{"type": "RECTANGLE", "x": 1, "y": 2, "width": 50.5, "height": 30},
                  {"type": "RECTANGLE", "x": 0.001, "y": 0, "width": 199, "height": 100}]
    scene = {"annotations": [{"labels": [{"id": label, "probability": 0.1 + 0.2}], "shape": s} for s in shapes]}
    notes = f"{dataset}/media/images/{media}/annotations"
    answer = _same(session, notes, requests.models.complexjson.dumps(scene).encode(), "application/json")
    assert answer.status_code == 200 and len(answer.json()["annotations"]) == 2
    for body in (b"{not json", b'{"annotations": [{"labels": [{"id": "0123456789abcdef01234567"}]}]}', b"NaN",
                 b'{"annotations": []}'):
        _same(session, notes, body, "application/json")
    for url in (notes.replace(media, "0123456789abcdef01234567"), notes.replace(media, "nope"),
                notes.replace(project["id"], "0123456789abcdef01234567")):
        assert _same(session, url, b'{"annotations": []}', "application/json").status_code in (400, 404)
    broken = _form({"file": ("bad.jpg", b"not an image", "image/jpeg")})
    assert _same(session, f"{dataset}/media/images", *broken).status_code in (400, 415)
    missing = f"{dataset}/media/images".replace(project["id"], "0123456789abcdef01234567")
    assert _same(session, missing, *_form({"file": ("cat.jpg", image, "image/jpeg")})).status_code in (400, 404)
    for fields in ({"other": "x"}, {"file": "not a file"}, {"file": ("a.jpg", image), "extra": "x"}):
        _same(session, f"{dataset}/media/images", *_form(fields))  # handed to the route with the body
    _same(session, f"{dataset}/media/images", b"--x\r\nbroken", "multipart/form-data; boundary=x")
    _same(session, f"{dataset}/media/images", b"{}", "application/json")


def test_geti_upload_info_answers_as_the_route_does(geti, h) -> None:
    project = geti.create_project("classification", labels=[{"name": "cat", "group": "g"},
                                                           {"name": "dog", "group": "g"}])
    url = f"{geti.dataset_url(project)}/media/images"
    label = h.task_of(project)["labels"][0]["id"]
    image = h.jpeg_bytes(64, 64)
    for info in (f'{{"label_ids": ["{label}"]}}', "", "not json", '{"label_ids": ["0123456789abcdef01234567"]}'):
        _same(geti.session, url, *_form({"file": ("a.jpg", image, "image/jpeg"), "upload_info": info}))
    for odd in ({"file": ("a.jpg", image), "upload_info": ("info.json", b"{}")},  # a file, not a field
                {"upload_info": "{}", "file": ("a.jpg", image), "File": "x"}):
        _same(geti.session, url, *_form(odd))


class _Asgi:
    """Drives the application in process: one request, the answer's status and the body."""

    def __init__(self, app) -> None:
        self.app = app

    def post(self, path: str, headers: dict[str, str], body: bytes, chunked: bool = False) -> tuple[int, bytes]:
        raw = [(k.encode(), v.encode()) for k, v in headers.items()]
        raw.append((b"transfer-encoding", b"chunked") if chunked else (b"content-length", str(len(body)).encode()))
        scope = {"type": "http", "method": "POST", "path": path, "raw_path": path.encode(), "query_string": b"",
                 "headers": raw, "scheme": "http", "server": ("test", 80), "client": ("test", 1), "root_path": "",
                 "http_version": "1.1", "asgi": {"version": "3.0"}}
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        sent: list[dict] = []

        async def receive() -> dict:
            if messages:
                return messages.pop()
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)

        asyncio.run(self.app(scope, receive, send))
        return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_the_direct_path_answers_only_plain_requests(tmp_path, monkeypatch, h) -> None:
    answered = []
    real_send = hot_routes._send

    async def counting_send(send, body: bytes) -> None:
        answered.append(body)
        await real_send(send, body)

    monkeypatch.setattr(hot_routes, "_send", counting_send)
    key = new_api_key()
    app = create_app(tmp_path / "data", "user", "secret", api_key=key)
    asgi = _Asgi(app)
    settings = app.state.server
    token = {"x-api-key": key, "content-type": "application/json"}
    ws = f"/api/v1/organizations/{settings.organization_id}/workspaces/{settings.geti_workspace_id}"
    body = (b'{"name": "p", "pipeline": {"connections": [{"from": "Dataset", "to": "D"}], "tasks": [{"title": '
            b'"Dataset", "task_type": "dataset"}, {"title": "D", "task_type": "detection", "labels": [{"name": "a", '
            b'"group": "g"}]}]}}')
    status, created = asgi.post(f"{ws}/projects", token, body)
    assert status == 201 and not answered
    project = requests.models.complexjson.loads(created)
    dataset = f"{ws}/projects/{project['id']}/datasets/{project['datasets'][0]['id']}"
    form, content_type = _form({"file": ("a.jpg", h.jpeg_bytes(64, 64), "image/jpeg")})
    upload = {"x-api-key": key, "content-type": content_type}
    assert asgi.post(f"{dataset}/media/images", upload, form)[0] == 200 and len(answered) == 1
    assert asgi.post(f"{dataset}/media/images", upload, form, chunked=True)[0] == 200 and len(answered) == 1
    odd, odd_type = _form({"file": ("a.jpg", h.jpeg_bytes(64, 64)), "extra": "x"})
    assert asgi.post(f"{dataset}/media/images", {**upload, "content-type": odd_type}, odd)[0] == 200
    assert len(answered) == 1
    monkeypatch.setattr(hot_routes, "MAX_BODY", len(form) - 1)  # larger bodies are streamed by the route
    assert asgi.post(f"{dataset}/media/images", upload, form)[0] == 200 and len(answered) == 1
    monkeypatch.setattr(hot_routes, "MAX_BODY", len(form))
    status, media = asgi.post(f"{dataset}/media/images", upload, form)
    notes = f"{dataset}/media/images/{requests.models.complexjson.loads(media)['id']}/annotations"
    assert asgi.post(notes, token, b'{"annotations": []}')[0] == 200 and len(answered) == 3
    assert asgi.post(notes, {"content-type": "application/json"}, b"{}")[0] == 403 and len(answered) == 3
