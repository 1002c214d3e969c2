"""Download a whole project into a backup folder (format: docs/backup-format.md).

The folder holds what is needed to re-create the project elsewhere: its description, its
configuration, every image and video with original bytes, every annotation (images and video
frames) as the server sent it, and a manifest written last. Downloads are concurrent, every file
is written atomically, media are hashed while they stream, and a re-run into the same folder keeps
media whose checksum still matches what the previous (finished or interrupted) run recorded; after
an interrupted run it also keeps the annotation files of every item that run finished. The
journal's listing of the project's media lets a restore tell an unfinished folder from a complete
one (plugins/backup: it refuses the former unless asked for a partial restore).
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from sc_importers.export.files import (
    HashingSink,
    Journal,
    new_part_file,
    sha256_file,
    sniff_extension,
    write_json_atomically,
)
from sc_importers.export.folder_guard import FolderInUse, check_target_folder
from sc_importers.export.manifest import MANIFEST, is_export_bookkeeping, previous_media_entries, write_manifest
from sc_importers.export.portable import label_index, named_scene, portable_project
from sc_importers.rest.base import ConnectionLost, RemoteMedia, RemoteProject, ServerAPI, ServerError

__all__ = ["DownloadReport", "FolderInUse", "ProjectNotFound", "check_target_folder", "download_project",
           "download_projects", "is_export_bookkeeping", "media_stems", "safe_folder_name", "MANIFEST"]

MEDIA_DIRS = {"image": "images", "video": "videos"}


@dataclass
class DownloadReport:
    """What one project download did; ``failures`` maps a media name (or ``"project"`` when the
    project itself could not be read) to its error."""

    project: str
    folder: Path
    media_downloaded: int = 0
    media_kept: int = 0
    annotation_files: int = 0
    bytes_downloaded: int = 0
    seconds: float = 0.0
    failures: dict[str, str] = field(default_factory=dict)
    #: A failure was the server lost (no answer within the retry policy), not a refusal.
    server_lost: bool = False
    #: The project was refused before anything was written (:class:`FolderInUse`).
    refused: bool = False

    @property
    def ok(self) -> bool:
        return not self.failures


class ExportInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`download_projects`: ``reports`` holds what was written before it, the
    interrupted project's last (its counts include the media that were running and finished), so the
    command can say what is on disk. A re-run resumes: written media are kept once checked."""

    def __init__(self, reports: list[DownloadReport]):
        super().__init__("interrupted")
        self.reports = reports


def safe_folder_name(name: str) -> str:
    """A file or folder name for a server name: path separators and control characters replaced."""
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name).strip(" .")
    return cleaned or "project"


def media_stems(media: list[RemoteMedia]) -> dict[str, str]:
    """File stem per media id: the media name, or ``name__id`` for every media sharing a name
    (compared case-insensitively, as on Windows and macOS file systems).

    An image named like a frame annotation of a video (``clip_frame_3`` beside a video ``clip``)
    also gets ``name__id``, so its annotation file cannot collide with that frame's.
    Stable across runs (it depends only on names and ids), so re-runs find their own files.
    """
    counts = Counter(safe_folder_name(m.name).casefold() for m in media)
    videos = {safe_folder_name(m.name).casefold() for m in media if m.kind == "video"}
    stems = {}
    for m in media:
        stem = safe_folder_name(m.name)
        clash = m.kind == "image" and _frame_file_of(stem.casefold(), videos)
        stems[m.id] = stem if counts[stem.casefold()] == 1 and not clash else f"{stem}__{m.id}"
    return stems


def _frame_file_of(stem: str, videos: set[str]) -> bool:
    """True when ``stem`` reads as ``<video>_frame_<n>`` for one of the ``videos``."""
    head, sep, frame = stem.rpartition("_frame_")
    return bool(sep) and frame.isdigit() and head in videos


def _remove_partials(folder: Path) -> None:
    for part in folder.rglob("*.part"):
        part.unlink(missing_ok=True)


