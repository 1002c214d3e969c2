"""A server slower than the client's read timeout (``SC_READ_TIMEOUT``) on one request: sc-import
stops with its summary (exit 3) and ``--resume`` finishes without a duplicate even though the slow
upload landed late; sc-export prints one line and exits non-zero. Never a traceback."""

from __future__ import annotations

import json
import os
import subprocess

from click.testing import CliRunner

from sc_importers.cli.import_cmd import build_command
from sc_importers.project_types.base import BuildOptions
from sc_importers.uploader import import_dataset

READ_TIMEOUT = "2"  # seconds; the local server answers in milliseconds, even on a loaded machine


def _import(proxy, folder, name: str, *extra: str):
    server = proxy.server
    args = [str(folder), "--format", "coco", "--type", "detection", "--project-name", name, "--host", proxy.url,
            "--username", server.username, "--password", server.password, "--workers", "4", *extra]
    return CliRunner().invoke(build_command(), args)


def test_slow_media_upload_stops_the_import_and_resume_has_no_duplicate(
        proxy, direct_api, small_coco, server_view, monkeypatch):
    folder, truth = small_coco
    monkeypatch.setenv("SC_READ_TIMEOUT", READ_TIMEOUT)
    rule = proxy.on("POST", r"/media/images$", hits=[2]).delay(4.5)

    result = _import(proxy, folder, "slow-upload")

    assert len(rule.fired) == 1
    assert isinstance(result.exception, SystemExit) and result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert "STOPPED: upload stopped: ConnectionLost: POST " in result.output
    assert "Read timed out" in result.output
    proxy.wait_for("delay")  # the slow upload reaches the server after the client gave up
    stored = server_view.held(direct_api, "slow-upload")
    assert len(stored) == int(result.output.split("media created:")[1].split()[0]) + 1

    proxy.clear()
    monkeypatch.delenv("SC_READ_TIMEOUT")
    done = _import(proxy, folder, "slow-upload", "--resume", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["media_created"] == len(truth.items) - len(stored)
    assert server_view.held(direct_api, "slow-upload") == server_view.expected(truth)


def test_slow_project_listing_makes_sc_export_fail_with_one_line(proxy, direct_api, small_coco, tmp_path):
    _, truth = small_coco
    assert import_dataset(direct_api, truth, "detection", BuildOptions(), "slow-export", workers=4,
                          show_progress=False).exit_code() == 0
    rule = proxy.on("GET", r"/projects/?$").delay(3)  # every attempt: the client's retries time out too
    server = proxy.server
    env = {**os.environ, "SC_HOST": proxy.url, "SC_USERNAME": server.username, "SC_PASSWORD": server.password,
           "SC_READ_TIMEOUT": READ_TIMEOUT, "SC_RETRIES": "1"}
    result = subprocess.run(["sc-export", "slow-export",
                             "--target-folder", str(tmp_path)], env=env, capture_output=True, text=True,
                            timeout=60, check=False)

    assert len(rule.fired) >= 2, proxy.log  # retried (GET is idempotent) before giving up
    assert result.returncode == 3, result.stderr  # no answer within the retry policy: the server is lost
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: lost the server: GET "), result.stderr
    assert "timed out" in lines[0] and server.password not in result.stderr
    assert not list(tmp_path.rglob("manifest.json"))
