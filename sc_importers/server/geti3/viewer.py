"""``/viewer/projects/{id}``: a plain page of a Geti 3 mode project, so the "View it in a browser" link that
``sc-import`` and ``sc-export --verify`` print for a local server leads somewhere. Labels with their colours,
then every media with its thumbnail, its annotation count (``[]`` shows as "no objects") and a link to its
file. No login, as the rest of Geti 3."""

from __future__ import annotations

import html
import json
import sqlite3

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from sc_importers.server.geti3.common import project_row, store

router = APIRouter()


def _annotations(item: sqlite3.Row | None) -> str:
    if item is None or item["annotations"] is None:
        return "not annotated"
    count = len(json.loads(item["annotations"]))
    return f"{count} annotation(s)" if count else "no objects"


@router.get("/viewer/projects/{project_id}", response_class=HTMLResponse)
def project_page(request: Request, project_id: str) -> HTMLResponse:
    with store(request).read() as conn:
        project = project_row(conn, project_id)
        labels = conn.execute("SELECT * FROM labels WHERE project_id=? ORDER BY position", (project_id,)).fetchall()
        media = conn.execute("SELECT * FROM media WHERE project_id=? AND type IN ('image','video') ORDER BY seq",
                             (project_id,)).fetchall()
        items = {r["media_id"]: r for r in conn.execute("SELECT * FROM items WHERE project_id=?", (project_id,))}
        frames = {r["video_id"]: r["n"] for r in conn.execute(
            "SELECT m.video_id, COUNT(*) AS n FROM media m JOIN items i ON i.media_id=m.id WHERE m.project_id=? "
            "AND m.type='video_frame' AND i.annotations IS NOT NULL GROUP BY m.video_id", (project_id,))}
    base = f"/api/projects/{project_id}/dataset/media"
    label_html = " ".join(f'<span style="border-left:1em solid {html.escape(lb["color"])};padding:0 .5em">'
                          f'{html.escape(lb["name"])}</span>' for lb in labels)
    rows = []
    for m in media:
        state = (f"{frames.get(m['id'], 0)} annotated frame(s) of {m['frame_count']}" if m["type"] == "video"
                 else _annotations(items.get(m["id"])))
        rows.append(f'<tr><td><img src="{base}/{m["id"]}/thumbnail" height="64"></td>'
                    f'<td><a href="{base}/{m["id"]}/binary">{html.escape(m["name"])}.{m["format"]}</a></td>'
                    f'<td>{m["type"]} {m["width"]}x{m["height"]}</td><td>{state}</td></tr>')
    title = html.escape(project["name"])
    body = (f"<!doctype html><title>{title}</title><h1>{title}</h1>"
            f"<p>Geti 3 project {project['id']}: {project['task_type']}"
            f"{' (multi-class)' if project['exclusive_labels'] else ''}</p><p>{label_html}</p>"
            f"<table>{''.join(rows)}</table>")
    return HTMLResponse(body)
