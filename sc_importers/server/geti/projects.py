"""Projects of the Geti 2.x dialect: list (``limit``/``skip``/``name``/sorting), create, get, delete,
status, thumbnail, names, datasets and model groups. The project documents are the SC dialect's;
:mod:`sc_importers.server.geti.views` renders them in Geti's shape."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from sc_importers.server.body import read_json
from sc_importers.server.errors import ApiError, bad_request
from sc_importers.server.geti.common import PROJECT, WS, check_object_id, check_scope, load_project, not_found
from sc_importers.server.geti.configuration import geti_configuration
from sc_importers.server.geti.project_create import build_geti_project
from sc_importers.server.geti.project_update import apply_update
from sc_importers.server.geti.views import dataset_view, datasets_view, project_view
from sc_importers.server.ids import new_id
from sc_importers.server.project_builder import trainable_tasks
from sc_importers.server.routes_projects import remove_project
from sc_importers.server.settings import ServerSettings, settings_of
from sc_importers.server.storage import media_path, thumbnail_response

router = APIRouter()
MAX_PROJECTS, DEFAULT_PROJECTS = 100, 10


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise bad_request(f"Invalid request parameters: '{name}'. Expected an integer from {low} to {high}, "
                          f"got '{raw}'.")
    return int(raw)


@router.get(WS + "/projects")
def list_projects(request: Request, organization_id: str, workspace_id: str) -> dict:
    settings = settings_of(request)
    check_scope(settings, organization_id, workspace_id)
    limit = _int(request, "limit", DEFAULT_PROJECTS, 1, MAX_PROJECTS)
    skip = _int(request, "skip", 0, 0, 10 ** 12)
    sort_by = request.query_params.get("sort_by", "creation_date")
    direction = request.query_params.get("sort_direction", "dsc")
    if sort_by not in ("name", "creation_date") or direction not in ("asc", "dsc"):
        raise bad_request("Invalid request parameters: sort_by must be 'name' or 'creation_date', sort_direction "
                          f"'asc' or 'dsc'; got '{sort_by}', '{direction}'.")
    name = request.query_params.get("name", "").lower()
    with settings.db.read() as conn:
        docs = [json.loads(r["doc"]) for r in conn.execute("SELECT doc FROM projects ORDER BY id")]
    docs = [d for d in docs if name in d["name"].lower()]
    # ids sort in creation order; names tie-break on it
    docs.sort(key=(lambda d: (d["name"], d["id"])) if sort_by == "name" else (lambda d: d["id"]),
              reverse=direction == "dsc")
    page = docs[skip:skip + limit]
    body = {"projects": [_with_size(request, settings, project_view(settings, d, with_datasets=False)) for d in page],
            "project_counts": len(docs), "project_page_count": len(page)}
    if page:  # Geti links a next page after every non-empty page
        query = {"limit": limit, "skip": skip + len(page), "sort_by": sort_by, "sort_direction": direction,
                 **({"name": request.query_params["name"]} if name else {})}
        body["next_page"] = f"{request.url.path}?{urlencode(query)}"
    return body


@router.get(WS + "/projects_names")
def project_names(request: Request, organization_id: str, workspace_id: str) -> dict:
    settings = settings_of(request)
    check_scope(settings, organization_id, workspace_id)
    with settings.db.read() as conn:
        rows = conn.execute("SELECT id, name FROM projects ORDER BY id DESC").fetchall()
    return {"projects": [{"id": r["id"], "name": r["name"]} for r in rows]}


@router.post(WS + "/projects")
async def create_project(request: Request, organization_id: str, workspace_id: str) -> JSONResponse:
    settings = settings_of(request)
    check_scope(settings, organization_id, workspace_id)
    project = build_geti_project(await read_json(request, "Project body"), settings.workspace_id)
    config = geti_configuration(project, settings.workspace_id)
    with settings.db.write() as conn:  # Geti has no unique project names (the SC dialect does)
        conn.execute("INSERT INTO projects (id, name, dataset_id, doc, config) VALUES (?, ?, ?, ?, ?)",
                     (project["id"], project["name"], project["datasets"][0]["id"], json.dumps(project),
                      json.dumps(config)))
    return JSONResponse(project_view(settings, project), status_code=201)


def _with_size(request: Request, settings: ServerSettings, view: dict) -> dict:
    """``?with_size=true``: ``storage_info.size``, the bytes of the project's media files."""
    if request.query_params.get("with_size", "false").lower() == "true":
        with settings.db.read() as conn:
            rows = conn.execute("SELECT project_id, filename FROM media WHERE project_id=?", (view["id"],)).fetchall()
        paths = [media_path(settings.data_dir, row) for row in rows]
        view["storage_info"] = {"size": sum(path.stat().st_size for path in paths if path.exists())}
    return view