def download_project(
    api: ServerAPI,
    project: RemoteProject,
    folder: Path,
    workers: int = 4,
    on_progress: Callable[[str], object] | None = None,
    on_total: Callable[[int], object] | None = None,
) -> DownloadReport:
    """Write ``project`` into ``folder`` (created if needed) and return what was done.

    ``on_total`` is called once with the number of media; ``on_progress`` with ``"media"`` after
    each media item is handled (downloaded or kept), so a caller can drive a progress bar. Media
    that fail are listed in the report and no manifest is written, so the folder cannot be
    mistaken for a complete backup; a re-run resumes. A folder holding another project's backup
    or other files is refused with :class:`FolderInUse` before anything is written or deleted.
    """
    started = time.monotonic()
    check_target_folder(folder, project)
    folder.mkdir(parents=True, exist_ok=True)
    _remove_partials(folder)
    journal = Journal(folder)
    journal.seed(previous_media_entries(folder))  # a finished earlier run: keep its media
    # A finished earlier run's manifest stays until the new one replaces it (one atomic rename at
    # the end): a re-run that is killed leaves that backup restorable, never a folder without one.
    report = DownloadReport(project.name, folder)
    dataset_name = (project.raw.get("datasets") or [{}])[0].get("name") or project.name
    dataset_dir = safe_folder_name(dataset_name)

    # labels by name, not id, and scene labels with their names: geti-sdk restores the folder too (portable.py)
    write_json_atomically(folder / "project.json", portable_project(project.raw))
    labels = label_index(project.raw)
    # settings.json: the neutral model, which restores and --verify use, whatever the dialect of
    # the server it came from or goes to (and whichever configuration API it has: Geti 2.12+ may
    # have no legacy GET /configuration). configuration.json: the server's own body, kept unread
    # for older tools (the 2022 client restores it); where the dialect has none, a stale one of an
    # earlier run is removed.
    write_json_atomically(folder / "settings.json", api.get_settings(project).to_json())
    native = api.native_configuration(project)
    if native is None:
        (folder / "configuration.json").unlink(missing_ok=True)
    else:
        write_json_atomically(folder / "configuration.json", native)

    media = list(api.list_media(project, "image")) + list(api.list_media(project, "video"))
    if on_total:
        on_total(len(media))
    journal.record_listing([m.id for m in media])
    stems = media_stems(media)
    media_info: dict[str, dict] = {}
    media_files: dict[str, dict] = {}
    annotation_files: set[str] = set()

    def handle(m: RemoteMedia) -> tuple[dict, list[str], bool]:
        entry, kept = _fetch_media(api, project, m, folder, f"{MEDIA_DIRS[m.kind]}/{dataset_dir}", stems[m.id],
                                   journal)
        # an item an interrupted run finished (media and annotations written and checked) is kept
        written = journal.finished_annotations(m.id, entry["path"], folder) if kept else None
        if written is None:
            written = _fetch_annotations(api, project, m, folder, Path(entry["path"]).stem, labels)
            journal.record_done(m.id, entry["path"], {
                relative: {"size": (folder / relative).stat().st_size, "sha256": sha256_file(folder / relative)}
                for relative in written})
        return entry, written, kept

    def collect(future: Future) -> None:
        m = futures[future]
        try:
            entry, written, kept = future.result()
        except (ServerError, OSError, ValueError) as exc:
            report.failures[m.name if m.name not in report.failures else f"{m.name} ({m.id})"] = str(exc)
            report.server_lost |= isinstance(exc, ConnectionLost)
            return
        media_info[entry["path"]] = {
            "id": m.id, "name": m.name, "kind": m.kind, "width": m.width, "height": m.height,
            "frame_count": m.frame_count, "fps": m.fps,
        }
        media_files[entry["path"]] = {"size": entry["size"], "sha256": entry["sha256"]}
        annotation_files.update(written)
        if kept:
            report.media_kept += 1
        else:
            report.media_downloaded += 1
            report.bytes_downloaded += entry["size"]

    collected: set[Future] = set()
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {pool.submit(handle, m): m for m in media}
        try:
            for future in as_completed(futures):
                collected.add(future)
                collect(future)
                if on_progress:
                    on_progress("media")
        except BaseException as exc:  # Ctrl-C: start no queued media; the running ones finish (the journal keeps them)
            pool.shutdown(wait=True, cancel_futures=True)
            if isinstance(exc, KeyboardInterrupt):  # count what is on disk now, the finished running ones too
                for future in futures:
                    if future not in collected and future.done() and not future.cancelled():
                        collect(future)
                report.annotation_files = len(annotation_files)
                report.seconds = time.monotonic() - started
                raise ExportInterrupted([report]) from None
            raise

    report.annotation_files = len(annotation_files)
    if report.ok:
        _remove_stale(folder, set(media_info) | annotation_files)
        session = getattr(api, "session", None)
        write_manifest(folder, dialect=api.dialect, source_host=getattr(session, "host", ""),
                       project_name=project.name, files=media_files,
                       hashed_files=["project.json", "settings.json",
                                     *(["configuration.json"] if native is not None else []),
                                     *sorted(annotation_files)],
                       media=media_info)
        journal.remove()
    report.seconds = time.monotonic() - started
    return report


