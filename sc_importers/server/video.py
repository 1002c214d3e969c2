"""Reading videos with PyAV: frame count, fps, duration and size at upload, and single frames for
``frames/{n}/display/full``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
from PIL import Image


@dataclass
class VideoInfo:
    width: int
    height: int
    fps: float
    frame_count: int
    duration: float


def probe_video(path: Path, filename: str) -> VideoInfo:
    """Facts about a video file; ValueError naming the file when it cannot be decoded.

    Frames are counted from the demuxed packets because containers such as WebM carry no frame
    count; the first frame is decoded to prove the stream is readable."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise ValueError(f"File {filename!r} is not a decodable video: it has no video stream.")
            demuxer = container.format.name
            if demuxer == "image2" or demuxer.endswith("_pipe"):  # a still image, not a video
                raise ValueError(f"File {filename!r} is not a decodable video: it is a still image ({demuxer}).")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            fps = float(rate) if rate else 0.0
            width, height = stream.codec_context.width, stream.codec_context.height
            count = sum(1 for packet in container.demux(stream) if packet.size > 0)
            container.seek(0)
            first = next(container.decode(stream), None)
            container_duration = container.duration
    except av.FFmpegError as exc:
        reason = str(exc).replace(str(path), filename)  # never the server's temporary path
        raise ValueError(f"File {filename!r} is not a decodable video: {reason}") from exc
    if first is None or count == 0 or fps <= 0 or width <= 0 or height <= 0:
        raise ValueError(f"File {filename!r} is not a decodable video: no frames could be read.")
    duration = container_duration / 1_000_000 if container_duration else count / fps
    return VideoInfo(width=width, height=height, fps=fps, frame_count=count, duration=round(duration, 3))


def frame_image(path: Path, index: int, fps: float) -> Image.Image:
    """Frame ``index`` (0-based, in display order) as a Pillow image.

    Seeks to the nearest key frame before the frame's timestamp, then decodes forward."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        start = stream.start_time or 0
        base = stream.time_base
        if index > 0 and base:
            target = start + int(index / fps / base)
            container.seek(target, stream=stream, backward=True, any_frame=False)
        last = None
        for frame in container.decode(stream):
            pts = frame.pts if frame.pts is not None else start
            position = round(float((pts - start) * base) * fps) if base else 0
            last = frame
            if position >= index:
                return frame.to_image()
    if last is None:
        raise ValueError(f"Video {path.name} has no frame {index}.")
    return last.to_image()
