"""The Geti 3.x dialect: a separate mode of ``sc-server`` (``--dialect geti3``) with its own store.

Geti 3 serves an unversioned ``/api/...`` (``/api/projects``, ``/health``, ``/api/openapi.json``)
without authentication, over HTTPS on port 7860. Its paths would collide with nothing of the SC 1.0
(``/api/v1.0/``) and Geti 2.x (``/api/v1/``) dialects, but its data model (one task per project, UUIDs,
one implicit dataset, no empty labels) is not a view of theirs and it has no login: so it runs as its
own mode on its own data (see ``sc_importers/server/README.md``, "Geti 3 mode").
"""

from sc_importers.server.geti3.app import create_geti3_app

__all__ = ["create_geti3_app"]