@router.get(PROJECT)
def get_project(request: Request, organization_id: str, workspace_id: str, project_id: str) -> dict:
    settings = settings_of(request)
    return _with_size(request, settings,
                      project_view(settings, load_project(settings, organization_id, workspace_id, project_id)))


@router.put(PROJECT)
async def update_project(request: Request, organization_id: str, workspace_id: str, project_id: str) -> dict:
    settings = settings_of(request)
    load_project(settings, organization_id, workspace_id, project_id)
    body = await read_json(request, "Project body")
    return project_view(settings, _save(settings, project_id, lambda project, _conn: apply_update(project, body)))


@router.delete(PROJECT)
def delete_project(request: Request, organization_id: str, workspace_id: str, project_id: str) -> dict:
    settings = settings_of(request)
    load_project(settings, organization_id, workspace_id, project_id)
    remove_project(settings, project_id)
    return {"result": "success"}


@router.get(PROJECT + "/status")
def project_status(request: Request, organization_id: str, workspace_id: str, project_id: str) -> dict:
    """Nothing ever trains here: every task waits for annotations."""
    project = load_project(settings_of(request), organization_id, workspace_id, project_id)
    idle = {"message": "Waiting for user annotations", "progress": -1.0, "time_remaining": None}
    tasks = [{"id": t["id"], "title": t["title"], "is_training": False, "n_new_annotations": 0,
              "ready_to_train": False, "required_annotations": {"value": 0, "details": []}, "status": dict(idle)}
             for t in trainable_tasks(project)]
    return {"is_training": False, "n_required_annotations": 0, "n_running_jobs": 0, "n_running_jobs_project": 0,
            "project_performance": {"score": None}, "status": {"message": "Idle", "progress": -1.0,
                                                               "time_remaining": None}, "tasks": tasks}


@router.get(PROJECT + "/thumbnail")
def project_thumbnail(request: Request, organization_id: str, workspace_id: str, project_id: str) -> Response:
    settings = settings_of(request)
    load_project(settings, organization_id, workspace_id, project_id)
    with settings.db.read() as conn:
        row = conn.execute("SELECT * FROM media WHERE project_id=? ORDER BY id LIMIT 1", (project_id,)).fetchone()
    if row is None:
        return Response(status_code=204)
    return thumbnail_response(settings.data_dir, row)


@router.get(PROJECT + "/model_groups")
def model_groups(request: Request, organization_id: str, workspace_id: str, project_id: str) -> dict:
    """No training, so no models: an empty list (an object, unlike SC 1.0's bare list)."""
    load_project(settings_of(request), organization_id, workspace_id, project_id)
    return {"model_groups": []}


@router.get(PROJECT + "/datasets")
def list_datasets(request: Request, organization_id: str, workspace_id: str, project_id: str) -> dict:
    settings = settings_of(request)
    return {"datasets": datasets_view(load_project(settings, organization_id, workspace_id, project_id))}


def _save(settings: ServerSettings, project_id: str, change: Callable[[dict, sqlite3.Connection], dict]) -> dict:
    """Apply ``change(document, connection)`` to the stored project document in one transaction;
    the new document."""
    with settings.db.write() as conn:
        row = conn.execute("SELECT doc FROM projects WHERE id=?", (project_id,)).fetchone()
        if row is None:
            raise not_found("project", project_id)
        project = change(json.loads(row["doc"]), conn)
        conn.execute("UPDATE projects SET doc=?, name=? WHERE id=?", (json.dumps(project), project["name"], project_id))
    return project


