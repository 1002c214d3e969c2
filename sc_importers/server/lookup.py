"""Finding the workspace, project, dataset and media item a path names, with the 400/404 answers
a real server gives for malformed or unknown ids."""

from __future__ import annotations

import json
import sqlite3

from sc_importers.server.errors import check_id, not_found
from sc_importers.server.settings import ServerSettings


def check_workspace(settings: ServerSettings, workspace_id: str) -> None:
    check_id("workspace", workspace_id)
    if workspace_id != settings.workspace_id:
        raise not_found("workspace", workspace_id)


def load_project(settings: ServerSettings, workspace_id: str, project_id: str) -> dict:
    """The stored project document; 400 for a malformed id, 404 when it does not exist."""
    check_workspace(settings, workspace_id)
    check_id("project", project_id)
    with settings.db.read() as conn:
        row = conn.execute("SELECT doc FROM projects WHERE id=?", (project_id,)).fetchone()
    if row is None:
        raise not_found("project", project_id)
    return json.loads(row["doc"])


def load_dataset_project(settings: ServerSettings, workspace_id: str, project_id: str, dataset_id: str) -> dict:
    """The project, after checking ``dataset_id`` is its dataset."""
    project = load_project(settings, workspace_id, project_id)
    check_id("dataset", dataset_id)
    if dataset_id not in {d["id"] for d in project["datasets"]}:
        raise not_found("dataset", dataset_id)
    return project


def load_media(settings: ServerSettings, dataset_id: str, kind: str, media_id: str) -> sqlite3.Row:
    """The media row of an ``image`` or ``video`` of the dataset; 400/404 otherwise."""
    check_id(kind, media_id)
    with settings.db.read() as conn:
        row = conn.execute("SELECT * FROM media WHERE id=? AND dataset_id=? AND kind=?",
                           (media_id, dataset_id, kind)).fetchone()
    if row is None:
        raise not_found(kind, media_id)
    return row
