"""Login chain, cookies, session expiry, and refusal of unauthenticated requests on every route."""

from __future__ import annotations

import re
import time

import requests

from sc_importers.server.app import api_routes
from sc_importers.server.testing import running_server

SAMPLE_ID = "0123456789abcdef01234567"


def test_login_chain_sets_session_cookie_like_sc(sc_server) -> None:
    session = requests.Session()
    form = session.get(f"{sc_server.url}/user/login", timeout=30)
    hops = [r.url.split("?")[0].replace(sc_server.url, "") for r in form.history]
    assert hops == ["/user/login", "/oauth2/start", "/dex/auth", "/dex/auth/ldap"]
    assert form.status_code == 200 and "/dex/auth/ldap/login" in form.url
    done = session.post(form.url, data={"login": sc_server.username, "password": sc_server.password}, timeout=30)
    assert [r.status_code for r in done.history] == [303, 303, 302]
    assert done.status_code == 200 and done.url == f"{sc_server.url}/"
    cookie = next(c for c in session.cookies if c.name == "_oauth2_proxy")
    assert cookie.value and not cookie.secure
    assert session.get(f"{sc_server.url}/api/v1.0/product_info", timeout=30).json()["product-version"]


def test_wrong_password_gets_no_cookie(sc_server) -> None:
    session = requests.Session()
    form = session.get(f"{sc_server.url}/user/login", timeout=30)
    answer = session.post(form.url, data={"login": sc_server.username, "password": "wrong"}, timeout=30)
    assert answer.status_code == 401
    assert "_oauth2_proxy" not in session.cookies
    assert session.get(f"{sc_server.url}/api/v1.0/workspaces", timeout=30).status_code == 401


def test_wrong_username_gets_no_cookie(sc_server) -> None:
    session = requests.Session()
    form = session.get(f"{sc_server.url}/user/login", timeout=30)
    session.post(form.url, data={"login": "mallory", "password": sc_server.password}, timeout=30)
    assert "_oauth2_proxy" not in session.cookies


def test_double_slash_redirects_permanently(api) -> None:
    answer = api.session.get(f"{api.url}/api/v1.0//product_info", allow_redirects=False, timeout=30)
    assert answer.status_code == 308
    assert answer.headers["Location"] == f"{api.url}/api/v1.0/product_info"


def _api_routes() -> list[tuple[str, str]]:
    """Every (method, concrete path) of the API, ids filled with a valid-looking id."""
    found = []
    for method, path in api_routes():
        concrete = re.sub(r"\{frame_index\}", "0", path)
        found.append((method, re.sub(r"\{[a-z_]+\}", SAMPLE_ID, concrete)))
    return found


def test_every_api_route_refuses_requests_without_session(sc_server) -> None:
    routes = _api_routes()
    assert len(routes) >= 30  # the whole API, not an empty list
    anonymous = requests.Session()
    forged = requests.Session()
    forged.cookies.set("_oauth2_proxy", "not-a-session")
    for method, path in routes:
        for session in (anonymous, forged):
            answer = session.request(method, f"{sc_server.url}{path}", timeout=30, allow_redirects=False)
            assert answer.status_code == 401, (method, path, answer.status_code)
            assert answer.json()["error_code"] == "unauthorized", (method, path)
    assert requests.get(f"{sc_server.url}/api/v1.0/no/such/route", timeout=30).status_code == 401


def test_expired_session_is_refused_and_login_again_works(tmp_path, h) -> None:
    # 3 s: the login and the first request must fit in the session's lifetime on a loaded machine
    with running_server(tmp_path / "data", extra_args=["--session-ttl", "3"]) as server:
        session = h.login(server.url, server.username, server.password)
        assert session.get(f"{server.url}/api/v1.0/workspaces", timeout=30).status_code == 200
        time.sleep(3.5)
        assert session.get(f"{server.url}/api/v1.0/workspaces", timeout=30).status_code == 401
        again = h.login(server.url, server.username, server.password)
        assert again.get(f"{server.url}/api/v1.0/workspaces", timeout=30).status_code == 200


def _approved_callback(sc_server) -> tuple[requests.Session, str]:
    """Run the chain as one client up to (not into) /oauth2/callback; its session and the callback URL."""
    session = requests.Session()
    form = session.get(f"{sc_server.url}/user/login", timeout=30)
    approval = session.post(form.url, data={"login": sc_server.username, "password": sc_server.password},
                            allow_redirects=False, timeout=30)
    assert approval.status_code == 303
    callback = session.get(f"{sc_server.url}{approval.headers['Location']}", allow_redirects=False, timeout=30)
    assert "/oauth2/callback?" in callback.headers["Location"]
    return session, callback.headers["Location"]


def test_login_csrf_callback_in_another_browser_is_refused(sc_server) -> None:
    """Login CSRF: an attacker's approved callback URL opened by a victim (who lacks the attacker's
    _oauth2_proxy_csrf cookie) must not log the victim in to the attacker's session."""
    _, callback = _approved_callback(sc_server)
    victim = requests.Session()
    answer = victim.get(callback, allow_redirects=False, timeout=30)
    assert answer.status_code == 403
    assert "_oauth2_proxy" not in victim.cookies


def test_callback_with_altered_state_is_refused(sc_server) -> None:
    session, callback = _approved_callback(sc_server)
    altered = re.sub(r"state=[^&]+", "state=forged%3A%2F", callback)
    answer = session.get(altered, allow_redirects=False, timeout=30)
    assert answer.status_code == 403 and "_oauth2_proxy" not in session.cookies
    good = session.get(callback, allow_redirects=False, timeout=30)  # the code was not used up
    assert good.status_code == 302 and session.cookies.get("_oauth2_proxy")
    cookie = re.search(r"_oauth2_proxy=[^;]+;(.*)", good.headers["set-cookie"], re.I)
    assert cookie and "httponly" in cookie.group(1).lower() and "samesite=lax" in cookie.group(1).lower()
