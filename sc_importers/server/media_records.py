"""The JSON records SC 1.0 gives for images and videos (upload answer, listing entries, get one)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence

from sc_importers.server.project_builder import trainable_tasks
from sc_importers.server.storage import MediaRow


def media_url(workspace_id: str, project_id: str, dataset_id: str, kind: str, media_id: str) -> str:
    return (f"/api/v1.0/workspaces/{workspace_id}/projects/{project_id}/datasets/{dataset_id}"
            f"/media/{kind}s/{media_id}")


#: Ids per ``IN (...)`` look-up (well under SQLite's limit of bound variables).
_CHUNK = 500


def rows_of_media(conn: sqlite3.Connection, columns: str, media_ids: Sequence[str]) -> Iterator[sqlite3.Row]:
    """``SELECT media_id, <columns>`` of the annotation rows of ``media_ids`` (any number of them), found
    through the annotations' primary key: a page costs the same however large the project is."""
    for start in range(0, len(media_ids), _CHUNK):
        chunk = list(media_ids[start:start + _CHUNK])
        marks = ",".join("?" * len(chunk))
        yield from conn.execute(f"SELECT media_id, {columns} FROM annotations WHERE media_id IN ({marks})",
                                chunk).fetchall()


def annotated_tasks_by_media(conn: sqlite3.Connection, media_ids: Sequence[str]) -> dict[str, set[str]]:
    """For every annotated item among ``media_ids``, the ids of the tasks its annotations cover."""
    result: dict[str, set[str]] = {}
    for row in rows_of_media(conn, "annotated_tasks", media_ids):
        result.setdefault(row["media_id"], set()).update(json.loads(row["annotated_tasks"]))
    return result


def annotation_states(project: dict, annotated: set[str]) -> list[dict]:
    """``annotation_state_per_task``: "annotated" for tasks with annotations, else "NONE" (as recorded)."""
    return [{"state": "annotated" if t["id"] in annotated else "NONE", "task_id": t["id"]}
            for t in trainable_tasks(project)]


def media_record(workspace_id: str, project: dict, row: MediaRow, annotated: set[str]) -> dict:
    base = media_url(workspace_id, project["id"], row["dataset_id"], row["kind"], row["id"])
    if row["kind"] == "image":
        # The trailing space after display/full is what SC 1.0 sends (recorded).
        info = {"display_url": f"{base}/display/full ", "height": row["height"], "width": row["width"]}
    else:
        info = {"display_url": f"{base}/display/stream", "duration": row["duration"], "fps": row["fps"],
                "frame_count": row["frame_count"], "frame_stride": max(1, round(row["fps"])),
                "height": row["height"], "width": row["width"]}
    return {
        "annotation_state_per_task": annotation_states(project, annotated),
        "id": row["id"],
        "media_information": info,
        "name": row["name"],
        "thumbnail": f"{base}/display/thumb",
        "type": row["kind"],
        "upload_time": row["upload_time"],
    }
