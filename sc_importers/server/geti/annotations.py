"""Annotation scenes in Geti 2.x's form: ``POST .../annotations`` and ``GET .../annotations/latest``
for images and video frames, and ``GET .../videos/{id}/annotations/latest`` for a whole video.

Shapes come and go in absolute pixels; the scene is checked and stored by the SC dialect's
:func:`~sc_importers.server.annotation_rules.build_scene` in normalized form (one store, so the SC
dialect reads the same scene). Geti's own rules come first: 404 ``label_not_found`` for unknown
labels, pixel bounds, detection takes rectangles only, a global first task takes one full-image
rectangle, an empty label of a local first task must cover the image. No annotation (or an empty
latest scene) answers 204 with no body.
"""

from __future__ import annotations

import json
import sqlite3

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sc_importers.server.annotation_rules import build_scene
from sc_importers.server.body import parse_json, read_json
from sc_importers.server.db import IMAGE_FRAME
from sc_importers.server.errors import ApiError, bad_request
from sc_importers.server.geti.common import DATASET, check_object_id, load_dataset_project, load_media, not_found
from sc_importers.server.geti.media import frame_index_of
from sc_importers.server.geti.shapes import to_normalized
from sc_importers.server.geti.views import GLOBAL_TYPES, scene_view
from sc_importers.server.project_builder import trainable_tasks
from sc_importers.server.settings import ServerSettings, settings_of

router = APIRouter()
_ROOT_KEYS = ("annotations", "media_identifier", "modified", "labels_to_revisit_full_scene")
MAX_SCENES = 500
_FULL = 1e-3  # how far (normalized) a "full-image" box may be from the image border (rounding of pixels)


def _is_full_box(shape: dict) -> bool:
    return (shape["type"] == "RECTANGLE" and shape["x"] <= _FULL and shape["y"] <= _FULL
            and shape["width"] >= 1 - _FULL and shape["height"] >= 1 - _FULL)


def _normalize_body(project: dict, body: object, width: int, height: int, desc: str) -> dict:
    """The body with its shapes normalized, after Geti's checks of root keys, labels and task rules."""
    if not isinstance(body, dict) or not body:
        raise bad_request("Server received empty annotation data.")
    extra = [k for k in body if k not in _ROOT_KEYS]
    if extra:
        raise bad_request(f"Additional properties are not allowed ({', '.join(repr(k) for k in extra)} "
                          f"{'was' if len(extra) == 1 else 'were'} unexpected)")
    if not isinstance(body.get("annotations"), list):
        raise bad_request("'annotations' is a required property")
    tasks = trainable_tasks(project)
    task_of = {label["id"]: (task, label) for task in tasks for label in task["labels"]}
    first = tasks[0]
    converted = []
    for index, ann in enumerate(body["annotations"]):
        where = f"{desc}, annotation {index}"
        if not isinstance(ann, dict) or not isinstance(ann.get("labels"), list) or not ann["labels"]:
            raise bad_request(f"{where}: every annotation needs 'shape' and a non-empty list of 'labels'.")
        for spec in ann["labels"]:
            label_id = spec.get("id") if isinstance(spec, dict) else None
            if not isinstance(label_id, str):
                raise bad_request(f"{where}: every label needs an 'id'.")
            check_object_id("label_id", label_id)
            if label_id not in task_of:
                raise not_found("label", label_id)
        shape = to_normalized(ann.get("shape"), width, height, where)
        used = [task_of[spec["id"]] for spec in ann["labels"]]
        if any(t["task_type"] == "detection" for t, _ in used) and shape["type"] != "RECTANGLE":
            raise bad_request("Only rectangle annotations are allowed for a detection task.")
        on_first = [lb for t, lb in used if t["id"] == first["id"]]
        if first["task_type"] in GLOBAL_TYPES and on_first and not _is_full_box(shape):
            raise bad_request("Only full box rectangle annotations are allowed for a classification label "
                              "on a full image.")
        if any(lb["is_empty"] for lb in on_first) and not _is_full_box(shape):
            raise bad_request("Empty label for the first task must be a full box rectangle.")
        _check_label_combination(tasks, used, where)
        converted.append({"labels": ann["labels"], "shape": shape,
                          "labels_to_revisit": _known(ann.get("labels_to_revisit"), task_of)})
    ids = [ann.get("id") for ann in body["annotations"] if isinstance(ann.get("id"), str)]
    if len(ids) != len(set(ids)):
        raise ApiError(400, "duplicated_annotation_id", f"{desc}: two annotations carry the same id.")
    empties = [ann for ann in body["annotations"]
               if any(task_of[spec["id"]][1]["is_empty"] and task_of[spec["id"]][0] is first for spec in ann["labels"])]
    if empties and len(body["annotations"]) > 1:
        raise bad_request("Not allowed to create annotation that overlaps with an empty box annotation.")
    return {"annotations": converted, "labels_to_revisit_full_scene": _known(body.get("labels_to_revisit_full_scene"),
                                                                             task_of)}


