"""What every route of the Geti 3 mode shares: ``{"detail": ...}`` errors, UUID path checks, lookups."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime, timezone

from fastapi import HTTPException, Request

from sc_importers.server.geti3.store import Store


def store(request: Request) -> Store:
    return request.app.state.geti3


def fail(status: int, detail: str) -> HTTPException:
    """Geti 3's error: ``{"detail": "<text>"}`` with ``status``."""
    return HTTPException(status_code=status, detail=detail)


def check_uuid(name: str, value: str) -> str:
    """400 as Geti 3's ``api/validators.py`` words it, for a path id that is no UUID."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise fail(400, f"Invalid {name}: '{value}' must be a valid UUID format.") from None


def now() -> str:
    return datetime.now(timezone.utc).isoformat()


def project_row(conn: sqlite3.Connection, project_id: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM projects WHERE id=?", (check_uuid("project_id", project_id),)).fetchone()
    if row is None:
        raise fail(404, f"Project with ID {project_id} not found.")
    return row


def media_row(conn: sqlite3.Connection, project_id: str, media_id: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM media WHERE id=? AND project_id=?",
                       (check_uuid("media_id", media_id), project_id)).fetchone()
    if row is None:
        raise fail(404, f"Media with ID {media_id} not found.")
    return row
