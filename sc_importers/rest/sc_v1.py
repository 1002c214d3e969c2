"""The SC 1.0 dialect of :class:`~sc_importers.rest.base.ServerAPI` (``/api/v1.0/...``).

Paths, bodies and pagination follow the real SC 1.0 recordings; the JSON shapes themselves
are handled by :mod:`sc_importers.rest.sc_v1_records`. All calls go through one
:class:`~sc_importers.rest.session.SCSession`, which is thread-safe, so one ``SCv1API`` serves
every upload worker.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

from sc_importers.model import Annotation
from sc_importers.project_types.base import TaskPlan
from sc_importers.rest import sc_v1_records as rec
from sc_importers.rest import sc_v1_settings as sv
from sc_importers.rest.base import RemoteMedia, RemoteProject, RemoteTask, ServerAPI, ServerError
from sc_importers.rest.landed import UploadClaims
from sc_importers.rest.session import SCSession
from sc_importers.settings import ProjectSettings, SettingsResult

API = "/api/v1.0"
#: Page size asked for in media listings (``top``); the server may answer with fewer.
MEDIA_PAGE_SIZE = 500
#: Safety bound on the pages of one whole-video annotation listing.
_MAX_PAGES = 100_000


class SCv1API(ServerAPI):
    """SC 1.0 server API over a logged-in :class:`SCSession`."""

    dialect = "sc-v1"

    def __init__(self, session: SCSession, workspace_id: str | None = None,
                 media_page_size: int = MEDIA_PAGE_SIZE):
        self.session = session
        self._workspace_id = workspace_id
        self.media_page_size = media_page_size
        self._claims = UploadClaims()  # to tell whether an upload whose answer was lost landed

    def __repr__(self) -> str:
        return f"SCv1API({self.session!r}, workspace={self._workspace_id!r})"

    # -- paths ------------------------------------------------------------------------------
    @property
    def workspace_id(self) -> str:
        """The first workspace of the server (SC 1.0 has one per user), fetched once."""
        if self._workspace_id is None:
            raw = self.session.get_json(f"{API}/workspaces")
            items = raw if isinstance(raw, list) else (raw.get("items") or raw.get("workspaces") or [])
            if not items:
                raise ServerError(f"{self.session.host} has no workspace for this user")
            self._workspace_id = str(items[0]["id"])
        return self._workspace_id

    def _project_path(self, project: RemoteProject | str) -> str:
        pid = project if isinstance(project, str) else project.id
        return f"{API}/workspaces/{self.workspace_id}/projects/{pid}"

    def _media_path(self, project: RemoteProject, media: RemoteMedia) -> str:
        return (f"{self._project_path(project)}/datasets/{project.dataset_id}/media/"
                f"{media.kind}s/{media.id}")

    def _annotation_path(self, project: RemoteProject, media: RemoteMedia, frame: int | None) -> str:
        base = self._media_path(project, media)
        if frame is not None:
            if media.kind != "video":
                raise ValueError(f"media {media.name!r} is an image; it has no frame {frame}")
            return f"{base}/frames/{frame}/annotations"
        if media.kind == "video":
            raise ValueError(f"video {media.name!r}: annotations are posted per frame")
        return f"{base}/annotations"

    # -- server -----------------------------------------------------------------------------
    def product_info(self) -> dict:
        return self.session.get_json(f"{API}/product_info")

    # -- projects ---------------------------------------------------------------------------
    def list_projects(self) -> list[RemoteProject]:
        projects: list[RemoteProject] = []
        path: str | None = f"{API}/workspaces/{self.workspace_id}/projects/"
        seen: set[str] = set()
        while path and path not in seen:
            seen.add(path)
            page, path = rec.parse_project_page(self.session.get_json(path))
            projects.extend(page)
        return projects

    def get_project(self, project_id: str) -> RemoteProject:
        return rec.parse_project(self.session.get_json(self._project_path(project_id)))

    def create_project(self, name: str, tasks: list[TaskPlan]) -> RemoteProject:
        """Create project ``name``; when the answer is lost, the project found by that name is it
        (callers make sure the name was free before)."""
        body = rec.project_body(name, tasks)
        return self.session.post_checked(f"{API}/workspaces/{self.workspace_id}/projects", json=body,
                                         parse=lambda r: rec.parse_project(r.json()),
                                         took_effect=lambda: self.find_project(name))

    def delete_project(self, project: RemoteProject) -> None:
        self.session.delete(self._project_path(project))

    # -- media ------------------------------------------------------------------------------
    def list_media(self, project: RemoteProject, kind: Literal["image", "video"]) -> Iterator[RemoteMedia]:
        path: str | None = f"{self._project_path(project)}/datasets/{project.dataset_id}/media/{kind}s"
        params: dict | None = {"top": self.media_page_size}
        seen: set[str] = set()
        while path and path not in seen:
            seen.add(path)
            page, path = rec.parse_media_page(self.session.get_json(path, params))
            params = None  # next_page already carries top and skiptoken
            yield from page

    def upload_media(self, project: RemoteProject, path: Path, kind: Literal["image", "video"]) -> RemoteMedia:
        target = f"{self._project_path(project)}/datasets/{project.dataset_id}/media/{kind}s"
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
        path = f"{self._annotation_path(project, media, frame)}/latest"
        response = self.session.request("GET", path, ok_statuses=(404,))
        if response.status_code in (204, 404) or not response.content:
            return None
        return rec.scene_or_none(response.json())

    def get_video_annotations(self, project: RemoteProject, media: RemoteMedia) -> list[dict]:
        if media.kind != "video":
            raise ValueError(f"media {media.name!r} is not a video")
        path = f"{self._media_path(project, media)}/annotations/latest"
        scenes: list[dict] = []
        params: dict | None = None
        for _ in range(_MAX_PAGES):
            response = self.session.request("GET", path, params=params, ok_statuses=(404,))
            if response.status_code in (204, 404) or not response.content:
                break
            raw = response.json()
            page = rec.video_scenes(raw)
            scenes.extend(page)
            props = raw.get("video_annotation_properties", {}) if isinstance(raw, dict) else {}
            end, last = props.get("end_frame"), props.get("requested_end_frame")
            if not page or end is None or last is None or end >= last:
                break
            params = {"start_frame": end + 1, "end_frame": last}
        return scenes

    def annotations_from_scene(self, project: RemoteProject, media: RemoteMedia,
                               scene: dict) -> list[Annotation]:
        return rec.annotations_from_scene(project, media, scene)

    # -- configuration ----------------------------------------------------------------------
    # The configurable parameters, raw: only this module reads and writes them; everyone else sees
    # the neutral settings (get_settings / apply_settings).
    def _configuration(self, project: RemoteProject) -> dict:
        return self.session.get_json(f"{self._project_path(project)}/configuration")

    def _task_config_path(self, project: RemoteProject, task: RemoteTask) -> str:
        return f"{self._project_path(project)}/configuration/task_chain/{task.id}"

    def _task_configuration(self, project: RemoteProject, task: RemoteTask) -> dict:
        return self.session.get_json(self._task_config_path(project, task))

    def _set_project_configuration(self, project: RemoteProject, components: list[dict]) -> None:
        # SC 1.0 has no endpoint for the project-level part alone; the whole-configuration POST
        # (as recorded) takes a body with only a "global" list.
        self.session.post_json(f"{self._project_path(project)}/configuration", {"global": components},
                               idempotent=True)

    def _set_parameter(self, project: RemoteProject, task: RemoteTask, names: tuple[str, ...],
                       value: object) -> None:
        found = rec.find_parameter(self._task_configuration(project, task), names)
        if found is None:
            raise ServerError(f"project {project.name!r}, task {task.title!r}: the configuration has "
                              f"no parameter named {' or '.join(names)}")
        component, param = found
        body = rec.parameter_update_body(component, {param["name"]: value})
        self.session.post_json(self._task_config_path(project, task), body, idempotent=True)

    def set_auto_training(self, project: RemoteProject, task: RemoteTask, enabled: bool) -> None:
        self._set_parameter(project, task, ("auto_training",), bool(enabled))

    def get_auto_training(self, project: RemoteProject, task: RemoteTask) -> bool:
        found = rec.find_parameter(self._task_configuration(project, task), ("auto_training",))
        if found is None:
            raise ServerError(f"project {project.name!r}, task {task.title!r}: no auto_training parameter")
        return bool(found[1]["value"])

    def set_iterations(self, project: RemoteProject, task: RemoteTask, iterations: int) -> None:
        if iterations < 1:
            raise ValueError(f"iterations must be at least 1, got {iterations}")
        self._set_parameter(project, task, rec.ITERATION_PARAMETER_NAMES, int(iterations))

    def get_iterations(self, project: RemoteProject, task: RemoteTask) -> int | None:
        """The task's number of training iterations/epochs, or None if it has no such setting."""
        found = rec.find_parameter(self._task_configuration(project, task), rec.ITERATION_PARAMETER_NAMES)
        return None if found is None else int(found[1]["value"])

    # -- neutral settings -------------------------------------------------------------------
    def native_configuration(self, project: RemoteProject) -> dict | None:
        return self._configuration(project)

    def get_settings(self, project: RemoteProject) -> ProjectSettings:
        types = {t.title: t.task_type for t in project.trainable_tasks}
        types.update({t.id: t.task_type for t in project.trainable_tasks})
        return sv.settings_from_configuration(self._configuration(project), types,
                                              f"project {project.name!r}: configuration")

    def apply_settings(self, project: RemoteProject, settings: ProjectSettings,
                       skip: frozenset[str] = frozenset()) -> SettingsResult:
        current = self._configuration(project)
        result = SettingsResult()
        located = sv.locate(current.get("global") or [], "global")
        components, not_applied, changed = sv.update_bodies(located, settings.parameters, skip, "")
        if components:
            changed, not_applied = self._post_settings(
                lambda: self._set_project_configuration(project, components), changed, not_applied, "")
        result.add("", len(changed), not_applied)
        chain = {e.get("task_id"): e for e in current.get("task_chain") or [] if isinstance(e, dict)}
        tasks = project.trainable_tasks
        matched = settings.match_tasks([t.title for t in tasks])
        for task, wanted in zip(tasks, matched, strict=True):
            entry = chain.get(task.id)
            where = f"{task.title}: "
            if wanted is None:
                continue
            if entry is None:
                result.add(task.title, 0, {f"{where}{key}": "the server lists no configuration for this task"
                                           for key in wanted.parameters if key not in skip})
                continue
            located = sv.locate(entry.get("components") or [], f"task {task.title!r}")
            components, not_applied, changed = sv.update_bodies(located, wanted.parameters, skip, where)
            if components:
                path = self._task_config_path(project, task)
                changed, not_applied = self._post_settings(
                    functools.partial(self.session.post_json, path, {"components": components}, idempotent=True),
                    changed, not_applied, where)
            result.add(task.title, len(changed), not_applied)
        result.not_applied.update(settings.unmatched(matched, skip))
        return result

    @staticmethod
    def _post_settings(post: Callable[[], object], changed: list[str], not_applied: dict[str, str],
                       where: str) -> tuple[list[str], dict[str, str]]:
        """Send one settings update; a refusal (4xx) turns its keys into not-applied ones with the
        server's reason instead of ending the restore (a broken connection still raises)."""
        try:
            post()
        except ServerError as exc:
            if exc.status is None or exc.status >= 500:
                raise
            return [], {**not_applied, **{f"{where}{key}": f"refused by the server: {exc}" for key in changed}}
        return changed, not_applied

    def close(self) -> None:
        self.session.close()
