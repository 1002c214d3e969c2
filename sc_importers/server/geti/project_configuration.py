"""Geti 2.12+'s key/value configuration: ``GET``/``PATCH P/project_configuration`` (auto-training
per task; geti-sdk 2.13 switches auto-training through it) and ``GET``/``PATCH
P/training_configuration`` (``max_epochs``). Both PATCHes answer 204 and change nothing when any
entry is refused."""

from __future__ import annotations

import copy

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sc_importers.server.body import read_json
from sc_importers.server.configuration import check_value
from sc_importers.server.errors import ApiError, bad_request
from sc_importers.server.geti.common import PROJECT, load_project
from sc_importers.server.geti.config_routes import _config, _entry, _update
from sc_importers.server.geti.configuration import component, counter_parameter, epochs_parameter, parameter
from sc_importers.server.settings import ServerSettings, settings_of

router = APIRouter()
_TRAINING_KEY = "geti.training.min_images_per_label:"
_COUNT = ("required_images_auto_training", "required_images_first_training")


def _item(key: str, kind: str, value: object, name: str, description: str, default: object,
          low: int | None = None, high: int | None = None) -> dict:
    item = {"key": key, "name": name, "type": kind, "description": description, "value": value,
            "default_value": default}
    if low is not None:
        item.update(min_value=low, max_value=high)
    return item


def _training_minimum(settings: ServerSettings, task_id: str) -> int:
    with settings.db.read() as conn:
        row = conn.execute("SELECT value FROM meta WHERE key=?", (_TRAINING_KEY + task_id,)).fetchone()
    return int(row["value"]) if row else 0


def _task_view(settings: ServerSettings, entry: dict) -> dict:
    node = parameter(component(entry, "TASK_NODE"), "auto_training")
    counter = component(entry, "DATASET_COUNTER")
    count = parameter(counter, *_COUNT)
    dynamic = parameter(counter, "use_dynamic_required_annotations")
    minimum = _training_minimum(settings, entry["task_id"])
    return {"task_id": entry["task_id"],
            "training": {"constraints": [_item("min_images_per_label", "int", minimum,
                                               "Minimum number of images per label",
                                               "Annotated images each label needs before a training can start.",
                                               0, 0, 10000)]},
            "auto_training": [
                _item("enable", "bool", bool(node["value"]) if node else False, "Enable auto training",
                      "Train automatically once enough annotations exist.", True),
                _item("enable_dynamic_required_annotations", "bool", bool(dynamic["value"]) if dynamic else False,
                      "Dynamic required annotations", "Raise the required annotations as the dataset grows.",
                      dynamic["default_value"] if dynamic else False),
                _item("min_images_per_label", "int", count["value"] if count else 0, "Minimum images per label",
                      "Annotated images needed before auto-training starts.",
                      count["default_value"] if count else 0, count.get("min_value", 0) if count else 0,
                      count.get("max_value", 10000) if count else 10000)]}


@router.get(PROJECT + "/project_configuration")
def get_project_configuration(request: Request, organization_id: str, workspace_id: str, project_id: str) -> dict:
    settings = settings_of(request)
    load_project(settings, organization_id, workspace_id, project_id)
    return {"task_configs": [_task_view(settings, e) for e in _config(settings, project_id)["task_chain"]]}


def _pairs(items: object, where: str) -> dict:
    if not isinstance(items, list) or not all(isinstance(i, dict) and isinstance(i.get("key"), str) and "value" in i
                                              for i in items):
        raise bad_request(f"'{where}' must be a list of {{\"key\", \"value\"}} objects.")
    return {i["key"]: i["value"] for i in items}


def _set(comp: dict | None, names: tuple[str, ...], value: object, where: str, add: str | None = None) -> None:
    """Set the first existing parameter of ``names`` (checked against its type and range); ``add``
    names a Geti DATASET_COUNTER parameter to create when none exists."""
    target = parameter(comp, *names)
    if target is None and add is not None and comp is not None:
        target = counter_parameter(add)
        comp.setdefault("parameters", []).append(target)
    if target is None:
        raise ApiError(400, "invalid_configuration_value", f"{where}: this project has no such parameter.")
    try:
        target["value"] = check_value(target, value, where)
    except ApiError as exc:
        raise ApiError(400, "invalid_configuration_value", exc.message) from exc


