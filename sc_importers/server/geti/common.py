"""What every Geti route needs: path templates, id checks with Geti's messages, the lookups of the
organization, workspace, project, dataset and media item a path names, and the URLs Geti hands out.

Malformed ids are refused with 400 before any lookup (Geti's ``InvalidIDException``); unknown ones
get a 404 whose ``error_code`` names the entity (``project_not_found``, ``image_not_found``, ...).
"""

from __future__ import annotations

import json
import re
import sqlite3

from sc_importers.server.errors import ApiError
from sc_importers.server.ids import is_valid_id
from sc_importers.server.settings import ServerSettings

#: Prefix of the whole dialect (registered in :mod:`sc_importers.server.app`).
API = "/api/v1"
WS = "/organizations/{organization_id}/workspaces/{workspace_id}"
PROJECT = WS + "/projects/{project_id}"
DATASET = PROJECT + "/datasets/{dataset_id}"

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def invalid_id(param: str, value: str) -> ApiError:
    """Geti's 400 for a path parameter that is not a valid id."""
    return ApiError(400, "bad_request", f"Invalid request parameters: '{param}'. "
                                        f"The provided string is not a valid ID: '{value}'.")


def check_object_id(param: str, value: str) -> str:
    """``value`` when it is a 24-hex ObjectId (project, dataset, media, task, label ids), else 400."""
    if not is_valid_id(value):
        raise invalid_id(param, value)
    return value


def not_found(kind: str, ident: str) -> ApiError:
    """Geti's 404, e.g. ``project_not_found`` "The requested project could not be found. Project ID: `..`."."""
    code = kind.replace(" ", "_")
    return ApiError(404, f"{code}_not_found",
                    f"The requested {kind} could not be found. {kind.capitalize()} ID: `{ident}`.")


def check_scope(settings: ServerSettings, organization_id: str, workspace_id: str) -> None:
    """The organization and workspace of the path must be this server's (one of each)."""
    if not _UUID.match(organization_id or ""):
        raise invalid_id("organization_id", organization_id)
    if organization_id != settings.organization_id:
        raise not_found("organization", organization_id)
    if not (_UUID.match(workspace_id or "") or is_valid_id(workspace_id)):
        raise invalid_id("workspace_id", workspace_id)
    if workspace_id != settings.geti_workspace_id:
        raise not_found("workspace", workspace_id)


def load_project(settings: ServerSettings, organization_id: str, workspace_id: str, project_id: str) -> dict:
    """The stored project document (the SC dialect's shape); 400/404 as Geti answers."""
    check_scope(settings, organization_id, workspace_id)
    check_object_id("project_id", project_id)
    with settings.db.read() as conn:
        row = conn.execute("SELECT doc FROM projects WHERE id=?", (project_id,)).fetchone()
    if row is None:
        raise not_found("project", project_id)
    return json.loads(row["doc"])


def load_dataset_project(settings: ServerSettings, organization_id: str, workspace_id: str, project_id: str,
                         dataset_id: str) -> dict:
    """The project, after checking ``dataset_id`` is one of its datasets."""
    project = load_project(settings, organization_id, workspace_id, project_id)
    check_object_id("dataset_id", dataset_id)
    if dataset_id not in {d["id"] for d in project["datasets"]}:
        raise not_found("dataset", dataset_id)
    return project


def load_media(settings: ServerSettings, dataset_id: str, kind: str, media_id: str) -> sqlite3.Row:
    """The media row of an ``image`` or ``video`` of the dataset; 400/404 otherwise."""
    check_object_id(f"{kind}_id", media_id)
    with settings.db.read() as conn:
        row = conn.execute("SELECT * FROM media WHERE id=? AND dataset_id=? AND kind=?",
                           (media_id, dataset_id, kind)).fetchone()
    if row is None:
        raise not_found(kind, media_id)
    return row


def workspace_url(settings: ServerSettings) -> str:
    return f"{API}/organizations/{settings.organization_id}/workspaces/{settings.geti_workspace_id}"


def project_url(settings: ServerSettings, project_id: str) -> str:
    return f"{workspace_url(settings)}/projects/{project_id}"


def media_url(settings: ServerSettings, project_id: str, dataset_id: str, kind: str, media_id: str) -> str:
    return f"{project_url(settings, project_id)}/datasets/{dataset_id}/media/{kind}s/{media_id}"
