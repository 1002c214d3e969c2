"""What the viewer reads from the server's own store (SQLite rows and project documents): project
summaries, one page of a project's media with annotation counts per task, and one media item's
annotations. Read-only: nothing here writes."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from sc_importers.server.db import IMAGE_FRAME
from sc_importers.server.project_builder import trainable_tasks
from sc_importers.server.settings import ServerSettings

#: Grid filters: every media item, those all of whose tasks are annotated, those with some but not
#: all tasks annotated (a task chain whose second task is empty), and those without annotations.
SHOW_CHOICES = ("all", "annotated", "partial", "unannotated")


@dataclass
class ProjectSummary:
    project: dict
    images: int
    videos: int
    state_counts: dict[str, int]


@dataclass
class MediaCard:
    row: sqlite3.Row
    state: str
    #: task id -> annotations (shapes) whose labels belong to that task, video frames summed
    per_task: dict[str, int] = field(default_factory=dict)
    annotated_frames: int = 0


@dataclass
class MediaPage:
    cards: list[MediaCard]
    total: int  # media items matching the filter
    state_counts: dict[str, int]


def load_project(settings: ServerSettings, project_id: str) -> dict | None:
    with settings.db.read() as conn:
        row = conn.execute("SELECT doc FROM projects WHERE id=?", (project_id,)).fetchone()
    return json.loads(row["doc"]) if row else None


def load_media_row(settings: ServerSettings, project_id: str, media_id: str) -> sqlite3.Row | None:
    with settings.db.read() as conn:
        return conn.execute("SELECT * FROM media WHERE id=? AND project_id=?", (media_id, project_id)).fetchone()


def _states(conn: sqlite3.Connection, project: dict) -> list[tuple[str, str]]:
    """(media id, state) for every media item of the project, in id order (the API's order)."""
    tasks = {t["id"] for t in trainable_tasks(project)}
    covered: dict[str, set[str]] = {}
    for row in conn.execute("SELECT media_id, annotated_tasks FROM annotations WHERE project_id=?", (project["id"],)):
        covered.setdefault(row["media_id"], set()).update(json.loads(row["annotated_tasks"]))
    result = []
    for (media_id,) in conn.execute("SELECT id FROM media WHERE project_id=? ORDER BY id", (project["id"],)):
        hit = covered.get(media_id, set()) & tasks
        state = "unannotated" if not hit else "annotated" if hit == tasks else "partial"
        result.append((media_id, state))
    return result


def _count_states(states: list[tuple[str, str]]) -> dict[str, int]:
    counts = dict.fromkeys(SHOW_CHOICES, 0)
    counts["all"] = len(states)
    for _, state in states:
        counts[state] += 1
    return counts


def project_summaries(settings: ServerSettings) -> list[ProjectSummary]:
    """Every project, newest first (as the API lists them), with media and annotation counts."""
    with settings.db.read() as conn:
        projects = [json.loads(r["doc"]) for r in conn.execute("SELECT doc FROM projects ORDER BY id DESC")]
        kinds: dict[str, dict[str, int]] = {}
        for row in conn.execute("SELECT project_id, kind, COUNT(*) AS n FROM media GROUP BY project_id, kind"):
            kinds.setdefault(row["project_id"], {})[row["kind"]] = row["n"]
        covered: dict[str, list[int]] = {}  # project id -> tasks covered, one entry per annotated media item
        for row in conn.execute("SELECT a.project_id, COUNT(DISTINCT j.value) AS n FROM annotations a, "
                                "json_each(a.annotated_tasks) j GROUP BY a.project_id, a.media_id"):
            covered.setdefault(row["project_id"], []).append(row["n"])
    summaries = []
    for project in projects:
        counts = kinds.get(project["id"], {})
        total = counts.get("image", 0) + counts.get("video", 0)
        tasks = len(trainable_tasks(project))
        hits = covered.get(project["id"], [])
        states = {"all": total, "annotated": sum(1 for n in hits if n >= tasks),
                  "partial": sum(1 for n in hits if 0 < n < tasks)}
        states["unannotated"] = total - states["annotated"] - states["partial"]
        summaries.append(ProjectSummary(project, counts.get("image", 0), counts.get("video", 0), states))
    return summaries


def label_tasks(project: dict) -> dict[str, str]:
    """label id -> id of the task it belongs to."""
    return {lb["id"]: t["id"] for t in trainable_tasks(project) for lb in t["labels"]}


def _count_per_task(docs: list[dict], task_of: dict[str, str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for doc in docs:
        for ann in doc["annotations"]:
            for task in {task_of[lb["id"]] for lb in ann["labels"] if lb["id"] in task_of}:
                counts[task] = counts.get(task, 0) + 1
    return counts


def media_page(settings: ServerSettings, project: dict, show: str, offset: int, limit: int) -> MediaPage:
    """One page of the project's media matching ``show`` (see :data:`SHOW_CHOICES`)."""
    task_of = label_tasks(project)
    with settings.db.read() as conn:
        states = _states(conn, project)
        chosen = [(mid, st) for mid, st in states if show == "all" or st == show]
        page = chosen[offset:offset + limit]
        ids = [mid for mid, _ in page]
        marks = ",".join("?" * len(ids))
        rows = {r["id"]: r for r in conn.execute(f"SELECT * FROM media WHERE id IN ({marks})", ids)} if ids else {}
        docs: dict[str, list[dict]] = {}
        frames: dict[str, int] = {}
        if ids:
            for r in conn.execute(f"SELECT media_id, frame_index, doc FROM annotations WHERE media_id IN ({marks})",
                                  ids):
                doc = json.loads(r["doc"])
                docs.setdefault(r["media_id"], []).append(doc)
                if r["frame_index"] != IMAGE_FRAME and doc["annotations"]:
                    frames[r["media_id"]] = frames.get(r["media_id"], 0) + 1
    cards = [MediaCard(rows[mid], state, _count_per_task(docs.get(mid, []), task_of), frames.get(mid, 0))
             for mid, state in page if mid in rows]
    return MediaPage(cards, len(chosen), _count_states(states))


def annotated_frames(settings: ServerSettings, media_id: str) -> list[int]:
    """The frames of a video whose latest scene has annotations, in order."""
    with settings.db.read() as conn:
        rows = conn.execute("SELECT frame_index, doc FROM annotations WHERE media_id=? AND frame_index>=0 "
                            "ORDER BY frame_index", (media_id,)).fetchall()
    return [r["frame_index"] for r in rows if json.loads(r["doc"])["annotations"]]


def scene(settings: ServerSettings, media_id: str, frame: int) -> list[dict]:
    """The annotations of an image (``frame`` = :data:`IMAGE_FRAME`) or a video frame; [] when none."""
    with settings.db.read() as conn:
        row = conn.execute("SELECT doc FROM annotations WHERE media_id=? AND frame_index=?",
                           (media_id, frame)).fetchone()
    return json.loads(row["doc"])["annotations"] if row else []


def neighbours(settings: ServerSettings, project_id: str, media_id: str) -> tuple[str | None, str | None]:
    """The ids of the media items before and after ``media_id`` in the grid's order (all media)."""
    with settings.db.read() as conn:
        before = conn.execute("SELECT id FROM media WHERE project_id=? AND id<? ORDER BY id DESC LIMIT 1",
                              (project_id, media_id)).fetchone()
        after = conn.execute("SELECT id FROM media WHERE project_id=? AND id>? ORDER BY id LIMIT 1",
                             (project_id, media_id)).fetchone()
    return (before[0] if before else None), (after[0] if after else None)
