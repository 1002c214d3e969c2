"""``GET``/``POST D/media/videos/{id}/range_annotation``: frame ranges of a video labelled at once,
for single-task classification and anomaly projects (Geti 2.x).

A POST replaces the video's ranges and annotates every ``skip_frame``-th frame of each range
(default: the video's frame stride, ``int(fps)``) with one full-frame rectangle carrying the
range's labels, through the same scene checks as any frame annotation. The ranges are kept in the
annotations table under frame index -2, so deleting the video or the project removes them too.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from sc_importers.server.annotation_rules import build_scene
from sc_importers.server.body import read_json
from sc_importers.server.errors import bad_request
from sc_importers.server.geti.common import DATASET, check_object_id, load_dataset_project, load_media, not_found
from sc_importers.server.geti.views import GLOBAL_TYPES
from sc_importers.server.project_builder import trainable_tasks
from sc_importers.server.settings import settings_of

router = APIRouter()
RANGE_FRAME = -2  # frame_index of the row holding a video's ranges (images use -1, frames >= 0)


def _ranges(body: object, task: dict, frame_count: int) -> list[dict]:
    if not isinstance(body, dict) or set(body) != {"range_labels"} or not isinstance(body["range_labels"], list):
        raise bad_request("The body must be {\"range_labels\": [{\"start_frame\", \"end_frame\", \"label_ids\"}]}.")
    known = {label["id"] for label in task["labels"]}
    ranges = []
    for item in body["range_labels"]:
        if not isinstance(item, dict) or set(item) != {"start_frame", "end_frame", "label_ids"}:
            raise bad_request(f"Every range needs exactly 'start_frame', 'end_frame' and 'label_ids', got {item!r}.")
        start, end, labels = item["start_frame"], item["end_frame"], item["label_ids"]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)) \
                or not 0 <= start <= end < frame_count:
            raise bad_request(f"Range {start!r}-{end!r} is not within frames 0-{frame_count - 1}.")
        if not isinstance(labels, list) or not labels:
            raise bad_request(f"Range {start}-{end} needs at least one label id.")
        for label_id in labels:
            check_object_id("label_id", label_id if isinstance(label_id, str) else repr(label_id))
            if label_id not in known:
                raise not_found("label", label_id)
        ranges.append({"start_frame": start, "end_frame": end, "label_ids": list(labels)})
    ranges.sort(key=lambda r: r["start_frame"])
    for before, after in zip(ranges, ranges[1:], strict=False):
        if after["start_frame"] <= before["end_frame"]:
            raise bad_request(f"Range {after['start_frame']}-{after['end_frame']} overlaps range "
                              f"{before['start_frame']}-{before['end_frame']}.")
    return ranges


def _global_task(project: dict) -> dict:
    tasks = trainable_tasks(project)
    if len(tasks) != 1 or tasks[0]["task_type"] not in GLOBAL_TYPES:
        raise bad_request("Range annotations are only available for single-task classification and anomaly "
                          "projects.")
    return tasks[0]


@router.get(DATASET + "/media/videos/{video_id}/range_annotation")
def get_range_annotation(request: Request, organization_id: str, workspace_id: str, project_id: str,
                         dataset_id: str, video_id: str) -> dict:
    settings = settings_of(request)
    project = load_dataset_project(settings, organization_id, workspace_id, project_id, dataset_id)
    load_media(settings, dataset_id, "video", video_id)
    _global_task(project)
    with settings.db.read() as conn:
        row = conn.execute("SELECT doc FROM annotations WHERE media_id=? AND frame_index=?",
                           (video_id, RANGE_FRAME)).fetchone()
    return {"video_id": video_id, "range_labels": json.loads(row["doc"])["range_labels"] if row else []}


@router.post(DATASET + "/media/videos/{video_id}/range_annotation")
async def post_range_annotation(request: Request, organization_id: str, workspace_id: str, project_id: str,
                                dataset_id: str, video_id: str) -> dict:
    settings = settings_of(request)
    project = load_dataset_project(settings, organization_id, workspace_id, project_id, dataset_id)
    row = load_media(settings, dataset_id, "video", video_id)
    task = _global_task(project)
    raw_skip = request.query_params.get("skip_frame")
    if raw_skip is not None and not (raw_skip.isascii() and raw_skip.isdigit() and 0 < int(raw_skip) < 10 ** 9):
        raise bad_request(f"Invalid request parameters: 'skip_frame'. Expected a positive integer, got '{raw_skip}'.")
    skip = int(raw_skip) if raw_skip else max(1, int(row["fps"]))
    ranges = _ranges(await read_json(request, "Range annotation"), task, row["frame_count"])
    full = {"type": "RECTANGLE", "x": 0.0, "y": 0.0, "width": 1.0, "height": 1.0}
    scenes = []
    for item in ranges:
        for frame in range(item["start_frame"], item["end_frame"] + 1, skip):
            body = {"annotations": [{"labels": [{"id": i} for i in item["label_ids"]], "shape": full}]}
            identifier = {"frame_index": frame, "type": "video_frame", "video_id": video_id}
            scene, annotated = build_scene(project, body, identifier, f"video {video_id} frame {frame}")
            scenes.append((frame, json.dumps(scene), json.dumps(annotated)))

    def store() -> None:
        with settings.db.write() as conn:
            if not conn.execute("SELECT 1 FROM media WHERE id=?", (video_id,)).fetchone():
                raise not_found("video", video_id)
            rows = [*scenes, (RANGE_FRAME, json.dumps({"range_labels": ranges}), "[]")]
            conn.executemany("INSERT OR REPLACE INTO annotations (media_id, frame_index, project_id, doc, "
                             "annotated_tasks) VALUES (?, ?, ?, ?, ?)",
                             [(video_id, frame, project_id, doc, tasks) for frame, doc, tasks in rows])

    await run_in_threadpool(store)
    return {"video_id": video_id, "range_labels": ranges}
