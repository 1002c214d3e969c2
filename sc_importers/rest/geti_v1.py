"""The Geti 2.x dialect of :class:`~sc_importers.rest.base.ServerAPI` (REST API v1, ``/api/v1/...``).

Every project path is ``/api/v1/organizations/{org}/workspaces/{ws}/projects/...``; the session
sends a personal access token (:class:`~sc_importers.rest.login.ApiKeyLoginFlow`). JSON shapes are
in :mod:`sc_importers.rest.geti_v1_records` (projects, media, pixel annotations) and
:mod:`sc_importers.rest.geti_v1_settings` (configuration); the configuration calls (a 2.12+
server's ``project_configuration``, an older one's legacy configurable parameters) are in
:mod:`sc_importers.rest.geti_v1_config`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import requests

from sc_importers.model import Annotation
from sc_importers.project_types.base import TaskPlan
from sc_importers.rest import geti_v1_records as rec
from sc_importers.rest.base import RemoteMedia, RemoteProject, ServerAPI, ServerError
from sc_importers.rest.geti_v1_config import GetiConfiguration
from sc_importers.rest.landed import UploadClaims
from sc_importers.rest.session import SCSession

API = "/api/v1"
#: Page sizes: projects (the server allows 1..100), media:query (1..1000).
PROJECT_PAGE_SIZE = 100
MEDIA_PAGE_SIZE = 1000
#: Safety bound on the pages of any one listing.
_MAX_PAGES = 100_000


def server_version(info: dict) -> tuple[int, ...] | None:
    """(major, minor, patch) of a ``product_info`` answer (``build-version`` first, as geti-sdk)."""
    for key in ("build-version", "product-version"):
        match = re.match(r"\s*v?(\d+)\.(\d+)(?:\.(\d+))?", str(info.get(key) or ""))
        if match:
            return tuple(int(g or 0) for g in match.groups())
    return None


def discover_workspace(session: SCSession, organization_id: str, workspace: str | None) -> str:
    """The id of the workspace called ``workspace`` (or the only one) of the organization; a clear
    error listing the workspaces when there are several and none was named, or the name is not there."""
    raw = session.get_json(f"{API}/organizations/{organization_id}/workspaces")
    items = raw if isinstance(raw, list) else (raw.get("workspaces") if isinstance(raw, dict) else None)
    items = [w for w in items or [] if isinstance(w, dict) and w.get("id")]
    if not items:
        raise ServerError(f"{session.host}: the organization of this token has no workspace")
    names = ", ".join(repr(w.get("name", "")) for w in items)
    if workspace is None:
        if len(items) > 1:
            raise ServerError(f"{session.host}: the organization has {len(items)} workspaces ({names}); "
                              "choose one with --workspace NAME")
        return str(items[0]["id"])
    match = [w for w in items if w.get("name") == workspace] or [
        w for w in items if str(w.get("name", "")).casefold() == workspace.casefold()]
    if len(match) != 1:
        raise ServerError(f"{session.host}: no workspace named {workspace!r}; the workspaces are: {names}")
    return str(match[0]["id"])


class GetiV1API(GetiConfiguration, ServerAPI):
    """Geti REST API v1 over a session logged in with a personal access token."""

    dialect = "geti-v1"
    coordinate_step = 1.0  # Geti answers whole pixels (rotated rectangles: 4 decimals)

    def __init__(self, session: SCSession, organization_id: str, workspace_id: str, info: dict | None = None,
                 media_page_size: int = MEDIA_PAGE_SIZE, project_page_size: int = PROJECT_PAGE_SIZE):
        self.session = session
        self.project_page_size = project_page_size
        self.organization_id = organization_id
        self.workspace_id = workspace_id
        self.media_page_size = media_page_size
        self._info = info
        self._claims = UploadClaims()  # to tell whether an upload whose answer was lost landed

    def __repr__(self) -> str:
        return f"GetiV1API({self.session!r}, workspace={self.workspace_id!r})"

    # -- paths ------------------------------------------------------------------------------
    @property
    def _workspace(self) -> str:
        return f"{API}/organizations/{self.organization_id}/workspaces/{self.workspace_id}"

    def _project_path(self, project: RemoteProject | str) -> str:
        return f"{self._workspace}/projects/{project if isinstance(project, str) else project.id}"

    def _dataset_path(self, project: RemoteProject) -> str:
        return f"{self._project_path(project)}/datasets/{project.dataset_id}"

    def _media_path(self, project: RemoteProject, media: RemoteMedia) -> str:
        return f"{self._dataset_path(project)}/media/{media.kind}s/{media.id}"

    def _annotation_path(self, project: RemoteProject, media: RemoteMedia, frame: int | None) -> str:
        base = self._media_path(project, media)
        if frame is not None:
            if media.kind != "video":
                raise ValueError(f"media {media.name!r} is an image; it has no frame {frame}")
            return f"{base}/frames/{frame}/annotations"
        if media.kind == "video":
            raise ValueError(f"video {media.name!r}: annotations are posted per frame")
        return f"{base}/annotations"

    def _next_path(self, next_page: str) -> str:
        """A ``next_page`` as the server gives it: absolute, ``/api/v1/...`` or relative to ``/api/v1/``."""
        if "://" in next_page or next_page.startswith("/"):
            return next_page
        return f"{API}/{next_page.removeprefix('api/v1/')}"

    # -- server -----------------------------------------------------------------------------
    def product_info(self) -> dict:
        if self._info is None:
            self._info = self.session.get_json(f"{API}/product_info")
        return self._info

    def _version(self) -> tuple[int, ...] | None:
        try:
            return server_version(self.product_info())
        except ServerError:
            return None

    # -- projects ---------------------------------------------------------------------------
    def _summaries(self, name: str | None = None) -> list[dict]:
        found: dict[str, dict] = {}
        for page_number in range(_MAX_PAGES):
            params: dict[str, Any] = {"limit": self.project_page_size, "skip": page_number * self.project_page_size}
            if name is not None:
                params["name"] = name
            page, total = rec.project_summaries(self.session.get_json(f"{self._workspace}/projects", params))
            new = [p for p in page if p["id"] not in found]
            found.update((p["id"], p) for p in new)
            if not new or (total is not None and params["skip"] + len(page) >= total):
                break
        return list(found.values())

    def list_projects(self) -> list[RemoteProject]:
        """Every project, in full: list items hold no datasets, so each project is read once."""
        return [self.get_project(p["id"]) for p in self._summaries()]

    def find_project(self, name: str) -> RemoteProject | None:
        match = next((p for p in self._summaries(name) if p["name"] == name), None)
        return None if match is None else self.get_project(match["id"])

    def get_project(self, project_id: str) -> RemoteProject:
        return rec.parse_project(self.session.get_json(self._project_path(project_id)))

    def create_project(self, name: str, tasks: list[TaskPlan]) -> RemoteProject:
        try:
            body = rec.project_body(name, tasks)
        except ValueError as exc:  # a project this dialect cannot hold: refused before anything is sent
            raise ServerError(str(exc), code="unsupported_project") from None
        def parse(response: requests.Response) -> RemoteProject:
            raw = response.json()
            if not isinstance(raw, dict) or not raw.get("datasets"):
                return self.get_project(str(rec._require(raw, "id", "created project")))
            return rec.parse_project(raw)

        # When the answer is lost, the project found by that name is it (callers checked it was free).
        return self.session.post_checked(f"{self._workspace}/projects", json=body, parse=parse,
                                         took_effect=lambda: self.find_project(name))

    def delete_project(self, project: RemoteProject) -> None:
        self.session.delete(self._project_path(project))

    # -- media ------------------------------------------------------------------------------
    def list_media(self, project: RemoteProject, kind: Literal["image", "video"]) -> Iterator[RemoteMedia]:
        """Every image (or video), following ``next_page`` (POSTed with the same filter) until the
        server gives none, a page is empty, or ``total_matched_*`` items were seen."""
        path: str | None = f"{self._dataset_path(project)}/media:query"
        params: dict | None = {"limit": self.media_page_size}
        body = rec.media_query_body(kind)
        seen_paths: set[str] = set()
        seen: set[str] = set()
        for _ in range(_MAX_PAGES):
            if path is None or path in seen_paths:
                return
            seen_paths.add(path)
            response = self.session.request("POST", path, params=params, json=body, idempotent=True)  # a query
            page, next_page, total = rec.next_media_page(response.json(), kind)
            params = None  # next_page carries limit and skip
            for media in page:
                if media.id not in seen:
                    seen.add(media.id)
                    yield media
            if total is not None and len(seen) >= total:
                return
            path = self._next_path(next_page) if next_page else None

    def upload_media(self, project: RemoteProject, path: Path, kind: Literal["image", "video"]) -> RemoteMedia:
        target = f"{self._dataset_path(project)}/media/{kind}s"
        return self._claims.upload(self, self.session, target, project, path, kind, rec.parse_media)

    def download_media(self, project: RemoteProject, media: RemoteMedia, target: Path,
                       on_chunk: Callable[[bytes], None] | None = None) -> None:
        tail = "display/stream" if media.kind == "video" else "display/full"
        self.session.download(f"{self._media_path(project, media)}/{tail}", Path(target), on_chunk=on_chunk)

    def delete_media(self, project: RemoteProject, media: RemoteMedia) -> None:
        self.session.delete(self._media_path(project, media))

    # -- annotations ------------------------------------------------------------------------
    def post_annotations(self, project: RemoteProject, media: RemoteMedia, annotations: list[Annotation],
                         frame: int | None = None) -> dict:
        body = rec.annotation_body(project, media, annotations, frame)
        # Posting the latest annotation again only sets the same latest annotation: repeatable.
        return self.session.post_json(self._annotation_path(project, media, frame), body, idempotent=True)

    def get_annotation_scene(self, project: RemoteProject, media: RemoteMedia,
                             frame: int | None = None) -> dict | None:
        """The latest scene; None when the server answers 204 (Geti's "no annotation")."""
        response = self.session.request("GET", f"{self._annotation_path(project, media, frame)}/latest")
        if response.status_code == 204 or not response.content:
            return None
        return rec.scene_or_none(response.json())

    def get_video_annotations(self, project: RemoteProject, media: RemoteMedia) -> list[dict]:
        """Every annotated frame's scene, paged by frame range (at most 500 scenes per answer)."""
        if media.kind != "video":
            raise ValueError(f"media {media.name!r} is not a video")
        path = f"{self._media_path(project, media)}/annotations/latest"
        scenes: list[dict] = []
        params: dict | None = None
        for _ in range(_MAX_PAGES):
            response = self.session.request("GET", path, params=params)
            if response.status_code == 204 or not response.content:
                break
            page, remaining = rec.video_page(response.json())
            scenes.extend(page)
            if remaining is None:
                break
            params = {"start_frame": remaining[0], "end_frame": remaining[1]}
        return scenes

    def automatic_parents(self, project: dict) -> dict[str, str]:
        return rec.chain_parents(project)

    def annotations_from_scene(self, project: RemoteProject, media: RemoteMedia, scene: dict) -> list[Annotation]:
        return rec.annotations_from_scene(project, media, scene)

    def close(self) -> None:
        self.session.close()

