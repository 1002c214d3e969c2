"""Listing cost per page at two dataset sizes: SC 1.0's ``media/images?top=100&skiptoken=..``, the Geti
dialect's ``media:query?limit=100&skip=..`` (pages followed through ``next_page`` from 90 % of the way, as a
client listing everything reaches them) and one media GET, each near the end of the dataset.

The media rows (and one annotation per item) are written straight into the server's SQLite store while it
runs, as the upload route writes them, with no files: listing reads rows, not files, and 100,000 uploads
would take the benchmark ten minutes. Each request is timed from the client; the median of ``repeats``.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import time
from dataclasses import dataclass

import requests

from sc_importers.server.ids import new_id
from sc_importers.server.timefmt import now_iso


@dataclass
class Geti:
    url: str
    session: requests.Session
    ws: str

    @classmethod
    def login(cls, url: str, api_key: str, verify: str) -> Geti:
        session = requests.Session()
        session.verify, session.trust_env = verify, False  # the environment's CA bundle would win
        session.headers["x-api-key"] = api_key
        org = session.get(f"{url}/api/v1/personal_access_tokens/organization", timeout=30).json()["organizationId"]
        workspaces = session.get(f"{url}/api/v1/organizations/{org}/workspaces", timeout=30).json()
        return cls(url, session, f"/api/v1/organizations/{org}/workspaces/{workspaces['workspaces'][0]['id']}")

    def create_project(self, name: str, labels: list[str]) -> dict:
        body = {"name": name, "pipeline": {
            "connections": [{"from": "Dataset", "to": "Detection task"}],
            "tasks": [{"title": "Dataset", "task_type": "dataset"},
                      {"title": "Detection task", "task_type": "detection",
                       "labels": [{"name": n, "group": "objects"} for n in labels]}]}}
        answer = self.session.post(f"{self.url}{self.ws}/projects", json=body, timeout=60)
        answer.raise_for_status()
        return answer.json()

    def dataset_path(self, project: dict) -> str:
        return f"{self.ws}/projects/{project['id']}/datasets/{project['datasets'][0]['id']}"

    def delete_project(self, project: dict) -> None:
        self.session.delete(f"{self.url}{self.ws}/projects/{project['id']}", timeout=600)


def fill(db_path, project: dict, count: int) -> list[str]:
    """Insert ``count`` image rows with one annotation each; their ids in listing order."""
    dataset_id = project["datasets"][0]["id"]
    task_id = project["pipeline"]["tasks"][1]["id"]
    label = project["pipeline"]["tasks"][1]["labels"][0]
    stamp = now_iso()
    ids = [new_id() for _ in range(count)]
    conn = sqlite3.connect(db_path, timeout=60)
    with conn:
        conn.executemany("INSERT INTO media (id, project_id, dataset_id, kind, name, filename, upload_time, width, "
                         "height) VALUES (?,?,?,?,?,?,?,?,?)",
                         [(i, project["id"], dataset_id, "image", f"img-{n:07d}", f"{i}.jpg", stamp, 640, 480)
                          for n, i in enumerate(ids)])
        scene = {"annotations": [{"id": new_id(), "labels": [{"color": label["color"], "id": label["id"],
                                  "name": label["name"], "probability": 1.0, "source": {"id": "N/A", "type": "N/A"}}],
                                  "labels_to_revisit": [], "modified": stamp,
                                  "shape": {"type": "RECTANGLE", "x": 0.1, "y": 0.1, "width": 0.2, "height": 0.2}}],
                 "kind": "annotation", "labels_to_revisit_full_scene": [], "modified": stamp}
        conn.executemany("INSERT INTO annotations (media_id, frame_index, project_id, doc, annotated_tasks) "
                         "VALUES (?,?,?,?,?)",
                         [(i, -1, project["id"], json.dumps({**scene, "id": new_id(),
                                                             "media_identifier": {"type": "image", "image_id": i}}),
                           json.dumps([task_id])) for i in ids])
    conn.close()
    return ids


def _median_ms(call, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        answer = call()
        times.append(time.perf_counter() - started)
        answer.raise_for_status()
    return statistics.median(times) * 1000


def _walk_ms(first_url: str, post, repeats: int) -> float:
    """Median milliseconds per page while following ``next_page`` from ``first_url`` (as clients list)."""
    times, url = [], first_url
    for _ in range(repeats + 1):
        started = time.perf_counter()
        answer = post(url)
        times.append(time.perf_counter() - started)
        answer.raise_for_status()
        following = answer.json().get("next_page")
        if not following:
            break
        url = first_url.split("/api/")[0] + following
    return statistics.median(times[1:] or times) * 1000  # the first page is reached by a jump, not a walk


def page_costs(geti: Geti, sc_session: requests.Session, sc_dataset: str, project: dict, ids: list[str],
               repeats: int) -> dict[str, float]:
    """Milliseconds per request 90 % through the dataset: pages followed through ``next_page``, and a GET."""
    at = int(len(ids) * 0.9)
    base = geti.url + geti.dataset_path(project)
    return {
        "SC 1.0 list page (top=100, skiptoken)": _walk_ms(
            f"{geti.url}{sc_dataset}/media/images?top=100&skiptoken={ids[at]}",
            lambda url: sc_session.get(url, timeout=600), repeats),
        "Geti media:query page (limit=100, skip)": _walk_ms(
            f"{base}/media:query?limit=100&skip={at}", lambda url: geti.session.post(url, json={}, timeout=600),
            repeats),
        "Geti media GET": _median_ms(lambda: geti.session.get(f"{base}/media/images/{ids[at]}", timeout=600),
                                     repeats),
    }
