"""A stand-in for SC 1.0's *login machinery* (oauth2-proxy + Dex form, as recorded in
client.yaml) with a few API endpoints, to test SCSession's login, expiry, retry, redaction and
TLS behaviour. It is not our local server (that one is used end to end in test_sc_v1_server.py).
"""

from __future__ import annotations

import hashlib
import ssl
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

USER, PASSWORD = "alice@example.com", "s3cret-Pa55word"


class FakeSC:
    def __init__(self, tls: ssl.SSLContext | None = None, expiry: str = "redirect"):
        self.expiry = expiry  # how an expired session shows: redirect | 401 | html
        self.user, self.password = USER, PASSWORD
        self.forget_logins = False  # True: logins succeed but the API never accepts them
        self.tokens: set[str] = set()
        self.logins = 0
        self.hits: dict[str, int] = {}
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        if tls:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def expire(self) -> None:
        with self.lock:
            self.tokens.clear()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler(fake: FakeSC):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def _send(self, status: int, body: bytes = b"", ctype: str = "application/json",
                  headers: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _cookie(self) -> str | None:
            for part in (self.headers.get("Cookie") or "").split(";"):
                name, _, value = part.strip().partition("=")
                if name == "_oauth2_proxy":
                    return value
            return None

        def _count(self, path: str) -> int:
            with fake.lock:
                fake.hits[path] = fake.hits.get(path, 0) + 1
                return fake.hits[path]

        def _login_form(self, state: str, error: str = "") -> None:
            page = (f'<html><body>{error}<form method="post" action="/dex/auth/ldap/login?back=&amp;'
                    f'state={state}"><input name="login" type="text"><input name="password" '
                    f'type="password"></form></body></html>')
            self._send(200, page.encode(), "text/html; charset=utf-8")

        def do_GET(self) -> None:  # noqa: N802
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            if url.path == "/user/login":
                return self._send(302, b"", "text/html", {"Location": "/oauth2/start?rd=%2F"})
            if url.path == "/oauth2/start":
                return self._send(302, b"", "text/html", {
                    "Location": f"/dex/auth/ldap/login?back=&state={uuid.uuid4().hex}",
                    "Set-Cookie": "_oauth2_proxy_csrf=csrf; Path=/"})
            if url.path == "/dex/auth/ldap/login":
                return self._login_form(query["state"][0])
            if url.path == "/dex/approval":
                return self._send(303, b"", "text/html", {"Location": "/oauth2/callback?code=c0de"})
            if url.path == "/oauth2/callback":
                token = uuid.uuid4().hex
                with fake.lock:
                    if not fake.forget_logins:
                        fake.tokens.add(token)
                    fake.logins += 1
                return self._send(302, b"", "text/html", {
                    "Location": "/", "Set-Cookie": f"_oauth2_proxy={token}; Path=/; HttpOnly"})
            if url.path == "/":
                return self._send(200, b"<html>SC</html>", "text/html")
            return self._api("GET", url.path)

        def do_POST(self) -> None:  # noqa: N802
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if url.path == "/dex/auth/ldap/login":
                form = parse_qs(body.decode())
                if form.get("login") == [USER] and form.get("password") == [PASSWORD]:
                    state = parse_qs(url.query)["state"][0]
                    return self._send(303, b"", "text/html", {"Location": f"/dex/approval?req={state}"})
                return self._login_form(parse_qs(url.query)["state"][0], "Invalid username and password.")
            return self._api("POST", url.path, body)

        def _api(self, method: str, path: str, body: bytes = b"") -> None:
            if path == "/api/v1.0/flaky":  # 503 twice, then fine
                n = self._count(f"{method} {path}")
                if n <= 2:
                    return self._send(503, b'{"message": "busy"}')
                return self._send(200, b'{"ok": true, "attempts": %d}' % n)
            if path == "/api/v1.0/busy":
                self._count(f"{method} {path}")
                return self._send(503, b'{"message": "busy"}')
            if path == "/api/v1.0/crash":  # may have acted before failing
                self._count(f"{method} {path}")
                return self._send(500, b'{"message": "crashed"}')
            token = self._cookie()
            if token not in fake.tokens:
                if fake.expiry == "401":
                    return self._send(401, b"Unauthorized", "text/plain")
                if fake.expiry == "html":
                    return self._send(200, b"<html>sign in</html>", "text/html")
                return self._send(302, b"", "text/html", {"Location": "/oauth2/start?rd=%2F"})
            self._count(f"{method} {path}")
            if path == "/api/v1.0/product_info":
                return self._send(200, b'{"product-version": "1.1.0-test"}')
            if path == "/api/v1.0/workspaces":
                return self._send(200, b'[{"id": "ws1", "name": "Default Workspace"}]')
            if path == "/api/v1.0/leak":
                message = f'{{"error_code": "bad", "message": "token {token} and {PASSWORD}"}}'
                return self._send(400, message.encode())
            if path == "/api/v1.0/upload":
                digest = hashlib.sha256(body).hexdigest()
                return self._send(200, f'{{"size": {len(body)}, "sha256": "{digest}", '
                                       f'"ctype": "{self.headers.get("Content-Type")}"}}'.encode())
            return self._send(404, b'{"error_code": "not_found", "message": "no such path"}')

    return Handler


@pytest.fixture
def fake_sc():
    server = FakeSC()
    yield server
    server.stop()


@pytest.fixture
def fake_sc_factory():
    """Makes fake servers with other options (TLS, expiry style); stops them afterwards."""
    made: list[FakeSC] = []

    def make(**kwargs) -> FakeSC:
        made.append(FakeSC(**kwargs))
        return made[-1]

    yield make
    for server in made:
        server.stop()


@pytest.fixture(scope="session")
def tls_context(tmp_path_factory) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1 (sc-server's own, see tls.py)."""
    from sc_importers.server.tls import self_signed

    files = self_signed(tmp_path_factory.mktemp("tls"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files.cert, files.key)
    return context
