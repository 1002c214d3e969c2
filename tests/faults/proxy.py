"""A small fault-injecting HTTP proxy for tests: it sits between the client and the real local
sc-server and misbehaves on purpose, per request, as a test tells it to.

The local server always answers correctly, so without this the client's failure handling (item
recorded and run goes on, connection lost and ``--resume``, incomplete backups) could only be
tested with mocks. The proxy keeps the client and the server real and only breaks the wire::

    with FaultProxy(server.url) as proxy:
        proxy.on("POST", r"/media/images$", hits=[3]).respond(500, sc_error(500, "boom"))
        proxy.on("GET", r"/media/images$", hits=[1, 2]).respond(503)
        proxy.on("GET", r"/images/abc/display/full$").cut_body(0.5)
        proxy.on("POST", r"/annotations$", hits=[5]).reset(after_forwarding=False)
        run_the_client(proxy.url)

Requests are forwarded unchanged, ``Host`` header included, so the server's login redirects
(built from ``Host``) point back at the proxy. It listens on loopback only, serves at most
``max_connections`` client connections at once (more wait in the listen backlog), bounds request
bodies, times idle sockets out, and shuts itself down when the ``with`` block ends or, as a
backstop, after ``lifetime`` seconds.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

#: Largest request body forwarded (the test datasets are small; the server's own JSON limit is 64 MB).
MAX_BODY = 256 << 20
#: Headers that describe one hop, not the message: never forwarded as they are.
HOP_HEADERS = frozenset({"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
                         "proxy-connection", "content-length"})


def sc_error(status: int, message: str, code: str = "internal_server_error") -> bytes:
    """An error body shaped like SC 1.0's: ``{"error_code", "http_status", "message"}``."""
    return json.dumps({"error_code": code, "http_status": status, "message": message}).encode()


@dataclass
class Rule:
    """Misbehave on the requests matching ``method`` and the ``path`` regex (searched in the path
    without query); ``hits`` are the 1-based match numbers it applies to (None: every match).
    ``fired`` lists the paths of the requests it acted on, so a test can check the fault happened."""

    method: str
    path: str
    hits: frozenset[int] | None = None
    action: str = "pass"  # respond | cut | delay | reset_before | reset_after
    status: int = 500
    body: bytes = b""
    fraction: float = 0.5
    seconds: float = 0.0
    seen: int = 0
    fired: list[str] = field(default_factory=list)

    def respond(self, status: int, body: bytes | None = None) -> Rule:
        """Answer ``status`` with ``body`` (default: an SC error body) instead of forwarding."""
        self.action, self.status = "respond", status
        self.body = sc_error(status, f"injected HTTP {status}") if body is None else body
        return self

    def cut_body(self, fraction: float = 0.5) -> Rule:
        """Forward, then send the headers (full Content-Length) and ``fraction`` of the body, and close."""
        self.action, self.fraction = "cut", fraction
        return self

    def delay(self, seconds: float) -> Rule:
        """Wait ``seconds`` before forwarding the request (a slow server)."""
        self.action, self.seconds = "delay", seconds
        return self

    def reset(self, after_forwarding: bool) -> Rule:
        """Reset the client connection (TCP RST) either before the request reaches the server or
        after the server handled it, so the server stored it but the client never hears back."""
        self.action = "reset_after" if after_forwarding else "reset_before"
        return self

    def take(self, method: str, path: str) -> bool:
        """Count a matching request; True when this rule would act on it. Caller holds the proxy lock."""
        if method != self.method or not re.search(self.path, path):
            return False
        self.seen += 1
        return self.hits is None or self.seen in self.hits


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, proxy: FaultProxy):
        self.proxy = proxy
        self._slots = threading.BoundedSemaphore(proxy.max_connections)
        self.reset_sockets: set[int] = set()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request, client_address) -> None:
        self._slots.acquire()  # bounded: at most max_connections handler threads
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request, client_address) -> None:
        """Keep a handler's unexpected exception in ``proxy.errors`` instead of printing it (a
        delayed request may outlive its test's server)."""
        import sys

        self.proxy.errors.append(repr(sys.exc_info()[1]))

    def shutdown_request(self, request) -> None:
        if id(request) in self.reset_sockets:  # no FIN first: the close with SO_LINGER 0 sends RST
            self.reset_sockets.discard(id(request))
            request.close()
            return
        super().shutdown_request(request)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections are dropped
    server: _Server

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts, size = [], 0
            while True:
                length = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if length == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                size += length
                if size > MAX_BODY:
                    raise ValueError("request body too large for the fault proxy")
                parts.append(self.rfile.read(length))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("request body too large for the fault proxy")
        return self.rfile.read(length) if length else b""

    def _reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.server.reset_sockets.add(id(self.connection))
        self.close_connection = True

    def _send(self, status: int, reason: str, headers: Iterable[tuple[str, str]], body: bytes,
              send_bytes: int | None = None) -> None:
        self.send_response_only(status, reason)
        for name, value in headers:
            if name.lower() not in HOP_HEADERS:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body if send_bytes is None else body[:send_bytes])

    def _forward(self, body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
        upstream = http.client.HTTPConnection(self.server.proxy.upstream_host, self.server.proxy.upstream_port,
                                              timeout=self.server.proxy.upstream_timeout)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
            headers["Content-Length"] = str(len(body))
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            return response.status, response.reason, response.getheaders(), response.read()
        finally:
            upstream.close()

    def _handle(self) -> None:
        proxy = self.server.proxy
        body = self._read_body()
        path = urlsplit(self.path).path
        rule = proxy.match(self.command, path)
        action = rule.action if rule else "pass"
        if action == "respond":
            proxy.record(self.command, path, action)
            self._send(rule.status, http.client.responses.get(rule.status, ""),
                       [("Content-Type", "application/json")], rule.body)
            return
        if action == "reset_before":
            proxy.record(self.command, path, action)
            self._reset()
            return
        if action == "delay":
            time.sleep(rule.seconds)
        status, reason, headers, answer = self._forward(body)
        proxy.record(self.command, path, action)  # the server has handled it, whatever the client hears
        if action == "reset_after":
            self._reset()
        elif action == "cut":
            self._send(status, reason, headers, answer, send_bytes=int(len(answer) * rule.fraction))
            self.close_connection = True
        else:
            self._send(status, reason, headers, answer)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle  # noqa: N815

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError, OSError):
            self.close_connection = True  # the client went away (or we cut it): nothing to answer


