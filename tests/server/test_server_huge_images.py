"""Huge images over real HTTP, in both the SC 1.0 and the Geti 2.x dialect: a decompression bomb
(a single-colour 30000x30000 PNG, a few hundred KB on disk) and an image with a side over 20000
pixels get a 4xx naming the file, and leave no temporary upload behind; thumbnails of large JPEGs
are decoded at a reduced scale."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from sc_importers.server.storage import incoming_dir, jpeg_thumbnail


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def blank_png(width: int, height: int) -> bytes:
    """A black 1-bit greyscale PNG of any size, compressed row by row (never held whole in memory)."""
    row = b"\x00" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def bomb() -> bytes:
    data = blank_png(30000, 30000)
    assert len(data) < 2_000_000
    return data


def _no_temp_left(data_dir: Path) -> None:
    folder = incoming_dir(data_dir)
    assert not folder.exists() or not any(folder.iterdir()), list(folder.iterdir())


def _sizes() -> list[tuple[str, int, int]]:
    return [("bomb.png", 30000, 30000), ("wide.png", 20001, 40)]


@pytest.mark.parametrize(("filename", "width", "height"), _sizes())
def test_sc_dialect_refuses_huge_images(sc_server, api, bomb, filename, width, height) -> None:
    project = api.create_project("detection")
    data = bomb if width == 30000 else blank_png(width, height)
    answer = api.upload(project, data, filename=filename)
    assert 400 <= answer.status_code < 500, answer.text
    assert filename in answer.json()["message"]
    _no_temp_left(sc_server.data_dir)
    assert api.list_media(project)["media"] == []


@pytest.mark.parametrize(("filename", "width", "height"), _sizes())
def test_geti_dialect_refuses_huge_images(sc_server, geti, bomb, filename, width, height) -> None:
    project = geti.create_project("detection")
    data = bomb if width == 30000 else blank_png(width, height)
    answer = geti.upload(project, data, filename=filename)
    assert 400 <= answer.status_code < 500, answer.text
    message = answer.json()["message"]
    assert filename in message and ("dimensions" in message or "decompression bomb" in message), message
    _no_temp_left(sc_server.data_dir)


def test_jpeg_thumbnail_decodes_a_reduced_scale() -> None:
    out = io.BytesIO()
    Image.new("RGB", (4096, 3072), "blue").save(out, "JPEG")
    image = Image.open(io.BytesIO(out.getvalue()))
    thumb = Image.open(io.BytesIO(jpeg_thumbnail(image)))
    assert max(thumb.size) == 256
    assert max(image.size) <= 1024  # decoded through draft(), never at full 4096x3072
