"""An ``sc-export`` killed part-way (SIGKILL) leaves no file that looks complete, and a re-run
finishes the backup without downloading again what was already finished."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from sc_importers.export.files import JOURNAL_NAME

IMAGES = 150

#: Every test here runs against the SC 1.0 and the Geti 2.x dialect of the local server.
pytestmark = pytest.mark.both_dialects


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_download_resumes(export_api, exporter, kit, tmp_path, unique):
    uploaded = kit.upload(export_api, f"resume-{unique}", "detection", ["car", "person"],
                          kit.box_items(tmp_path / "src", IMAGES, size=(640, 480)))
    target = tmp_path / "b"
    folder = target / uploaded.name
    process = exporter.popen(uploaded.name, "--target-folder", str(target), "--workers", "1")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if len(_media_files(folder)) >= 10:
                break
            time.sleep(0.005)
        assert process.poll() is None, "sc-export finished before it could be killed"
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL

    # nothing looks complete that is not: no manifest; every media file is exactly the server's
    assert not (folder / "manifest.json").exists()
    by_name = {p.name: p for p in uploaded.sources.values()}
    finished = _media_files(folder)
    assert 10 <= len(finished) < IMAGES
    for path in finished:
        assert path.read_bytes() == by_name[path.name].read_bytes(), path
    journaled = [entry for line in (folder / JOURNAL_NAME).read_text().splitlines()
                 if line.endswith("}") and "media_id" in (entry := json.loads(line))]
    assert journaled, "the journal records the media finished before the kill"
    before = {e["path"]: _identity(folder / e["path"]) for e in journaled}

    result = exporter.run(uploaded.name, "--target-folder", str(target), "--json", "--workers", "4")
    assert result.exit_code == 0, result.output
    (summary,) = json.loads(result.output)
    assert summary["complete"] is True
    assert summary["media_kept"] == len(before)
    assert summary["media_downloaded"] == IMAGES - len(before)
    # the files finished before the kill are the very same files (same inode, same mtime)
    assert {rel: _identity(folder / rel) for rel in before} == before

    manifest = kit.read_manifest(folder)
    assert len(manifest["media"]) == IMAGES
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(manifest["files"]) == files, "no .part file or journal is left behind"
    for relative in manifest["media"]:
        path = folder / relative
        assert path.read_bytes() == by_name[path.name].read_bytes()
        assert manifest["files"][relative]["size"] == path.stat().st_size
    verified = exporter.run("--verify", str(folder), uploaded.name)
    assert verified.exit_code == 0, verified.output


def _media_files(folder: Path) -> list[Path]:
    images = folder / "images"
    if not images.exists():
        return []
    return [p for p in images.rglob("*.jpg") if p.is_file()]


def _identity(path: Path) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_ino, stat.st_mtime_ns