def _dataset_name(body: object) -> str:
    if not isinstance(body, dict) or set(body) - {"name"} or not isinstance(body.get("name"), str) \
            or not body["name"].strip():
        raise bad_request("The body must be {\"name\": \"<dataset name>\"} with a non-empty name.")
    return body["name"]


@router.post(PROJECT + "/datasets")
async def create_dataset(request: Request, organization_id: str, workspace_id: str, project_id: str) -> dict:
    settings = settings_of(request)
    load_project(settings, organization_id, workspace_id, project_id)
    name = _dataset_name(await read_json(request, "Dataset body"))
    dataset_id = new_id()

    def add(project: dict, _conn: sqlite3.Connection) -> dict:
        if any(d["name"] == name for d in project["datasets"]):
            raise ApiError(409, "dataset_already_exists", f"A dataset named {name!r} already exists in this project.")
        project["datasets"].append({"id": dataset_id, "name": name})
        return project

    project = _save(settings, project_id, add)
    return dataset_view(project, len(project["datasets"]) - 1)


def _dataset_index(project: dict, dataset_id: str) -> int:
    check_object_id("dataset_id", dataset_id)
    for index, dataset in enumerate(project["datasets"]):
        if dataset["id"] == dataset_id:
            return index
    raise not_found("dataset", dataset_id)


@router.get(PROJECT + "/datasets/{dataset_id}")
def get_dataset(request: Request, organization_id: str, workspace_id: str, project_id: str, dataset_id: str) -> dict:
    project = load_project(settings_of(request), organization_id, workspace_id, project_id)
    return dataset_view(project, _dataset_index(project, dataset_id))


@router.put(PROJECT + "/datasets/{dataset_id}")
async def rename_dataset(request: Request, organization_id: str, workspace_id: str, project_id: str,
                         dataset_id: str) -> dict:
    settings = settings_of(request)
    _dataset_index(load_project(settings, organization_id, workspace_id, project_id), dataset_id)
    name = _dataset_name(await read_json(request, "Dataset body"))

    def rename(project: dict, _conn: sqlite3.Connection) -> dict:
        if any(d["name"] == name and d["id"] != dataset_id for d in project["datasets"]):
            raise ApiError(409, "dataset_already_exists", f"A dataset named {name!r} already exists in this project.")
        project["datasets"][_dataset_index(project, dataset_id)]["name"] = name
        return project

    project = _save(settings, project_id, rename)
    return dataset_view(project, _dataset_index(project, dataset_id))


@router.delete(PROJECT + "/datasets/{dataset_id}")
def delete_dataset(request: Request, organization_id: str, workspace_id: str, project_id: str,
                   dataset_id: str) -> dict:
    """Delete a dataset other than the training dataset, with its media and their annotations."""
    settings = settings_of(request)
    project = load_project(settings, organization_id, workspace_id, project_id)
    if _dataset_index(project, dataset_id) == 0:
        raise bad_request("The training dataset of a project cannot be deleted.")
    with settings.db.read() as conn:
        rows = conn.execute("SELECT * FROM media WHERE dataset_id=?", (dataset_id,)).fetchall()

    # one transaction with the document: no upload slips in between
    def drop(doc: dict, conn: sqlite3.Connection) -> dict:
        doc["datasets"] = [d for d in doc["datasets"] if d["id"] != dataset_id]
        conn.execute("DELETE FROM annotations WHERE media_id IN (SELECT id FROM media WHERE dataset_id=?)",
                     (dataset_id,))
        conn.execute("DELETE FROM media WHERE dataset_id=?", (dataset_id,))
        return doc

    _save(settings, project_id, drop)
    for row in rows:
        media_path(settings.data_dir, row).unlink(missing_ok=True)
    return {"result": "success"}
