"""Ids keep creation order across a restart (skiptoken paging relies on it)."""

from __future__ import annotations

import time

from sc_importers.server import ids
from sc_importers.server.settings import ServerSettings


def test_new_ids_sort_after_the_newest_stored_one(tmp_path):
    # an id of "this second" made by another process sorts anywhere against ours: ours must follow it
    later_process = f"{int(time.time()):08x}ffffffffff000000"
    ids.continue_after(later_process)
    assert ids.new_id() > later_process


def test_a_restarted_server_continues_after_its_stored_ids(tmp_path):
    settings = ServerSettings(tmp_path, "admin", "pw")
    newest = f"{int(time.time()) + 3600:08x}ffffffffff000001"  # as if stored by a previous run
    with settings.db.write() as conn:
        conn.execute("INSERT INTO media (id, project_id, dataset_id, kind, name, filename, upload_time, width, "
                     "height) VALUES (?, 'p', 'd', 'image', 'x', 'x.jpg', 't', 1, 1)", (newest,))
    ServerSettings(tmp_path, "admin", "pw")  # start-up reads the newest stored id
    assert ids.new_id() > newest
