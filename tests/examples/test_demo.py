"""examples/demo.py as a real subprocess (local server + generated data + the sc-import command), and
examples/demo.sh with a stand-in interpreter (so the test does not pip-install anything)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "demo.py"


def _port_closed(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port), timeout=1):
            return False
    except OSError:
        return True


def _server_url(output: str) -> str:
    match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", output)
    assert match, output
    return match.group(1)


def test_demo_imports_the_sample_and_stops_the_server():
    result = subprocess.run([sys.executable, str(DEMO)], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    # sc-import's own summary, then the project as read back from the server
    assert re.search(r"media created:\s+40 of 40", out), out
    assert int(re.search(r"annotations created:\s+(\d+)", out).group(1)) > 40
    assert "project 'Demo: animal detection -> segmentation' with 40 images" in out
    assert "(detection): animal, No Object (empty)" in out
    assert "(segmentation): dog, cat, horse" in out
    url = _server_url(out)
    assert _port_closed(url), f"the demo left the server running on {url}"
    workdir = re.search(r"images of .* in (\S+)/sample-animals", out).group(1)
    assert not Path(workdir).exists(), "the temporary folder was not removed"


def test_demo_stops_the_server_when_terminated():
    """SIGTERM while sc-import runs: the demo stops its server and exits with 130."""
    process = subprocess.Popen([sys.executable, str(DEMO)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    seen = ""
    deadline = time.monotonic() + 60
    while "[3/4] Running: sc-import" not in seen and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen += line
    url = _server_url(seen)
    process.send_signal(signal.SIGTERM)
    rest, err = process.communicate(timeout=60)
    assert process.returncode == 130, seen + rest + err
    assert "Interrupted" in err
    assert _port_closed(url), f"the server on {url} survived the interrupted demo"


def test_demo_sh_installs_from_the_repo_root_then_runs_the_demo(tmp_path):
    """demo.sh with PYTHON pointing at a stand-in that records its working folder and arguments."""
    log = tmp_path / "calls.log"
    stand_in = tmp_path / "python-stand-in"
    stand_in.write_text(f'#!/bin/sh\necho "$(pwd) | $*" >> "{log}"\n')
    stand_in.chmod(0o755)
    result = subprocess.run(["bash", str(REPO / "examples" / "demo.sh"), "--images", "5"], cwd=tmp_path,
                            env={**os.environ, "PYTHON": str(stand_in)}, capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result.stderr
    calls = log.read_text().splitlines()
    assert len(calls) == 2, calls
    assert calls[0].startswith(f"{REPO} | -m pip install") and calls[0].endswith("-e .[server]")
    assert calls[1] == f"{REPO} | examples/demo.py --images 5"


def test_demo_sh_keeps_the_install_log_when_pip_fails(tmp_path):
    stand_in = tmp_path / "python-stand-in"
    stand_in.write_text('#!/bin/sh\necho "Collecting something"\necho "ERROR: no such thing" >&2\nexit 1\n')
    stand_in.chmod(0o755)
    result = subprocess.run(["bash", str(REPO / "examples" / "demo.sh")], cwd=tmp_path,
                            env={**os.environ, "PYTHON": str(stand_in), "TMPDIR": str(tmp_path)},
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "Collecting something" in result.stdout  # pip's progress lines are shown as they come
    log = Path(re.search(r"kept in (\S+)", result.stderr).group(1))
    assert "ERROR: no such thing" in log.read_text()


def test_demo_keep_leaves_the_server_up_until_ctrl_c(tmp_path):
    """--keep: after the import the server answers (sc projects list sees the project) until SIGINT; the
    data folder stays."""
    process = subprocess.Popen([sys.executable, str(DEMO), "--images", "4", "--keep"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    seen = ""
    deadline = time.monotonic() + 120
    while "Press Ctrl-C" not in seen and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen += line
    try:
        url = _server_url(seen)
        password = re.search(r"password '([^']+)'", seen).group(1)
        listed = subprocess.run([sys.executable, "-c", "from sc_importers.cli.sc import main; main()", "projects",
                                 "list"], capture_output=True, text=True, timeout=60,
                                env={**os.environ, "SC_HOST": url, "SC_USERNAME": "demo", "SC_PASSWORD": password,
                                     "SC_CONFIG": os.devnull})
        assert "Demo: animal detection -> segmentation" in listed.stdout, listed.stdout + listed.stderr
    finally:
        process.send_signal(signal.SIGINT)
        rest, err = process.communicate(timeout=60)
    assert _port_closed(url)
    workdir = Path(re.search(r"Its data stays in (\S+)\.", seen).group(1))
    assert (workdir / "server-data").is_dir() and "data is kept in" in rest + err, rest + err
    import shutil

    shutil.rmtree(workdir)
