"""sc-server's Geti 2.x transport: the personal access token in ``x-api-key`` on ``/api/v1/`` (refusals as
Geti's gateway gives them, geti-v1 notes §1.3-1.4) and HTTPS with its self-signed certificate (``--tls``)."""

from __future__ import annotations

import os
import re
import shutil
import ssl
import stat
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import requests
from cryptography import x509

from sc_importers.server.auth import api_key_format_problem, new_api_key
from sc_importers.server.testing import running_server

ORG_PATH = "/api/v1/personal_access_tokens/organization"


def _get(server, path: str, **headers: str) -> requests.Response:
    return requests.get(server.url + path, headers=headers, verify=server.verify, timeout=30)


def test_generated_keys_have_gets_format() -> None:
    keys = {new_api_key() for _ in range(50)}
    assert len(keys) == 50
    for key in keys:
        prefix, pat, secret, checksum = key.split("_")
        assert (prefix, pat) == ("geti", "pat") and len(secret) == 43 and len(checksum) == 6
        assert secret.isalnum() and checksum.isalnum() and api_key_format_problem(key) is None
    assert api_key_format_problem("secret") and api_key_format_problem("geti_pat_only3")


def test_right_key_reaches_the_geti_api_over_https(sc_server_tls) -> None:
    answer = _get(sc_server_tls, ORG_PATH, **{"x-api-key": sc_server_tls.api_key})
    assert answer.status_code == 200, answer.text
    organization = answer.json()["organizationId"]
    workspaces = _get(sc_server_tls, f"/api/v1/organizations/{organization}/workspaces",
                      **{"x-api-key": sc_server_tls.api_key})
    assert workspaces.status_code == 200, workspaces.text


@pytest.mark.parametrize(("headers", "status", "body"), [
    ({}, 403, "RBAC: access denied"),
    ({"x-api-key": "WRONG"}, 400, "Bad request"),
    ({"x-api-key": "geti_pat_not_enough_parts"}, 400, "Bad request"),
    ({"x-api-key": "OTHER"}, 401, "Invalid authorization token"),  # OTHER: a well-formed token, not ours
    ({"Authorization": "Basic YWRtaW46eA=="}, 401, "Authorization header is in unexpected format"),
    ({"Authorization": "Bearer some.jwt.token", "x-api-key": "RIGHT"}, 401, "Invalid authorization token"),
])
def test_missing_or_wrong_credentials_get_the_gateways_plain_text_refusal(sc_server_tls, headers, status,
                                                                          body) -> None:
    values = {"WRONG": "not-a-token", "OTHER": new_api_key(), "RIGHT": sc_server_tls.api_key}
    headers = {name: values.get(value, value) for name, value in headers.items()}
    for path in (ORG_PATH, "/api/v1/organizations/x/workspaces", "/api/v1/no/such/route"):
        answer = _get(sc_server_tls, path, **headers)
        assert (answer.status_code, answer.text) == (status, body), path
        assert answer.headers["content-type"].startswith("text/plain")


def _geti_routes() -> list[tuple[str, str]]:
    """Every (method, concrete path) of the Geti dialect but the open ``product_info``, ids filled in."""
    from sc_importers.server import geti

    found = []
    for router in geti.ROUTERS:
        for route in router.routes:
            path = re.sub(r"\{frame_index\}", "0", geti.API + route.path)
            path = re.sub(r"\{organization_id\}|\{workspace_id\}", "0b5d2ac8-3c5e-4a8e-9d0e-7e1b2c3d4e5f", path)
            path = re.sub(r"\{[a-z_]+\}", "0123456789abcdef01234567", path)
            if not path.endswith("/product_info"):
                found += [(method, path) for method in sorted(route.methods - {"HEAD"})]
    return found


def test_every_geti_route_refuses_requests_without_the_right_token(sc_server_tls) -> None:
    routes = _geti_routes()
    assert len(routes) >= 25  # the whole dialect, not an empty list
    for method, path in routes:
        for headers, status, body in (({}, 403, "RBAC: access denied"),
                                      ({"x-api-key": new_api_key()}, 401, "Invalid authorization token")):
            answer = requests.request(method, sc_server_tls.url + path, headers=headers, json={},
                                      verify=sc_server_tls.verify, timeout=30)
            assert (answer.status_code, answer.text) == (status, body), (method, path)


def test_another_organizations_path_is_refused_like_a_wrong_token(sc_server_tls) -> None:
    key = {"x-api-key": sc_server_tls.api_key}
    other = "0b5d2ac8-3c5e-4a8e-9d0e-7e1b2c3d4e5f"
    answer = _get(sc_server_tls, f"/api/v1/organizations/{other}/workspaces", **key)
    assert (answer.status_code, answer.text) == (401, "Invalid authorization token")


