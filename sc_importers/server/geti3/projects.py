"""``/api/projects``: create (with a client-chosen UUID), list, get, rename, delete; label edits.

One task per project: ``classification`` (``exclusive_labels`` true = multi-class), ``detection`` or
``instance_segmentation``. Label colours are ``#RRGGBB`` or ``#RGB`` (2.x's ``#RRGGBBAA`` is a 422),
names 1-50 characters; duplicate label names or hotkeys and an existing project id are 409.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import uuid
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from sc_importers.server.geti3.common import fail, now, project_row, store

router = APIRouter()

COLOR = r"^#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$"
TaskType = Literal["classification", "detection", "instance_segmentation"]


class LabelCreate(BaseModel):
    id: uuid.UUID | None = None
    name: str = Field(min_length=1, max_length=50)
    color: str | None = Field(default=None, pattern=COLOR)
    hotkey: str | None = None


class TaskCreate(BaseModel):
    task_type: TaskType
    exclusive_labels: bool = False
    labels: list[LabelCreate] = []


class ProjectCreate(BaseModel):
    id: uuid.UUID | None = None
    name: str = Field(min_length=1)
    task: TaskCreate


class ProjectRename(BaseModel):
    name: str = Field(min_length=1)


class LabelEdit(BaseModel):
    id: uuid.UUID
    new_name: str | None = Field(default=None, min_length=1, max_length=50)
    new_color: str | None = Field(default=None, pattern=COLOR)
    new_hotkey: str | None = None


class LabelRemove(BaseModel):
    id: uuid.UUID


class LabelsPatch(BaseModel):
    labels_to_add: list[LabelCreate] = []
    labels_to_edit: list[LabelEdit] = []
    labels_to_remove: list[LabelRemove] = []


def _random_color() -> str:
    return "#" + "".join(random.choice("0123456789ABCDEF") for _ in range(6))


def _labels(conn: sqlite3.Connection, project_id: str) -> list[dict]:
    rows = conn.execute("SELECT * FROM labels WHERE project_id=? ORDER BY position", (project_id,))
    return [{"id": r["id"], "name": r["name"], "color": r["color"], "hotkey": r["hotkey"]} for r in rows]


def project_view(conn: sqlite3.Connection, row: sqlite3.Row) -> dict:
    return {"id": row["id"], "name": row["name"], "active_pipeline": False, "created_at": row["created_at"],
            "task": {"task_type": row["task_type"], "exclusive_labels": bool(row["exclusive_labels"]),
                     "labels": _labels(conn, row["id"])}}


def _check_unique(labels: list[dict]) -> None:
    names = [lb["name"] for lb in labels]
    hotkeys = [lb["hotkey"] for lb in labels if lb.get("hotkey")]
    for what, values in (("name", names), ("hotkey", hotkeys)):
        dup = sorted({v for v in values if values.count(v) > 1})
        if dup:
            raise fail(409, f"Duplicate label {what}s: {', '.join(dup)}")


def _insert_labels(conn: sqlite3.Connection, project_id: str, labels: list[LabelCreate], start: int) -> None:
    for position, label in enumerate(labels, start):
        label_id = str(label.id or uuid.uuid4())
        if conn.execute("SELECT 1 FROM labels WHERE id=?", (label_id,)).fetchone():
            raise fail(409, f"Label with ID {label_id} already exists.")
        conn.execute("INSERT INTO labels (id, project_id, name, color, hotkey, position) VALUES (?,?,?,?,?,?)",
                     (label_id, project_id, label.name, (label.color or _random_color()).upper(), label.hotkey,
                      position))


@router.post("/projects", status_code=201)
def create_project(request: Request, body: ProjectCreate) -> dict:
    project_id = str(body.id or uuid.uuid4())
    _check_unique([lb.model_dump() for lb in body.task.labels])
    with store(request).write() as conn:
        if conn.execute("SELECT 1 FROM projects WHERE id=?", (project_id,)).fetchone():
            raise fail(409, f"Project with ID {project_id} already exists.")
        conn.execute("INSERT INTO projects (id, name, task_type, exclusive_labels, created_at) VALUES (?,?,?,?,?)",
                     (project_id, body.name, body.task.task_type, int(body.task.exclusive_labels), now()))
        _insert_labels(conn, project_id, body.task.labels, 0)
        return project_view(conn, project_row(conn, project_id))


@router.get("/projects")
def list_projects(request: Request) -> list[dict]:
    with store(request).read() as conn:
        return [project_view(conn, r) for r in conn.execute("SELECT * FROM projects ORDER BY created_at, id")]


@router.get("/projects/{project_id}")
def get_project(request: Request, project_id: str) -> dict:
    with store(request).read() as conn:
        return project_view(conn, project_row(conn, project_id))


@router.patch("/projects/{project_id}")
def rename_project(request: Request, project_id: str, body: ProjectRename) -> dict:
    with store(request).write() as conn:
        project_row(conn, project_id)
        conn.execute("UPDATE projects SET name=? WHERE id=?", (body.name, project_id))
        return project_view(conn, project_row(conn, project_id))


@router.delete("/projects/{project_id}", status_code=204)
def delete_project(request: Request, project_id: str) -> Response:
    db = store(request)
    with db.write() as conn:
        project_row(conn, project_id)
        conn.execute("DELETE FROM projects WHERE id=?", (project_id,))
    shutil.rmtree(db.media_root / project_id, ignore_errors=True)
    return Response(status_code=204)


@router.patch("/projects/{project_id}/labels")
def edit_labels(request: Request, project_id: str, body: LabelsPatch) -> list[dict]:
    with store(request).write() as conn:
        row = project_row(conn, project_id)
        current = {lb["id"]: lb for lb in _labels(conn, project_id)}
        for edit in body.labels_to_edit:
            label = current.get(str(edit.id))
            if label is None:
                raise fail(404, f"Label with ID {edit.id} not found.")
            label.update({k: v for k, v in (("name", edit.new_name), ("color", edit.new_color),
                                            ("hotkey", edit.new_hotkey)) if v is not None})
        for removal in body.labels_to_remove:
            if current.pop(str(removal.id), None) is None:
                raise fail(404, f"Label with ID {removal.id} not found.")
        _check_unique(list(current.values()) + [lb.model_dump() for lb in body.labels_to_add])
        minimum = 2 if row["task_type"] == "classification" and row["exclusive_labels"] else 1
        if len(current) + len(body.labels_to_add) < minimum:
            raise fail(409, f"A {row['task_type']} project needs at least {minimum} label(s).")
        keep = ",".join("?" * len(current))
        conn.execute(f"DELETE FROM labels WHERE project_id=? AND id NOT IN ({keep})", (project_id, *current))
        for label in current.values():
            conn.execute("UPDATE labels SET name=?, color=?, hotkey=? WHERE id=?",
                         (label["name"], label["color"].upper(), label["hotkey"], label["id"]))
        _insert_labels(conn, project_id, body.labels_to_add, len(current) + 1000)
        return _labels(conn, project_id)
