"""``/api/projects/{p}/dataset/media/{m}/annotations[?frame_index=N]``: POST replaces (201), GET (404
"Media has not been annotated yet." when never annotated), DELETE (204).

Shapes are lower-case and in absolute pixels: ``rectangle`` (whole-pixel ``x, y, width, height``),
``polygon`` (``points``: ``{"x", "y"}`` objects; ``[x, y]`` pairs are accepted too and stored as
objects), ``full_image``. Validation per task as ``DatasetService._cleanup_and_validate_annotations``:
classification one ``full_image`` annotation (multi-class: one label, never empty), detection
rectangles and instance segmentation polygons with one label each; ``[]`` means "no objects".
A video frame is annotated through its video with ``frame_index`` (which creates the frame's own
``video_frame`` media); ``frame_index=0`` is refused like a missing index, as every stored Geti 3
router does (``if not frame_index``).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field, model_validator

from sc_importers.server.geti3.common import fail, media_row, now, project_row, store
from sc_importers.server.geti3.media import PREFIX, annotation_data

router = APIRouter()
NonNegative = Annotated[int, Field(ge=0)]


class Point(BaseModel):
    x: float = Field(ge=0)
    y: float = Field(ge=0)

    @model_validator(mode="before")
    @classmethod
    def _pair(cls, value: Any) -> Any:
        if isinstance(value, list | tuple) and len(value) == 2:
            return {"x": value[0], "y": value[1]}
        return value


class RectangleShape(BaseModel):
    type: Literal["rectangle"]
    x: NonNegative
    y: NonNegative
    width: NonNegative
    height: NonNegative


class PolygonShape(BaseModel):
    type: Literal["polygon"]
    points: list[Point] = Field(min_length=3)


class FullImageShape(BaseModel):
    type: Literal["full_image"]


Shape = Annotated[RectangleShape | PolygonShape | FullImageShape, Field(discriminator="type")]


class LabelReference(BaseModel):
    id: uuid.UUID


class AnnotationIn(BaseModel):
    labels: list[LabelReference]
    shape: Shape
    confidences: list[float] | None = None


class AnnotationsBody(BaseModel):
    annotations: list[AnnotationIn]
    subset: Literal["unassigned", "training", "validation", "testing"] | None = None
    user_reviewed: bool = True


_SHAPE_OF_TASK = {"classification": "full_image", "detection": "rectangle", "instance_segmentation": "polygon"}


def validate(project: sqlite3.Row, label_ids: set[str], width: int, height: int,
             annotations: list[AnnotationIn]) -> None:
    """400 for what the project's task cannot hold (the messages of Geti 3's dataset service)."""
    task = project["task_type"]
    multiclass = task == "classification" and bool(project["exclusive_labels"])
    for annotation in annotations:
        for label in annotation.labels:
            if str(label.id) not in label_ids:
                raise fail(400, f"Label {label.id} is not found in the project.")
    if task == "classification":
        if multiclass and not annotations:
            raise fail(400, "Multiclass classification project requires one annotation.")
        if len(annotations) > 1:
            raise fail(400, "Classification project supports only one annotation per media.")
    for annotation in annotations:
        kind = annotation.shape.type
        if kind != _SHAPE_OF_TASK[task]:
            raise fail(400, f"Shape {kind} is not supported by a {task} project.")
        if task != "classification" and len(annotation.labels) != 1:
            raise fail(400, f"A {task} annotation must have exactly one label.")
        if multiclass and len(annotation.labels) > 1:
            raise fail(400, "Multiclass classification annotation must have exactly one label.")
        if not annotation.labels:
            raise fail(400, "An annotation must have at least one label.")
        shape = annotation.shape
        if isinstance(shape, RectangleShape) and (shape.x + shape.width > width or shape.y + shape.height > height):
            raise fail(400, f"Rectangle ({shape.x}, {shape.y}, {shape.width}, {shape.height}) is out of the "
                            f"media bounds {width}x{height}.")
        if isinstance(shape, PolygonShape):
            for p in shape.points:
                if p.x > width or p.y > height:
                    raise fail(400, f"Polygon point ({p.x}, {p.y}) is out of the media bounds {width}x{height}.")


def _target(conn: sqlite3.Connection, project_id: str, media_id: str, frame_index: int | None,
            create: bool) -> sqlite3.Row:
    """The media row whose item holds the annotations: the image, or the video's frame ``frame_index``."""
    row = media_row(conn, project_id, media_id)
    if row["type"] != "video":
        return row
    if not frame_index:  # as Geti 3: frame_index=0 counts as "not provided"
        raise fail(400, "Video frame index is not provided.")
    if frame_index >= row["frame_count"]:
        raise fail(400, f"Frame index {frame_index} is out of range for a video of {row['frame_count']} frames.")
    frame = conn.execute("SELECT * FROM media WHERE video_id=? AND frame_index=?", (row["id"], frame_index)).fetchone()
    if frame is None and create:
        frame_id = str(uuid.uuid4())
        conn.execute("INSERT INTO media (id, project_id, type, name, format, width, height, size, filename, video_id, "
                     "frame_index, uploaded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                     (frame_id, project_id, "video_frame", f"{row['name']}_frame_{frame_index}", "jpg", row["width"],
                      row["height"], 0, "", row["id"], frame_index, now()))
        conn.execute("INSERT INTO items (media_id, project_id) VALUES (?,?)", (frame_id, project_id))
        frame = conn.execute("SELECT * FROM media WHERE id=?", (frame_id,)).fetchone()
    if frame is None:
        raise fail(404, "Video frame not found for the given index.")
    return frame


