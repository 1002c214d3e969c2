"""``sc-server --dialect geti3`` refuses what Geti 3 mode would silently ignore: login options (Geti 3 has no
login), fault injection, and the data directory of an SC 1.0 / Geti 2.x server (its projects would not show);
the SC mode refuses a Geti 3 store the same way. Real subprocesses; the refusals come before anything is served."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sc_importers.server.testing import free_port

SERVER = [sys.executable, "-m", "sc_importers.server"]


def serve(args: list[str], env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SC_SERVER")}
    full_env.update(env or {})
    return subprocess.run(SERVER + args, capture_output=True, text=True, env=full_env, timeout=60)


@pytest.mark.parametrize("option", [["--api-key", "geti_pat_x"], ["--username", "me"], ["--password", "pw"],
                                    ["--session-ttl", "60"]])
def test_login_options_are_refused_in_geti3_mode(tmp_path: Path, option: list[str]):
    done = serve(["--dialect", "geti3", "--data-dir", str(tmp_path / "g3"), "--no-tls", *option])
    assert done.returncode == 2, done.stdout + done.stderr
    assert option[0] in done.stderr and "no login" in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert "pw" not in done.stderr.replace("--password", "")  # a password is never echoed


def test_fault_injection_is_refused_in_geti3_mode(tmp_path: Path):
    done = serve(["--dialect", "geti3", "--data-dir", str(tmp_path), "--no-tls", "--fault-rate", "0.1"])
    assert done.returncode == 2 and "--fault-rate" in done.stderr, done.stderr


def test_each_mode_refuses_the_other_modes_store(tmp_path: Path):
    (tmp_path / "sc").mkdir()
    (tmp_path / "sc" / "sc-server.sqlite3").write_bytes(b"")
    geti3 = serve(["--dialect", "geti3", "--data-dir", str(tmp_path / "sc"), "--no-tls"])
    assert geti3.returncode == 2 and "sc-server.sqlite3" in geti3.stderr and "--data-dir" in geti3.stderr, \
        geti3.stderr
    (tmp_path / "g3").mkdir()
    (tmp_path / "g3" / "geti3.sqlite3").write_bytes(b"")
    sc = serve(["--data-dir", str(tmp_path / "g3"), "--port", str(free_port())], {"SC_SERVER_PASSWORD": "x"})
    assert sc.returncode == 2 and "geti3.sqlite3" in sc.stderr and "--dialect geti3" in sc.stderr, sc.stderr


def test_a_password_in_the_environment_is_warned_about_in_geti3_mode(tmp_path: Path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SC_SERVER")}
    env.update(SC_SERVER_PASSWORD="secret-env", PYTHONUNBUFFERED="1")
    process = subprocess.Popen(SERVER + ["--dialect", "geti3", "--data-dir", str(tmp_path), "--no-tls", "--port",
                                         str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=env)
    try:
        lines = []
        while not any("Geti 3 API" in line for line in lines):
            line = process.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
    finally:
        process.terminate()
        process.wait(timeout=20)
    text = "".join(lines)
    assert "SC_SERVER_PASSWORD is ignored" in text and "secret-env" not in text, text
