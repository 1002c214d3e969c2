"""The upload's progress bars (media and annotations): drawn when stderr is a terminal, counting
every media item and annotation; absent when output goes to a pipe, so logs and --json stay clean."""

from __future__ import annotations

import fcntl
import json
import os
import re
import struct
import subprocess
import sys
import termios
import time

from sc_importers.plugins import format_readers
from sc_importers.project_types.base import BuildOptions
from sc_importers.uploader import import_dataset


def test_import_dataset_draws_media_and_annotation_bars(api, animals, project_name, capsys):
    folder, truth = animals
    report = import_dataset(api, format_readers()["coco"].read(folder), "detection", BuildOptions(), project_name,
                            workers=4, show_progress=True)
    assert report.exit_code() == 0, report.render()
    err = capsys.readouterr().err
    n, annotations = len(truth.items), sum(len(i.annotations) for i in truth.items)
    assert re.search(rf"media: 100%.*{n}/{n}", err), err
    assert re.search(rf"annotations: 100%.*{annotations}/{annotations}", err), err  # a total: it ends clean


def _run_on_a_terminal(args: list[str], env: dict[str, str], timeout: float = 120) -> tuple[int, str]:
    """Run ``args`` with stdin/stdout/stderr on a pseudo-terminal; returns (exit code, all output)."""
    controller, terminal = os.openpty()
    # a new pseudo-terminal is 0 columns wide, which tqdm would honour with empty bars
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(args, stdin=terminal, stdout=terminal, stderr=terminal, env=env, close_fds=True)
    os.close(terminal)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    return process.wait(timeout=30), b"".join(chunks).decode("utf-8", "replace")


def test_sc_import_on_a_terminal_shows_the_bars_and_a_pipe_does_not(sc_server, animals, project_name):
    folder, truth = animals
    env = {**os.environ, "SC_HOST": sc_server.url, "SC_USERNAME": sc_server.username,
           "SC_PASSWORD": sc_server.password}
    n = len(truth.items)
    code, output = _run_on_a_terminal(["sc-import", str(folder), "--format", "coco", "--type", "detection",
                                       "--project-name", project_name], env)
    assert code == 0, output
    assert re.search(rf"media: 100%.*{n}/{n}", output), output
    assert "annotations:" in output and f"media created:       {n} of {n}" in output

    piped = subprocess.run(["sc-import", str(folder), "--format", "coco", "--type", "detection",
                            "--project-name", f"{project_name}-piped"], env=env, capture_output=True, text=True,
                           timeout=120)
    assert piped.returncode == 0, piped.stderr
    assert "media:" not in piped.stderr and "%|" not in piped.stderr + piped.stdout


def test_sc_import_json_on_a_terminal_has_no_bars(sc_server, animals, project_name):
    folder, truth = animals
    env = {**os.environ, "SC_HOST": sc_server.url, "SC_USERNAME": sc_server.username,
           "SC_PASSWORD": sc_server.password}
    code, output = _run_on_a_terminal(["sc-import", str(folder), "--format", "coco", "--type", "detection",
                                       "--project-name", project_name, "--json"], env)
    assert code == 0, output
    assert "%|" not in output
    assert json.loads(output[output.index("{"):])["media_created"] == len(truth.items)


def test_image_check_bar_only_on_a_terminal(tmp_path):
    from sc_importers.synthetic import make_coco_dataset
    from sc_importers.validation import PROGRESS_THRESHOLD

    folder = tmp_path / "many"
    make_coco_dataset(folder, PROGRESS_THRESHOLD + 5, ["dog"], seed=1, image_size=(32, 24))
    args = ["sc-import", str(folder), "--format", "coco", "--type", "detection", "--dry-run"]
    code, output = _run_on_a_terminal(args, dict(os.environ))
    assert code == 0, output
    assert re.search(rf"checking images: 100%.*{PROGRESS_THRESHOLD + 5}/{PROGRESS_THRESHOLD + 5}", output), output
    with open(tmp_path / "stderr.txt", "w") as stderr:  # stderr to a file: no bar in it
        assert subprocess.run(args, stdout=subprocess.DEVNULL, stderr=stderr, timeout=120).returncode == 0
    assert "checking images" not in (tmp_path / "stderr.txt").read_text()


def test_sc_quiet_draws_no_bar_on_a_terminal(sc_server, animals, project_name):
    folder, truth = animals
    env = {**os.environ, "SC_HOST": sc_server.url, "SC_USERNAME": sc_server.username,
           "SC_PASSWORD": sc_server.password}
    sc = [sys.executable, "-c", "from sc_importers.cli.sc import main; main()"]  # no reinstall needed for it
    code, output = _run_on_a_terminal([*sc, "-q", "import", str(folder), "--format", "coco", "--type", "detection",
                                       "--project-name", project_name], env)
    assert code == 0, output
    assert "%|" not in output and f"media created:       {len(truth.items)} of {len(truth.items)}" in output
