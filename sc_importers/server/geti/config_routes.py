"""Configuration routes of the Geti 2.x dialect: the legacy configurable-parameters endpoints and
the 2.12+ ``project_configuration``/``training_configuration`` (see
:mod:`sc_importers.server.geti.configuration` for how keys map onto stored parameters)."""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from sc_importers.server.body import read_json
from sc_importers.server.configuration import update_full, update_task_chain
from sc_importers.server.errors import ApiError, bad_request
from sc_importers.server.geti.common import PROJECT, check_object_id, load_project, not_found
from sc_importers.server.geti.configuration import with_geti_workspace
from sc_importers.server.settings import ServerSettings, settings_of

router = APIRouter()


def _config(settings: ServerSettings, project_id: str) -> dict:
    with settings.db.read() as conn:
        return json.loads(conn.execute("SELECT config FROM projects WHERE id=?", (project_id,)).fetchone()["config"])


def _update(settings: ServerSettings, project_id: str, change: Callable[[dict], dict]) -> None:
    """Read, change and write the stored configuration in one transaction. 400s of the shared
    update code become Geti's ``invalid_configuration_value`` / ``cannot_set_configuration``."""
    with settings.db.write() as conn:
        row = conn.execute("SELECT config FROM projects WHERE id=?", (project_id,)).fetchone()
        if row is None:
            raise not_found("project", project_id)
        try:
            new = change(json.loads(row["config"]))
        except ApiError as exc:
            if exc.status != 400 or exc.code != "bad_request":
                raise
            value_problem = any(w in exc.message for w in ("must be", "outside", "not editable"))
            raise ApiError(400, "invalid_configuration_value" if value_problem else "cannot_set_configuration",
                           exc.message) from exc
        conn.execute("UPDATE projects SET config=? WHERE id=?", (json.dumps(new), project_id))


def _entry(config: dict, task_id: str) -> dict:
    check_object_id("task_id", task_id)
    found = next((e for e in config["task_chain"] if e["task_id"] == task_id), None)
    if found is None:
        raise not_found("task", task_id)
    return found


def _root(body: object, allowed: set[str], required: set[str]) -> dict:
    if not isinstance(body, dict):
        raise bad_request("The configuration body must be a JSON object.")
    extra = sorted(set(body) - allowed)
    if extra:
        raise bad_request(f"Additional properties are not allowed ({', '.join(map(repr, extra))} unexpected)")
    missing = sorted(required - set(body))
    if missing:
        raise bad_request(f"'{missing[0]}' is a required property")
    return body


# -- legacy configurable parameters ---------------------------------------------------------------------------


@router.get(PROJECT + "/configuration")
def get_configuration(request: Request, organization_id: str, workspace_id: str, project_id: str) -> dict:
    settings = settings_of(request)
    load_project(settings, organization_id, workspace_id, project_id)
    return with_geti_workspace(_config(settings, project_id), settings.geti_workspace_id)


@router.get(PROJECT + "/configuration/global")
def get_global(request: Request, organization_id: str, workspace_id: str, project_id: str) -> dict:
    return {"global": get_configuration(request, organization_id, workspace_id, project_id)["global"]}


@router.get(PROJECT + "/configuration/task_chain")
def get_task_chain(request: Request, organization_id: str, workspace_id: str, project_id: str) -> dict:
    return {"task_chain": get_configuration(request, organization_id, workspace_id, project_id)["task_chain"]}


@router.get(PROJECT + "/configuration/task_chain/{task_id}")
def get_task(request: Request, organization_id: str, workspace_id: str, project_id: str, task_id: str) -> dict:
    settings = settings_of(request)
    load_project(settings, organization_id, workspace_id, project_id)
    return with_geti_workspace(_entry(_config(settings, project_id), task_id), settings.geti_workspace_id)


async def _post(request: Request, organization_id: str, workspace_id: str, project_id: str,
                change: Callable[[dict, dict], dict], allowed: set[str], required: set[str]) -> dict:
    settings = settings_of(request)
    load_project(settings, organization_id, workspace_id, project_id)
    body = _root(await read_json(request, "Configuration body"), allowed, required)
    await run_in_threadpool(_update, settings, project_id, lambda config: change(config, body))
    return {"result": "success"}


def _set_task_chain(config: dict, body: dict) -> dict:
    given = body["task_chain"]
    if not isinstance(given, list) or len(given) != len(config["task_chain"]):
        raise ApiError(400, "cannot_set_configuration", f"'task_chain' needs one entry per trainable task "
                                                        f"({len(config['task_chain'])}), in pipeline order.")
    for entry, task_body in zip(config["task_chain"], given, strict=True):
        if not isinstance(task_body, dict):
            raise ApiError(400, "cannot_set_configuration", "Every task_chain entry must be an object.")
        config = update_task_chain(config, entry["task_id"], {"components": task_body.get("components") or []})
    return config


@router.post(PROJECT + "/configuration")
async def post_configuration(request: Request, organization_id: str, workspace_id: str, project_id: str) -> dict:
    return await _post(request, organization_id, workspace_id, project_id,
                       lambda config, body: _set_task_chain(update_full(config, {"global": body["global"]}), body),
                       {"global", "task_chain"}, {"global", "task_chain"})


@router.post(PROJECT + "/configuration/global")
async def post_global(request: Request, organization_id: str, workspace_id: str, project_id: str) -> dict:
    return await _post(request, organization_id, workspace_id, project_id,
                       lambda config, body: update_full(config, {"global": body["global"]}), {"global"}, {"global"})


@router.post(PROJECT + "/configuration/task_chain")
async def post_task_chain(request: Request, organization_id: str, workspace_id: str, project_id: str) -> dict:
    return await _post(request, organization_id, workspace_id, project_id, _set_task_chain,
                       {"task_chain"}, {"task_chain"})


@router.post(PROJECT + "/configuration/task_chain/{task_id}")
async def post_task(request: Request, organization_id: str, workspace_id: str, project_id: str,
                    task_id: str) -> dict:
    def change(config: dict, body: dict) -> dict:
        _entry(config, task_id)
        return update_task_chain(config, task_id, body)

    return await _post(request, organization_id, workspace_id, project_id, change, {"components"}, {"components"})
