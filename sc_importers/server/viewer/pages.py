"""The viewer's HTML, rendered on the server: the projects list, a project's media grid and one
media item with its annotations. Plain HTML and CSS, a few lines of JavaScript for the label filter
of the media page; nothing is fetched from outside the server."""

from __future__ import annotations

import sqlite3
from html import escape
from urllib.parse import urlencode

from sc_importers.server.project_builder import trainable_tasks
from sc_importers.server.viewer.drawing import annotations_svg, css_color
from sc_importers.server.viewer.store import SHOW_CHOICES, MediaCard, MediaPage, ProjectSummary

BASE = "/viewer"
_SHOW_WORDS = {"all": "All", "annotated": "Annotated", "partial": "Some tasks annotated",
               "unannotated": "Unannotated"}

_CSS = """
body{font-family:system-ui,sans-serif;margin:0;background:#1f2125;color:#e6e6e6}
a{color:#8ab4f8}header{padding:10px 20px;background:#2b2e33;display:flex;gap:16px;align-items:baseline}
header h1{font-size:18px;margin:0}main{padding:16px 20px}
table{border-collapse:collapse}td,th{padding:6px 10px;border-bottom:1px solid #3a3d42;text-align:left;
vertical-align:top}.swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:4px;
vertical-align:middle}.chip{display:inline-block;margin:1px 6px 1px 0;white-space:nowrap}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:12px}
.card{background:#2b2e33;border-radius:6px;padding:6px;font-size:13px;border-left:4px solid #666}
.card.annotated{border-left-color:#4caf50}.card.partial{border-left-color:#ffb300}
.card.unannotated{border-left-color:#e53935}.card img{width:100%;height:140px;object-fit:contain;
background:#111}.name{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;font-weight:600}
.tabs a{margin-right:12px}.tabs a.on{font-weight:700;color:#fff}.pager{margin:14px 0}
.pager a,.pager span{margin-right:12px}.media{display:flex;gap:20px;align-items:flex-start}
#canvas{max-width:min(1100px,72vw);max-height:82vh;background:#111}.side{min-width:240px}
.muted{color:#9aa0a6}.frames a{margin-right:6px}
"""

#: The label filter: an annotation stays visible while at least one of its labels is checked.
_FILTER_JS = """
function applyFilter(){
  const on=new Set([...document.querySelectorAll('input.label-filter:checked')].map(e=>e.value));
  for(const g of document.querySelectorAll('#canvas g.annotation')){
    const ids=g.dataset.labels.split(' ');g.style.display=ids.some(i=>on.has(i))?'':'none';}
  document.getElementById('shown-count').textContent=
    document.querySelectorAll('#canvas g.annotation:not([style*="none"])').length;
}
for(const e of document.querySelectorAll('input.label-filter'))e.addEventListener('change',applyFilter);
"""


def layout(title: str, body: str, crumbs: list[tuple[str, str]] | None = None) -> str:
    """A full page: header with breadcrumbs, then ``body``."""
    trail = " / ".join(f'<a href="{escape(href, quote=True)}">{escape(text)}</a>' for text, href in crumbs or [])
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)} - sc-server'
            f"</title><style>{_CSS}</style></head><body><header><h1>sc-server viewer</h1>"
            f'<a href="{BASE}/">Projects</a>{" / " + trail if trail else ""}</header>'
            f"<main>{body}</main></body></html>")


def project_type(project: dict) -> str:
    """The trainable task types of the pipeline, e.g. ``detection → segmentation`` (as SC shows a chain)."""
    return " → ".join(t["task_type"] for t in trainable_tasks(project))


def label_chips(task: dict) -> str:
    return "".join(f'<span class="chip label" data-label-id="{lb["id"]}" data-color="{css_color(lb["color"])}">'
                   f'<span class="swatch" style="background:{css_color(lb["color"])}"></span>'
                   f'{escape(lb["name"])}{" (empty)" if lb.get("is_empty") else ""}</span>'
                   for lb in task["labels"])


def projects_page(summaries: list[ProjectSummary]) -> str:
    if not summaries:
        return layout("Projects", "<p>No projects yet. Import one with <code>sc import</code>.</p>")
    rows = []
    for s in summaries:
        p = s.project
        tasks = "".join(f'<div class="task"><b>{escape(t["title"])}</b> <span class="muted">'
                        f'{escape(t["task_type"])}</span><br>{label_chips(t)}</div>' for t in trainable_tasks(p))
        counts = s.state_counts
        rows.append(
            f'<tr class="project" data-project-id="{p["id"]}"><td><a class="project-link" '
            f'href="{BASE}/projects/{p["id"]}">{escape(p["name"])}</a><div class="muted">{escape(p["creation_time"])}'
            f'</div></td><td class="type">{escape(project_type(p))}</td><td>{tasks}</td>'
            f'<td class="counts"><span class="images">{s.images}</span> images, <span class="videos">{s.videos}'
            f'</span> videos<br><span class="muted">{counts["annotated"]} annotated, {counts["partial"]} partly, '
            f'{counts["unannotated"]} unannotated</span></td></tr>')
    table = ("<table id=\"projects\"><tr><th>Project</th><th>Type</th><th>Tasks and labels</th><th>Media</th></tr>"
             + "".join(rows) + "</table>")
    return layout("Projects", table)


def _grid_url(project_id: str, show: str, page: int, per_page: int) -> str:
    return f"{BASE}/projects/{project_id}?" + urlencode({"show": show, "page": page, "per_page": per_page})


