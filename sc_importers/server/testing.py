"""Start and stop a real ``sc-server`` subprocess for tests (the client talks to it over a socket).

    with running_server(tmp_path) as server:
        requests.get(server.url + "/user/login")
    with running_server(tmp_path, tls=True) as server:   # HTTPS, Geti 2.x token
        requests.get(server.url + "/api/v1/personal_access_tokens/organization",
                     headers={"x-api-key": server.api_key}, verify=str(server.cert_path))

    with running_server(tmp_path, fault_rate=0.1, fault_seed=7) as server:  # see server/faults.py
        ...
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sc_importers.server.auth import new_api_key

_START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LocalServer:
    url: str  # "http://127.0.0.1:PORT", or "https://..." with tls
    username: str
    password: str
    data_dir: Path
    port: int = 0
    extra_args: Sequence[str] = ()
    #: The Geti 2.x personal access token (``x-api-key`` on ``/api/v1/``); handed over in the environment,
    #: not on the command line, so it shows up in no process list.
    api_key: str = field(default_factory=new_api_key, repr=False)
    #: Serve HTTPS: with ``tls_cert``/``tls_key`` when given, else with the self-signed certificate (``--tls``).
    tls: bool = False
    tls_cert: Path | None = None
    tls_key: Path | None = None
    fault_rate: float = 0.0
    fault_seed: int = 0
    fault_kinds: Sequence[str] = ()
    #: ``"geti3"``: the separate Geti 3 mode (``--dialect geti3``; plain HTTP unless ``tls``).
    dialect: str = "sc1-geti2"
    _process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def cert_path(self) -> Path | None:
        """The server's certificate, which clients use as their CA bundle; None without TLS."""
        if not self.tls:
            return None
        return self.tls_cert or self.data_dir / "tls" / "cert.pem"

    def _tls_args(self) -> list[str]:
        if not self.tls:
            return ["--no-tls"] if self.dialect == "geti3" else []
        if self.tls_cert:
            return ["--tls-cert", str(self.tls_cert), "--tls-key", str(self.tls_key)]
        return [] if self.dialect == "geti3" else ["--tls"]

    @property
    def verify(self) -> str | bool:
        """What ``requests`` takes as ``verify=`` to trust this server."""
        return str(self.cert_path) if self.tls else True

    def start(self) -> None:
        """Start the subprocess and wait until it answers HTTP. The password goes through the
        environment (``SC_SERVER_PASSWORD``), never the command line."""
        command = [sys.executable, "-m", "sc_importers.server", "--data-dir", str(self.data_dir),
                   "--host", "127.0.0.1", "--port", str(self.port), *self._tls_args(), *self.fault_args(),
                   *self.extra_args]
        if self.dialect == "geti3":
            command += ["--dialect", "geti3"]
        else:
            command += ["--username", self.username]
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        log = os.fdopen(os.open(self.data_dir / "sc-server.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "SC_SERVER_PASSWORD": self.password,
               "SC_SERVER_API_KEY": self.api_key}
        if "--password-file" in self.extra_args or self.dialect == "geti3":  # the file alone says it; no login
            del env["SC_SERVER_PASSWORD"]
        if self.dialect == "geti3":
            del env["SC_SERVER_API_KEY"]
        self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"sc-server exited with {self._process.returncode}; "
                                   f"see {self.data_dir / 'sc-server.log'}")
            try:
                context = ssl.create_default_context(cafile=str(self.cert_path)) if self.tls else None
                probe = "/health" if self.dialect == "geti3" else "/api/v1.0/product_info"
                urllib.request.urlopen(f"{self.url}{probe}", timeout=1, context=context)
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

    def geti3(self) -> LocalServer:
        """A Geti 3 mode server beside this one (``<data-dir>/geti3``), started on first use and stopped
        with this one: how tests parametrized over dialects reach the Geti 3 dialect of "the" server."""
        companion = getattr(self, "_geti3", None)
        if companion is None:
            port = free_port()
            companion = LocalServer(url=f"http://127.0.0.1:{port}", username="", password="",
                                    data_dir=self.data_dir / "geti3", port=port, dialect="geti3")
            companion.start()
            self._geti3 = companion
        return companion

    def stop(self) -> None:
        """Terminate the subprocess (kill it if it does not stop within 10 s)."""
        companion = getattr(self, "_geti3", None)
        if companion is not None:
            companion.stop()
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
        companion = getattr(self, "_geti3", None)
        self.stop()
        self.start()
        if companion is not None:
            companion.start()


@contextmanager
def running_server(data_dir: Path, username: str = "admin", password: str = "sc-test-password",
                   port: int | None = None, extra_args: Sequence[str] = (), api_key: str | None = None,
                   tls: bool = False, tls_cert: Path | None = None, tls_key: Path | None = None,
                   fault_rate: float = 0.0, fault_seed: int = 0, fault_kinds: Sequence[str] = (),
                   dialect: str = "sc1-geti2") -> Iterator[LocalServer]:
    """A running server on ``port`` (default: a free one), stopped when the block ends. ``api_key``
    (default: a fresh one) is the Geti 2.x token; ``tls`` serves HTTPS (``server.cert_path``), with the
    given ``tls_cert``/``tls_key`` or else the server's self-signed certificate. ``fault_rate`` > 0
    turns on fault injection with ``fault_seed`` and ``fault_kinds`` (default all kinds; see
    :mod:`sc_importers.server.faults`)."""
    tls = tls or tls_cert is not None
    port = port or free_port()
    server = LocalServer(url=f"{'https' if tls else 'http'}://127.0.0.1:{port}", username=username,
                         password=password, data_dir=Path(data_dir), port=port, extra_args=tuple(extra_args),
                         api_key=api_key or new_api_key(), tls=tls, tls_cert=tls_cert, tls_key=tls_key,
                         fault_rate=fault_rate, fault_seed=fault_seed, fault_kinds=tuple(fault_kinds),
                         dialect=dialect)
    server.start()
    try:
        yield server
    finally:
        server.stop()