def test_product_info_is_open_and_sc_dialect_keeps_its_cookie_login(sc_server_tls) -> None:
    assert _get(sc_server_tls, "/api/v1/product_info").status_code == 200
    sc_answer = _get(sc_server_tls, "/api/v1.0/workspaces", **{"x-api-key": sc_server_tls.api_key})
    assert sc_answer.status_code == 401 and sc_answer.json()["error_code"] == "unauthorized"


def test_https_is_trusted_through_the_certificate_only(sc_server_tls) -> None:
    cert_path = sc_server_tls.cert_path
    assert cert_path == sc_server_tls.data_dir / "tls" / "cert.pem"
    assert _get(sc_server_tls, "/").status_code == 200  # verify=cert.pem
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(sc_server_tls.url + "/", timeout=30)  # system CAs only
    localhost = sc_server_tls.url.replace("127.0.0.1", "localhost")
    assert requests.get(localhost + "/", verify=str(cert_path), timeout=30).status_code == 200
    context = ssl.create_default_context(cafile=str(cert_path))  # the standard library's client trusts it too
    with urllib.request.urlopen(sc_server_tls.url + "/", context=context, timeout=30) as answer:
        assert answer.status == 200
    names = x509.load_pem_x509_certificate(cert_path.read_bytes()).extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert {str(a) for a in names.get_values_for_type(x509.IPAddress)} >= {"127.0.0.1", "::1"}
    key_mode = stat.S_IMODE((cert_path.parent / "key.pem").stat().st_mode)
    assert key_mode == 0o600


def test_certificate_is_kept_across_restarts_and_given_files_are_used(tmp_path: Path) -> None:
    with running_server(tmp_path / "a", tls=True) as server:
        first = server.cert_path.read_bytes()
        server.restart()
        assert server.cert_path.read_bytes() == first
        assert _get(server, "/").status_code == 200
    given = tmp_path / "given"
    given.mkdir()
    shutil.copy(tmp_path / "a" / "tls" / "cert.pem", given / "c.pem")
    shutil.copy(tmp_path / "a" / "tls" / "key.pem", given / "k.pem")
    with running_server(tmp_path / "b", tls_cert=given / "c.pem", tls_key=given / "k.pem") as server:
        assert _get(server, "/").status_code == 200
        assert not (tmp_path / "b" / "tls").exists()


def test_the_key_is_in_no_file_or_log_of_the_server(tmp_path: Path) -> None:
    key = new_api_key()
    with running_server(tmp_path / "data", api_key=key, tls=True) as server:
        assert _get(server, ORG_PATH, **{"x-api-key": key}).status_code == 200
        for bad in (key[:-1] + "x", "nope"):
            _get(server, ORG_PATH, **{"x-api-key": bad})
    leaks = [path for path in (tmp_path / "data").rglob("*")
             if path.is_file() and (key.encode() in path.read_bytes() or key[9:52].encode() in path.read_bytes())]
    assert not leaks
    assert (tmp_path / "data" / "sc-server.log").exists()


def _cli(*args: str, env_key: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SC_SERVER_API_KEY"}
    if env_key is not None:
        env["SC_SERVER_API_KEY"] = env_key
    return subprocess.run([sys.executable, "-m", "sc_importers.server", *args], capture_output=True, text=True,
                          env=env, timeout=60)


@pytest.mark.parametrize(("args", "message"), [
    (("--api-key", "hunter2"), "is not a Geti personal access token"),
    (("--tls-cert", "cert.pem"), "--tls-cert and --tls-key go together"),
    (("--tls-cert", "missing-cert.pem", "--tls-key", "missing-key.pem"), "missing-cert.pem: cannot read"),
    (("--tls-cert", "{a}/cert.pem", "--tls-key", "{b}/key.pem"), "does not go with"),
])
def test_cli_refuses_unusable_key_or_tls_files_plainly(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    from sc_importers.server.tls import self_signed

    one, other = self_signed(tmp_path / "a"), self_signed(tmp_path / "b")  # two certificates, two keys
    args = tuple(arg.format(a=one.cert.parent, b=other.key.parent) for arg in args)
    done = _cli("--data-dir", str(tmp_path / "d"), "--port", "1", *args)
    assert done.returncode == 2  # a usage error or an unusable file: refused before anything changed
    assert "Traceback" not in done.stderr
    assert message in done.stderr
