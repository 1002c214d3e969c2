"""Project configuration: ``GET/POST /configuration``, ``GET/POST /configuration/global`` and
``GET/POST /configuration/task_chain/{task_id}``; and ``GET /model_groups``, the project's trained
models (the local server never trains, so always none)."""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from sc_importers.server.body import read_json
from sc_importers.server.configuration import update_full, update_global, update_task_chain
from sc_importers.server.errors import check_id, not_found
from sc_importers.server.lookup import load_project
from sc_importers.server.settings import settings_of

router = APIRouter()
PROJECT = "/workspaces/{workspace_id}/projects/{project_id}"


def _config(request: Request, project_id: str) -> dict:
    with settings_of(request).db.read() as conn:
        return json.loads(conn.execute("SELECT config FROM projects WHERE id=?", (project_id,)).fetchone()["config"])


def _update(request: Request, project_id: str, change: Callable[[dict], dict]) -> None:
    """Read, change and write the configuration in one transaction, so concurrent updates do not
    overwrite each other."""
    with settings_of(request).db.write() as conn:
        row = conn.execute("SELECT config FROM projects WHERE id=?", (project_id,)).fetchone()
        if row is None:
            raise not_found("project", project_id)
        conn.execute("UPDATE projects SET config=? WHERE id=?", (json.dumps(change(json.loads(row["config"]))),
                                                                  project_id))


def _task_entry(config: dict, task_id: str) -> dict:
    check_id("task", task_id)
    entry = next((e for e in config["task_chain"] if e["task_id"] == task_id), None)
    if entry is None:
        raise not_found("task", task_id)
    return entry


@router.get(PROJECT + "/configuration")
def get_configuration(request: Request, workspace_id: str, project_id: str) -> dict:
    load_project(settings_of(request), workspace_id, project_id)
    return _config(request, project_id)


@router.post(PROJECT + "/configuration")
async def post_configuration(request: Request, workspace_id: str, project_id: str) -> dict:
    load_project(settings_of(request), workspace_id, project_id)
    body = await read_json(request, "Configuration body")
    await run_in_threadpool(_update, request, project_id, lambda config: update_full(config, body))
    return {"result": "success"}


@router.get(PROJECT + "/configuration/global")
def get_global_configuration(request: Request, workspace_id: str, project_id: str) -> dict:
    load_project(settings_of(request), workspace_id, project_id)
    return {"global": _config(request, project_id)["global"]}


@router.post(PROJECT + "/configuration/global")
async def post_global_configuration(request: Request, workspace_id: str, project_id: str) -> dict:
    load_project(settings_of(request), workspace_id, project_id)
    body = await read_json(request, "Configuration body")
    await run_in_threadpool(_update, request, project_id, lambda config: update_global(config, body))
    return {"result": "success"}


@router.get(PROJECT + "/model_groups")
def get_model_groups(request: Request, workspace_id: str, project_id: str) -> list:
    """SC 1.0 answers a JSON list of model groups; a project that never trained has none."""
    load_project(settings_of(request), workspace_id, project_id)
    return []


@router.get(PROJECT + "/configuration/task_chain/{task_id}")
def get_task_configuration(request: Request, workspace_id: str, project_id: str, task_id: str) -> dict:
    load_project(settings_of(request), workspace_id, project_id)
    return _task_entry(_config(request, project_id), task_id)


@router.post(PROJECT + "/configuration/task_chain/{task_id}")
async def post_task_configuration(request: Request, workspace_id: str, project_id: str, task_id: str) -> dict:
    load_project(settings_of(request), workspace_id, project_id)
    body = await read_json(request, "Configuration body")

    def change(config: dict) -> dict:
        _task_entry(config, task_id)
        return update_task_chain(config, task_id, body)

    await run_in_threadpool(_update, request, project_id, change)
    return {"result": "success"}
