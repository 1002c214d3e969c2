"""examples/download_coco.py against a small archive served by a local HTTP server."""

from __future__ import annotations

import hashlib
import http.server
import importlib.util
import io
import threading
import zipfile
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "download_coco.py"


def load_example():
    spec = importlib.util.spec_from_file_location("download_coco_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def mirror(tmp_path):
    """A local HTTP server whose root holds zips/val2017.zip with two files in val2017/."""
    root = tmp_path / "mirror"
    (root / "zips").mkdir(parents=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("val2017/000000000001.jpg", b"\xff\xd8\xff fake jpeg 1")
        zf.writestr("val2017/000000000002.jpg", b"\xff\xd8\xff fake jpeg 2")
    (root / "zips" / "val2017.zip").write_bytes(buf.getvalue())
    handler = lambda *a, **kw: http.server.SimpleHTTPRequestHandler(*a, directory=str(root), **kw)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hashlib.md5(buf.getvalue()).hexdigest()
    server.shutdown()


def test_downloads_checks_and_unpacks(mirror, tmp_path):
    url, md5 = mirror
    module = load_example()
    target = tmp_path / "coco"
    module.fetch_coco(target, url, [("zips/val2017.zip", md5)])
    assert sorted(p.name for p in (target / "val2017").iterdir()) == ["000000000001.jpg", "000000000002.jpg"]
    assert (target / "val2017" / "000000000002.jpg").read_bytes() == b"\xff\xd8\xff fake jpeg 2"
    assert not list(target.glob("*.part"))
    # a second run finds the intact archive and does not download it again
    archive = target / "val2017.zip"
    before = archive.stat().st_mtime_ns
    module.fetch_coco(target, url, [("zips/val2017.zip", md5)])
    assert archive.stat().st_mtime_ns == before


def test_wrong_checksum_is_refused_and_leaves_nothing(mirror, tmp_path, capsys):
    url, _ = mirror
    module = load_example()
    target = tmp_path / "coco"
    with pytest.raises(module.ChecksumError, match="does not match"):
        module.fetch_coco(target, url, [("zips/val2017.zip", "0" * 32)])
    assert not (target / "val2017.zip").exists()
    assert not list(target.glob("*.part"))
    assert not (target / "val2017").exists()


def test_cli_reports_an_unreachable_mirror(tmp_path, capsys):
    module = load_example()
    code = module.main(["--target-folder", str(tmp_path / "c"), "--base-url", "http://127.0.0.1:9"])
    assert code == 1
    assert "error:" in capsys.readouterr().err
