"""The concurrent upload: media files in, annotations right after each media id is known.

Items are taken from an iterator and at most ``2 * workers`` are in flight at once, so neither the
media bytes (streamed by the REST layer) nor one future per item of a huge dataset are held in
memory. Each worker uploads one item's media and then posts that item's annotations (per video
frame for videos), so annotations appear on the server while the upload is still running.

Failures are sorted in two kinds: an item-level failure (the server refused this item with a 4xx
or 5xx answer, the file cannot be read, a label cannot be resolved) is written into the item's
:class:`~sc_importers.uploader.progress.ItemProgress` and the run goes on; a run-level failure
(connection lost, authentication refused) stops taking new items, lets the running ones finish
and raises :class:`UploadAborted` carrying everything recorded so far.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait

import requests

from sc_importers.model import Annotation, MediaItem
from sc_importers.rest.base import (
    AuthenticationError,
    ConnectionLost,
    RemoteMedia,
    RemoteProject,
    ServerAPI,
    ServerError,
)
from sc_importers.uploader.configure import ProjectNotCreated, ProjectOnDemand
from sc_importers.uploader.interrupt import ctrl_c_sets
from sc_importers.uploader.progress import ItemProgress, ProgressBars
from sc_importers.uploader.upload_journal import ContentHashes, UploadJournal

#: How often the upload loop looks whether Ctrl-C was pressed while it waits for workers.
_POLL_SECONDS = 0.2

#: Turns one item (and one video frame's or the image's dataset annotations) into the project's
#: annotations with resolved label names; ``[]`` leaves the media (or frame) unannotated.
Converter = Callable[[MediaItem, list[Annotation]], list[Annotation]]
#: The dry run's per-item check (see :func:`sc_importers.uploader.select.item_check`): why an item
#: must not be uploaded, or None.
Check = Callable[[MediaItem], "str | None"]


class UploadAborted(Exception):
    """The run stopped early (connection lost, authentication refused); ``progress`` holds every
    item handled so far, so the caller can say exactly what was created."""

    def __init__(self, message: str, progress: list[ItemProgress]):
        super().__init__(message)
        self.progress = progress


class UploadInterrupted(UploadAborted):
    """The user pressed Ctrl-C: items not started were dropped, the running ones were finished, and
    ``progress`` holds them all, so the summary can still say what exists on the server."""


def is_fatal(exc: BaseException) -> bool:
    """True for failures that will hit every following item too: stop instead of recording."""
    if isinstance(exc, (AuthenticationError, ProjectNotCreated)):
        return True
    if isinstance(exc, ConnectionLost):
        return True
    if isinstance(exc, ServerError):
        return exc.status in (401, 403)
    return isinstance(exc, (requests.ConnectionError, requests.Timeout, ConnectionError))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ServerError) and exc.status is not None:
        return f"server answered {exc.status}: {exc}"
    if isinstance(exc, OSError) and not isinstance(exc, ConnectionError):
        return f"cannot read file: {exc}"
    return f"{type(exc).__name__}: {exc}"


class UploadEngine:
    """Uploads items into one project with ``workers`` threads.

    ``project`` is the project, or a :class:`ProjectOnDemand` that the first item passing ``check``
    creates. ``check`` (the dry run's per-item check) runs in the worker right before the item's
    upload: an item it refuses is recorded as "not uploaded: <reason>" and nothing is sent for it.
    """

    def __init__(self, api: ServerAPI, project: RemoteProject | ProjectOnDemand, convert: Converter, workers: int,
                 bars: ProgressBars | None = None, journal: UploadJournal | None = None,
                 hashes: ContentHashes | None = None, check: Check | None = None):
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.api = api
        self.projects = project if isinstance(project, ProjectOnDemand) else ProjectOnDemand(project=project)
        self.check = check
        self.convert = convert
        self.workers = workers
        self.bars = bars
        #: every created media's content hash goes into the journal, so --resume can tell files apart
        self.journal = journal
        self.hashes = hashes or ContentHashes()
        self._stop = threading.Event()
        self._fatal: BaseException | None = None

    @property
    def project(self) -> RemoteProject | None:
        """The project (None while it is still to be created)."""
        return self.projects.project

    # -- one item -------------------------------------------------------------------------
    def _post(self, project: RemoteProject, media: RemoteMedia, annotations: list[Annotation],
              frame: int | None) -> int:
        if not annotations:
            return 0
        self.api.post_annotations(project, media, annotations, frame=frame)
        if self.bars:
            self.bars.annotations_done(len(annotations))
        return len(annotations)

    def upload_item(self, item: MediaItem, existing: RemoteMedia | None = None) -> ItemProgress:
        """Upload one item and its annotations; item-level failures end up in the record.

        ``existing`` is the item's media already on the server (a resumed import): it is not
        uploaded again, and only annotations the server does not hold yet are posted.
        """
        record = ItemProgress(key=item.key, kind=item.kind, resumed=existing is not None)
        if self.check is not None:
            refused = self.check(item)
            if refused is not None:
                record.error, record.resumed = f"not uploaded: {refused}", False
                if self.bars:
                    self.bars.media_done()
                return record
        try:
            project = self.projects.get()
            # Convert first: a label problem must not leave a media item without its annotations.
            image_annotations = self.convert(item, item.annotations) if item.kind == "image" else []
            frames = {n: self.convert(item, anns) for n, anns in sorted(item.frames.items())}
            if existing is None:
                digest, size = self.hashes.of(item.path) if self.journal is not None else ("", 0)
                media = self.api.upload_media(project, item.path, item.kind)
                if self.journal is not None:
                    self.journal.record(media.id, digest, size, media.name, media.kind)
            else:
                media = existing
                image_annotations, frames = self._missing(project, media, image_annotations, frames)
            record.media_id = media.id
            if self.bars:
                self.bars.media_done()
            if item.kind == "image":
                record.annotations_posted += self._post(project, media, image_annotations, None)
            else:
                for n, anns in frames.items():
                    if n >= (media.frame_count or n + 1):
                        raise ValueError(f"frame {n} is beyond the video's {media.frame_count} frames")
                    posted = self._post(project, media, anns, n)
                    record.annotations_posted += posted
                    record.frames_posted += bool(posted)
        except Exception as exc:
            record.error = _describe(exc)
            if is_fatal(exc):
                # keeps a media id created before the failure; any exception type carries it (read with getattr)
                vars(exc)["item_progress"] = record
                raise
        return record

    def _missing(self, project: RemoteProject, media: RemoteMedia, image_annotations: list[Annotation],
                 frames: dict[int, list[Annotation]]) -> tuple[list[Annotation], dict[int, list[Annotation]]]:
        """What of an already uploaded media's annotations the server lacks: the image's, when it
        has no annotation scene; a video's frames without a scene. Asks the server only when
        there is something to post."""
        if media.kind == "image":
            if image_annotations and self.api.get_annotation_scene(project, media) is not None:
                return [], frames
            return image_annotations, frames
        wanted = {n: anns for n, anns in frames.items() if anns}
        if not wanted:
            return image_annotations, {}
        on_server = set()
        for scene in self.api.get_video_annotations(project, media):
            index = (scene.get("media_identifier") or {}).get("frame_index")
            if not isinstance(index, int):  # a dialect that does not say: ask per frame
                on_server = {n for n in wanted
                             if self.api.get_annotation_scene(project, media, n) is not None}
                break
            on_server.add(index)
        return image_annotations, {n: anns for n, anns in wanted.items() if n not in on_server}

    # -- the run --------------------------------------------------------------------------
    def run(self, items: Iterable[MediaItem], existing: Mapping[str, RemoteMedia] | None = None
            ) -> list[ItemProgress]:
        """Upload every item; returns one record per item in completion order. ``existing`` maps
        item keys to their media already on the server (a resumed import, see :mod:`.resume`).

        Raises :class:`UploadAborted` on a run-level failure, after in-flight items finished.
        """
        existing = existing or {}
        results: list[ItemProgress] = []
        pending: dict[Future, MediaItem] = {}

        def collect(done: set[Future]) -> None:
            for fut in done:
                item = pending.pop(fut)
                try:
                    results.append(fut.result())
                except Exception as exc:  # only fatal errors propagate out of upload_item
                    results.append(getattr(exc, "item_progress", None)
                                   or ItemProgress(key=item.key, kind=item.kind, error=_describe(exc)))
                    if self._fatal is None:
                        self._fatal = exc
                    self._stop.set()

        interrupted = threading.Event()
        # Finished futures arrive here by their done callback: taking them costs the same with 2 or
        # 200 items in flight (``concurrent.futures.wait`` hooks into every pending future per call,
        # which took about a tenth of the client's CPU at 16 workers).
        finished: queue.SimpleQueue[Future] = queue.SimpleQueue()

        def wait_some() -> None:
            # A timeout, so that a Ctrl-C (which only sets ``interrupted``) is noticed promptly.
            try:
                done = {finished.get(timeout=_POLL_SECONDS)}
            except queue.Empty:
                return
            while True:
                try:
                    done.add(finished.get_nowait())
                except queue.Empty:
                    break
            collect(done)

        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="sc-upload") as pool, \
                ctrl_c_sets(interrupted):
            try:
                for item in items:
                    while len(pending) >= 2 * self.workers and not self._halted(interrupted):
                        wait_some()
                    if self._halted(interrupted):
                        break
                    future = pool.submit(self.upload_item, item, existing.get(item.key))
                    pending[future] = item
                    future.add_done_callback(finished.put)
                while pending and not interrupted.is_set():
                    wait_some()
            except KeyboardInterrupt:  # no handler could be installed, or a second Ctrl-C
                interrupted.set()
            if interrupted.is_set():
                for fut in [f for f in pending if f.cancel()]:  # queued, never started: nothing sent
                    del pending[fut]
                try:
                    collect(set(wait(pending).done))  # running items finish: their media ids are known
                except KeyboardInterrupt:  # a second Ctrl-C while they finish
                    raise UploadInterrupted(
                        f"interrupted twice by the user (Ctrl-C); up to {len(pending)} item(s) still in "
                        "flight may exist on the server without being counted here (--resume finds them)",
                        results) from None
                raise UploadInterrupted("interrupted by the user (Ctrl-C)", results)
        if self._fatal is not None:
            raise UploadAborted(f"upload stopped: {_describe(self._fatal)}", results) from self._fatal
        return results

    def _halted(self, interrupted: threading.Event) -> bool:
        return self._stop.is_set() or interrupted.is_set()