def _known(ids: object, labels: dict) -> list[str]:
    """The label ids of a ``labels_to_revisit`` list that name labels of the project. Others are
    left out: geti-sdk re-sends the ids of the project it downloaded from (contract §5.2)."""
    if not isinstance(ids, list):
        return []
    return [i for i in dict.fromkeys(x for x in ids if isinstance(x, str)) if i in labels]


def _check_label_combination(tasks: list[dict], used: list[tuple[dict, dict]], where: str) -> None:
    """One label per exclusive group (a group is exclusive within its task); in a detection ->
    classification chain, a classification label needs the detection label on the same box."""
    groups: dict[tuple[str, str], set[str]] = {}
    for task, label in used:
        groups.setdefault((task["id"], label["group"]), set()).add(label["name"])
    for (_, group), names in groups.items():
        if len(names) > 1:
            raise ApiError(400, "conflicting_exclusive_labels", f"{where}: labels {sorted(names)} belong to the "
                                                               f"exclusive group {group!r}; give one of them.")
    used_tasks = {task["id"] for task, _ in used}
    if len(tasks) == 2 and tasks[1]["task_type"] in GLOBAL_TYPES and tasks[1]["id"] in used_tasks \
            and tasks[0]["id"] not in used_tasks:
        raise bad_request("Annotation for a global task is missing a label for the preceding task.")


def _store(settings: ServerSettings, project: dict, row: sqlite3.Row, frame: int, body: object,
           identifier: dict, desc: str) -> dict:
    normalized = _normalize_body(project, body, row["width"], row["height"], desc)
    revisit = [ann.pop("labels_to_revisit") for ann in normalized["annotations"]]
    scene_revisit = normalized.pop("labels_to_revisit_full_scene")
    scene, annotated = build_scene(project, normalized, identifier, desc)
    for stored, labels in zip(scene["annotations"], revisit, strict=True):
        stored["labels_to_revisit"] = labels
    scene["labels_to_revisit_full_scene"] = scene_revisit
    with settings.db.write() as conn:
        if not conn.execute("SELECT 1 FROM media WHERE id=?", (row["id"],)).fetchone():
            raise not_found(row["kind"], row["id"])
        conn.execute("INSERT OR REPLACE INTO annotations (media_id, frame_index, project_id, doc, annotated_tasks) "
                     "VALUES (?, ?, ?, ?, ?)", (row["id"], frame, project["id"], json.dumps(scene),
                                                json.dumps(annotated)))
    return scene_view(settings, project, scene, set(annotated), row["width"], row["height"])


def _stored(settings: ServerSettings, media_id: str, frame: int) -> tuple[dict, set[str]] | None:
    with settings.db.read() as conn:
        found = conn.execute("SELECT doc, annotated_tasks FROM annotations WHERE media_id=? AND frame_index=?",
                             (media_id, frame)).fetchone()
    if found is None:
        return None
    return json.loads(found["doc"]), set(json.loads(found["annotated_tasks"]))


def _answer(request: Request, project: dict, row: sqlite3.Row, frame: int, scene_id: str) -> Response | dict:
    settings = settings_of(request)
    stored = _stored(settings, row["id"], frame)
    if scene_id != "latest":
        check_object_id("annotation_id", scene_id)
        if stored is None or stored[0]["id"] != scene_id:
            raise not_found("annotation", scene_id)
    if stored is None or not stored[0]["annotations"]:
        return Response(status_code=204)
    label_only = request.query_params.get("label_only", "false").lower() == "true"
    return scene_view(settings, project, stored[0], stored[1], row["width"], row["height"], label_only)


@router.post(DATASET + "/media/images/{image_id}/annotations")
async def post_image_annotation(request: Request, organization_id: str, workspace_id: str, project_id: str,
                                dataset_id: str, image_id: str) -> dict:
    settings = settings_of(request)
    project = load_dataset_project(settings, organization_id, workspace_id, project_id, dataset_id)
    row = load_media(settings, dataset_id, "image", image_id)
    body = await read_json(request, f"Annotation body for image {image_id}")
    identifier = {"image_id": image_id, "type": "image"}
    return await run_in_threadpool(_store, settings, project, row, IMAGE_FRAME, body, identifier, f"image {image_id}")


