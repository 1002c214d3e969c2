"""The password prompt of ``sc-import`` on a real terminal: the installed console script runs on a
pseudo-terminal (its controlling terminal, as in a user's shell) without SC_PASSWORD; the test
waits for the "Password" prompt, types the password, and checks that the import succeeds, that the
typed password is never echoed or printed, and that the project exists on the local server.
A wrong password typed at the prompt is refused (exit 2) without echoing it either.
"""

from __future__ import annotations

import fcntl
import os
import select
import shutil
import struct
import sys
import termios
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sc_importers.server.testing import LocalServer, running_server
from sc_importers.synthetic import make_coco_dataset

if sys.platform == "win32":  # pragma: no cover - no pseudo-terminals; never skipped on Linux
    pytest.skip("pseudo-terminals (pty) are POSIX only", allow_module_level=True)

import pty  # noqa: E402 - after the platform check

PASSWORD = "Typed-Secret-5093"
TIMEOUT = 120.0


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LocalServer]:
    with running_server(tmp_path_factory.mktemp("prompt-server"), password=PASSWORD) as running:
        yield running


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> tuple[Path, object]:
    folder = tmp_path_factory.mktemp("prompt-data")
    return folder, make_coco_dataset(folder, 5, ["dog", "cat"], seed=9, image_size=(96, 72))


class Terminal:
    """A child process whose stdin, stdout, stderr and controlling terminal are a pseudo-terminal."""

    def __init__(self, args: list[str], env: dict[str, str]):
        executable = shutil.which(args[0], path=env.get("PATH"))
        assert executable, f"{args[0]} is not installed (pip install -e .)"
        pid, fd = pty.fork()
        if pid == 0:  # the child: never return into pytest
            try:
                os.execve(executable, [executable, *args[1:]], env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        # a new pseudo-terminal is 0 columns wide, which tqdm would honour with empty bars
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.output = b""
        self.deadline = time.monotonic() + TIMEOUT

    def _read(self, timeout: float) -> bool:
        """Read what is there within ``timeout``; False once the child closed the terminal."""
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the child exited and closed the terminal
            return False
        self.output += chunk
        return bool(chunk)

    def expect(self, text: bytes) -> None:
        """Wait until ``text`` was printed (fails on the timeout or when the child ends first)."""
        while text not in self.output:
            left = self.deadline - time.monotonic()
            assert left > 0, f"no {text!r} within {TIMEOUT} s; output so far: {self.text()}"
            assert self._read(min(left, 1.0)), f"the process ended before printing {text!r}: {self.text()}"

    def type(self, line: str) -> None:
        os.write(self.fd, (line + "\n").encode())

    def finish(self) -> int:
        """Read until the child closes the terminal; its exit code."""
        while time.monotonic() < self.deadline and self._read(self.deadline - time.monotonic()):
            pass
        # The terminal closes while the child is still exiting, before it can be waited for: poll.
        done, status = os.waitpid(self.pid, os.WNOHANG)
        while not done and time.monotonic() < self.deadline:
            time.sleep(0.01)
            done, status = os.waitpid(self.pid, os.WNOHANG)
        if not done:
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
            pytest.fail(f"sc-import did not finish within {TIMEOUT} s: {self.text()}")
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)

    def text(self) -> str:
        return self.output.decode("utf-8", "replace")


def _environment(server: LocalServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SC_PASSWORD"}
    return {**env, "SC_HOST": server.url, "SC_USERNAME": server.username, "TERM": "dumb"}


def _run_typing(server: LocalServer, folder: Path, name: str, password: str) -> tuple[int, str]:
    term = Terminal(["sc-import", str(folder), "--format", "coco", "--type", "detection",
                     "--project-name", name], _environment(server))
    term.expect(b"Password")
    term.type(password)
    code = term.finish()
    return code, term.text()


def test_password_typed_at_the_prompt_logs_in_and_is_not_echoed(server, dataset) -> None:
    from sc_importers.rest import connect

    folder, truth = dataset
    name = f"prompt-{uuid.uuid4().hex[:8]}"
    code, output = _run_typing(server, folder, name, PASSWORD)
    assert code == 0, output
    assert "Password" in output
    assert PASSWORD not in output, output
    n = len(truth.items)
    assert f"media created:       {n} of {n}" in output, output

    api = connect(server.url, server.username, PASSWORD)
    try:
        project = api.find_project(name)
        assert project is not None, f"{name} is not on the server"
        assert len(list(api.list_media(project, "image"))) == n
    finally:
        api.close()


def test_a_wrong_password_typed_at_the_prompt_is_refused_and_not_echoed(server, dataset) -> None:
    folder, _ = dataset
    wrong = "Wrong-Typed-7731"
    code, output = _run_typing(server, folder, f"never-{uuid.uuid4().hex[:8]}", wrong)
    assert code == 2, output
    assert "wrong user name or password" in output, output
    assert wrong not in output and PASSWORD not in output, output
