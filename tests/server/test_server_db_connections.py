"""The server's per-thread SQLite connections: reused within a thread, separate across threads and for
nested blocks, and never handed on with a transaction left open."""

from __future__ import annotations

import threading

import pytest

from sc_importers.server.db import Database


def test_a_thread_reuses_its_connection_and_threads_do_not_share(tmp_path) -> None:
    db = Database(tmp_path)
    with db.read() as first:
        pass
    with db.write() as second:
        pass
    assert first is second
    other = []

    def work() -> None:
        with db.read() as conn:
            other.append(conn)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert other[0] is not first


def test_a_nested_block_gets_its_own_connection(tmp_path) -> None:
    db = Database(tmp_path)
    with db.write() as outer:
        outer.execute("INSERT INTO meta (key, value) VALUES ('a', '1')")
        with db.read() as inner:
            assert inner is not outer
            assert inner.execute("SELECT value FROM meta WHERE key='a'").fetchone() is None  # not committed yet
    with db.read() as conn:
        assert conn.execute("SELECT value FROM meta WHERE key='a'").fetchone()[0] == "1"


def test_no_transaction_outlives_its_block(tmp_path) -> None:
    db = Database(tmp_path)
    with pytest.raises(RuntimeError), db.write() as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('b', '1')")
        raise RuntimeError("refused")
    with db.read() as conn:
        conn.execute("BEGIN")  # left open by mistake
    with db.write() as conn:  # still starts its own transaction
        conn.execute("INSERT INTO meta (key, value) VALUES ('c', '1')")
    with db.read() as conn:
        keys = [r[0] for r in conn.execute("SELECT key FROM meta WHERE key IN ('b', 'c') ORDER BY key")]
        assert keys == ["c"]  # 'b' was rolled back ('session_tokens', the store's own marker, is not looked at)
