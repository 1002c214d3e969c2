"""Product info, workspaces, supported algorithms, and project create/list/get/delete/status."""

from __future__ import annotations

import json
import shutil
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from sc_importers.server.body import read_json
from sc_importers.server.configuration import build_configuration
from sc_importers.server.errors import ApiError
from sc_importers.server.lookup import check_workspace, load_project
from sc_importers.server.project_builder import build_project, trainable_tasks
from sc_importers.server.settings import PRODUCT_VERSION, ServerSettings, settings_of
from sc_importers.server.storage import media_dir, thumbnail_response, thumbs_dir

router = APIRouter()
_ALGORITHMS = Path(__file__).with_name("supported_algorithms.json")


@lru_cache(maxsize=1)
def _algorithms() -> dict:
    with open(_ALGORITHMS, encoding="utf-8") as handle:
        return json.load(handle)


@router.get("/product_info")
def product_info() -> dict:
    return {"product-version": PRODUCT_VERSION}


@router.get("/workspaces")
def workspaces(request: Request) -> list:
    settings = settings_of(request)
    return [{"creation_date": settings.workspace_created, "creator_name": settings.username,
             "description": "", "id": settings.workspace_id, "name": "Default Workspace"}]


@router.get("/supported_algorithms")
def supported_algorithms() -> dict:
    return _algorithms()


@router.get("/workspaces/{workspace_id}/projects")
@router.get("/workspaces/{workspace_id}/projects/")
def list_projects(request: Request, workspace_id: str) -> dict:
    settings = settings_of(request)
    check_workspace(settings, workspace_id)
    with settings.db.read() as conn:
        rows = conn.execute("SELECT doc FROM projects ORDER BY id DESC").fetchall()
    return {"items": [json.loads(r["doc"]) for r in rows]}  # newest first, as recorded


@router.post("/workspaces/{workspace_id}/projects")
@router.post("/workspaces/{workspace_id}/projects/")
async def create_project(request: Request, workspace_id: str) -> JSONResponse:
    settings = settings_of(request)
    check_workspace(settings, workspace_id)
    body = await read_json(request, "Project body")
    project = build_project(body, settings.workspace_id)
    config = build_configuration(project, settings.workspace_id, trainable_tasks(project))
    with settings.db.write() as conn:
        if conn.execute("SELECT 1 FROM projects WHERE name=?", (project["name"],)).fetchone():
            raise ApiError(409, "project_name_conflict",
                           f"A project with the name {project['name']!r} already exists in this workspace.")
        conn.execute("INSERT INTO projects (id, name, dataset_id, doc, config) VALUES (?, ?, ?, ?, ?)",
                     (project["id"], project["name"], project["datasets"][0]["id"], json.dumps(project),
                      json.dumps(config)))
    return JSONResponse(status_code=201, content={**project, "score": 0.0})


@router.get("/workspaces/{workspace_id}/projects/{project_id}")
def get_project(request: Request, workspace_id: str, project_id: str) -> dict:
    return {**load_project(settings_of(request), workspace_id, project_id), "score": 0.0}


@router.delete("/workspaces/{workspace_id}/projects/{project_id}")
def delete_project(request: Request, workspace_id: str, project_id: str) -> dict:
    settings = settings_of(request)
    load_project(settings, workspace_id, project_id)
    remove_project(settings, project_id)
    return {"result": "success"}


def remove_project(settings: ServerSettings, project_id: str) -> None:
    """Delete a project with its media rows, annotations, media files and the per-task values the
    Geti dialect keeps in the meta table (``geti.<name>:<task id>``); both dialects delete through here."""
    with settings.db.write() as conn:
        row = conn.execute("SELECT doc FROM projects WHERE id=?", (project_id,)).fetchone()
        for task in json.loads(row["doc"])["pipeline"]["tasks"] if row else []:
            conn.execute("DELETE FROM meta WHERE key LIKE ?", (f"geti.%:{task['id']}",))
        conn.execute("DELETE FROM annotations WHERE project_id=?", (project_id,))
        conn.execute("DELETE FROM media WHERE project_id=?", (project_id,))
        conn.execute("DELETE FROM projects WHERE id=?", (project_id,))
    shutil.rmtree(media_dir(settings.data_dir, project_id), ignore_errors=True)
    shutil.rmtree(thumbs_dir(settings.data_dir) / project_id, ignore_errors=True)


@router.get("/workspaces/{workspace_id}/projects/{project_id}/status")
def project_status(request: Request, workspace_id: str, project_id: str) -> dict:
    project = load_project(settings_of(request), workspace_id, project_id)
    idle = {"message": "Waiting for user annotations", "progress": -1, "time_remaining": 0}
    tasks = [{"id": t["id"], "is_training": False, "required_annotations": {"details": [], "value": 0},
              "status": dict(idle), "title": t["title"]} for t in trainable_tasks(project)]
    return {"is_training": False, "n_required_annotations": 0, "n_running_jobs": 0,
            "n_running_jobs_project": 0, "project_score": 0.0,
            "status": {"message": "Idle", "progress": -1, "time_remaining": 0}, "tasks": tasks}


@router.get("/workspaces/{workspace_id}/projects/{project_id}/thumbnail")
def project_thumbnail(request: Request, workspace_id: str, project_id: str) -> Response:
    settings = settings_of(request)
    load_project(settings, workspace_id, project_id)
    with settings.db.read() as conn:
        row = conn.execute("SELECT * FROM media WHERE project_id=? ORDER BY id LIMIT 1", (project_id,)).fetchone()
    if row is None:
        return Response(status_code=204)
    return thumbnail_response(settings.data_dir, row)
