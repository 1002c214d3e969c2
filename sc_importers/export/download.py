"""Download a whole project into a backup folder (format: docs/backup-format.md).

The folder holds what is needed to re-create the project elsewhere: its description, its
configuration, every image and video with original bytes, every annotation (images and video
frames) as the server sent it, and a manifest written last. Downloads are concurrent, every file
is written atomically, and a re-run into the same folder keeps media whose checksum still matches
the journal of the previous run.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sc_importers import __version__
from sc_importers.export.files import (
    JOURNAL_NAME,
    Journal,
    sha256_file,
    sniff_extension,
    write_json_atomically,
)
from sc_importers.rest.base import RemoteMedia, RemoteProject, ServerAPI, ServerError

MANIFEST = "manifest.json"
MEDIA_DIRS = {"image": "images", "video": "videos"}


@dataclass
class DownloadReport:
    """What one project download did; ``failures`` maps a media name to its error."""

    project: str
    folder: Path
    media_downloaded: int = 0
    media_kept: int = 0
    annotation_files: int = 0
    bytes_downloaded: int = 0
    seconds: float = 0.0
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures


def safe_folder_name(name: str) -> str:
    """A folder name for a project name: path separators and control characters replaced."""
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name).strip(" .")
    return cleaned or "project"


def media_stems(media: list[RemoteMedia]) -> dict[str, str]:
    """File stem per media id: the media name, or ``name__id`` for every media sharing a name.

    Stable across runs (it depends only on names and ids), so re-runs find their own files.
    """
    counts = Counter(safe_folder_name(m.name) for m in media)
    return {
        m.id: (stem if counts[stem] == 1 else f"{stem}__{m.id}")
        for m in media
        for stem in [safe_folder_name(m.name)]
    }


def _remove_partials(folder: Path) -> None:
    for part in folder.rglob("*.part"):
        part.unlink(missing_ok=True)


def download_project(
    api: ServerAPI,
    project: RemoteProject,
    folder: Path,
    workers: int = 4,
    on_progress: Callable[[str], None] | None = None,
) -> DownloadReport:
    """Write ``project`` into ``folder`` (created if needed) and return what was done.

    ``on_progress`` is called with ``"media"`` after each media item is handled (downloaded or
    kept), so a caller can drive a progress bar. Media that fail are listed in the report and no
    manifest is written, so the folder cannot be mistaken for a complete backup.
    """
    started = time.monotonic()
    folder.mkdir(parents=True, exist_ok=True)
    _remove_partials(folder)
    (folder / MANIFEST).unlink(missing_ok=True)  # the manifest only ever describes a finished run
    report = DownloadReport(project.name, folder)
    dataset_name = (project.raw.get("datasets") or [{}])[0].get("name") or project.name
    dataset_dir = safe_folder_name(dataset_name)

    write_json_atomically(folder / "project.json", project.raw)
    configuration = {
        "project": api.get_configuration(project),
        "tasks": {t.title: api.get_task_configuration(project, t) for t in project.trainable_tasks},
    }
    write_json_atomically(folder / "configuration.json", configuration)

    media = list(api.list_media(project, "image")) + list(api.list_media(project, "video"))
    stems = media_stems(media)
    journal = Journal(folder)
    media_info: dict[str, dict] = {}
    annotation_files: set[str] = set()

    def handle(m: RemoteMedia) -> tuple[RemoteMedia, str, list[str], bool]:
        relative, kept = _fetch_media(api, project, m, folder, f"{MEDIA_DIRS[m.kind]}/{dataset_dir}",
                                      stems[m.id], journal)
        written = _fetch_annotations(api, project, m, folder, stems[m.id])
        return m, relative, written, kept

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {pool.submit(handle, m): m for m in media}
        for future in as_completed(futures):
            m = futures[future]
            try:
                m, relative, written, kept = future.result()
            except (ServerError, OSError) as exc:
                report.failures[m.name] = str(exc)
            else:
                media_info[relative] = {
                    "id": m.id, "name": m.name, "kind": m.kind, "width": m.width, "height": m.height,
                    "frame_count": m.frame_count, "fps": m.fps,
                }
                annotation_files.update(written)
                if kept:
                    report.media_kept += 1
                else:
                    report.media_downloaded += 1
                    report.bytes_downloaded += journal.entries[m.id]["size"]
            if on_progress:
                on_progress("media")

    report.annotation_files = len(annotation_files)
    if report.ok:
        _remove_stale(folder, set(media_info) | annotation_files)
        _write_manifest(api, project, folder, journal, media_info, annotation_files)
    report.seconds = time.monotonic() - started
    return report


def _fetch_media(
    api: ServerAPI, project: RemoteProject, m: RemoteMedia, folder: Path, subdir: str, stem: str,
    journal: Journal,
) -> tuple[str, bool]:
    """Download one media file unless the journal proves it is already here; (path, kept)."""
    entry = journal.finished(m.id, folder)
    if entry is not None:
        return entry["path"], True
    target_dir = folder / subdir
    target_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{stem}.", suffix=".part", dir=target_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        api.download_media(project, m, tmp)
        final = target_dir / f"{stem}{sniff_extension(tmp, m.kind)}"
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    relative = final.relative_to(folder).as_posix()
    journal.record(m.id, relative, final)
    return relative, False


def _fetch_annotations(
    api: ServerAPI, project: RemoteProject, m: RemoteMedia, folder: Path, stem: str
) -> list[str]:
    """Write the media's latest annotation(s); returns the relative paths written."""
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
        write_json_atomically(folder / relative, scene)
        written.append(relative)
    return written


