"""Connecting to the Geti 2.x dialect: detection of the dialect before logging in, token login and
its refusals, credentials that do not fit the dialect, the workspace choice, paging of project and
media listings, TLS with a CA bundle, and the token never shown (CLI output, logs, repr)."""

from __future__ import annotations

import http.server
import logging
import threading
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from PIL import Image

from sc_importers.cli.export_cmd import command as export_command
from sc_importers.cli.import_cmd import build_command
from sc_importers.rest import AuthenticationError, ServerError, connect
from sc_importers.rest.geti_v1 import GetiV1API, discover_workspace
from sc_importers.rest.login import _ApiKeyAuth
from sc_importers.rest.sc_v1 import SCv1API


def test_the_dialect_follows_the_credentials_on_a_server_speaking_both(sc_server):
    geti = connect(sc_server.url, api_key=sc_server.api_key)
    sc1 = connect(sc_server.url, sc_server.username, sc_server.password)
    try:
        assert isinstance(geti, GetiV1API) and geti.dialect == "geti-v1"
        assert isinstance(sc1, SCv1API)
        assert geti.product_info()["product-version"].startswith("2.")
        assert sc_server.api_key not in repr(geti)
    finally:
        geti.close()
        sc1.close()


def test_a_wrong_token_is_a_clear_authentication_error(sc_server):
    wrong = "geti_pat_" + "A" * 43 + "_abcdef"
    with pytest.raises(AuthenticationError, match="refused the personal access token: HTTP 401") as info:
        connect(sc_server.url, api_key=wrong)
    assert wrong not in str(info.value)
    with pytest.raises(AuthenticationError, match="start with geti_pat_"):
        connect(sc_server.url, api_key="not-a-token", api="geti")


def test_credentials_that_do_not_fit_the_dialect_name_what_is_missing(sc_server):
    with pytest.raises(AuthenticationError, match="needs a personal access token.*--api-key.*for SC 1.0"):
        connect(sc_server.url, sc_server.username, sc_server.password, api="geti")
    with pytest.raises(AuthenticationError, match="needs a password .*--password.*for Geti"):
        connect(sc_server.url, sc_server.username, api_key=sc_server.api_key, api="sc1")
    with pytest.raises(ValueError, match="unknown API 'geti4'"):
        connect(sc_server.url, api_key=sc_server.api_key, api="geti4")
    # --api geti3 against a server that needs a login: said so, not "refuses the session after logging in again"
    with pytest.raises(AuthenticationError, match="needs a login, so it is not a Geti 3 server") as caught:
        connect(sc_server.url, api_key=sc_server.api_key, api="geti3")
    assert "logging in again" not in str(caught.value)


def test_a_server_speaking_neither_dialect_is_named(tmp_path):
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path))  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with pytest.raises(ServerError, match="does not look like an SC 1.0, Geti 2.x or Geti 3 server"):
            connect(f"http://127.0.0.1:{httpd.server_port}", api_key="geti_pat_x")
    finally:
        httpd.shutdown()
        httpd.server_close()


