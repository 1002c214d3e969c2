"""Datumaro video media -> one neutral video item per video file.

Datumaro gives a video dataset as one item per frame (``VideoFrame`` media: formats
``video_frames``, ``video_keyframes``, ``datumaro`` / ``datumaro_binary`` exports of videos) or as
one item per whole video or video segment (``Video`` media: ``kinetics``). SC 1.0 holds a video
as one media with annotations per frame, so the frames of one video file are grouped into one
video :class:`MediaItem` whose ``frames`` map a frame index to that frame's converted
annotations (frames without annotations are left out). Annotations of a whole ``Video`` (the
action labels of Kinetics) have no SC 1.0 place: the video is imported without them and the
dataset gets one warning with their count.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sc_importers.geometry.video import VideoInfo, VideoProbeError, probe_video
from sc_importers.model import Annotation, MediaItem, Problem
from sc_importers_datumaro.convert import ItemContext, convert_annotations

if TYPE_CHECKING:  # Datumaro ships no types (Any to mypy)
    from datumaro.components.dataset_base import DatasetItem


def video_key(root: Path, video: Path) -> str:
    """The video's path relative to the dataset root (its file name when the dataset *is* the
    video file, as for ``video_frames``)."""
    if root.is_file() or video == root:
        return video.name
    try:
        return video.relative_to(root).as_posix()
    except ValueError:
        return os.path.relpath(video, root).replace(os.sep, "/")


@dataclass
class VideoGroups:
    """The video items made from Datumaro's video items, and what went wrong on the way."""

    items: list[MediaItem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unsupported: Counter = field(default_factory=Counter)
    #: annotations of whole videos / segments (not imported) and the number of videos carrying them
    video_level: int = 0
    video_level_videos: int = 0


def _item_name(it: DatasetItem) -> str:
    subset = getattr(it, "subset", None)
    return f"{subset}/{it.id}" if subset and subset != "default" else str(it.id)


def group_videos(dm_items: list, root: Path, label_names: list[str]) -> VideoGroups:
    """Group Datumaro items with ``VideoFrame`` or ``Video`` media by video file: one video item
    per file, keyed by :func:`video_key`, in the order the files first appear.

    A frame's annotations are converted as an image's would be, clipped to the video's frame
    size. A frame index given twice keeps the first item's annotations (warning); a frame past
    the end of the video is an error that drops that frame's annotations. A missing or
    unreadable video file is one error naming the file, and its items are skipped.
    """
    from datumaro.components.media import Video, VideoFrame

    out = VideoGroups()
    by_path: dict[Path, MediaItem | None] = {}  # None: the file could not be read
    info_of: dict[Path, VideoInfo] = {}
    frame_owner: dict[tuple[Path, int], str] = {}
    video_level_paths: set[Path] = set()
    for it in dm_items:
        name = _item_name(it)
        path = Path(it.media.path)
        if path not in by_path:
            by_path[path] = _new_video(path, root, name, out, info_of)
        video = by_path[path]
        if video is None:
            continue
        if isinstance(it.media, Video) and not isinstance(it.media, VideoFrame):
            if it.annotations:
                out.video_level += len(it.annotations)
                video_level_paths.add(path)
            continue
        index = int(it.media.index)
        ctx = ItemContext(str(path), f"{video.key} frame {index}", label_names, video.width, video.height)
        if (path, index) in frame_owner:
            if it.annotations:
                ctx.problem("warning", f"same frame as item {frame_owner[path, index]}; the annotations "
                                       f"of item {name} are ignored")
                out.problems.extend(ctx.problems)
            continue
        frame_owner[path, index] = name
        count = info_of[path].frame_count
        if count is not None and index >= count:
            if it.annotations:
                ctx.problem("error", f"frame index {index} is past the end of the video ({count} frames); "
                                     f"the annotations of item {name} are skipped")
                out.problems.extend(ctx.problems)
            continue
        anns: list[Annotation] = convert_annotations(list(it.annotations), ctx)
        out.problems.extend(ctx.problems)
        out.unsupported.update(ctx.unsupported)
        if anns:
            video.frames[index] = anns
    out.video_level_videos = len(video_level_paths)
    for item in out.items:
        item.frames = dict(sorted(item.frames.items()))
    return out


def _new_video(path: Path, root: Path, item: str, out: VideoGroups, info_of: dict[Path, VideoInfo]
               ) -> MediaItem | None:
    """The video item of ``path`` (appended to ``out.items``), or None with an error."""
    if not path.is_file():
        out.problems.append(Problem("error", f"video file missing: expected {path}; its items are skipped",
                                    file=str(path), item=item))
        return None
    try:
        info = probe_video(path)
    except VideoProbeError as exc:
        out.problems.append(Problem("error", f"{path}: cannot read the video ({exc}); its items are skipped",
                                    file=str(path), item=item))
        return None
    info_of[path] = info
    video = MediaItem(path=path, key=video_key(root, path), kind="video", width=info.width, height=info.height)
    out.items.append(video)
    return video


def video_level_warning(groups: VideoGroups, root: Path) -> Problem | None:
    """The one warning of a dataset whose whole videos carry annotations (Kinetics' action labels)."""
    if not groups.video_level:
        return None
    return Problem(
        "warning",
        f"{groups.video_level} video-level annotations (labels of whole videos or video segments) on "
        f"{groups.video_level_videos} videos are not imported: SC 1.0 annotates video frames, not whole "
        "videos; the videos are imported without them",
        file=str(root),
    )