def _remove_stale(folder: Path, keep: set[str]) -> None:
    """Files from an earlier run into this folder whose media or annotation is gone from the
    server: left in place they would be restored as if they were part of the project."""
    for sub in ("images", "videos", "annotations"):
        for path in (folder / sub).rglob("*"):
            if path.is_file() and path.relative_to(folder).as_posix() not in keep:
                path.unlink()


def _write_manifest(
    api: ServerAPI, project: RemoteProject, folder: Path, journal: Journal,
    media_info: dict[str, dict], annotation_files: set[str],
) -> None:
    files: dict[str, dict] = {}
    for relative in ["project.json", "configuration.json", *sorted(annotation_files)]:
        path = folder / relative
        files[relative] = {"size": path.stat().st_size, "sha256": sha256_file(path)}
    for entry in journal.entries.values():
        if entry["path"] in media_info:
            files[entry["path"]] = {"size": entry["size"], "sha256": entry["sha256"]}
    manifest = {
        "format": "sc-importers-backup",
        "format_version": 1,
        "tool_version": __version__,
        "dialect": api.dialect,
        "source_host": getattr(api, "host", ""),
        "project_name": project.name,
        "created": datetime.now(timezone.utc).isoformat(),
        "files": dict(sorted(files.items())),
        "media": dict(sorted(media_info.items())),
    }
    write_json_atomically(folder / MANIFEST, manifest)


def is_export_bookkeeping(relative: str) -> bool:
    """Files in a backup folder that are not part of the backup itself."""
    return relative in (MANIFEST, JOURNAL_NAME) or relative.endswith(".part")


class ProjectNotFound(Exception):
    """No project of that name on the server; the message lists the ones there are."""


def download_projects(
    api: ServerAPI,
    names: list[str] | None,
    target_folder: Path,
    workers: int = 4,
    show_progress: bool = True,
) -> list[DownloadReport]:
    """Download the named projects (``None``: every project) into ``target_folder/<name>``.

    Unknown names are refused before anything is downloaded.
    """
    from tqdm import tqdm

    projects = api.list_projects()
    if names is not None:
        by_name = {p.name: p for p in projects}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise ProjectNotFound(
                f"no project named {', '.join(map(repr, missing))} on the server; "
                f"projects there: {', '.join(sorted(by_name)) or '(none)'}"
            )
        projects = [by_name[n] for n in names]
    reports = []
    for project in projects:
        with tqdm(desc=project.name, unit="media", disable=not show_progress, leave=True) as bar:
            report = download_project(
                api, project, target_folder / safe_folder_name(project.name), workers,
                on_progress=lambda _kind: bar.update(1),
            )
        reports.append(report)
    return reports
