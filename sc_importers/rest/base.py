"""The one interface every server dialect implements, and the records it returns.

The uploader, downloader and CLI only ever talk to :class:`ServerAPI`; a dialect module
(``sc_v1.py`` for SC 1.0, later one for the modern Geti API) turns these calls into its own
paths and bodies. Records keep the server's raw JSON in ``raw`` so backups can store exactly
what the server said, while callers use the typed fields.

Coordinates cross this boundary in pixels (:mod:`sc_importers.model`): a dialect that speaks
normalized coordinates converts with the media size it is given or has.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

from sc_importers.model import Annotation
from sc_importers.project_types.base import TaskPlan
from sc_importers.settings import ProjectSettings, SettingsResult


class ServerError(Exception):
    """The server refused a request. ``status`` is the HTTP status, ``code`` the server's
    ``error_code`` when it sent one; the message never contains credentials or cookies."""

    #: seconds the server asked to wait (its ``Retry-After`` header) before the next attempt
    retry_after: float | None = None

    def __init__(self, message: str, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


class ConnectionLost(ServerError):
    """The server could not be reached, or a transfer broke off: not an answer of the server, so
    every following request will probably fail the same way."""

    #: True when the request certainly never reached the server (no connection was made)
    not_sent: bool = False
    #: True when the server did not answer in time: the request may still be running there
    timed_out: bool = False


class AuthenticationError(ServerError):
    """Login failed (wrong credentials, or the server's login flow was not recognised)."""


@dataclass
class RemoteLabel:
    id: str
    name: str
    color: str = ""
    group: str = ""
    parent_id: str | None = None
    is_empty: bool = False
    hotkey: str = ""


@dataclass
class RemoteTask:
    """A task of a project's pipeline; ``task_type`` includes ``dataset`` and ``crop``."""

    id: str
    title: str
    task_type: str
    labels: list[RemoteLabel] = field(default_factory=list)

    @property
    def is_trainable(self) -> bool:
        return self.task_type not in ("dataset", "crop")

    def empty_label(self) -> RemoteLabel | None:
        return next((lb for lb in self.labels if lb.is_empty), None)


@dataclass
class RemoteProject:
    id: str
    name: str
    dataset_id: str
    tasks: list[RemoteTask]
    raw: dict = field(default_factory=dict, repr=False)

    @property
    def trainable_tasks(self) -> list[RemoteTask]:
        return [t for t in self.tasks if t.is_trainable]

    @property
    def labels(self) -> list[RemoteLabel]:
        return [lb for t in self.trainable_tasks for lb in t.labels]

    @cached_property
    def _labels_by_name(self) -> dict[str, RemoteLabel]:
        by_name: dict[str, RemoteLabel] = {}
        for lb in self.labels:
            by_name.setdefault(lb.name, lb)  # the first one, as a scan would find
        return by_name

    def label_by_name(self, name: str) -> RemoteLabel:
        """The label called ``name``: a dict lookup, as it runs for every label of every annotation posted."""
        try:
            return self._labels_by_name[name]
        except KeyError:
            raise KeyError(f"project {self.name!r} has no label {name!r}") from None


@dataclass
class RemoteMedia:
    """An image or video in a project's dataset. Videos have ``frame_count`` and ``fps``."""

    id: str
    name: str
    kind: Literal["image", "video"]
    width: int
    height: int
    frame_count: int | None = None
    fps: float | None = None
    raw: dict = field(default_factory=dict, repr=False)


@dataclass
class Adaptation:
    """How a server holds a project it cannot hold as planned (:meth:`ServerAPI.adapt`).

    ``tasks`` are the trainable tasks to create instead of the plan's; ``mappings`` state every
    mapping applied (shown in the summary and by ``--verify``); ``not_kept`` lists what of the project
    (structure, configuration) has no counterpart on the server. :meth:`convert` turns the builder's
    annotations of one media item (or frame) into ones the server holds, counting in ``counts``
    (``"converted: ..."`` / ``"left behind: ..."`` -> annotations) what it changed or could not carry.
    """

    tasks: list[TaskPlan]
    mappings: list[str] = field(default_factory=list)
    not_kept: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    #: Annotations handed to ``post_annotations`` that the client counted as left behind (not sent).
    not_sent: int = 0
    #: How far (pixels) the server may move a coordinate it stores (e.g. whole-pixel boxes: 0.5).
    pixel_tolerance: float = 0.0
    #: Video frames the server cannot hold annotations of (their annotations are left behind, counted
    #: under ``unwritable_key``).
    unwritable_frames: frozenset[int] = frozenset()
    unwritable_key: str = ""
    converter: Callable[[list[Annotation], Counter], list[Annotation]] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def convert(self, annotations: list[Annotation]) -> list[Annotation]:
        """The annotations as the server will hold them (thread-safe; counts what changed)."""
        if self.converter is None:
            return annotations
        local: Counter = Counter()
        out = self.converter(annotations, local)
        if local:
            with self._lock:
                self.counts.update(local)
        return out

    def count(self, key: str, n: int = 1, sent: bool = True) -> None:
        """Count ``n`` annotations under ``key``; ``sent`` False: they were given to ``post_annotations``
        but not sent (so the uploader does not count them as created)."""
        with self._lock:
            self.counts[key] += n
            if not sent:
                self.not_sent += n


class ServerAPI(ABC):
    """One logged-in connection to one server, in that server's API dialect.

    Implementations own their HTTP session (pool, retries, re-authentication) and must be safe
    to call from several threads at once.
    """

    #: Name of the dialect, written into backup manifests (``sc-v1``, ``geti-v1``, ...).
    dialect: str = ""
    #: The step, in pixels, this dialect's server rounds the coordinates it answers to (Geti 2.x:
    #: whole pixels); 0 when it answers what it was given. ``--verify`` of a backup of another
    #: dialect compares coordinates to within half of it and says so.
    coordinate_step: float = 0.0

    def automatic_parents(self, project: dict) -> dict[str, str]:
        """Labels whose parent this dialect's server sets by itself when it creates a project
        described by ``project`` (a ``project.json`` of any dialect): label name -> parent name.
        Empty for a dialect that keeps the parents it is given. ``--verify`` states such a parent
        as a dialect difference instead of counting it as one."""
        return {}

    @abstractmethod
    def product_info(self) -> dict:
        """The server's product/version description."""

    # -- projects ---------------------------------------------------------------------------
    @abstractmethod
    def list_projects(self) -> list[RemoteProject]:
        """Every project of the workspace (all pages)."""

    @abstractmethod
    def get_project(self, project_id: str) -> RemoteProject: ...

    def find_project(self, name: str) -> RemoteProject | None:
        """The project called ``name``, or None."""
        return next((p for p in self.list_projects() if p.name == name), None)

    @abstractmethod
    def create_project(self, name: str, tasks: list[TaskPlan]) -> RemoteProject:
        """Create a project whose trainable tasks are ``tasks`` in pipeline order; the dialect
        adds the dataset task and a crop task between two trainable tasks. Labels keep their
        colors, groups, hotkeys and parents (by name) where given."""

    @abstractmethod
    def delete_project(self, project: RemoteProject) -> None: ...

    def adapt(self, tasks: list[TaskPlan]) -> Adaptation:
        """What this server creates for a plan of ``tasks`` and how annotations map onto it; a server
        that holds every planned project as it is (the default) changes nothing. Raises
        :class:`ServerError` (code ``unsupported_project``) naming the choices when it cannot hold the
        plan without a decision of the user."""
        return Adaptation(tasks=list(tasks))

    # -- media ------------------------------------------------------------------------------
    @abstractmethod
    def list_media(self, project: RemoteProject, kind: Literal["image", "video"]) -> Iterator[RemoteMedia]:
        """Every image (or video) of the project's dataset, following pagination."""

    @abstractmethod
    def upload_media(
        self, project: RemoteProject, path: Path, kind: Literal["image", "video"]
    ) -> RemoteMedia:
        """Upload one file (streamed from disk, not loaded whole) and return what was created."""

    @abstractmethod
    def download_media(self, project: RemoteProject, media: RemoteMedia, target: Path,
                       on_chunk: Callable[[bytes], None] | None = None) -> None:
        """Write the media's original bytes to ``target`` (streamed). ``on_chunk``, if given, is
        called with every chunk as it is written (to checksum while downloading)."""

    @abstractmethod
    def delete_media(self, project: RemoteProject, media: RemoteMedia) -> None: ...

    # -- annotations ------------------------------------------------------------------------
    @abstractmethod
    def post_annotations(
        self, project: RemoteProject, media: RemoteMedia, annotations: list[Annotation],
        frame: int | None = None,
    ) -> dict:
        """Set the annotation of an image (or of video frame ``frame``). Label names are resolved
        against ``project``; pixel coordinates are converted with the media size. Returns the
        server's annotation scene as it answered."""

    @abstractmethod
    def get_annotation_scene(
        self, project: RemoteProject, media: RemoteMedia, frame: int | None = None,
    ) -> dict | None:
        """The latest annotation of an image or video frame, raw as the server sends it, or None
        when it has none."""

    @abstractmethod
    def get_video_annotations(self, project: RemoteProject, media: RemoteMedia) -> list[dict]:
        """Every annotated frame's latest annotation scene of a video (raw)."""

    @abstractmethod
    def annotations_from_scene(
        self, project: RemoteProject, media: RemoteMedia, scene: dict
    ) -> list[Annotation]:
        """Turn a raw annotation scene of this dialect into neutral pixel-coordinate annotations."""

    # -- configuration ----------------------------------------------------------------------
    @abstractmethod
    def set_auto_training(self, project: RemoteProject, task: RemoteTask, enabled: bool) -> None: ...

    @abstractmethod
    def set_iterations(self, project: RemoteProject, task: RemoteTask, iterations: int) -> None:
        """Set the number of training iterations (epochs) of the task's learning parameters."""

    @abstractmethod
    def get_auto_training(self, project: RemoteProject, task: RemoteTask) -> bool: ...

    # -- neutral settings (what backups, restores, --verify and the uploader use) -------------
    def get_settings(self, project: RemoteProject) -> ProjectSettings:
        """The project's settings in the neutral model (:mod:`sc_importers.settings`)."""
        raise NotImplementedError(f"{type(self).__name__} does not read settings yet")

    def apply_settings(self, project: RemoteProject, settings: ProjectSettings,
                       skip: frozenset[str] = frozenset()) -> SettingsResult:
        """Write every value of ``settings`` that differs from the project's and that this
        server can hold and edit; tasks are matched by title, then by pipeline position. Keys in
        ``skip`` (usually auto-training, which the uploader sets last) are left alone. What could
        not be written is returned, never dropped silently."""
        raise NotImplementedError(f"{type(self).__name__} does not write settings yet")

    def native_configuration(self, project: RemoteProject) -> dict | None:
        """The server's own whole-configuration body (``GET /configuration`` of SC 1.0 and of Geti's
        legacy API), or None where the dialect has none. Backups keep it, unread, as
        ``configuration.json`` so that older tools (the 2022 client, geti-sdk before 2.12) can
        restore what this tool writes; this tool itself restores and verifies ``settings.json``."""
        return None

    def close(self) -> None:  # noqa: B027 - optional for dialects without resources
        """Release connections."""
