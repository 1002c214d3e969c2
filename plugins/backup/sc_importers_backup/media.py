"""Sizes of backup media: images from the Pillow header, videos from the container (PyAV).

Sizes are needed to turn the scenes' normalized coordinates into pixels; a video's frame count
bounds the frame indices of its frame annotations.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".jfif"}
VIDEO_EXTENSIONS = {".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v"}


@dataclass(frozen=True)
class MediaInfo:
    """Pixel size of a media file; for videos also the frame count (None: container does not say)
    and frames per second."""

    width: int
    height: int
    frame_count: int | None = None
    fps: float | None = None


def image_info(path: Path) -> MediaInfo:
    """Width and height from the image header (nothing is decoded)."""
    from PIL import Image  # imported with the first image, not whenever the readers are listed

    with Image.open(path) as im:
        width, height = im.size
    return MediaInfo(width, height)


def video_info(path: Path) -> MediaInfo:
    """Width, height, frame count and fps of the first video stream, from the container headers."""
    import av  # imported lazily: only backups with videos need it

    with av.open(str(path)) as container:
        if not container.streams.video:
            raise ValueError("the file has no video stream")
        stream = container.streams.video[0]
        width, height = stream.codec_context.width, stream.codec_context.height
        rate = stream.average_rate or stream.guessed_rate
        fps = float(rate) if rate else None
        frames = int(stream.frames or 0)
        if frames <= 0 and fps and container.duration:
            # WebM/MKV headers carry no frame count; the duration (microseconds) gives it
            frames = round(container.duration / 1_000_000 * fps)
    if not width or not height:
        raise ValueError("the video stream has no frame size")
    return MediaInfo(width, height, frames or None, fps)
