"""The Geti 2.x dialect of :class:`~sc_importers.rest.base.ServerAPI` (REST API v1, ``/api/v1/...``).

Every project path is ``/api/v1/organizations/{org}/workspaces/{ws}/projects/...``; the session
sends a personal access token (:class:`~sc_importers.rest.login.ApiKeyLoginFlow`). JSON shapes are
in :mod:`sc_importers.rest.geti_v1_records` (projects, media, pixel annotations) and
:mod:`sc_importers.rest.geti_v1_settings` (configuration). Configuration: a 2.12+ server has
``project_configuration`` / ``training_configuration``, an older one the legacy configurable
parameters; the one the version points to is tried first, the other on 404 (or 403, the answer
of a server with the new API switched off).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from sc_importers.model import Annotation
from sc_importers.project_types.base import TaskPlan
from sc_importers.rest import geti_v1_records as rec
from sc_importers.rest import geti_v1_settings as conf
from sc_importers.rest.base import RemoteMedia, RemoteProject, RemoteTask, ServerAPI, ServerError
from sc_importers.rest.multipart import MultipartFile
from sc_importers.rest.session import SCSession
from sc_importers.settings import AUTO_TRAINING, ITERATIONS, ProjectSettings, SettingsResult, TaskSettings

API = "/api/v1"
#: Page sizes: projects (the server allows 1..100), media:query (1..1000).
PROJECT_PAGE_SIZE = 100
MEDIA_PAGE_SIZE = 1000
#: Safety bound on the pages of any one listing.
_MAX_PAGES = 100_000
#: The first version with ``project_configuration`` (geti-sdk switches there too).
CONFIGURATION_REVAMP = (2, 12)
Flavour = Literal["modern", "legacy"]


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


class GetiV1API(ServerAPI):
    """Geti REST API v1 over a session logged in with a personal access token."""

    dialect = "geti-v1"

    def __init__(self, session: SCSession, organization_id: str, workspace_id: str, info: dict | None = None,
                 media_page_size: int = MEDIA_PAGE_SIZE, project_page_size: int = PROJECT_PAGE_SIZE):
        self.session = session
        self.project_page_size = project_page_size
        self.organization_id = organization_id
        self.workspace_id = workspace_id
        self.media_page_size = media_page_size
        self._info = info
        self._flavour: Flavour | None = None
        self._lock = threading.Lock()

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
        raw = self.session.post_json(f"{self._workspace}/projects", body)
        if not isinstance(raw, dict) or not raw.get("datasets"):
            return self.get_project(str(rec._require(raw, "id", "created project")))
        return rec.parse_project(raw)

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
            response = self.session.request("POST", path, params=params, json=body)
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
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file to upload")
        target = f"{self._dataset_path(project)}/media/{kind}s"
        response = self.session.request("POST", target, body=lambda: MultipartFile(path, "file"))
        try:
            return rec.parse_media(response.json())
        except ValueError as exc:
            raise ServerError(f"upload of {path}: unexpected answer: {exc}") from None

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
        return self.session.post_json(self._annotation_path(project, media, frame), body)

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

    def annotations_from_scene(self, project: RemoteProject, media: RemoteMedia, scene: dict) -> list[Annotation]:
        return rec.annotations_from_scene(project, media, scene)

    # -- configuration: which API ----------------------------------------------------------------
    def _flavours(self) -> list[Flavour]:
        """The configuration APIs to try, the one this server's version has first."""
        if self._flavour is not None:
            return [self._flavour]
        try:
            version = server_version(self.product_info())
        except ServerError:
            version = None
        modern_first = version is None or version[:2] >= CONFIGURATION_REVAMP
        return ["modern", "legacy"] if modern_first else ["legacy", "modern"]

    def _config_call(self, project: RemoteProject, calls: dict[Flavour, Callable[[], Any]]) -> Any:
        """Run the call of the first configuration API the server has; remembers which one it was."""
        missing = []
        for flavour in self._flavours():
            try:
                result = calls[flavour]()
            except ServerError as exc:
                if exc.status in (403, 404, 405) and self._flavour is None:
                    missing.append(f"{flavour}: HTTP {exc.status}")
                    continue
                raise
            with self._lock:
                self._flavour = flavour
            return result
        raise ServerError(f"project {project.name!r}: the server has no configuration API this client knows "
                          f"({'; '.join(missing)})", status=404)

    def _legacy_only(self, project: RemoteProject, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except ServerError as exc:
            if exc.status == 404:
                raise ServerError(
                    f"project {project.name!r}: this server has no legacy configuration API (Geti 2.12 and "
                    "later have project_configuration only); the neutral get_settings/apply_settings work "
                    "there", status=404, code=exc.code) from None
            raise

    # -- configuration: raw (legacy configurable parameters) --------------------------------------
    def get_configuration(self, project: RemoteProject) -> dict:
        return self._legacy_only(project, lambda: self.session.get_json(f"{self._project_path(project)}/configuration"))

    def _task_config_path(self, project: RemoteProject, task: RemoteTask) -> str:
        return f"{self._project_path(project)}/configuration/task_chain/{task.id}"

    def get_task_configuration(self, project: RemoteProject, task: RemoteTask) -> dict:
        return self._legacy_only(project, lambda: self.session.get_json(self._task_config_path(project, task)))

    def set_task_configuration(self, project: RemoteProject, task: RemoteTask, config: dict) -> None:
        from sc_importers.rest.sc_v1_records import task_configuration_body  # the same legacy shape

        body = task_configuration_body(config)
        self._legacy_only(project, lambda: self.session.post_json(self._task_config_path(project, task), body))

    def set_project_configuration(self, project: RemoteProject, components: list[dict]) -> None:
        path = f"{self._project_path(project)}/configuration/global"
        self._legacy_only(project, lambda: self.session.post_json(path, {"global": components}))

    # -- configuration: 2.12+ --------------------------------------------------------------------
    def _get_config(self, path: str, params: dict | None = None, missing_ok: bool = False) -> Any:
        """GET a configuration document. 404 and 403 (Geti's ``feature_not_available``) are errors
        that let :meth:`_config_call` try the other API, not a reason to log in again; with
        ``missing_ok`` a 404 is None."""
        response = self.session.request("GET", path, params=params, ok_statuses=(403, 404))
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code in (403, 404):
            raise self.session.error_from("GET", path, response)
        return response.json()

    def _project_configuration(self, project: RemoteProject) -> dict:
        return self._get_config(f"{self._project_path(project)}/project_configuration")

    def _training_configuration(self, project: RemoteProject, task: RemoteTask) -> dict | None:
        return self._get_config(f"{self._project_path(project)}/training_configuration",
                                {"task_id": task.id}, missing_ok=True)

    def _patch_project_configuration(self, project: RemoteProject, current: dict,
                                     changes: dict[str, dict[str, Any]]) -> None:
        self.session.request("PATCH", f"{self._project_path(project)}/project_configuration",
                             json=conf.modern_patch(current, changes), expect="any")

    def _patch_training(self, project: RemoteProject, task: RemoteTask, training: dict, values: dict) -> None:
        self.session.request("PATCH", f"{self._project_path(project)}/training_configuration",
                             params={"task_id": task.id}, json=conf.training_patch(training, values), expect="any")

    # -- configuration: neutral settings ---------------------------------------------------------
    def get_settings(self, project: RemoteProject) -> ProjectSettings:
        return self._config_call(project, {"modern": lambda: self._modern_settings(project),
                                           "legacy": lambda: self._legacy_settings(project)})

    def _modern_settings(self, project: RemoteProject) -> ProjectSettings:
        current = self._project_configuration(project)
        return ProjectSettings([conf.modern_task_settings(t, conf.task_entry(current, t),
                                                          self._training_configuration(project, t))
                                for t in project.trainable_tasks])

    def _legacy_settings(self, project: RemoteProject) -> ProjectSettings:
        settings = ProjectSettings()
        conf.legacy_settings(self.session.get_json(f"{self._project_path(project)}/configuration").get("global"),
                             settings)
        for task in project.trainable_tasks:
            ts = TaskSettings(task.title, task.task_type)
            conf.legacy_settings(self.session.get_json(self._task_config_path(project, task)), ts)
            settings.tasks.append(ts)
        return settings

    def apply_settings(self, project: RemoteProject, settings: ProjectSettings,
                       skip: frozenset[str] = frozenset()) -> SettingsResult:
        current = self.get_settings(project)
        result = SettingsResult()
        wanted: dict[str, dict[str, Any]] = {}  # task id ("" = project level) -> key -> value
        _diff("", settings.parameters, current.parameters, current.editable, skip, "", result, wanted)
        tasks = project.trainable_tasks
        by_title = {t.title: t for t in tasks}
        for index, saved in enumerate(settings.tasks):
            task = by_title.get(saved.title) or (tasks[index] if index < len(tasks) else None)
            mine = next((c for c in current.tasks if task is not None and c.title == task.title), None)
            if task is None or mine is None:
                for key in saved.parameters:
                    result.not_applied[f"{saved.title}/{key}"] = "the project has no such task"
                continue
            _diff(task.id, saved.parameters, mine.parameters, mine.editable, skip, f"{saved.title}/", result, wanted)
        if any(wanted.values()):
            self._config_call(project, {"modern": lambda: self._write_modern(project, wanted),
                                        "legacy": lambda: self._write_legacy(project, wanted)})
        result.changed = sum(len(v) for v in wanted.values())
        return result

    def _write_modern(self, project: RemoteProject, wanted: dict[str, dict[str, Any]]) -> None:
        """Values of ``project_configuration`` entries go into one PATCH of it (every task entry, as
        the server wants), the others (epochs and hyper-parameters) into ``training_configuration``."""
        current = self._project_configuration(project)
        in_project: dict[str, dict[str, Any]] = {}
        in_training: dict[str, dict[str, Any]] = {}
        for task_id, values in wanted.items():
            if not task_id:
                continue  # 2.12+ has no project-level settings; apply_settings reported them already
            entry = conf.task_entry(current, _task(project, task_id))
            for key, value in values.items():
                (in_project if _in_entry(entry, key) else in_training).setdefault(task_id, {})[key] = value
        if in_project:
            self._patch_project_configuration(project, current, in_project)
        for task_id, values in in_training.items():
            task = _task(project, task_id)
            training = self._training_configuration(project, task)
            if training is None:
                raise ServerError(f"project {project.name!r}, task {task.title!r}: no training_configuration")
            self._patch_training(project, task, training, values)

    def _write_legacy(self, project: RemoteProject, wanted: dict[str, dict[str, Any]]) -> None:
        for task_id, values in wanted.items():
            if not values:
                continue
            if not task_id:
                config = self.session.get_json(f"{self._project_path(project)}/configuration/global")
                body = conf.legacy_update(config, values)
                if body:
                    self.session.post_json(f"{self._project_path(project)}/configuration/global",
                                           {"global": body["components"]})
                continue
            path = self._task_config_path(project, _task(project, task_id))
            body = conf.legacy_update(self.session.get_json(path), values)
            if body:
                self.session.post_json(path, body)

    def set_auto_training(self, project: RemoteProject, task: RemoteTask, enabled: bool) -> None:
        self._set_one(project, task, AUTO_TRAINING, bool(enabled))

    def get_auto_training(self, project: RemoteProject, task: RemoteTask) -> bool:
        value = self._task_settings(project, task).parameters.get(AUTO_TRAINING)
        if not isinstance(value, bool):
            raise ServerError(f"project {project.name!r}, task {task.title!r}: no auto-training setting")
        return value

    def set_iterations(self, project: RemoteProject, task: RemoteTask, iterations: int) -> None:
        if iterations < 1:
            raise ValueError(f"iterations must be at least 1, got {iterations}")
        self._set_one(project, task, ITERATIONS, int(iterations))

    def get_iterations(self, project: RemoteProject, task: RemoteTask) -> int | None:
        """The task's number of training epochs, or None if it has no such setting."""
        return self._task_settings(project, task).iterations

    def _task_settings(self, project: RemoteProject, task: RemoteTask) -> TaskSettings:
        settings = self.get_settings(project)
        return next((t for t in settings.tasks if t.title == task.title), TaskSettings(task.title, task.task_type))

    def _set_one(self, project: RemoteProject, task: RemoteTask, key: str, value: Any) -> None:
        if key not in self._task_settings(project, task).parameters:
            raise ServerError(f"project {project.name!r}, task {task.title!r}: the configuration has no {key} "
                              "setting")
        self._config_call(project, {"modern": lambda: self._write_modern(project, {task.id: {key: value}}),
                                    "legacy": lambda: self._write_legacy(project, {task.id: {key: value}})})

    def close(self) -> None:
        self.session.close()


def _task(project: RemoteProject, task_id: str) -> RemoteTask:
    return next(t for t in project.trainable_tasks if t.id == task_id)


def _in_entry(entry: dict | None, key: str) -> bool:
    return any(conf.modern_key(s, item["key"]) == key for s, item in conf.key_value_entries(entry or {}))


def _diff(task_id: str, saved: dict, current: dict, editable: set[str], skip: frozenset[str], where: str,
          result: SettingsResult, wanted: dict[str, dict[str, Any]]) -> None:
    """Record in ``wanted`` every saved value that differs and can be written, in ``result`` the rest."""
    for key, value in saved.items():
        if key in skip:
            continue
        if key not in current:
            result.not_applied[f"{where}{key}"] = "this server has no such parameter"
        elif key not in editable:
            if current[key] != value:
                result.not_applied[f"{where}{key}"] = "not editable on this server"
        elif current[key] != value:
            wanted.setdefault(task_id, {})[key] = value