def _card(project: dict, card: MediaCard, tasks: list[dict]) -> str:
    row = card.row
    link = f"{BASE}/projects/{project['id']}/media/{row['id']}"
    counts = "".join(f'<div class="task-count" data-task-id="{t["id"]}">{escape(t["title"])}: '
                     f'<span class="n">{card.per_task.get(t["id"], 0)}</span></div>' for t in tasks)
    extra = (f'<div class="muted">video, {row["frame_count"]} frames, {card.annotated_frames} annotated</div>'
             if row["kind"] == "video" else "")
    return (f'<div class="card {card.state}" data-media-id="{row["id"]}" data-kind="{row["kind"]}" '
            f'data-state="{card.state}"><a href="{link}"><img loading="lazy" alt="" src="{link}/thumb"></a>'
            f'<div class="name" title="{escape(row["name"], quote=True)}"><a href="{link}">{escape(row["name"])}</a>'
            f"</div>{extra}{counts}</div>")


def grid_page(project: dict, page: MediaPage, show: str, number: int, per_page: int) -> str:
    """A project's media grid: filter tabs, cards with thumbnail and counts per task, pager."""
    pid = project["id"]
    tasks = trainable_tasks(project)
    tabs = " ".join(f'<a class="{"on" if key == show else ""}" id="show-{key}" '
                    f'href="{_grid_url(pid, key, 1, per_page)}">'
                    f"{_SHOW_WORDS[key]} ({page.state_counts[key]})</a>" for key in SHOW_CHOICES)
    pages = max(1, -(-page.total // per_page))
    pager = [f'<span id="page-info">Page {number} of {pages} ({page.total} media)</span>']
    if number > 1:
        pager.append(f'<a id="prev-page" href="{_grid_url(pid, show, number - 1, per_page)}">← previous</a>')
    if number < pages:
        pager.append(f'<a id="next-page" href="{_grid_url(pid, show, number + 1, per_page)}">next →</a>')
    legend = "".join(f'<div><b>{escape(t["title"])}</b> ({escape(t["task_type"])}): {label_chips(t)}</div>'
                     for t in tasks)
    cards = "".join(_card(project, c, tasks) for c in page.cards) or "<p>No media here.</p>"
    body = (f'<h2>{escape(project["name"])} <span class="muted">{escape(project_type(project))}</span></h2>'
            f'{legend}<p class="tabs">{tabs}</p><div class="pager">{" ".join(pager)}</div>'
            f'<div class="grid" id="media-grid">{cards}</div><div class="pager">{" ".join(pager[1:])}</div>')
    return layout(project["name"], body, [(project["name"], f"{BASE}/projects/{pid}")])


def _frame_links(project_id: str, media_id: str, frames: list[int], current: int) -> str:
    shown = frames[:300]
    links = " ".join(f'<a class="frame-link" href="{BASE}/projects/{project_id}/media/{media_id}?frame={f}">'
                     f'{"<b>" + str(f) + "</b>" if f == current else f}</a>' for f in shown)
    more = f' <span class="muted">and {len(frames) - len(shown)} more</span>' if len(frames) > len(shown) else ""
    return f'<div class="frames">Annotated frames ({len(frames)}): {links or "none"}{more}</div>'


def media_view(project: dict, row: sqlite3.Row, annotations: list[dict], frame: int | None, frames: list[int],
               neighbours: tuple[str | None, str | None] = (None, None)) -> str:
    """One image or video frame with every annotation drawn, the label filter, and links to the
    media items before and after it."""
    pid, mid = project["id"], row["id"]
    base = f"{BASE}/projects/{pid}/media/{mid}"
    steps = " ".join(f'<a id="{key}-media" href="{BASE}/projects/{pid}/media/{other}">{text}</a>'
                     for key, other, text in (("prev", neighbours[0], "← previous"), ("next", neighbours[1], "next →"))
                     if other)
    image_url = f"{base}/full" + (f"?frame={frame}" if frame is not None else "")
    svg = annotations_svg(annotations, row["width"], row["height"], image_url)
    used: dict[str, int] = {}
    for ann in annotations:
        for lb in ann["labels"]:
            used[lb["id"]] = used.get(lb["id"], 0) + 1
    filters = []
    for task in trainable_tasks(project):
        filters.append(f'<div class="muted">{escape(task["title"])}</div>')
        for lb in task["labels"]:
            filters.append(f'<label class="chip"><input type="checkbox" class="label-filter" value="{lb["id"]}" '
                           f'checked> <span class="swatch" style="background:{css_color(lb["color"])}"></span>'
                           f'{escape(lb["name"])} ({used.get(lb["id"], 0)})</label><br>')
    what = f"frame {frame} of {row['frame_count']}" if frame is not None else f"{row['width']} x {row['height']}"
    side = (f'<div class="side"><p class="pager">{steps}</p><p><b>{escape(row["name"])}</b><br>'
            f'<span class="muted">{row["kind"]}, {what}'
            f'</span></p><p><span id="shown-count">{len(annotations)}</span> of <span id="annotation-count">'
            f'{len(annotations)}</span> annotations shown</p><form>{"".join(filters)}</form></div>')
    frame_nav = ""
    if frame is not None:
        frame_nav = (_frame_links(pid, mid, frames, frame)
                     + f'<form class="frames"><label>Go to frame <input name="frame" type="number" min="0" '
                       f'max="{row["frame_count"] - 1}" value="{frame}"></label></form>')
    body = f'{frame_nav}<div class="media">{svg}{side}</div><script>{_FILTER_JS}</script>'
    return layout(row["name"], body, [(project["name"], f"{BASE}/projects/{pid}"), (row["name"], base)])


def message_page(title: str, message: str, status_crumbs: list[tuple[str, str]] | None = None) -> str:
    return layout(title, f"<h2>{escape(title)}</h2><p>{escape(message)}</p>", status_crumbs)
