"""Start and stop a real ``sc-server`` subprocess for tests (the client talks to it over a socket).

    with running_server(tmp_path) as server:
        requests.get(server.url + "/user/login")

    with running_server(tmp_path, fault_rate=0.1, fault_seed=7) as server:  # see server/faults.py
        ...
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

_START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LocalServer:
    url: str  # "http://127.0.0.1:PORT"
    username: str
    password: str
    data_dir: Path
    port: int = 0
    extra_args: Sequence[str] = ()
    fault_rate: float = 0.0
    fault_seed: int = 0
    fault_kinds: Sequence[str] = ()
    _process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> None:
        """Start the subprocess and wait until it answers HTTP. The password goes through the
        environment (``SC_SERVER_PASSWORD``), never the command line."""
        command = [sys.executable, "-m", "sc_importers.server", "--data-dir", str(self.data_dir),
                   "--host", "127.0.0.1", "--port", str(self.port), "--username", self.username,
                   *self.fault_args(), *self.extra_args]
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        log = os.fdopen(os.open(self.data_dir / "sc-server.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "SC_SERVER_PASSWORD": self.password}
        if "--password-file" in self.extra_args:  # the file alone says it
            del env["SC_SERVER_PASSWORD"]
        self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"sc-server exited with {self._process.returncode}; "
                                   f"see {self.data_dir / 'sc-server.log'}")
            try:
                urllib.request.urlopen(f"{self.url}/api/v1.0/product_info", timeout=1)
                return
            except urllib.error.HTTPError:
                return  # it answered (401 without a session): it is up
            except ConnectionResetError:  # incl. RemoteDisconnected: an injected drop, so it listens
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"sc-server did not answer on {self.url} within {_START_TIMEOUT} s")

    def fault_args(self) -> list[str]:
        """The ``--fault-*`` options of this server (none when ``fault_rate`` is 0)."""
        if not self.fault_rate:
            return []
        args = ["--fault-rate", str(self.fault_rate), "--fault-seed", str(self.fault_seed)]
        return args + (["--fault-kinds", ",".join(self.fault_kinds)] if self.fault_kinds else [])

    def faults_injected(self) -> dict[str, int]:
        """Fault kind -> how many were injected so far, from the server's log."""
        counts: dict[str, int] = {}
        log = self.data_dir / "sc-server.log"
        for line in log.read_text(errors="replace").splitlines() if log.exists() else []:
            if line.startswith("sc-server: fault "):
                kind = line.split()[2]
                counts[kind] = counts.get(kind, 0) + 1
        return counts

    def stop(self) -> None:
        """Terminate the subprocess (kill it if it does not stop within 10 s)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL the subprocess (no shutdown at all), e.g. to test recovery after a crash."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=10)

    def restart(self) -> None:
        """Stop and start again on the same port and data dir; stored data survives."""
        self.stop()
        self.start()


@contextmanager
def running_server(data_dir: Path, username: str = "admin", password: str = "sc-test-password",
                   port: int | None = None, extra_args: Sequence[str] = (), fault_rate: float = 0.0,
                   fault_seed: int = 0, fault_kinds: Sequence[str] = ()) -> Iterator[LocalServer]:
    """A running server on ``port`` (default: a free one), stopped when the block ends.
    ``fault_rate`` > 0 turns on fault injection with ``fault_seed`` and ``fault_kinds`` (default
    all kinds; see :mod:`sc_importers.server.faults`)."""
    port = port or free_port()
    server = LocalServer(url=f"http://127.0.0.1:{port}", username=username, password=password,
                         data_dir=Path(data_dir), port=port, extra_args=tuple(extra_args),
                         fault_rate=fault_rate, fault_seed=fault_seed, fault_kinds=tuple(fault_kinds))
    server.start()
    try:
        yield server
    finally:
        server.stop()
