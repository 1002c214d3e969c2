"""Ctrl-C during ``sc-import`` (a real SIGINT to a real subprocess, real local server): the summary of
what was created is still printed, the exit code is 130, and the numbers match the server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from sc_importers.synthetic import make_coco_dataset

IMAGES = 150


def _interrupt_after(api, project_name: str, process: subprocess.Popen, media: int) -> None:
    deadline = time.monotonic() + 90
    project = None
    while time.monotonic() < deadline and process.poll() is None:
        project = project or api.find_project(project_name)
        if project is not None and sum(1 for _ in api.list_media(project, "image")) >= media:
            break
        time.sleep(0.01)
    assert process.poll() is None, "sc-import finished before it could be interrupted"
    process.send_signal(signal.SIGINT)


@pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="needs SIGINT")
@pytest.mark.parametrize("as_json", [True, False])
def test_ctrl_c_prints_what_was_created_and_exits_130(sc_server, api, tmp_path, project_name, as_json):
    folder = tmp_path / "many"
    make_coco_dataset(folder, IMAGES, ["dog", "cat"], seed=8, image_size=(640, 480))
    env = {**os.environ, "SC_HOST": sc_server.url, "SC_USERNAME": sc_server.username,
           "SC_PASSWORD": sc_server.password}
    command = ["sc-import", str(folder), "--format", "coco", "--type", "detection",
               "--project-name", project_name, "--workers", "2", *(["--json"] if as_json else [])]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _interrupt_after(api, project_name, process, 5)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, (out, err)
    assert "Traceback" not in err and "Aborted!" not in err, err
    project = api.find_project(project_name)
    on_server = sum(1 for _ in api.list_media(project, "image"))
    assert 5 <= on_server < IMAGES
    if as_json:
        summary = json.loads(out)
        assert summary["interrupted"] is True and summary["exit_code"] == 130 and summary["planned"] == IMAGES
        assert summary["media_created"] == on_server and summary["project"]["id"] == project.id
        assert summary["failed"] == []
    else:
        assert f"Project {project_name!r} (id {project.id})" in out
        assert f"media created:       {on_server} of {IMAGES}" in out
        assert f"not started:         {IMAGES - on_server}" in out
        assert "STOPPED: interrupted by the user (Ctrl-C)" in out and "--resume" in out