class FaultProxy:
    """A threaded proxy on ``127.0.0.1`` in front of ``upstream`` (``http://host:port``); use as a
    context manager. Add rules with :meth:`on`; :attr:`log` lists ``(method, path, action)`` of
    every request handled, in order (logged once the server answered it, or once the proxy
    answered or reset it in the server's place)."""

    sc_error = staticmethod(sc_error)

    def __init__(self, upstream: str, *, max_connections: int = 32, lifetime: float = 300.0,
                 upstream_timeout: float = 60.0):
        parts = urlsplit(upstream)
        if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost"):
            raise ValueError(f"the fault proxy only forwards to a local http server, not {upstream!r}")
        self.upstream_host, self.upstream_port = parts.hostname, parts.port or 80
        self.max_connections = max_connections
        self.lifetime = lifetime
        self.upstream_timeout = upstream_timeout
        self.rules: list[Rule] = []
        self.log: list[tuple[str, str, str]] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._timer: threading.Timer | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the proxy is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def on(self, method: str, path: str, hits: Iterable[int] | None = None) -> Rule:
        """A new rule for ``method`` requests whose path matches the regex ``path``; chain an
        action onto it (:meth:`Rule.respond`, ``cut_body``, ``delay``, ``reset``). The first rule
        that acts on a request wins; every matching rule counts the request."""
        rule = Rule(method.upper(), path, frozenset(hits) if hits is not None else None)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        """Drop every rule (the proxy then forwards everything faithfully)."""
        with self._lock:
            self.rules.clear()

    def match(self, method: str, path: str) -> Rule | None:
        with self._lock:
            acting = [rule for rule in self.rules if rule.take(method, path)]
            if acting:
                acting[0].fired.append(path)
        return acting[0] if acting else None

    def wait_for(self, action: str, count: int = 1, timeout: float = 30.0) -> None:
        """Block until ``count`` requests were handled with ``action`` (e.g. a delayed request
        finally forwarded), so a test does not race a request still in the proxy."""
        deadline = time.monotonic() + timeout
        while sum(1 for entry in self.log if entry[2] == action) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"fewer than {count} {action!r} requests after {timeout} s: {self.log}")
            time.sleep(0.05)

    def record(self, method: str, path: str, action: str) -> None:
        with self._lock:
            self.log.append((method, path, action))

    def start(self) -> FaultProxy:
        self._server = _Server(self)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                         name="fault-proxy", daemon=True).start()
        self._timer = threading.Timer(self.lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self) -> None:
        """Stop accepting and close the listening socket; handler threads are daemons and end with
        their connections (idle ones after the handler timeout)."""
        server, self._server = self._server, None
        if self._timer is not None:
            self._timer.cancel()
        if server is not None:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
