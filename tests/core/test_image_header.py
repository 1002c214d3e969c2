"""The JPEG/PNG header reader (geometry/image_header.header_size) gives Pillow's size or nothing:
on every JPEG and PNG of the shared datasets, on generated variants, and on damaged headers."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from PIL import Image

from sc_importers.geometry.image_header import HEAD_BYTES, header_size, image_size
from sc_importers.media_checks import image_header
from sc_importers.model import MediaItem


def _pillow(data: bytes) -> tuple[str, int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.format, *image.size


def test_every_shared_jpeg_and_png_reads_as_pillow_reads_it(shared) -> None:
    root = shared.datasets(".")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png") and p.is_file())
    assert len(files) > 1000
    read = 0
    for path in files:
        data = path.read_bytes()
        known = header_size(data[:HEAD_BYTES])
        try:
            expected = _pillow(data)
        except Exception:  # noqa: BLE001 - a file Pillow cannot open must not get a size here either
            assert known is None, path
            continue
        assert known in (None, expected), path
        read += known is not None
        assert image_size(path) == expected[1:]
    assert read > 0.95 * len(files)  # nearly all are read here, not by Pillow


@pytest.mark.parametrize("mode, fmt, options", [
    ("RGB", "JPEG", {}), ("L", "JPEG", {}), ("CMYK", "JPEG", {}), ("RGB", "JPEG", {"progressive": True}),
    ("RGB", "JPEG", {"exif": b"Exif\x00\x00" + b"\x00" * 40_000}), ("RGB", "PNG", {}), ("RGBA", "PNG", {}),
    ("L", "PNG", {}), ("1", "PNG", {}), ("P", "PNG", {}), ("I;16", "PNG", {}),
])
def test_generated_variants(mode: str, fmt: str, options: dict) -> None:
    buffer = io.BytesIO()
    Image.new(mode, (37, 21)).save(buffer, fmt, **options)
    assert header_size(buffer.getvalue()[:HEAD_BYTES]) == (fmt, 37, 21)


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48)).save(buffer, "JPEG")
    return buffer.getvalue()


def _sof(data: bytes) -> int:
    return data.index(b"\xff\xc0")


@pytest.mark.parametrize("damage", [
    lambda d: d[:_sof(d) + 5],  # cut inside the frame header
    lambda d: d[:_sof(d) + 5] + b"\x00\x00" + d[_sof(d) + 7:],  # height 0
    lambda d: d[:_sof(d) + 9] + b"\x02" + d[_sof(d) + 10:],  # 2 components: Pillow refuses them
    lambda d: d[:2] + b"\x00" + d[3:],  # no marker after the start of image
    lambda d: d[:4] + b"\x00\x01" + d[6:],  # a segment length below 2
    lambda d: d[:_sof(d)] + d[_sof(d): d.index(b"\xff\xda")] * 2 + d[d.index(b"\xff\xda"):],  # two frames
    lambda d: b"GIF89a" + d[6:],
])
def test_damaged_headers_are_left_to_pillow(damage) -> None:  # type: ignore[no-untyped-def]
    assert header_size(damage(_jpeg())) is None


def test_a_png_with_an_unknown_mode_is_left_to_pillow() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (5, 5)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    data[24:26] = bytes((3, 2))  # bit depth 3: no such PNG
    assert header_size(bytes(data)) is None
    data[16:20] = struct.pack(">I", 0)
    assert header_size(bytes(data)) is None


def test_the_item_check_refuses_what_it_did_before(tmp_path: Path) -> None:
    whole = _jpeg()
    (tmp_path / "ok.jpg").write_bytes(whole)
    (tmp_path / "cut.jpg").write_bytes(whole[:-200])  # no end marker: decoded, and found cut short
    Image.new("L", (30000, 2)).save(tmp_path / "huge.png")  # a side past what servers take
    results = {name: image_header(MediaItem(tmp_path / name, name)) for name in ("ok.jpg", "cut.jpg", "huge.png")}
    assert results["ok.jpg"][1:] == ((64, 48), None)
    assert results["cut.jpg"][2] is not None and results["cut.jpg"][2].kind == "unreadable_image"
    assert results["huge.png"][2] is not None and results["huge.png"][2].kind == "image_too_large"


def test_the_pixel_limit_is_pillows_whether_or_not_pillow_is_imported(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Without Pillow imported the limit is its default (checked against a fresh interpreter's
    Pillow); with it imported, Pillow's setting, which a program may have changed."""
    import subprocess
    import sys

    from PIL import Image

    from sc_importers.geometry.image_header import PILLOW_PIXEL_LIMIT, pixel_limit

    fresh = subprocess.run([sys.executable, "-c", "from PIL import Image; print(Image.MAX_IMAGE_PIXELS)"],
                           capture_output=True, text=True, check=True)
    assert int(fresh.stdout) == PILLOW_PIXEL_LIMIT
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    assert pixel_limit() == 1000
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    assert pixel_limit() == float("inf")
    monkeypatch.delitem(sys.modules, "PIL.Image")
    assert pixel_limit() == PILLOW_PIXEL_LIMIT
    # another thread importing Pillow: the module is there, its setting not yet (a yolo read's threads)
    monkeypatch.setitem(sys.modules, "PIL.Image", type(sys)("PIL.Image"))
    assert pixel_limit() == PILLOW_PIXEL_LIMIT
