"""SCSession: Dex login, wrong password, one re-login on expiry (thread-safe), retries,
streamed uploads, TLS verification and secrets kept out of repr and errors."""

from __future__ import annotations

import hashlib
import os
import threading
import warnings

import pytest

from sc_importers.rest.base import AuthenticationError, ServerError
from sc_importers.rest.login import DexLoginFlow, find_login_form
from sc_importers.rest.multipart import MultipartFile
from sc_importers.rest.retry import RetryPolicy
from sc_importers.rest.session import InsecureConnectionWarning, SCSession, normalize_host


def session_for(fake, password: str | None = None, **kwargs) -> SCSession:
    return SCSession(fake.url, DexLoginFlow(fake.user, password or fake.password), **kwargs)


def cookie_value(session: SCSession) -> str:
    return next(c.value for c in session.http.cookies if c.name == "_oauth2_proxy")


def test_login_follows_the_dex_flow_and_keeps_secrets_out_of_repr(fake_sc) -> None:
    session = session_for(fake_sc)
    session.login()
    assert fake_sc.logins == 1 and session.logged_in
    assert session.get_json("/api/v1.0/product_info") == {"product-version": "1.1.0-test"}
    text = repr(session) + repr(session._login_flow)
    assert fake_sc.password not in text and cookie_value(session) not in text
    assert fake_sc.user in text


def test_wrong_password_is_a_clear_authentication_error(fake_sc) -> None:
    session = session_for(fake_sc, password="not-the-password")
    with pytest.raises(AuthenticationError) as info:
        session.login()
    message = str(info.value)
    assert "wrong user name or password" in message and fake_sc.user in message
    assert "not-the-password" not in message and fake_sc.logins == 0


def test_login_form_action_is_parsed_not_built() -> None:
    form = find_login_form('<form method="post" action="/dex/x?back=&amp;state=abc">'
                           '<input name="login"><input name="password" type="password"></form>')
    assert form["action"] == "/dex/x?back=&state=abc"
    assert find_login_form("<html>no form</html>") is None


@pytest.mark.parametrize("expiry", ["redirect", "401", "html"])
def test_expired_session_logs_in_again_once(fake_sc_factory, expiry: str) -> None:
    fake = fake_sc_factory(expiry=expiry)
    session = session_for(fake)
    session.login()
    fake.expire()
    assert session.get_json("/api/v1.0/workspaces")[0]["id"] == "ws1"
    assert fake.logins == 2


def test_only_one_thread_logs_in_again(fake_sc) -> None:
    session = session_for(fake_sc, workers=8)
    session.login()
    fake_sc.expire()
    results, barrier = [], threading.Barrier(8)

    def work() -> None:
        barrier.wait()
        results.append(session.get_json("/api/v1.0/product_info"))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8 and fake_sc.logins == 2


def test_refused_after_relogin_is_an_error(fake_sc) -> None:
    session = session_for(fake_sc)
    session.login()
    # the server forgets every login immediately: the one re-login cannot help
    fake_sc.forget_logins = True
    fake_sc.expire()
    with pytest.raises(AuthenticationError, match="still refuses"):
        session.get_json("/api/v1.0/product_info")
    assert fake_sc.logins == 2


def test_server_error_messages_are_redacted(fake_sc) -> None:
    session = session_for(fake_sc)
    session.login()
    with pytest.raises(ServerError) as info:
        session.get_json("/api/v1.0/leak")
    assert info.value.status == 400 and info.value.code == "bad"
    assert cookie_value(session) not in str(info.value) and fake_sc.password not in str(info.value)
    assert "***" in str(info.value)


def test_503_is_retried_for_every_method_a_500_only_for_idempotent_ones(fake_sc) -> None:
    session = session_for(fake_sc, retry=RetryPolicy(retries=2, backoff=0))
    assert session.get_json("/api/v1.0/flaky")["attempts"] == 3
    with pytest.raises(ServerError, match="gave up after 3 attempt") as info:
        session.post_json("/api/v1.0/busy", {"x": 1})  # 503: the server did nothing, so repeatable
    assert info.value.status == 503 and fake_sc.hits["POST /api/v1.0/busy"] == 3
    with pytest.raises(ServerError) as info:
        session.post_json("/api/v1.0/crash", {"x": 1})  # 500: it may have acted; not repeated blindly
    assert info.value.status == 500 and fake_sc.hits["POST /api/v1.0/crash"] == 1
    with pytest.raises(ServerError):
        session.post_json("/api/v1.0/crash", {"x": 1}, idempotent=True)
    assert fake_sc.hits["POST /api/v1.0/crash"] == 1 + 3
    checks = []
    found = session.post_checked("/api/v1.0/crash", json={"x": 1}, parse=lambda r: "parsed",
                                 took_effect=lambda: checks.append(1) or ("found" if len(checks) == 2 else None))
    assert (found, len(checks), fake_sc.hits["POST /api/v1.0/crash"]) == ("found", 2, 4 + 2)