def _fetch_media(
    api: ServerAPI, project: RemoteProject, m: RemoteMedia, folder: Path, subdir: str, stem: str,
    journal: Journal,
) -> tuple[dict, bool]:
    """Download one media file unless the journal proves it is already here; (journal entry, kept)."""
    target_dir = folder / subdir
    entry = journal.finished(m.id, folder)
    if entry is not None:
        current = Path(entry["path"])
        wanted = f"{subdir}/{stem}{current.suffix}"
        if entry["path"] == wanted:
            return entry, True
        # its name changed (e.g. another media of the same name appeared): move, don't download
        target_dir.mkdir(parents=True, exist_ok=True)
        os.replace(folder / current, folder / wanted)
        return journal.record(m.id, wanted, entry["size"], entry["sha256"]), True
    target_dir.mkdir(parents=True, exist_ok=True)
    tmp = new_part_file(target_dir, stem)
    sink = HashingSink()
    try:
        api.download_media(project, m, tmp, on_chunk=sink)
        final = target_dir / f"{stem}{sniff_extension(tmp, m.kind)}"
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return journal.record(m.id, final.relative_to(folder).as_posix(), sink.size, sink.hexdigest()), False


def _fetch_annotations(
    api: ServerAPI, project: RemoteProject, m: RemoteMedia, folder: Path, stem: str, labels: dict[str, dict]
) -> list[str]:
    """Write the media's latest annotation(s), each label named (``labels``: id -> label); returns the
    relative paths written."""
    written = []
    if m.kind == "image":
        scene = api.get_annotation_scene(project, m)
        scenes = [(f"annotations/{stem}.json", scene)] if scene else []
    else:
        scenes = [
            (f"annotations/{stem}_frame_{s['media_identifier']['frame_index']}.json", s)
            for s in api.get_video_annotations(project, m)
        ]
    for relative, scene in scenes:
        write_json_atomically(folder / relative, named_scene(scene, labels))
        written.append(relative)
    return written


def _remove_stale(folder: Path, keep: set[str]) -> None:
    """Files from an earlier run into this folder whose media or annotation is gone from the
    server: left in place they would be restored as if they were part of the project."""
    for sub in ("images", "videos", "annotations"):
        for path in (folder / sub).rglob("*"):
            if path.is_file() and path.relative_to(folder).as_posix() not in keep:
                path.unlink()


class ProjectNotFound(Exception):
    """No project of that name on the server; the message lists the ones there are."""


def project_folders(projects: list[RemoteProject]) -> dict[str, str]:
    """Folder name per project id: the safe project name, or ``name__id`` when two projects would
    share a folder (names differing only in characters a file name cannot hold, or in case)."""
    counts = Counter(safe_folder_name(p.name).casefold() for p in projects)
    return {p.id: safe_folder_name(p.name) if counts[safe_folder_name(p.name).casefold()] == 1
            else f"{safe_folder_name(p.name)}__{p.id}" for p in projects}


def download_projects(
    api: ServerAPI,
    names: list[str] | None,
    target_folder: Path,
    workers: int = 4,
    show_progress: bool = True,
) -> list[DownloadReport]:
    """Download the named projects (``None``: every project) into ``target_folder/<name>``.

    Unknown names are refused before anything is downloaded. A project that cannot be read is
    reported as failed and the others are still downloaded.
    """
    from tqdm import tqdm

    projects = api.list_projects()
    folders = project_folders(projects)
    if names is not None:
        by_name = {p.name: p for p in projects}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise ProjectNotFound(
                f"no project named {', '.join(map(repr, missing))} on the server; "
                f"projects there: {', '.join(map(repr, sorted(by_name))) or '(none)'}"
            )
        projects = [by_name[n] for n in dict.fromkeys(names)]
    reports: list[DownloadReport] = []
    for listed in projects:
        folder = target_folder / folders[listed.id]
        with tqdm(desc=listed.name, unit="media", disable=not show_progress, leave=True) as bar:

            def show_total(total: int) -> None:
                bar.total = total
                bar.refresh()

            try:  # Ctrl-C: ExportInterrupted with the reports of the projects done and the one interrupted
                project = api.get_project(listed.id)  # the full GET answer goes into project.json
                report = download_project(
                    api, project, folder, workers,
                    on_progress=lambda _kind: bar.update(1),
                    on_total=show_total,
                )
            except OSError as exc:  # the folder, project.json, settings.json or the journal
                where = exc.filename or folder
                report = DownloadReport(listed.name, folder, failures={
                    "project": f"cannot write the backup into {folder}: {where}: {exc.strerror or exc}"})
            except (ServerError, ValueError) as exc:
                report = DownloadReport(listed.name, folder, failures={"project": str(exc)},
                                        server_lost=isinstance(exc, ConnectionLost),
                                        refused=isinstance(exc, FolderInUse))
            except ExportInterrupted as exc:
                raise ExportInterrupted(reports + exc.reports) from None
            except KeyboardInterrupt:  # before its media (reading the project, writing project.json)
                raise ExportInterrupted([*reports, DownloadReport(listed.name, folder)]) from None
        reports.append(report)
    return reports
