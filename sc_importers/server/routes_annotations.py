"""Annotation scenes: ``POST .../annotations`` and ``GET .../annotations/latest`` for images and video
frames, and ``GET .../videos/{id}/annotations/latest`` for every annotated frame of a video.

A media item without annotations, or whose latest scene is empty, answers ``latest`` with 204 No
Content, and so does a video none of whose frames has annotations (not recorded for SC 1.0; this is
what Geti, its successor, does, and SC-era clients treat 204 as "not annotated")."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sc_importers.server.annotation_rules import build_scene
from sc_importers.server.body import parse_json, read_json
from sc_importers.server.db import IMAGE_FRAME
from sc_importers.server.errors import bad_request
from sc_importers.server.lookup import load_dataset_project, load_media
from sc_importers.server.media_records import annotation_states
from sc_importers.server.routes_media import DATASET, check_frame
from sc_importers.server.settings import ServerSettings, settings_of

router = APIRouter()


def _store(settings: ServerSettings, project: dict, media_id: str, frame: int, body: object, identifier: dict,
           desc: str) -> dict:
    scene, annotated = build_scene(project, body, identifier, desc)
    with settings.db.write() as conn:
        if not conn.execute("SELECT 1 FROM media WHERE id=?", (media_id,)).fetchone():
            raise bad_request(f"{desc} was deleted while annotating it.")
        conn.execute("INSERT OR REPLACE INTO annotations (media_id, frame_index, project_id, doc, annotated_tasks) "
                     "VALUES (?, ?, ?, ?, ?)", (media_id, frame, project["id"], json.dumps(scene),
                                                json.dumps(annotated)))
    return {**scene, "annotation_state_per_task": annotation_states(project, set(annotated))}


def _latest(request: Request, project: dict, media_id: str, frame: int) -> dict | None:
    with settings_of(request).db.read() as conn:
        row = conn.execute("SELECT doc, annotated_tasks FROM annotations WHERE media_id=? AND frame_index=?",
                           (media_id, frame)).fetchone()
    if row is None or not json.loads(row["doc"])["annotations"]:
        return None
    return {**json.loads(row["doc"]),
            "annotation_state_per_task": annotation_states(project, set(json.loads(row["annotated_tasks"])))}


@router.post(DATASET + "/media/images/{media_id}/annotations")
async def post_image_annotation(request: Request, workspace_id: str, project_id: str, dataset_id: str,
                                media_id: str) -> dict:
    settings = settings_of(request)
    project = load_dataset_project(settings, workspace_id, project_id, dataset_id)
    load_media(settings, dataset_id, "image", media_id)
    desc = f"image {media_id}"
    body = await read_json(request, f"Annotation body for {desc}")
    identifier = {"image_id": media_id, "type": "image"}
    return await run_in_threadpool(_store, settings, project, media_id, IMAGE_FRAME, body, identifier, desc)


def store_image_scene(settings: ServerSettings, workspace_id: str, project_id: str, dataset_id: str, media_id: str,
                      raw: bytes) -> dict:
    """What :func:`post_image_annotation` answers for a body already read (within :data:`MAX_JSON_BYTES`):
    the same look-ups, then the same parse and store (:mod:`~sc_importers.server.hot_routes` answers
    through here)."""
    project = load_dataset_project(settings, workspace_id, project_id, dataset_id)
    load_media(settings, dataset_id, "image", media_id)
    desc = f"image {media_id}"
    body = parse_json(raw, f"Annotation body for {desc}")
    return _store(settings, project, media_id, IMAGE_FRAME, body, {"image_id": media_id, "type": "image"}, desc)


@router.get(DATASET + "/media/images/{media_id}/annotations/latest", response_model=None)
def get_image_annotation(request: Request, workspace_id: str, project_id: str, dataset_id: str,
                         media_id: str) -> Response | dict:
    settings = settings_of(request)
    project = load_dataset_project(settings, workspace_id, project_id, dataset_id)
    load_media(settings, dataset_id, "image", media_id)
    scene = _latest(request, project, media_id, IMAGE_FRAME)
    return scene if scene is not None else Response(status_code=204)


@router.post(DATASET + "/media/videos/{media_id}/frames/{frame_index}/annotations")
async def post_frame_annotation(request: Request, workspace_id: str, project_id: str, dataset_id: str,
                                media_id: str, frame_index: str) -> dict:
    settings = settings_of(request)
    project = load_dataset_project(settings, workspace_id, project_id, dataset_id)
    row = load_media(settings, dataset_id, "video", media_id)
    frame = check_frame(row, frame_index)
    desc = f"video {media_id} frame {frame}"
    body = await read_json(request, f"Annotation body for {desc}")
    identifier = {"frame_index": frame, "type": "video_frame", "video_id": media_id}
    return await run_in_threadpool(_store, settings, project, media_id, frame, body, identifier, desc)


@router.get(DATASET + "/media/videos/{media_id}/frames/{frame_index}/annotations/latest", response_model=None)
def get_frame_annotation(request: Request, workspace_id: str, project_id: str, dataset_id: str,
                         media_id: str, frame_index: str) -> Response | dict:
    settings = settings_of(request)
    project = load_dataset_project(settings, workspace_id, project_id, dataset_id)
    row = load_media(settings, dataset_id, "video", media_id)
    scene = _latest(request, project, media_id, check_frame(row, frame_index))
    return scene if scene is not None else Response(status_code=204)


@router.get(DATASET + "/media/videos/{media_id}/annotations/latest", response_model=None)
def get_video_annotations(request: Request, workspace_id: str, project_id: str, dataset_id: str,
                          media_id: str) -> Response | dict:
    """Every annotated frame of the video, in frame order (SC's ``video_annotations`` shape)."""
    settings = settings_of(request)
    project = load_dataset_project(settings, workspace_id, project_id, dataset_id)
    row = load_media(settings, dataset_id, "video", media_id)
    with settings.db.read() as conn:
        rows = conn.execute("SELECT doc, annotated_tasks FROM annotations WHERE media_id=? AND frame_index>=0 "
                            "ORDER BY frame_index", (media_id,)).fetchall()
    scenes = [{**json.loads(r["doc"]),
               "annotation_state_per_task": annotation_states(project, set(json.loads(r["annotated_tasks"])))}
              for r in rows]
    scenes = [scene for scene in scenes if scene["annotations"]]
    if not scenes:
        return Response(status_code=204)
    last = row["frame_count"] - 1
    return {"video_annotations": scenes,
            "video_annotation_properties": {"total_count": len(scenes), "start_frame": 0, "end_frame": last,
                                            "total_requested_count": len(scenes), "requested_start_frame": 0,
                                            "requested_end_frame": last}}
