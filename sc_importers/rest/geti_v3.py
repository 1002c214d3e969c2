"""The Geti 3.x dialect of :class:`~sc_importers.rest.base.ServerAPI` (``/api/...``, no login, UUIDs).

JSON shapes are in :mod:`sc_importers.rest.geti_v3_records`, what Geti 3 can hold of a planned project
(and the refusals with their choices) in :mod:`sc_importers.rest.geti_v3_mapping`. Geti 3 has no
auto-training, no per-project training parameters and no project configuration: the settings calls say
so in their results (nothing is written, everything is listed as not applied). Annotations of video
frame 0 cannot be written (the server reads ``frame_index=0`` as missing): they are counted as left
behind, never sent.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import requests

from sc_importers.model import Annotation
from sc_importers.project_types.base import TaskPlan
from sc_importers.rest import geti_v3_records as rec
from sc_importers.rest.base import Adaptation, RemoteMedia, RemoteProject, RemoteTask, ServerAPI, ServerError
from sc_importers.rest.geti_v3_mapping import FRAME_0, Geti3Choices, adapt, exclusive
from sc_importers.rest.geti_v3_tus import TusUploader
from sc_importers.rest.landed import UploadClaims
from sc_importers.rest.login import LoginFlow
from sc_importers.rest.multipart import MultipartFile
from sc_importers.rest.session import SCSession
from sc_importers.settings import ProjectSettings, SettingsResult

API = "/api"
MEDIA_PAGE_SIZE = 100  # the server's maximum
RESUMABLE_THRESHOLD = 64 * 1024**2
_MAX_PAGES = 100_000
NO_SETTINGS = "Geti 3 has no per-project training settings (training starts only on request, with per-architecture "\
              "parameters)"


class NoLogin(LoginFlow):
    """Geti 3 has no authentication: nothing to log in to, no secret to redact."""

    identity = "(no login)"

    def login(self, http: requests.Session, host: str, options: dict) -> None:
        return None

    def secrets(self, http: requests.Session) -> list[str]:
        return []


class GetiV3API(ServerAPI):
    """Geti 3 REST API. ``choices`` answer what Geti 3 cannot hold (task chains, anomaly, rotated boxes)."""

    dialect = "geti-v3"

    def __init__(self, session: SCSession, choices: Geti3Choices | None = None, media_page_size: int = MEDIA_PAGE_SIZE):
        self.session = session
        self.choices = choices or Geti3Choices()
        self.media_page_size = media_page_size
        self._adaptation: Adaptation | None = None
        self._lock = threading.Lock()
        #: Files at least this big go through the resumable upload (when the server has one).
        self.resumable_threshold = RESUMABLE_THRESHOLD
        self.tus = TusUploader(session)
        self._tus: bool | None = None
        self._claims = UploadClaims()  # to tell whether an upload whose answer was lost landed

    def _has_tus(self) -> bool:
        if self._tus is None:
            self._tus = self.tus.available()
        return self._tus

    def __repr__(self) -> str:
        return f"GetiV3API({self.session!r})"

    def _project_path(self, project: RemoteProject | str) -> str:
        return f"{API}/projects/{project if isinstance(project, str) else project.id}"

    def _media_path(self, project: RemoteProject, media: RemoteMedia | str) -> str:
        return f"{self._project_path(project)}/dataset/media/{media if isinstance(media, str) else media.id}"

    def product_info(self) -> dict:
        """Geti 3 has no ``product_info``: the OpenAPI document's ``info`` stands in for it."""
        spec = self.session.get_json(f"{API}/openapi.json")
        info = spec.get("info", {}) if isinstance(spec, dict) else {}
        return {"product-name": info.get("title", "Geti"), "product-version": info.get("version", "3")}

    # -- projects ---------------------------------------------------------------------------
    def list_projects(self) -> list[RemoteProject]:
        raw = self.session.get_json(f"{API}/projects")
        if not isinstance(raw, list):
            raise ServerError(f"GET {API}/projects: expected a list, got {str(raw)[:200]}")
        return [rec.parse_project(p) for p in raw]

    def get_project(self, project_id: str) -> RemoteProject:
        return rec.parse_project(self.session.get_json(self._project_path(project_id)))

    def adapt(self, tasks: list[TaskPlan]) -> Adaptation:
        adaptation = adapt(tasks, self.choices)
        with self._lock:
            self._adaptation = adaptation
        return adaptation

    def _counts(self) -> Adaptation:
        """Where conversions at posting time are counted: the adaptation of this run, or a fresh one."""
        with self._lock:
            if self._adaptation is None:
                self._adaptation = Adaptation(tasks=[])
            return self._adaptation

    def create_project(self, name: str, tasks: list[TaskPlan], project_id: str | None = None) -> RemoteProject:
        """Create the project of ``tasks`` (adapted here when the caller did not, see :meth:`adapt`);
        ``project_id`` is a client-chosen UUID (Geti 3 accepts one; 409 if taken)."""
        if len(tasks) != 1 or tasks[0].task_type not in rec.TO_GETI3:
            tasks = self.adapt(tasks).tasks
        body = rec.project_body(name, tasks[0], exclusive(tasks[0]), project_id)
        # When the answer is lost, the project found by that name is it (callers checked it was free).
        return self.session.post_checked(f"{API}/projects", json=body, parse=lambda r: rec.parse_project(r.json()),
                                         took_effect=lambda: self.find_project(name))

    def delete_project(self, project: RemoteProject) -> None:
        self.session.delete(self._project_path(project))

    # -- media ------------------------------------------------------------------------------
    def list_media(self, project: RemoteProject, kind: Literal["image", "video"]) -> Iterator[RemoteMedia]:
        """Every image (or video), oldest first (a stable order while others upload), by offset pages."""
        seen: set[str] = set()
        for page in range(_MAX_PAGES):
            offset = page * self.media_page_size
            params = {"limit": self.media_page_size, "offset": offset, "sort_direction": "asc"}
            items, total = rec.media_page(self.session.get_json(f"{self._project_path(project)}/dataset/media", params))
            for raw in items:
                if raw.get("type") == kind and raw.get("id") not in seen:
                    seen.add(raw["id"])
                    yield rec.parse_media(raw)
            if not items or offset + len(items) >= total:
                return

    def upload_media(self, project: RemoteProject, path: Path, kind: Literal["image", "video"]) -> RemoteMedia:
        """Multipart upload; a file of at least ``resumable_threshold`` bytes goes through the server's
        resumable upload (TUS) when it has one, continuing where a broken transfer stopped."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file to upload")
        def parse(response: requests.Response) -> RemoteMedia:
            try:
                return rec.parse_media(response.json())
            except ValueError as exc:
                raise ServerError(f"upload of {path}: unexpected answer: {exc}") from None

        def landed() -> RemoteMedia | None:
            return self._claims.landed(self, project, path, kind)

        if path.stat().st_size >= self.resumable_threshold and self._has_tus():
            media = self.session.post_checked(f"{self._project_path(project)}/dataset/media:from-upload",
                                              json={"upload_id": self.tus.send(path)}, parse=parse, took_effect=landed)
        else:
            media = self.session.post_checked(f"{self._project_path(project)}/dataset/media",
                                              body=lambda: MultipartFile(path, "file"), parse=parse, took_effect=landed)
        self._claims.claim(media)
        if media.kind != kind:
            raise ServerError(f"upload of {path}: the server took it as {media.kind}, not {kind}")
        return media

    def download_media(self, project: RemoteProject, media: RemoteMedia, target: Path,
                       on_chunk: Callable[[bytes], None] | None = None) -> None:
        self.session.download(f"{self._media_path(project, media)}/binary?raw=true", Path(target), on_chunk=on_chunk)

    def delete_media(self, project: RemoteProject, media: RemoteMedia) -> None:
        self.session.delete(self._media_path(project, media))

    # -- annotations ------------------------------------------------------------------------
    def _annotation_path(self, project: RemoteProject, media: RemoteMedia, frame: int | None) -> str:
        if frame is not None and media.kind != "video":
            raise ValueError(f"media {media.name!r} is an image; it has no frame {frame}")
        if frame is None and media.kind == "video":
            raise ValueError(f"video {media.name!r}: annotations are posted per frame")
        suffix = f"?frame_index={frame}" if frame is not None else ""
        return f"{self._media_path(project, media)}/annotations{suffix}"

    def post_annotations(self, project: RemoteProject, media: RemoteMedia, annotations: list[Annotation],
                         frame: int | None = None) -> dict:
        counts = self._counts()
        if frame == 0:
            counts.count(FRAME_0, len(annotations), sent=False)
            return {}
        local: Counter = Counter()
        body = rec.annotation_body(project, media, annotations, local)
        for key, n in local.items():
            counts.count(key, n, sent=False)
        if not body["annotations"] and rec.is_multiclass(project):
            counts.count("left behind: 'no objects' of a multi-class classification media (Geti 3 needs one label)",
                         len(annotations), sent=False)
            return {}
        # Setting a media's annotations again sets the same annotations: repeatable.
        return self.session.post_json(self._annotation_path(project, media, frame), body, idempotent=True)

    def get_annotation_scene(self, project: RemoteProject, media: RemoteMedia,
                             frame: int | None = None) -> dict | None:
        """The media's (or frame's) annotations as the server answers; None when not annotated (404)."""
        if frame == 0:
            return None
        response = self.session.request("GET", self._annotation_path(project, media, frame), ok_statuses=(404,))
        if response.status_code == 404:
            return None
        scene = response.json()
        if frame is not None and isinstance(scene, dict):
            scene["media_identifier"] = {"type": "video_frame", "video_id": media.id, "frame_index": frame}
        return scene

    def get_video_annotations(self, project: RemoteProject, media: RemoteMedia) -> list[dict]:
        """Every annotated frame (``/frames``), each its ``annotation_data`` plus a ``media_identifier``
        naming the video and frame (the key backups and resumes read frames by)."""
        if media.kind != "video":
            raise ValueError(f"media {media.name!r} is not a video")
        last = max(0, (media.frame_count or 1) - 1)
        raw = self.session.get_json(f"{self._media_path(project, media)}/frames",
                                    {"frame_index_from": 0, "frame_index_to": last})
        scenes = []
        for frame in raw if isinstance(raw, list) else []:
            scene = dict(frame.get("annotation_data") or {})
            scene["media_identifier"] = {"type": "video_frame", "video_id": media.id,
                                         "frame_index": int(frame["frame_index"]), "media_id": frame.get("media_id")}
            scenes.append(scene)
        return scenes

    def annotations_from_scene(self, project: RemoteProject, media: RemoteMedia, scene: dict) -> list[Annotation]:
        return rec.annotations_from_scene(project, media, scene)

    # -- configuration: Geti 3 has none per project -------------------------------------------
    def get_configuration(self, project: RemoteProject) -> dict:
        return {}

    def get_task_configuration(self, project: RemoteProject, task: RemoteTask) -> dict:
        return {}

    def set_task_configuration(self, project: RemoteProject, task: RemoteTask, config: dict) -> None:
        raise ServerError(f"project {project.name!r}: {NO_SETTINGS}", code="not_supported")

    def set_project_configuration(self, project: RemoteProject, components: list[dict]) -> None:
        raise ServerError(f"project {project.name!r}: {NO_SETTINGS}", code="not_supported")

    def get_settings(self, project: RemoteProject) -> ProjectSettings:
        return ProjectSettings()

    def apply_settings(self, project: RemoteProject, settings: ProjectSettings,
                       skip: frozenset[str] = frozenset()) -> SettingsResult:
        """Nothing can be written: every value is listed as not applied."""
        result = SettingsResult()
        for key in settings.parameters:
            if key not in skip:
                result.not_applied[key] = NO_SETTINGS
        for task in settings.tasks:
            for key in task.parameters:
                if key not in skip:
                    result.not_applied[f"{task.title}/{key}"] = NO_SETTINGS
        return result

    def set_auto_training(self, project: RemoteProject, task: RemoteTask, enabled: bool) -> None:
        """Off is what Geti 3 always does; on cannot be held and is counted as left behind."""
        if enabled:
            self._counts().not_kept.append("auto-training on (Geti 3 trains only on request)")

    def get_auto_training(self, project: RemoteProject, task: RemoteTask) -> bool:
        return False

    def set_iterations(self, project: RemoteProject, task: RemoteTask, iterations: int) -> None:
        if iterations < 1:
            raise ValueError(f"iterations must be at least 1, got {iterations}")
        self._counts().not_kept.append(f"iterations {iterations} (Geti 3 sets epochs per model architecture, "
                                       "training.max_epochs of training_configuration)")

    def get_iterations(self, project: RemoteProject, task: RemoteTask) -> int | None:
        return None

    def close(self) -> None:
        self.session.close()
