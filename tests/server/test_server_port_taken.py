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
    assert result.returncode == 2  # refused before anything changed (the README's exit-code table)
    assert "serving" not in result.stdout, result.stdout
    assert result.stderr.strip() == f"sc-server: cannot listen on 127.0.0.1:{port}: Address already in use"
    assert requests.get(f"{sc_server.url}/user/login", timeout=30, allow_redirects=False).status_code == 302
    env = {"PATH": "/usr/bin:/bin"}  # no SC_SERVER_PASSWORD / _API_KEY: both would be generated
    quiet = subprocess.run([sys.executable, "-m", "sc_importers.server", "--data-dir", str(tmp_path / "third"),
                            "--port", port], capture_output=True, text=True, timeout=60, env=env)
    assert quiet.returncode == 2 and "generated" not in quiet.stdout, quiet.stdout  # credentials of no server


def test_an_unusable_data_dir_is_one_clear_line(tmp_path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for data_dir in (blocker, blocker / "data"):
        result = subprocess.run([sys.executable, "-m", "sc_importers.server", "--data-dir", str(data_dir),
                                 "--port", "0", "--password", "x"], capture_output=True, text=True, timeout=60)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.startswith(f"sc-server: cannot use --data-dir {data_dir}: "), result.stderr


def test_the_listening_socket_says_tcp_so_connections_get_nodelay() -> None:
    """asyncio sets TCP_NODELAY only on connections of sockets whose protocol is IPPROTO_TCP; a
    socket made with the default protocol 0 made every small answer wait ~40 ms (delayed ACK):
    the real-data import test took 17 s instead of 7 s."""
    import socket

    from sc_importers.server.cli import _listen

    listening = _listen("127.0.0.1", 0)
    try:
        assert listening.proto == socket.IPPROTO_TCP
        client = socket.create_connection(listening.getsockname())
        accepted, _ = listening.accept()
        assert accepted.proto == socket.IPPROTO_TCP
        accepted.close()
        client.close()
    finally:
        listening.close()