@router.post(PREFIX + "/{media_id}/annotations", status_code=201)
def post_annotations(request: Request, project_id: str, media_id: str, body: AnnotationsBody,
                     frame_index: int | None = Query(None, ge=0)) -> dict:
    with store(request).write() as conn:
        project = project_row(conn, project_id)
        labels = {r["id"] for r in conn.execute("SELECT id FROM labels WHERE project_id=?", (project_id,))}
        video_or_image = media_row(conn, project_id, media_id)
        validate(project, labels, video_or_image["width"], video_or_image["height"], body.annotations)
        target = _target(conn, project_id, media_id, frame_index, create=True)
        item = conn.execute("SELECT * FROM items WHERE media_id=?", (target["id"],)).fetchone()
        subset = item["subset"]
        if body.subset is not None and body.subset != subset:
            if subset != "unassigned":
                raise fail(409, f"Media is already assigned to the {subset} subset.")
            subset = body.subset
        stored = [{"labels": [{"id": str(lb.id)} for lb in a.labels], "shape": a.shape.model_dump()}
                  for a in body.annotations]
        conn.execute("UPDATE items SET annotations=?, subset=?, user_reviewed=1 WHERE media_id=?",
                     (json.dumps(stored), subset, target["id"]))
        item = conn.execute("SELECT * FROM items WHERE media_id=?", (target["id"],)).fetchone()
    return {"media_id": target["id"], **annotation_data(item)}


@router.get(PREFIX + "/{media_id}/annotations")
def get_annotations(request: Request, project_id: str, media_id: str,
                    frame_index: int | None = Query(None, ge=0)) -> dict:
    with store(request).read() as conn:
        project_row(conn, project_id)
        target = _target(conn, project_id, media_id, frame_index, create=False)
        item = conn.execute("SELECT * FROM items WHERE media_id=?", (target["id"],)).fetchone()
    if item is None or item["annotations"] is None:
        raise fail(404, "Media has not been annotated yet.")
    return annotation_data(item)


@router.delete(PREFIX + "/{media_id}/annotations", status_code=204)
def delete_annotations(request: Request, project_id: str, media_id: str,
                       frame_index: int | None = Query(None, ge=0)) -> Response:
    with store(request).write() as conn:
        project_row(conn, project_id)
        target = _target(conn, project_id, media_id, frame_index, create=False)
        conn.execute("UPDATE items SET annotations=NULL WHERE media_id=?", (target["id"],))
    return Response(status_code=204)
