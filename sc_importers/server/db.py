"""SQLite storage of the server's metadata (WAL mode; one connection per thread, reused).

Projects and annotation scenes are stored as JSON documents because the API hands them out whole;
media rows keep the columns the listing filters and sorts on. Media bytes live on disk under
``<data-dir>/media/<project id>/`` (see :mod:`sc_importers.server.storage`).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (  -- token: the SHA-256 of the session token (auth.token_hash)
    token TEXT PRIMARY KEY, username TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, dataset_id TEXT NOT NULL, doc TEXT NOT NULL,
    config TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS media (
    id TEXT PRIMARY KEY, project_id TEXT NOT NULL, dataset_id TEXT NOT NULL, kind TEXT NOT NULL,
    name TEXT NOT NULL, filename TEXT NOT NULL, upload_time TEXT NOT NULL,
    width INTEGER NOT NULL, height INTEGER NOT NULL,
    frame_count INTEGER, fps REAL, duration REAL);
CREATE INDEX IF NOT EXISTS media_by_dataset ON media (dataset_id, kind, id);
CREATE INDEX IF NOT EXISTS media_by_name ON media (dataset_id, name, id, kind);
CREATE INDEX IF NOT EXISTS media_by_upload_time ON media (dataset_id, upload_time, id, kind);
-- media per dataset and kind, and a generation that changes with every insert or delete (listing cursors)
CREATE TABLE IF NOT EXISTS media_counts (
    dataset_id TEXT NOT NULL, kind TEXT NOT NULL, n INTEGER NOT NULL, generation INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (dataset_id, kind));
CREATE TRIGGER IF NOT EXISTS media_counted AFTER INSERT ON media BEGIN
    INSERT INTO media_counts (dataset_id, kind, n, generation) VALUES (NEW.dataset_id, NEW.kind, 1, 1)
    ON CONFLICT (dataset_id, kind) DO UPDATE SET n = n + 1, generation = generation + 1;
END;
CREATE TRIGGER IF NOT EXISTS media_uncounted AFTER DELETE ON media BEGIN
    UPDATE media_counts SET n = n - 1, generation = generation + 1
    WHERE dataset_id = OLD.dataset_id AND kind = OLD.kind;
END;
CREATE TABLE IF NOT EXISTS annotations (
    media_id TEXT NOT NULL, frame_index INTEGER NOT NULL, project_id TEXT NOT NULL,
    doc TEXT NOT NULL, annotated_tasks TEXT NOT NULL, PRIMARY KEY (media_id, frame_index));
CREATE INDEX IF NOT EXISTS annotations_by_project ON annotations (project_id);
"""

#: frame_index stored for an image's annotation (video frames use their index).
IMAGE_FRAME = -1


class Database:
    """Connections to ``<data_dir>/sc-server.sqlite3``; safe to share between threads.

    Each thread keeps one connection and reuses it for every request it serves: opening a
    connection (and its PRAGMAs) cost about a third of a small request's CPU. A block nested in
    another block of the same thread gets a short-lived connection of its own, so a ``read``
    inside a ``write`` (or the reverse) behaves as it did with one connection per block.

    The database file is readable by its owner only (0600), whatever the umask: it holds the
    sessions. A database of an older version, which stored session tokens in plain text, loses
    those sessions once (their clients log in again) and the freed pages are overwritten."""

    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / "sc-server.sqlite3"
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        os.chmod(self.path, 0o600)
        self._local = threading.local()
        conn = self._open()
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            counted = conn.execute("SELECT 1 FROM sqlite_master WHERE name='media_counts'").fetchone()
            conn.executescript(SCHEMA)
            if conn.execute("SELECT 1 FROM meta WHERE key='session_tokens'").fetchone() is None:
                conn.execute("PRAGMA secure_delete=ON")
                conn.execute("DELETE FROM sessions")  # plain-text tokens of an older version
                conn.execute("INSERT INTO meta (key, value) VALUES ('session_tokens', 'sha256')")
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            if not counted:  # a store from before the counts table: count once, the triggers keep it since
                conn.execute("INSERT OR REPLACE INTO media_counts (dataset_id, kind, n) SELECT dataset_id, kind, "
                             "COUNT(*) FROM media GROUP BY dataset_id, kind")
        finally:
            conn.close()

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout=60000")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=OFF")
        return conn

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, or a fresh one while the thread's own is in use."""
        local = self._local
        if getattr(local, "busy", False):
            spare = self._open()
            try:
                yield spare
            finally:
                spare.close()
            return
        conn: sqlite3.Connection | None = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = self._open()
        local.busy = True
        try:
            yield conn
        finally:
            local.busy = False
            if conn.in_transaction:  # a failed COMMIT or ROLLBACK: the next request starts clean
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    local.conn = None
                    conn.close()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A connection for reads (autocommit; WAL gives each statement a consistent snapshot)."""
        with self._connection() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A connection inside ``BEGIN IMMEDIATE``: committed on success, rolled back on error.
        Keep the block short: no file I/O in it."""
        with self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @staticmethod
    def media_counts(conn: sqlite3.Connection, dataset_id: str) -> dict[str, int]:
        """Media per kind ("image", "video") of a dataset, kept by triggers: no count over the media rows."""
        return dict(conn.execute("SELECT kind, n FROM media_counts WHERE dataset_id=?", (dataset_id,)).fetchall())

    def meta(self, key: str, default_factory: Callable[[], str]) -> str:
        """The stored value of ``key``, created with ``default_factory()`` on first use."""
        with self.write() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
            if row:
                return row["value"]
            value = default_factory()
            conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))
            return value
