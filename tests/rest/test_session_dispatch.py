"""SCSession sends each request through requests' adapter with requests' own PreparedRequest steps, not
through ``Session.request`` (:meth:`SCSession._dispatch`): the bytes on the wire must be the ones
``Session.request`` sends, for every kind of request the client makes, and a cookie the server sets must
land in the session's jar as before."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from sc_importers.rest.login import DexLoginFlow
from sc_importers.rest.multipart import MultipartFile
from sc_importers.rest.session import _PLAIN_URL, SCSession


class _Capture(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Recorder)
        self.seen: list[bytes] = []


class _Recorder(socketserver.StreamRequestHandler):
    """Records each request's bytes (head and Content-Length body) and answers 200 with a cookie."""

    def handle(self) -> None:
        server: _Capture = self.server  # type: ignore[assignment]
        while True:
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                line = self.rfile.readline()
                if not line:
                    return
                head += line
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            server.seen.append(head + self.rfile.read(length))
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                             b"Set-Cookie: seen=yes; Path=/\r\n\r\n{}")


@pytest.fixture
def capture() -> Iterator[_Capture]:
    server = _Capture()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _session(url: str, auth: object = None) -> SCSession:
    session = SCSession(url, DexLoginFlow("someone", "secret"))
    session.http.cookies.set("_oauth2_proxy", "abc", domain="127.0.0.1", path="/")
    session.http.auth = auth  # type: ignore[assignment]
    return session


@pytest.mark.parametrize(("method", "path", "params", "data", "headers"), [
    ("GET", "/api/v1.0/workspaces", None, None, {"Accept": "application/json"}),
    ("GET", "/api/v1/projects", {"skip": 100, "name": "a b/ü"}, None, {"Accept": "application/json"}),
    ("POST", "/api/v1.0/workspaces/w1/projects/p1/media/images/m1/annotations", None, '{"annotations": []}',
     {"Accept": "application/json", "Content-Type": "application/json"}),
    ("PUT", "/api/v1.0/x/configuration", None, b'{"a": 1}', {"Content-Type": "application/json"}),
    ("DELETE", "/api/v1.0/workspaces/w1/projects/p1", None, None, {}),
    ("POST", "/api/v1.0/a path/with spaces and %41 escapes/../up", None, b"", {}),
])
@pytest.mark.parametrize("auth", [None, ("user", "pw")])
def test_the_bytes_sent_are_session_requests(capture: _Capture, method: str, path: str, params: dict | None,
                                             data: str | bytes | None, headers: dict, auth: object) -> None:
    url = f"http://127.0.0.1:{capture.server_address[1]}{path}"
    via_requests = _session(url, auth)
    via_requests.http.request(method, url, params=params, data=data, headers=headers,
                              timeout=via_requests.timeout, allow_redirects=False)
    ours = _session(url, auth)
    response = ours._dispatch(method, url, params, data, dict(headers), stream=False)
    assert response.status_code == 200 and response.json() == {}
    assert len(capture.seen) == 2
    assert capture.seen[1] == capture.seen[0]
    assert [c.name for c in ours.http.cookies] == [c.name for c in via_requests.http.cookies]
    assert "seen" in {c.name for c in ours.http.cookies}


def test_a_streamed_upload_sends_the_same_bytes(capture: _Capture, tmp_path) -> None:
    image = tmp_path / "a.jpg"
    image.write_bytes(bytes(range(256)) * 300)
    url = f"http://127.0.0.1:{capture.server_address[1]}/api/v1.0/media/images"
    headers = {"Accept": "application/json", "Content-Type": "multipart/form-data; boundary=b0"}
    via_requests = _session(url)
    via_requests.http.request("POST", url, data=MultipartFile(image, boundary="b0"), headers=headers,
                              timeout=via_requests.timeout, allow_redirects=False)
    _session(url)._dispatch("POST", url, None, MultipartFile(image, boundary="b0"), dict(headers), stream=False)
    assert capture.seen[1] == capture.seen[0]
    assert capture.seen[0].endswith(b"\r\n--b0--\r\n")


def test_a_connection_refused_is_requests_error(capture: _Capture) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    url = f"http://127.0.0.1:{port}/api"
    with pytest.raises(requests.ConnectionError):
        _session(url)._dispatch("GET", url, None, None, {}, stream=False)


_PATH = st.text(alphabet="abcXYZ019-._~/:@!$&'()*+,;=", max_size=30)


@settings(max_examples=400)
@given(host=st.from_regex(r"[a-z0-9][a-z0-9.\-]{0,20}", fullmatch=True), port=st.none() | st.integers(1, 65535),
       path=_PATH, query=st.none() | _PATH.map(lambda q: q.replace("/", "?")))
def test_a_plain_url_is_what_prepare_url_gives(host: str, port: int | None, path: str, query: str | None) -> None:
    url = f"http://{host}{'' if port is None else f':{port}'}/{path}{'' if query is None else f'?{query}'}"
    if not _PLAIN_URL.fullmatch(url):
        return  # prepare_url is used for it
    prepared = requests.PreparedRequest()
    try:
        prepared.prepare_url(url, None)
    except requests.exceptions.InvalidURL:
        pytest.fail(f"{url} counted as plain but requests refuses it")
    assert prepared.url == url
