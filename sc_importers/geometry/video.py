"""One video probe: frame size, frame count and frame rate of a video file (PyAV).

The rule for counting frames, the same everywhere in the client: **a video has as many frames as
its first video stream has non-empty packets.** The packets are demuxed, not decoded, so this reads
the file once but costs no decoding; it is exact for the codecs servers accept (one coded frame per
packet) and is the rule the embedded server counts by. Headers are not trusted for the count:
WebM/Matroska store none, and an MP4's ``nb_frames`` or a duration x fps estimate can be off by
one or more (edit lists, variable frame rate). Callers that need only the size pass
``count_frames=False`` and get ``frame_count`` None, without reading past the header.

PyAV is imported when a video is probed, not when this module is imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class VideoProbeError(ValueError):
    """The file cannot be read as a video; the message says why (``no video stream``, ``InvalidDataError:
    ...``), the caller says which file."""


@dataclass(frozen=True)
class VideoInfo:
    """What a reader needs of a video: pixel size, frame count (None when not counted) and frames per
    second (None when the container does not say)."""

    width: int
    height: int
    frame_count: int | None
    fps: float | None


def probe_video(path: Path | str, count_frames: bool = True) -> VideoInfo:
    """Size, frame count (see the module's rule) and fps of the first video stream of ``path``.

    Raises :class:`VideoProbeError` when the file cannot be opened, has no video stream or declares
    no frame size."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoProbeError("no video stream")
            stream = container.streams.video[0]
            width, height = int(stream.width or 0), int(stream.height or 0)
            rate = stream.average_rate or stream.guessed_rate
            fps = float(rate) if rate else None
            frames = sum(1 for packet in container.demux(stream) if packet.size > 0) if count_frames else None
    except VideoProbeError:
        raise
    except Exception as exc:  # noqa: BLE001 - PyAV raises its own error types (av.error.*), OSError, ...
        raise VideoProbeError(f"{type(exc).__name__}: {exc}") from exc
    if width <= 0 or height <= 0:
        raise VideoProbeError("the video stream declares no frame size")
    return VideoInfo(width, height, frames, fps)
