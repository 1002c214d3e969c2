"""The optional ``upload_info`` form field of a Geti 2.x media upload: ``{"label_ids": [...]}``
labels the whole image (or, for a video, every ``int(fps)``-th frame) with one full-image
rectangle. Geti allows it only when the first task is global (classification or anomaly); it is
checked before the file is stored, so a refused upload stores nothing."""

from __future__ import annotations

import json

from sc_importers.server.annotation_rules import build_scene
from sc_importers.server.db import IMAGE_FRAME
from sc_importers.server.errors import bad_request
from sc_importers.server.geti.common import check_object_id, not_found
from sc_importers.server.geti.views import GLOBAL_TYPES
from sc_importers.server.project_builder import trainable_tasks
from sc_importers.server.settings import ServerSettings

_FULL = {"type": "RECTANGLE", "x": 0.0, "y": 0.0, "width": 1.0, "height": 1.0}


def parse_upload_info(project: dict, raw: str | None) -> list[str] | None:
    """The label ids of ``upload_info`` (None without the field); 400/404 for a bad field."""
    if raw is None:
        return None
    try:
        info = json.loads(raw)
    except ValueError as exc:
        raise bad_request(f"'upload_info' is not valid JSON: {exc}") from exc
    if not isinstance(info, dict) or set(info) != {"label_ids"} or not isinstance(info["label_ids"], list) \
            or not info["label_ids"]:
        raise bad_request("'upload_info' must be {\"label_ids\": [\"<label id>\", ...]}.")
    first = trainable_tasks(project)[0]
    if first["task_type"] not in GLOBAL_TYPES:
        raise bad_request("'upload_info' labels can only be given when the first task is classification or anomaly.")
    known = {label["id"] for label in first["labels"]}
    for label_id in info["label_ids"]:
        check_object_id("label_id", label_id if isinstance(label_id, str) else repr(label_id))
        if label_id not in known:
            raise not_found("label", label_id)
    return list(dict.fromkeys(info["label_ids"]))


def annotate_upload(settings: ServerSettings, project: dict, row: dict, label_ids: list[str]) -> tuple[set[str], int]:
    """Store the full-image annotation(s) of a just uploaded item; (annotated task ids, frames)."""
    body = {"annotations": [{"labels": [{"id": i} for i in label_ids], "shape": _FULL}]}
    if row["kind"] == "image":
        frames = [IMAGE_FRAME]
    else:
        frames = list(range(0, row["frame_count"], max(1, int(row["fps"]))))
    rows, annotated = [], set()
    for frame in frames:
        identifier = ({"image_id": row["id"], "type": "image"} if frame == IMAGE_FRAME else
                      {"frame_index": frame, "type": "video_frame", "video_id": row["id"]})
        scene, tasks = build_scene(project, body, identifier, f"{row['kind']} {row['id']}")
        annotated.update(tasks)
        rows.append((row["id"], frame, project["id"], json.dumps(scene), json.dumps(tasks)))
    with settings.db.write() as conn:
        if not conn.execute("SELECT 1 FROM media WHERE id=?", (row["id"],)).fetchone():
            raise not_found(row["kind"], row["id"])
        conn.executemany("INSERT OR REPLACE INTO annotations (media_id, frame_index, project_id, doc, annotated_tasks) "
                         "VALUES (?, ?, ?, ?, ?)", rows)
    return annotated, 0 if row["kind"] == "image" else len(frames)
