"""The running server's settings and shared objects, reachable from every route via
``request.app.state.server``."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request

from sc_importers.server.db import Database
from sc_importers.server.ids import continue_after, new_id
from sc_importers.server.storage import recover
from sc_importers.server.timefmt import now_iso

API_PREFIX = "/api/v1.0"
#: What ``product_info`` reports; the "1.1.0" prefix is the SC 1.0 release line the recordings show.
PRODUCT_VERSION = "1.1.0-sc-server-local"


@dataclass
class ServerSettings:
    data_dir: Path
    username: str
    password: str
    session_ttl: float = 7 * 24 * 3600.0
    #: SHA-384 hex digest of the Geti 2.x personal access token (``x-api-key``); the token itself is not kept.
    api_key_hash: str = ""
    db: Database = field(init=False)
    workspace_id: str = field(init=False)
    #: The Geti dialect's ids (uuid4, stored once): one organization holding one workspace, which is
    #: the same workspace as the SC dialect's ``workspace_id`` (ObjectId-style).
    organization_id: str = field(init=False)
    geti_workspace_id: str = field(init=False)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.db = Database(self.data_dir)
        with self.db.write() as conn:  # no request runs yet: clean up after a crash or kill
            removed = recover(self.data_dir, conn)
        if removed:
            logging.getLogger("sc_importers.server").warning("removed %d leftover file(s) of an interrupted run: %s",
                                                             len(removed), ", ".join(removed[:5]))
        with self.db.read() as conn:
            newest = conn.execute("SELECT max(id) FROM (SELECT max(id) AS id FROM projects "
                                  "UNION ALL SELECT max(id) FROM media)").fetchone()[0]
        continue_after(newest)
        self.workspace_id = self.db.meta("workspace_id", new_id)
        self.workspace_created = self.db.meta("workspace_created", now_iso)
        self.geti_workspace_id = self.db.meta("geti_workspace_id", lambda: str(uuid.uuid4()))
        #: The one organization of the Geti 2.x dialect (a uuid4, as Geti's media service requires); the token
        #: belongs to it, so ``/api/v1/organizations/{other}/...`` is refused like a wrong token.
        self.organization_id = self.db.meta("organization_id", lambda: str(uuid.uuid4()))


def settings_of(request: Request) -> ServerSettings:
    return request.app.state.server
