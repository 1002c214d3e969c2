"""The ``backup`` reader: a project folder written by ``sc-export``, geti-sdk or the 2022 client.

The folder layout is the contract in ``docs/backup-format.md``. The reader yields the project's own
type and labels (from ``project.json``), every image and video with its annotations converted to
pixels (from SC 1.0's normalized coordinates, or kept from Geti's pixel ones: the manifest's dialect
says which, or, without a manifest, the coordinates themselves as geti-sdk judges them), the raw
project and the settings in the neutral form, and it refuses a folder whose manifest does not match
the files on disk before returning anything. Labels without ids (geti-sdk, the 2022 client) are
matched by name.

Item-level problems (an unreadable media file, a malformed scene, an unknown label id, a frame
index past the end of the video) are errors naming the annotation file and the item; such items
are left out of ``Dataset.items`` so that half of an item's annotations is never uploaded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sc_importers.export.files import JOURNAL_NAME
from sc_importers.extras import require_for_videos
from sc_importers.formats import Detection, FormatError, FormatReader
from sc_importers.geometry.image_header import ImageHeaderError, image_size
from sc_importers.geometry.video import VideoProbeError, probe_video
from sc_importers.model import Dataset, MediaItem, Problem
from sc_importers_backup.integrity import MANIFEST_FILE, inside, load_manifest, verify_manifest
from sc_importers_backup.media import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS
from sc_importers_backup.project import (
    PROJECT_FILE,
    check_project,
    label_names_by_id,
    labels_of,
    project_type_of,
    trainable_tasks,
)
from sc_importers_backup.unfinished import unfinished_export

_FRAME_FILE = re.compile(r"^(?P<stem>.+)_frame_(?P<index>\d+)\.json$")


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{path}: not valid JSON: {exc}") from exc


def _settings(root: Path, project: dict, manifest: dict | None) -> dict | None:
    """The backup's settings in the neutral form (:meth:`ProjectSettings.to_json`), from
    ``settings.json`` or ``configuration.json`` (see :func:`load_backup_settings`)."""
    from sc_importers.rest.saved_settings import load_backup_settings

    types = {str(t.get("title")): str(t.get("task_type")) for t in trainable_tasks(project)}
    try:
        settings = load_backup_settings(root, (manifest or {}).get("dialect"), types)
    except ValueError as exc:
        raise FormatError(f"not a backup I can read: {exc}") from None
    return None if settings is None else settings.to_json()


def list_backup_folders(root: Path) -> list[Path]:
    """Backup folders at or under ``root``: folders holding a ``project.json`` (not searched inside).

    ``sc-import DIR --format backup --all`` restores each of them.
    """
    root = Path(root)
    if (root / PROJECT_FILE).is_file():
        return [root]
    found: list[Path] = []
    if root.is_dir():
        for child in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            found.extend(list_backup_folders(child))
    return found


def _media_files(root: Path, folder: str, extensions: set[str]) -> list[Path]:
    """Files directly under ``<folder>/`` (geti-sdk) and under ``<folder>/<dataset name>/``."""
    base = root / folder
    if not base.is_dir():
        return []
    files = [p for p in base.iterdir() if p.is_file()]
    for sub in sorted(p for p in base.iterdir() if p.is_dir()):
        files.extend(p for p in sub.iterdir() if p.is_file())
    files = [p for p in files if not p.name.startswith(".")]
    for path in files:
        if not inside(root, path):
            raise FormatError(f"{path}: a link pointing outside the backup folder {root}")
    return sorted(p for p in files if p.suffix.lower() in extensions)


class BackupReader(FormatReader):
    """Reads one project backup folder (``project.json``, ``images/``, ``videos/``, ``annotations/``)."""

    name = "backup"
    description = "Project backup folder written by sc-export or geti-sdk (project.json + media + annotations)"
    options: dict[str, str] = {}
    flags = {"allow_partial": "Restore a backup folder whose sc-export was interrupted (no manifest.json, its "
                              "journal there): only the items that export finished; the rest is counted as "
                              "left out. Without it such a folder is refused."}

    def detect(self, path: Path) -> Detection:
        """``project.json`` with a ``pipeline`` plus ``images/`` or ``annotations/``: high confidence."""
        path = Path(path)
        project_file = path / PROJECT_FILE
        if not path.is_dir() or not project_file.is_file():
            return Detection(0.0, ["no project.json"])
        from sc_importers.rest.saved_scenes import saved_project

        try:
            project = saved_project(json.loads(project_file.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return Detection(0.1, ["project.json is not valid JSON"])
        if not isinstance(project, dict) or "pipeline" not in project:
            return Detection(0.1, ["project.json has no 'pipeline'"])
        has_data = [d for d in ("images", "videos", "annotations") if (path / d).is_dir()]
        if not has_data:
            return Detection(0.5, ["project.json with a pipeline, but no images/, videos/ or annotations/"])
        return Detection(0.95, [f"project.json with a pipeline and {', '.join(d + '/' for d in has_data)}"])

    def list_datasets(self, root: Path) -> list[Path]:
        """Every backup folder at or under ``root`` (see :func:`list_backup_folders`). The core calls
        this optional reader method for ``sc-import DIR --all`` and ``upload_all_projects``, so it
        reaches the plugin through its entry point, never by importing it."""
        return list_backup_folders(root)

    def read(self, path: Path, **options: str) -> Dataset:
        """Verify the manifest, then read project, configuration, media and annotations."""
        root = Path(path)
        if not (root / PROJECT_FILE).is_file():
            raise FormatError(f"{root}: no {PROJECT_FILE}; not a project backup folder")
        # imported here, not at the top: the rest package loads requests, which listing the readers
        # (sc-import --help) should not
        from sc_importers.rest.saved_scenes import saved_project

        manifest = load_manifest(root)
        problems, leave_out, only = _check_complete(root, manifest, options.get("allow_partial") == "yes")
        project = saved_project(_load_json(root / PROJECT_FILE))
        check_project(project, str(root / PROJECT_FILE))
        configuration = _settings(root, project, manifest)
        dataset = Dataset(
            name=str(project.get("name") or root.resolve().name), format=self.name, root=root,
            labels=labels_of(project), problems=problems, project_type=project_type_of(project),
            project=project, configuration=configuration,
        )
        _Items(root, dataset, label_names_by_id(project), manifest, leave_out, only).read()
        return dataset


def _check_complete(root: Path, manifest: dict | None, allow_partial: bool
                    ) -> tuple[list[Problem], set[str], set[str] | None]:
    """Is the folder a whole backup? Returns the problems to report, the files to leave out (an
    interrupted re-run's additions) and, for a partial restore, the only media files to read.

    With a manifest every listed file is checked (:func:`verify_manifest`). Without one, a journal
    means an interrupted first export: refused with the count of what is missing unless
    ``allow_partial``; no journal either is a folder of another tool (geti-sdk, the 2022 client).
    """
    unfinished = unfinished_export(root)
    if manifest is not None:
        rerun = frozenset(unfinished.named - set(manifest["files"])) if unfinished else frozenset()
        hint = (f"; an sc export re-run into this folder was interrupted ({JOURNAL_NAME} is its journal): "
                "re-run sc export to finish it") if unfinished else ""
        return verify_manifest(root, manifest, rerun, hint), set(rerun), None
    if unfinished is None:
        return [Problem("warning", "no manifest.json: file sizes and hashes are not verified (a folder written "
                        "by geti-sdk or by the 2022 sc-api-tools client?)", file=MANIFEST_FILE)], set(), None
    message = unfinished.describe(root)
    if not allow_partial:
        raise FormatError(f"{message}. Re-run sc export to finish it, or restore only the complete items with "
                          "--allow-partial.")
    return ([Problem("warning", f"{message}; --allow-partial: restoring only the complete items", file=JOURNAL_NAME)],
            set(), set(unfinished.done))


class _Items:
    """Reads the media items of one backup into ``dataset`` (one pass over the folders)."""

    def __init__(self, root: Path, dataset: Dataset, names: dict[str, str], manifest: dict | None,
                 leave_out: set[str] | None = None, only: set[str] | None = None) -> None:
        self.root, self.dataset, self.names = root, dataset, names
        self.leave_out, self.only = leave_out or set(), only
        self.media_meta = (manifest or {}).get("media") or {}
        annotations = self.root / "annotations"
        self.scene_files = sorted(annotations.glob("*.json")) if annotations.is_dir() else []
        self.used: set[Path] = set()
        from sc_importers.rest.saved_scenes import looks_normalized, normalized_for_dialect

        try:
            normalized = normalized_for_dialect((manifest or {}).get("dialect"))
        except ValueError as exc:
            raise FormatError(f"not a backup I can read: {root / MANIFEST_FILE}: 'dialect': {exc}") from None
        self.normalized = normalized if normalized is not None else looks_normalized(self._sample())

    def _sample(self) -> Iterator[Any]:
        """The scenes geti-sdk would judge the coordinates by (unreadable ones are skipped here and
        reported when their item is read)."""
        for path in self.scene_files:
            try:
                yield json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError):
                continue

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def _error(self, message: str, file: Path, key: str) -> None:
        self.dataset.problems.append(Problem("error", message, file=self._rel(file), item=key))

    def _kept(self, files: list[Path]) -> list[Path]:
        """``files`` without those left out (an interrupted re-run's, or unfinished ones of a
        partial restore); the annotation files of those left out are not read either."""
        kept, dropped = [], []
        for path in files:
            relative = self._rel(path)
            if relative in self.leave_out or (self.only is not None and relative not in self.only):
                dropped.append(path)
            else:
                kept.append(path)
        stems = {p.stem for p in dropped}
        for scene in self.scene_files:
            match = _FRAME_FILE.match(scene.name)
            if scene.stem in stems or (match and match["stem"] in stems) or self._rel(scene) in self.leave_out:
                self.used.add(scene)
        if dropped and self.only is not None:
            self.dataset.problems.append(Problem(
                "warning", f"{len(dropped)} media file(s) the interrupted sc export had not finished are left out "
                "(--allow-partial)", file=JOURNAL_NAME))
        return kept

    def read(self) -> None:
        images = _media_files(self.root, "images", IMAGE_EXTENSIONS)
        videos = _media_files(self.root, "videos", VIDEO_EXTENSIONS)
        kept = set(self._kept(images + videos))
        images, videos = [p for p in images if p in kept], [p for p in videos if p in kept]
        require_for_videos(videos, self.root)
        stems: dict[str, list[str]] = {}
        for path in images + videos:
            stems.setdefault(path.stem, []).append(self._rel(path))
        for stem, keys in stems.items():
            if len(keys) > 1:
                for key in keys:
                    self.dataset.problems.append(Problem(
                        "error", f"several media files share the stem {stem!r} ({', '.join(keys)}), so "
                        f"annotations/{stem}.json cannot be told apart", file=key, item=key))
        for path in images:
            if len(stems[path.stem]) == 1:
                self._image(path)
        frames_by_stem = self._frame_files()
        for path in videos:
            if len(stems[path.stem]) == 1:
                self._video(path, frames_by_stem.get(path.stem, {}))
        for scene in self.scene_files:
            if scene not in self.used:
                self.dataset.problems.append(Problem(
                    "warning", "annotation file for no media file in images/ or videos/; ignored",
                    file=self._rel(scene)))

    def _frame_files(self) -> dict[str, dict[int, Path]]:
        out: dict[str, dict[int, Path]] = {}
        for path in self.scene_files:
            match = _FRAME_FILE.match(path.name)
            if match:
                out.setdefault(match["stem"], {})[int(match["index"])] = path
        return out

    def _scene(self, path: Path, width: int, height: int, key: str) -> list | None:
        self.used.add(path)
        from sc_importers.rest.saved_scenes import SceneError, scene_annotations

        try:
            body = json.loads(path.read_text(encoding="utf-8"))
            return scene_annotations(body, width, height, self.names, self.normalized)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, SceneError) as exc:
            self._error(str(exc), path, key)
            return None

    def _image(self, path: Path) -> None:
        key = self._rel(path)
        try:
            width, height = image_size(path)
        except ImageHeaderError as exc:
            self._error(f"cannot read the image header: {exc}", path, key)
            return
        item = MediaItem(path=path, key=key, kind="image", width=width, height=height)
        scene = self.root / "annotations" / f"{path.stem}.json"
        if scene.is_file():
            annotations = self._scene(scene, width, height, key)
            if annotations is None:
                return
            item.annotations = annotations
        self.dataset.add_items(item)

    def _video(self, path: Path, frame_files: dict[int, Path]) -> None:
        key = self._rel(path)
        try:
            info = probe_video(path)
        except VideoProbeError as exc:
            self._error(f"cannot read the video: {exc}", path, key)
            return
        frame_count = info.frame_count or (self.media_meta.get(key) or {}).get("frame_count")
        item = MediaItem(path=path, key=key, kind="video", width=info.width, height=info.height)
        ok = True
        for index, scene in sorted(frame_files.items()):
            if isinstance(frame_count, int) and index >= frame_count:
                self.used.add(scene)
                self._error(f"frame {index} is past the end of the video ({frame_count} frames)", scene, key)
                ok = False
                continue
            annotations = self._scene(scene, info.width, info.height, key)
            if annotations is None:
                ok = False
            elif annotations:
                item.frames[index] = annotations
        if ok:
            self.dataset.add_items(item)
