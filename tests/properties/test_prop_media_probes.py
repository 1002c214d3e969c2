"""Properties of the media probes in :mod:`sc_importers.geometry`: on generated files, the video probe's
frame count is the number of frames PyAV decodes (its size and rate those written), and the image
header's size is the size Pillow decodes, for every format the readers meet."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from prop_shapes import PROPERTY

from sc_importers.geometry.image_header import ImageHeaderError, image_size
from sc_importers.geometry.video import VideoProbeError, probe_video

av = pytest.importorskip("av")

#: (container suffix, codec) pairs PyAV can write here; the WebM/Matroska ones store no frame count.
VIDEO_KINDS = [("mp4", "libx264"), ("mp4", "mpeg4"), ("mkv", "libx264"), ("webm", "libvpx-vp9"),
               ("webm", "libvpx"), ("avi", "mpeg4"), ("mov", "mpeg4")]


def _write_video(path: Path, codec: str, frames: int, width: int, height: int, fps: int) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        rng = np.random.default_rng(frames)
        for _ in range(frames):
            pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _decoded_frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


@settings(PROPERTY, max_examples=25)
@given(kind=st.sampled_from(VIDEO_KINDS), frames=st.integers(1, 40), half_width=st.integers(8, 40),
       half_height=st.integers(8, 40), fps=st.sampled_from([1, 5, 24, 25, 30]))
def test_video_frame_count_is_the_number_of_decoded_frames(tmp_path_factory: pytest.TempPathFactory,
                                                           kind: tuple[str, str], frames: int, half_width: int,
                                                           half_height: int, fps: int) -> None:
    suffix, codec = kind
    path = tmp_path_factory.mktemp("video") / f"clip.{suffix}"
    width, height = 2 * half_width, 2 * half_height  # yuv420p wants even sizes
    try:
        _write_video(path, codec, frames, width, height, fps)
    except (av.error.FFmpegError, ValueError) as exc:  # an encoder missing from this FFmpeg build
        pytest.skip(f"cannot write {codec} into .{suffix}: {exc}")
    info = probe_video(path)
    assert info.frame_count == _decoded_frames(path) == frames
    assert (info.width, info.height) == (width, height)
    assert info.fps is not None and Fraction(info.fps).limit_denominator(1000) == fps
    size_only = probe_video(path, count_frames=False)
    assert (size_only.width, size_only.height, size_only.frame_count) == (width, height, None)


def test_a_file_that_is_not_a_video_is_a_probe_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42 but nothing else")
    with pytest.raises(VideoProbeError):
        probe_video(path)
    with pytest.raises(VideoProbeError):
        probe_video(tmp_path / "missing.mp4")


#: Pillow format name -> modes it writes (the first: a mode every such file may have).
IMAGE_FORMATS = {"PNG": ["RGB", "RGBA", "L", "P", "1", "I;16"], "JPEG": ["RGB", "L", "CMYK"],
                 "BMP": ["RGB", "L", "P", "1"], "GIF": ["P", "L"], "WEBP": ["RGB", "RGBA"],
                 "TIFF": ["RGB", "RGBA", "L", "1", "CMYK", "I;16"]}


@st.composite
def encoded_images(draw: st.DrawFn) -> tuple[str, bytes, tuple[int, int]]:
    fmt = draw(st.sampled_from(sorted(IMAGE_FORMATS)))
    mode = draw(st.sampled_from(IMAGE_FORMATS[fmt]))
    size = (draw(st.integers(1, 700)), draw(st.integers(1, 700)))
    seed = draw(st.integers(0, 2**16))
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    image = Image.fromarray(pixels, "RGB").convert(mode) if mode != "I;16" else Image.new(mode, size, seed)
    out = io.BytesIO()
    image.save(out, format=fmt)
    return fmt, out.getvalue(), size


@PROPERTY
@given(encoded_images())
def test_header_size_is_the_decoded_size(tmp_path_factory: pytest.TempPathFactory,
                                         case: tuple[str, bytes, tuple[int, int]]) -> None:
    fmt, data, size = case
    path = tmp_path_factory.mktemp("image") / f"image.{fmt.lower()}"
    path.write_bytes(data)
    with Image.open(path) as image:
        image.load()  # every pixel decoded
        decoded = image.size
        array_height, array_width = np.asarray(image).shape[:2]
    assert image_size(path) == image_size(data) == decoded == (array_width, array_height) == size


def test_an_unreadable_image_is_a_header_error(tmp_path: Path) -> None:
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    for source in (tmp_path / "broken.png", tmp_path / "missing.png", b"not an image"):
        with pytest.raises(ImageHeaderError):
            image_size(source)