def _apply_task(config: dict, task: object, training_minimums: dict[str, int]) -> None:
    if not isinstance(task, dict) or not isinstance(task.get("task_id"), str):
        raise bad_request("Every entry of 'task_configs' needs a 'task_id'.")
    entry = _entry(config, task["task_id"])
    for key, value in _pairs(task.get("auto_training", []), "auto_training").items():
        where = f"task {entry['task_title']!r}, auto_training.{key}"
        if key == "enable":
            _set(component(entry, "TASK_NODE"), ("auto_training",), value, where)
        elif key == "min_images_per_label":
            _set(component(entry, "DATASET_COUNTER"), _COUNT, value, where)
        elif key == "enable_dynamic_required_annotations":
            _set(component(entry, "DATASET_COUNTER"), ("use_dynamic_required_annotations",), value, where,
                 add="use_dynamic_required_annotations")
        else:
            raise bad_request(f"{where}: unknown key.")
    training = task.get("training") or {}
    if not isinstance(training, dict):
        raise bad_request("'training' must be an object.")
    for key, value in _pairs(training.get("constraints", []), "training.constraints").items():
        if key != "min_images_per_label":
            raise bad_request(f"training.constraints.{key}: unknown key.")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10000:
            raise ApiError(400, "invalid_configuration_value",
                           f"training.constraints.min_images_per_label must be an integer in [0, 10000], "
                           f"got {value!r}.")
        training_minimums[entry["task_id"]] = value


@router.patch(PROJECT + "/project_configuration")
async def patch_project_configuration(request: Request, organization_id: str, workspace_id: str,
                                      project_id: str) -> Response:
    settings = settings_of(request)
    load_project(settings, organization_id, workspace_id, project_id)
    body = await read_json(request, "Project configuration")
    if not isinstance(body, dict) or not isinstance(body.get("task_configs"), list):
        raise bad_request("The body needs a list of 'task_configs'.")
    minimums: dict[str, int] = {}

    def change(config: dict) -> dict:
        new = copy.deepcopy(config)
        for task in body["task_configs"]:
            _apply_task(new, task, minimums)
        return new

    await run_in_threadpool(_update, settings, project_id, change)
    if minimums:
        with settings.db.write() as conn:
            for task_id, value in minimums.items():
                conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (_TRAINING_KEY + task_id,
                                                                                          str(value)))
    return Response(status_code=204)


def _training_entry(request: Request, config: dict, body_task: object = None) -> dict:
    task_id = request.query_params.get("task_id") or body_task
    if task_id is None:
        return config["task_chain"][0]
    if not isinstance(task_id, str):
        raise bad_request("'task_id' must be a string.")
    return _entry(config, task_id)


def _training_view(entry: dict) -> dict:
    epochs = epochs_parameter(entry)
    training = []
    if epochs is not None:
        training.append(_item("max_epochs", "int", epochs["value"], "Maximum epochs",
                              "How many epochs a training round runs at most.", epochs.get("default_value"),
                              epochs.get("min_value", 1), epochs.get("max_value", 1000)))
    return {"task_id": entry["task_id"], "dataset_preparation": {}, "training": training, "evaluation": []}


@router.get(PROJECT + "/training_configuration")
def get_training_configuration(request: Request, organization_id: str, workspace_id: str, project_id: str) -> dict:
    settings = settings_of(request)
    load_project(settings, organization_id, workspace_id, project_id)
    return _training_view(_training_entry(request, _config(settings, project_id)))


@router.patch(PROJECT + "/training_configuration")
async def patch_training_configuration(request: Request, organization_id: str, workspace_id: str,
                                       project_id: str) -> Response:
    settings = settings_of(request)
    load_project(settings, organization_id, workspace_id, project_id)
    body = await read_json(request, "Training configuration")
    if not isinstance(body, dict):
        raise bad_request("The training configuration must be a JSON object.")

    def change(config: dict) -> dict:
        new = copy.deepcopy(config)
        entry = _training_entry(request, new, body.get("task_id"))
        for key, value in _pairs(body.get("training", []), "training").items():
            if key != "max_epochs":
                raise bad_request(f"training.{key}: this server only configures 'max_epochs'.")
            target = epochs_parameter(entry)
            if target is None:
                raise ApiError(400, "invalid_configuration_value", "This task has no epoch parameter.")
            try:
                target["value"] = check_value(target, value, f"training.{key}")
            except ApiError as exc:
                raise ApiError(400, "invalid_configuration_value", exc.message) from exc
        return new

    await run_in_threadpool(_update, settings, project_id, change)
    return Response(status_code=204)