def _answering(routes: dict[str, tuple[int, bytes, str]]):
    """A tiny HTTP server answering ``routes`` (path -> status, body, content type) and 404 elsewhere."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            status, body, ctype = routes.get(self.path.split("?")[0], (404, b"not found", "text/plain"))
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            if status in (301, 302, 303):
                self.send_header("Location", "/oauth2/start?rd=/")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


INFO = (200, b'{"product-version": "2.13.0"}', "application/json")


@pytest.mark.parametrize(("routes", "token", "password", "expected"), [
    ({"/api/v1/product_info": INFO}, False, True, "geti"),  # only Geti answers: the password does not matter
    ({"/api/v1.0/product_info": (302, b"", "text/html")}, True, False, "sc1"),  # SC 1.0's login redirect
    ({"/api/v1/product_info": (403, b"RBAC: access denied", "text/plain"),
      "/api/v1.0/product_info": (403, b"RBAC: access denied", "text/plain")}, True, False, "geti"),
    ({"/api/v1/product_info": INFO, "/api/v1.0/product_info": (401, b"", "text/plain")}, False, True, "sc1"),
])
def test_the_dialect_is_detected_before_logging_in(routes, token, password, expected):
    from sc_importers.rest.connect import detect_dialect

    httpd = _answering(routes)
    try:
        assert detect_dialect(f"http://127.0.0.1:{httpd.server_port}", has_token=token,
                              has_password=password) == expected
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_login_wall_on_both_paths_without_credentials_is_a_question():
    from sc_importers.rest.connect import detect_dialect

    wall = (302, b"", "text/html")
    httpd = _answering({"/api/v1/product_info": wall, "/api/v1.0/product_info": wall})
    try:
        with pytest.raises(AuthenticationError, match="--api geti|sc1"):
            detect_dialect(f"http://127.0.0.1:{httpd.server_port}")
    finally:
        httpd.shutdown()
        httpd.server_close()


class _Workspaces:
    """Stands in for the session in :func:`discover_workspace` (a pure choice among listed workspaces)."""

    host = "https://geti.example.com"

    def __init__(self, names: list[str]):
        self.names = names

    def get_json(self, path: str) -> dict:
        return {"workspaces": [{"id": f"id-{n}", "name": n} for n in self.names]}


def test_the_workspace_is_chosen_by_name_when_there_are_several():
    assert discover_workspace(_Workspaces(["Only"]), "org", None) == "id-Only"
    several = _Workspaces(["Team A", "Team B"])
    with pytest.raises(ServerError, match=r"2 workspaces \('Team A', 'Team B'\); choose one with --workspace"):
        discover_workspace(several, "org", None)
    assert discover_workspace(several, "org", "team b") == "id-Team B"
    with pytest.raises(ServerError, match="no workspace named 'C'; the workspaces are: 'Team A', 'Team B'"):
        discover_workspace(several, "org", "C")


def test_the_token_goes_only_to_the_server_host():
    auth = _ApiKeyAuth("geti_pat_secret", "https://geti.example.com:443")
    same = auth(requests.Request("POST", "https://geti.example.com:443/api/v1/x").prepare())
    assert same.headers["x-api-key"] == "geti_pat_secret" and same.headers["x-geti-csrf-protection"] == "1"
    other = auth(requests.Request("GET", "https://storage.example.net/presigned?sig=1").prepare())
    assert "x-api-key" not in other.headers
    assert "secret" not in repr(auth)


def test_listings_follow_every_page(fresh_sc_server, tmp_path):
    api = connect(fresh_sc_server.url, api_key=fresh_sc_server.api_key)
    try:
        from sc_importers.model import Label
        from sc_importers.project_types.base import TaskPlan

        projects = [api.create_project(f"p{i}", [TaskPlan("Detection", "detection", [Label("car")])])
                    for i in range(5)]
        for i in range(5):
            Image.new("RGB", (40, 32), (i * 40, 0, 0)).save(tmp_path / f"img{i}.png")
            api.upload_media(projects[0], tmp_path / f"img{i}.png", "image")
        paged = GetiV1API(api.session, api.organization_id, api.workspace_id, media_page_size=2,
                          project_page_size=2)
        assert sorted(p.name for p in paged.list_projects()) == [f"p{i}" for i in range(5)]
        assert paged.find_project("p3").id == projects[3].id and paged.find_project("p") is None
        media = list(paged.list_media(projects[0], "image"))
        assert sorted(m.name for m in media) == [f"img{i}" for i in range(5)]
        assert list(paged.list_media(projects[0], "video")) == []
    finally:
        api.close()


def test_the_cli_logs_in_with_a_token_and_never_shows_it(sc_server, tmp_path, caplog):
    from sc_importers.synthetic import make_coco_dataset

    key = sc_server.api_key
    make_coco_dataset(tmp_path / "data", 3, ["dog", "cat"], seed=2, image_size=(64, 48))
    caplog.set_level(logging.DEBUG)
    env = {"SC_API_KEY": key}
    result = CliRunner().invoke(build_command(), [str(tmp_path / "data"), "--format", "coco", "--type", "detection",
                                                  "--project-name", "geti-cli-token", "--host", sc_server.url,
                                                  "--json"], env=env)
    output = result.output + caplog.text
    assert result.exit_code == 0, result.output
    assert key not in output
    exported = CliRunner().invoke(export_command, ["geti-cli-token", "--target-folder", str(tmp_path / "out"),
                                                   "--host", sc_server.url, "--api", "geti"], env=env)
    assert exported.exit_code == 0, exported.output
    assert key not in exported.output + caplog.text
    assert (tmp_path / "out" / "geti-cli-token" / "manifest.json").is_file()
    assert '"dialect": "geti-v1"' in (tmp_path / "out" / "geti-cli-token" / "manifest.json").read_text()
    assert not any(key in p.read_text(errors="replace") for p in (tmp_path / "out").rglob("*.json"))

    wrong = CliRunner().invoke(export_command, ["--all", "--host", sc_server.url, "--api-key", "geti_pat_nope"])
    assert wrong.exit_code == 2 and "refused the personal access token" in wrong.output  # nothing changed
    assert "Traceback" not in wrong.output and "geti_pat_nope" not in wrong.output
    missing = CliRunner().invoke(export_command, ["--all", "--host", sc_server.url, "--api", "geti"], env={})
    assert missing.exit_code == 2 and "--api geti needs a personal access token" in missing.output


def test_a_ca_bundle_makes_a_self_signed_server_trusted(tmp_path, monkeypatch):
    from sc_importers.server.testing import running_server

    with running_server(tmp_path / "srv", tls=True) as server:
        with pytest.raises(ServerError, match="not trusted"):
            connect(server.url, api_key=server.api_key)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(Path(server.cert_path)))
        api = connect(server.url, api_key=server.api_key)
        try:
            assert api.session.host.startswith("https://") and api.list_projects() == []
        finally:
            api.close()
