"""The Geti 3 mode's own store: one SQLite file and a media folder under ``--data-dir``.

Geti 3 is a different product from SC 1.0 / Geti 2.x (one task per project, UUIDs, one implicit
dataset), so this mode keeps its own tables instead of viewing the shared store: ``projects``,
``labels``, ``media`` (images, videos and the ``video_frame`` rows a frame annotation creates) and
``items`` (a media's annotation list, ``NULL`` until annotated; ``[]`` means "no objects").
Every call opens its own connection (sqlite3 connections are not shared across threads).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, task_type TEXT NOT NULL, exclusive_labels INTEGER NOT NULL,
    created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS labels (
    id TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name TEXT NOT NULL, color TEXT NOT NULL, hotkey TEXT, position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS media (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    type TEXT NOT NULL, name TEXT NOT NULL, format TEXT NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,
    size INTEGER NOT NULL, filename TEXT NOT NULL, fps REAL, frame_count INTEGER, duration REAL,
    video_id TEXT, frame_index INTEGER, uploaded_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS media_by_project ON media(project_id, type, seq);
CREATE UNIQUE INDEX IF NOT EXISTS frame_of_video ON media(video_id, frame_index);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY, filename TEXT NOT NULL, size INTEGER NOT NULL, "offset" INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL, created_at TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    media_id TEXT PRIMARY KEY REFERENCES media(id) ON DELETE CASCADE,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    annotations TEXT, subset TEXT NOT NULL DEFAULT 'unassigned', user_reviewed INTEGER NOT NULL DEFAULT 0);
"""


class Store:
    """The database of one Geti 3 mode server (``<data-dir>/geti3.sqlite3``) and its media folder."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.media_root = self.data_dir / "geti3-media"
        self.path = self.data_dir / "geti3.sqlite3"
        self._write_lock = threading.Lock()
        with self.read() as conn:
            conn.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA journal_mode=WAL")
        return conn

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        conn = self._connect()
        try:
            yield conn
        finally:
            conn.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction, serialised in-process (SQLite has one writer anyway)."""
        with self._write_lock:
            conn = self._connect()
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            finally:
                conn.close()

    def media_file(self, project_id: str, filename: str) -> Path:
        return self.media_root / project_id / filename
