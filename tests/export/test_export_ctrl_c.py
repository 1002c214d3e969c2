"""Ctrl-C during ``sc export`` (a real SIGINT to a real subprocess, real local server) stops the backup
promptly: no new media is started, so the folder stays unfinished (no manifest) and a re-run finishes it.
It used to go on downloading every queued media before it said "Interrupted"."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sc_importers.synthetic import make_coco_dataset

IMAGES = 200
SC = [sys.executable, "-c", "from sc_importers.cli.sc import main; main()"]


def _images(folder: Path) -> int:
    return sum(1 for p in folder.rglob("images/**/*.jpg"))


@pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="needs SIGINT")
def test_ctrl_c_stops_an_export_without_fetching_the_rest(fresh_sc_server, tmp_path: Path):
    make_coco_dataset(tmp_path / "many", IMAGES, ["dog", "cat"], seed=5, image_size=(640, 480))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SC_")}
    env.update(SC_HOST=fresh_sc_server.url, SC_USERNAME=fresh_sc_server.username,
               SC_PASSWORD=fresh_sc_server.password, SC_CONFIG=os.devnull)
    imported = subprocess.run([*SC, "import", str(tmp_path / "many"), "--format", "coco", "--type", "detection",
                               "--project-name", "Many"], env=env, capture_output=True, text=True, timeout=300)
    assert imported.returncode == 0, imported.stdout + imported.stderr

    target = tmp_path / "backups"
    process = subprocess.Popen([*SC, "export", "Many", "--target-folder", str(target), "--workers", "1"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while _images(target) < 3 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert process.poll() is None, "sc export finished before it could be interrupted"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, out + err
    assert "Traceback" not in err, err
    written = _images(target)
    assert written < IMAGES / 2, f"{written} of {IMAGES} media were still downloaded after Ctrl-C"
    # it says what is on disk (the media that were running when Ctrl-C came included) and that a re-run resumes
    assert f"{written} media written so far" in err and "Re-run the same command to resume" in err, err
    assert not (target / "Many" / "manifest.json").exists()

    rerun = subprocess.run([*SC, "export", "Many", "--target-folder", str(target)], env=env, capture_output=True,
                           text=True, timeout=300)
    assert rerun.returncode == 0 and "complete" in rerun.stdout, rerun.stdout + rerun.stderr
    assert _images(target) == IMAGES


def test_the_interrupted_summary_in_json_has_the_error_shape_and_the_counts(tmp_path: Path, capsys):
    """With --json, Ctrl-C prints {"error", "exit_code": 130, ...} with the projects finished before it and
    the counts of the interrupted one (the same numbers the text says)."""
    import json

    from sc_importers.cli.export_cmd import _interrupted
    from sc_importers.export.download import DownloadReport

    done = DownloadReport("Dogs", tmp_path / "Dogs", media_downloaded=4, annotation_files=4)
    current = DownloadReport("Cats", tmp_path / "Cats", media_downloaded=2, media_kept=3, annotation_files=5)
    assert _interrupted([done, current], json_output=True) == 130
    out, err = capsys.readouterr()
    summary = json.loads(out)
    assert summary["exit_code"] == 130 and summary["interrupted"] is True
    assert "5 media written so far (2 downloaded, 3 kept" in summary["error"] and "5 annotation" in summary["error"]
    assert [(p["project"], p["complete"]) for p in summary["projects"]] == [("Dogs", True), ("Cats", False)]
    assert "Re-run the same command to resume" in err