def test_pool_is_sized_to_the_workers(fake_sc) -> None:
    session = session_for(fake_sc, workers=7)
    adapter = session.http.get_adapter(fake_sc.url)
    assert adapter._pool_maxsize == 7
    assert adapter.max_retries.total == 0  # urllib3 retries nothing: the session's policy decides
    assert session.timeout[0] > 0 and session.timeout[1] > 0


def test_streamed_upload_survives_a_relogin(fake_sc, tmp_path) -> None:
    data = bytes(range(256)) * 4000  # ~1 MB
    path = tmp_path / "image.jpg"
    path.write_bytes(data)
    session = session_for(fake_sc)
    session.login()
    fake_sc.expire()
    made = []

    def body() -> MultipartFile:
        made.append(MultipartFile(path))
        return made[-1]

    answer = session.request("POST", "/api/v1.0/upload", body=body).json()
    assert fake_sc.logins == 2 and len(made) == 2  # the rejected attempt's stream is not reused
    sent = MultipartFile(path, boundary=made[-1].boundary)  # the same body again
    raw = sent.read()
    assert answer["size"] == len(sent) == len(raw)
    assert answer["sha256"] == hashlib.sha256(raw).hexdigest()
    assert answer["ctype"] == sent.content_type and data in raw
    assert b'name="file"; filename="image.jpg"' in raw


def test_host_forms() -> None:
    assert normalize_host("https://sc.example.com/") == "https://sc.example.com"
    assert normalize_host("http://127.0.0.1:8080") == "http://127.0.0.1:8080"
    assert normalize_host("sc.example.com") == "https://sc.example.com"
    with pytest.raises(ValueError, match="not an http"):
        normalize_host("ftp://x")


def test_tls_is_verified_by_default(fake_sc_factory, tls_context) -> None:
    fake = fake_sc_factory(tls=tls_context)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # verify=True must not warn
        session = session_for(fake, retry=RetryPolicy(retries=0))
    # on, with the CA bundle the environment names (as requests reads it), else the default one
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    assert session.verify is True and session.http.verify == bundle
    with pytest.raises(AuthenticationError, match="TLS certificate is not trusted"):
        session.login()
    assert fake.logins == 0


def test_verify_false_warns_once_and_works(fake_sc_factory, tls_context) -> None:
    fake = fake_sc_factory(tls=tls_context)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        session = session_for(fake, verify=False)
        session.login()
        for _ in range(3):
            session.get_json("/api/v1.0/product_info")
    assert [w.category for w in caught] == [InsecureConnectionWarning]
    assert fake.url in str(caught[0].message) and fake.logins == 1


def test_connections_send_a_streamed_upload_in_large_pieces() -> None:
    """urllib3's 16 KiB default cut each image upload into several sends (TLS records) the server
    handled one by one; the session's connections read 1 MiB of a streamed body per send."""
    from sc_importers.rest.session import SEND_BLOCK

    session = SCSession("https://sc.example.com", DexLoginFlow("u", "p"), warn_insecure=False)
    try:
        pool = session.http.get_adapter("https://sc.example.com/").poolmanager.connection_from_url(
            "https://sc.example.com/")
        assert pool._new_conn().blocksize == SEND_BLOCK == 1 << 20
    finally:
        session.close()


def test_proxies_and_no_proxy_are_taken_from_the_environment(fake_sc, monkeypatch) -> None:
    # the session reads the environment once (requests would per request); what it reads still counts
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[str] = []

    class Proxy(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server name
            seen.append(self.path)
            self.send_error(400, "no upstream here")

        def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
            pass

    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_port}")
        with pytest.raises(Exception, match="400"):
            session_for(fake_sc).login()
        assert seen and seen[0] == f"{fake_sc.url}/user/login"  # asked the proxy for the login page
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        session = session_for(fake_sc)
        session.login()
        assert session.get_json("/api/v1.0/product_info") and not session.http.trust_env
        assert len(seen) == 1
    finally:
        proxy.shutdown()
