"""Helpers for the sc-server tests: a logged-in ``requests`` session against a running server and
small builders for projects, images and annotations. Uses plain ``requests`` on purpose (not the
project's client), so these tests check the server on its own."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
import requests
from PIL import Image


def login(url: str, username: str, password: str) -> requests.Session:
    """Follow SC's login chain like a browser-less client: GET /user/login, POST the form."""
    session = requests.Session()
    form = session.get(f"{url}/user/login", timeout=30)
    assert form.status_code == 200 and 'name="password"' in form.text
    session.post(form.url, data={"login": username, "password": password}, timeout=30)
    return session


def jpeg_bytes(width: int = 64, height: int = 48, color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "JPEG")
    return out.getvalue()


@dataclass
class Api:
    """A logged-in session plus the URLs of the default workspace."""

    url: str
    session: requests.Session
    workspace_id: str

    @property
    def ws(self) -> str:
        return f"{self.url}/api/v1.0/workspaces/{self.workspace_id}"

    def create_project(self, task_type: str = "detection", labels: list[dict] | None = None,
                       name: str | None = None) -> dict:
        title = f"{task_type.capitalize()} task"
        body = {"name": name or f"test-{uuid.uuid4().hex[:10]}",
                "pipeline": {"connections": [{"from": "Dataset", "to": title}],
                             "tasks": [{"title": "Dataset", "task_type": "dataset"},
                                       {"title": title, "task_type": task_type,
                                        "labels": labels if labels is not None else [{"name": "cube"},
                                                                                     {"name": "cylinder"}]}]}}
        response = self.session.post(f"{self.ws}/projects", json=body, timeout=30)
        assert response.status_code == 201, response.text
        return response.json()

    def dataset_url(self, project: dict) -> str:
        return f"{self.ws}/projects/{project['id']}/datasets/{project['datasets'][0]['id']}"

    def upload(self, project: dict, data: bytes, filename: str = "img.jpg", kind: str = "images"):
        return self.session.post(f"{self.dataset_url(project)}/media/{kind}", files={"file": (filename, data)},
                                 timeout=120)

    def list_media(self, project: dict, kind: str = "images") -> dict:
        response = self.session.get(f"{self.dataset_url(project)}/media/{kind}?top=1000", timeout=30)
        assert response.status_code == 200, response.text
        return response.json()


def make_api(server) -> Api:
    session = login(server.url, server.username, server.password)
    workspaces = session.get(f"{server.url}/api/v1.0/workspaces", timeout=30)
    assert workspaces.status_code == 200, workspaces.text
    return Api(url=server.url, session=session, workspace_id=workspaces.json()[0]["id"])


@pytest.fixture
def api(sc_server) -> Api:
    """A logged-in session on the shared session-scoped server."""
    return make_api(sc_server)


def task_of(project: dict, index: int = 1) -> dict:
    return project["pipeline"]["tasks"][index]


def rectangle(label_id: str, x: float = 0.1, y: float = 0.1, w: float = 0.5, h: float = 0.5) -> dict:
    return {"labels": [{"id": label_id, "probability": 1.0}],
            "shape": {"type": "RECTANGLE", "x": x, "y": y, "width": w, "height": h}}


@pytest.fixture
def h() -> SimpleNamespace:
    """The helpers above, for test modules (conftest modules are not importable under importlib mode)."""
    return SimpleNamespace(login=login, jpeg_bytes=jpeg_bytes, make_api=make_api, task_of=task_of,
                           rectangle=rectangle)


# -- the Geti 2.x dialect (/api/v1/) ------------------------------------------------------------------------


@dataclass
class GetiApi:
    """A ``requests`` session on the Geti 2.x dialect: the token header, and the organization and
    workspace discovered the way geti-sdk does (token organization, then ``workspaces[0]``)."""

    url: str
    session: requests.Session
    organization_id: str
    workspace_id: str

    @property
    def ws(self) -> str:
        return f"{self.url}/api/v1/organizations/{self.organization_id}/workspaces/{self.workspace_id}"

    def absolute(self, path: str) -> str:
        """A URL the server handed out (``/api/v1/...``) made absolute."""
        return self.url + path

    def create_project(self, task_type: str = "detection", labels: list[dict] | None = None,
                       name: str | None = None) -> dict:
        title = f"{task_type.capitalize()} task"
        if labels is None:
            labels = [{"name": "cube", "group": "shapes"}, {"name": "cylinder", "group": "shapes"}]
        body = {"name": name or f"geti-{uuid.uuid4().hex[:10]}",
                "pipeline": {"connections": [{"from": "Dataset", "to": title}],
                             "tasks": [{"title": "Dataset", "task_type": "dataset"},
                                       {"title": title, "task_type": task_type, "labels": labels}]}}
        response = self.session.post(f"{self.ws}/projects", json=body, timeout=30)
        assert response.status_code == 201, response.text
        return response.json()

    def dataset_url(self, project: dict, index: int = 0) -> str:
        return f"{self.ws}/projects/{project['id']}/datasets/{project['datasets'][index]['id']}"

    def upload(self, project: dict, data: bytes, filename: str = "img.jpg", kind: str = "images"):
        return self.session.post(f"{self.dataset_url(project)}/media/{kind}", files={"file": (filename, data)},
                                 timeout=120)


def make_geti(server) -> GetiApi:
    session = requests.Session()
    if getattr(server, "api_key", None):
        session.headers["x-api-key"] = server.api_key
    if getattr(server, "cert_path", None):
        session.verify = str(server.cert_path)
    base = f"{server.url}/api/v1"
    organization = session.get(f"{base}/personal_access_tokens/organization", timeout=30)
    assert organization.status_code == 200, organization.text
    organization_id = organization.json()["organizationId"]
    workspaces = session.get(f"{base}/organizations/{organization_id}/workspaces", timeout=30)
    assert workspaces.status_code == 200, workspaces.text
    return GetiApi(url=server.url, session=session, organization_id=organization_id,
                   workspace_id=workspaces.json()["workspaces"][0]["id"])


@pytest.fixture
def geti(sc_server) -> GetiApi:
    """A Geti 2.x session on the shared session-scoped server."""
    return make_geti(sc_server)


@pytest.fixture
def fresh_geti(fresh_sc_server) -> GetiApi:
    """A Geti 2.x session on an empty server of its own."""
    return make_geti(fresh_sc_server)
