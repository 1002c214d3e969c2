"""``sc-server`` on a port that is already taken says so in one line and exits non-zero, without
first claiming to serve; the running server is untouched."""

from __future__ import annotations

import subprocess
import sys

import requests


def test_a_taken_port_is_one_clear_line(sc_server, tmp_path) -> None:
    port = sc_server.url.rsplit(":", 1)[1]
    result = subprocess.run([sys.executable, "-m", "sc_importers.server", "--data-dir", str(tmp_path / "second"),
                             "--port", port, "--password", "x"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "serving" not in result.stdout, result.stdout
    assert result.stderr.strip() == f"sc-server: cannot listen on 127.0.0.1:{port}: Address already in use"
    assert requests.get(f"{sc_server.url}/user/login", timeout=30, allow_redirects=False).status_code == 302
