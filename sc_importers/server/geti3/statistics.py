"""``GET /api/projects/{p}/dataset/statistics``: media and annotation counts (what a migration checks)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request

from sc_importers.server.geti3.common import project_row, store

router = APIRouter()


@router.get("/projects/{project_id}/dataset/statistics")
def statistics(request: Request, project_id: str) -> dict:
    with store(request).read() as conn:
        project_row(conn, project_id)
        counts = {r["type"]: r["n"] for r in conn.execute(
            "SELECT type, COUNT(*) AS n FROM media WHERE project_id=? GROUP BY type", (project_id,))}
        rows = conn.execute("SELECT m.type, m.video_id, i.annotations FROM items i JOIN media m ON m.id=i.media_id "
                            "WHERE i.project_id=? AND i.annotations IS NOT NULL", (project_id,)).fetchall()
        labels = [r["id"] for r in conn.execute("SELECT id FROM labels WHERE project_id=? ORDER BY position",
                                                (project_id,))]
    per_label = dict.fromkeys(labels, 0)
    instances = 0
    for row in rows:
        for annotation in json.loads(row["annotations"]):
            instances += 1
            for label in annotation["labels"]:
                per_label[label["id"]] = per_label.get(label["id"], 0) + 1
    return {"media_counts": {"images": counts.get("image", 0), "videos": counts.get("video", 0),
                             "video_frames": counts.get("video_frame", 0)},
            "annotations_counts": {
                "annotated_images": sum(r["type"] == "image" for r in rows),
                "annotated_videos": len({r["video_id"] for r in rows if r["type"] == "video_frame"}),
                "annotated_video_frames": sum(r["type"] == "video_frame" for r in rows),
                "instances": instances,
                "instances_per_label": [{"label_id": k, "instances": v} for k, v in per_label.items()]}}