def store_image_scene(settings: ServerSettings, organization_id: str, workspace_id: str, project_id: str,
                      dataset_id: str, image_id: str, raw: bytes) -> dict:
    """What :func:`post_image_annotation` answers for a body already read (within :data:`MAX_JSON_BYTES`):
    the same look-ups, then the same parse and store (:mod:`~sc_importers.server.hot_routes` answers
    through here)."""
    project = load_dataset_project(settings, organization_id, workspace_id, project_id, dataset_id)
    row = load_media(settings, dataset_id, "image", image_id)
    body = parse_json(raw, f"Annotation body for image {image_id}")
    return _store(settings, project, row, IMAGE_FRAME, body, {"image_id": image_id, "type": "image"},
                  f"image {image_id}")


@router.get(DATASET + "/media/images/{image_id}/annotations/{annotation_id}", response_model=None)
def get_image_annotation(request: Request, organization_id: str, workspace_id: str, project_id: str,
                         dataset_id: str, image_id: str, annotation_id: str) -> Response | dict:
    settings = settings_of(request)
    project = load_dataset_project(settings, organization_id, workspace_id, project_id, dataset_id)
    row = load_media(settings, dataset_id, "image", image_id)
    return _answer(request, project, row, IMAGE_FRAME, annotation_id)


@router.post(DATASET + "/media/videos/{video_id}/frames/{frame_index}/annotations")
async def post_frame_annotation(request: Request, organization_id: str, workspace_id: str, project_id: str,
                                dataset_id: str, video_id: str, frame_index: str) -> dict:
    settings = settings_of(request)
    project = load_dataset_project(settings, organization_id, workspace_id, project_id, dataset_id)
    row = load_media(settings, dataset_id, "video", video_id)
    frame = frame_index_of(row, frame_index)
    body = await read_json(request, f"Annotation body for video {video_id} frame {frame}")
    identifier = {"frame_index": frame, "type": "video_frame", "video_id": video_id}
    return await run_in_threadpool(_store, settings, project, row, frame, body, identifier,
                                   f"video {video_id} frame {frame}")


@router.get(DATASET + "/media/videos/{video_id}/frames/{frame_index}/annotations/{annotation_id}",
            response_model=None)
def get_frame_annotation(request: Request, organization_id: str, workspace_id: str, project_id: str,
                         dataset_id: str, video_id: str, frame_index: str, annotation_id: str) -> Response | dict:
    settings = settings_of(request)
    project = load_dataset_project(settings, organization_id, workspace_id, project_id, dataset_id)
    row = load_media(settings, dataset_id, "video", video_id)
    return _answer(request, project, row, frame_index_of(row, frame_index), annotation_id)


def _frame_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise bad_request(f"Invalid request parameters: '{name}'. Expected a non-negative integer, got '{raw}'.")
    return int(raw)


@router.get(DATASET + "/media/videos/{video_id}/annotations/{annotation_id}", response_model=None)
def get_video_annotations(request: Request, organization_id: str, workspace_id: str, project_id: str,
                          dataset_id: str, video_id: str, annotation_id: str) -> Response | dict:
    """The latest scene of every annotated frame in ``[start_frame, end_frame]`` (every
    ``frameskip``-th frame from ``start_frame``; default 1), at most 500 per call."""
    settings = settings_of(request)
    project = load_dataset_project(settings, organization_id, workspace_id, project_id, dataset_id)
    row = load_media(settings, dataset_id, "video", video_id)
    if annotation_id != "latest":
        raise ApiError(405, "not_implemented", "Only the latest annotations of a video can be requested.")
    last = row["frame_count"] - 1
    start, end = _frame_param(request, "start_frame", 0), min(_frame_param(request, "end_frame", last), last)
    skip = max(1, _frame_param(request, "frameskip", 1))
    label_only = request.query_params.get("label_only", "false").lower() == "true"
    with settings.db.read() as conn:
        rows = conn.execute("SELECT frame_index, doc, annotated_tasks FROM annotations WHERE media_id=? "
                            "AND frame_index BETWEEN ? AND ? ORDER BY frame_index", (video_id, start, end)).fetchall()
    scenes = []
    for found in rows:
        doc = json.loads(found["doc"])
        if doc["annotations"] and (found["frame_index"] - start) % skip == 0:
            scenes.append(scene_view(settings, project, doc, set(json.loads(found["annotated_tasks"])),
                                     row["width"], row["height"], label_only))
    if not scenes:
        return Response(status_code=204)
    page = scenes[:MAX_SCENES]
    return {"video_annotations": page,
            "video_annotation_properties": {
                "total_count": len(scenes), "start_frame": page[0]["media_identifier"]["frame_index"],
                "end_frame": page[-1]["media_identifier"]["frame_index"], "total_requested_count": len(page),
                "requested_start_frame": start, "requested_end_frame": end}}
