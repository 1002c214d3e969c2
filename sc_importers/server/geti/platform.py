"""The platform calls a Geti 2.x client makes before any project call: ``product_info``, the
organization of the token, the one workspace, the credit balance, and the user profile.

The server reports release 2.13.0, the line geti-sdk 2.13.x is written for (it switches to
``project_configuration`` from 2.12.0 on). ``balance`` answers 200 with an HTML page, as an on-prem
Geti does (its web UI catches the path), which tells clients there is no credit system.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from sc_importers.server.geti.common import check_object_id, check_scope
from sc_importers.server.settings import settings_of

router = APIRouter()
PRODUCT_VERSION = "2.13.0"
#: Geti's build-version form, ``<version>-release-<YYYYMMDDhhmmss>`` (strict SemVer with a pre-release tag).
BUILD_VERSION = f"{PRODUCT_VERSION}-release-20250701000000"


@router.get("/product_info")
def product_info() -> dict:
    return {"product-version": PRODUCT_VERSION, "build-version": BUILD_VERSION, "smtp-defined": "False",
            "intel-email": "", "grafana_enabled": False, "environment": "on-prem", "gpu-provider": "none"}


@router.get("/personal_access_tokens/organization")
def token_organization(request: Request) -> dict:
    return {"organizationId": settings_of(request).organization_id}


def _workspace(request: Request) -> dict:
    settings = settings_of(request)
    return {"id": settings.geti_workspace_id, "name": "Default Workspace", "organizationId": settings.organization_id,
            "createdAt": settings.workspace_created, "createdBy": settings.username,
            "modifiedAt": settings.workspace_created, "modifiedBy": settings.username}


@router.get("/organizations/{organization_id}/workspaces")
def workspaces(request: Request, organization_id: str) -> dict:
    settings = settings_of(request)
    if organization_id != settings.organization_id:
        check_scope(settings, organization_id, settings.geti_workspace_id)  # 400 malformed / 404 unknown
    return {"workspaces": [_workspace(request)], "totalCount": 1, "totalMatchedCount": 1,
            "nextPage": {"skip": 0, "limit": 0}}


@router.get("/organizations/{organization_id}/workspaces/{workspace_id}")
def workspace(request: Request, organization_id: str, workspace_id: str) -> dict:
    check_scope(settings_of(request), organization_id, workspace_id)
    return _workspace(request)


@router.get("/organizations/{organization_id}/balance")
def balance(request: Request, organization_id: str) -> HTMLResponse:
    settings = settings_of(request)
    if organization_id != settings.organization_id:
        check_scope(settings, organization_id, settings.geti_workspace_id)
    return HTMLResponse("<!DOCTYPE html><html><head><title>Geti</title></head><body></body></html>")


@router.get("/profile")
def profile(request: Request) -> dict:
    settings = settings_of(request)
    return {"id": settings.username, "email": f"{settings.username}@localhost", "firstName": settings.username,
            "secondName": "", "organizationId": settings.organization_id,
            "organizations": [{"organizationId": settings.organization_id, "organizationName": "Default Organization",
                               "organizationCreatedAt": settings.workspace_created, "organizationStatus": "ACT",
                               "userStatus": "ACT"}]}


@router.get("/organizations/{organization_id}/workspaces/{workspace_id}/jobs")
def list_jobs(request: Request, organization_id: str, workspace_id: str) -> dict:
    """Nothing here runs as a job (no training, no import/export jobs): always an empty list."""
    check_scope(settings_of(request), organization_id, workspace_id)
    counts = ("n_scheduled_jobs", "n_running_jobs", "n_finished_jobs", "n_failed_jobs", "n_cancelled_jobs")
    return {"jobs": [], "jobs_count": dict.fromkeys(counts, 0)}


@router.get("/organizations/{organization_id}/workspaces/{workspace_id}/jobs/{job_id}")
def get_job(request: Request, organization_id: str, workspace_id: str, job_id: str) -> JSONResponse:
    """No job exists; the jobs service answers ``{"message"}`` only (no ``error_code``)."""
    check_scope(settings_of(request), organization_id, workspace_id)
    check_object_id("job_id", job_id)
    return JSONResponse({"message": f"Job with id `{job_id}` could not be found."}, status_code=404)
