"""SC 1.0's login: oauth2-proxy in front of Dex with an LDAP connector, reproduced hop by hop.

The chain a client follows (each hop a redirect, as recorded from a real cluster):
``GET /user/login`` -> ``/oauth2/start`` (sets ``_oauth2_proxy_csrf``) -> ``/dex/auth`` ->
``/dex/auth/ldap`` -> ``/dex/auth/ldap/login`` (200, HTML form) -> ``POST`` of ``login`` and
``password`` (303) -> ``/dex/approval`` -> ``/oauth2/callback`` (sets ``_oauth2_proxy``) -> ``/``.

Absolute ``Location`` headers are built from the request's Host, so the chain works on any port.
Pending logins are kept in memory (they last seconds); sessions are random tokens whose SHA-256
(:func:`token_hash`, never the token itself) is stored in SQLite with an expiry (``--session-ttl``),
so they survive a restart of the server and a copy of the database logs no one in.

Geti 2.x (``/api/v1/``) authenticates differently: a personal access token in ``x-api-key``
(:func:`api_key_refusal`). The server keeps only the token's SHA-384 hash, as Geti does.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import secrets
import string
import threading
import time
import zlib
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from sc_importers.server.errors import error_response
from sc_importers.server.settings import settings_of

SESSION_COOKIE = "_oauth2_proxy"
CSRF_COOKIE = "_oauth2_proxy_csrf"
_PENDING_TTL = 600.0
#: Most logins in progress kept at once; the oldest is dropped first.
_PENDING_MAX = 10_000

router = APIRouter(include_in_schema=False)
_pending_lock = threading.Lock()
_pending: dict[str, dict] = {}  # dex request id or oauth code -> {"state", "expires", "user"}


def _base(request: Request) -> str:
    host = request.headers.get("host") or f"{request.url.hostname}:{request.url.port}"
    return f"{request.url.scheme}://{host}"


def _remember(key: str, **values: object) -> None:
    now = time.time()
    with _pending_lock:
        for stale in [k for k, v in _pending.items() if v["expires"] < now]:
            del _pending[stale]
        while len(_pending) >= _PENDING_MAX:  # unauthenticated GETs add entries: bound the memory
            del _pending[next(iter(_pending))]
        _pending[key] = {"expires": now + _PENDING_TTL, **values}


def _take(key: str) -> dict | None:
    with _pending_lock:
        entry = _pending.pop(key, None)
    return entry if entry and entry["expires"] >= time.time() else None


def _peek(key: str) -> dict | None:
    with _pending_lock:
        entry = _pending.get(key)
    return entry if entry and entry["expires"] >= time.time() else None


def _found(location: str, status: int = 302) -> Response:
    body = f'<a href="{html.escape(location)}">Found</a>.\n\n'
    return HTMLResponse(body, status_code=status, headers={"Location": location})


@router.get("/user/login")
def user_login(request: Request) -> Response:
    base = _base(request)
    return _found(f"{base}/oauth2/start?rd={base}{quote('/user/login', safe='')}")


@router.get("/oauth2/start")
def oauth2_start(request: Request, rd: str = "/") -> Response:
    base = _base(request)
    csrf = secrets.token_urlsafe(32)
    query = urlencode(
        {
            "approval_prompt": "force",
            "client_id": "impt",
            "redirect_uri": f"{base}/oauth2/callback",
            "response_type": "code",
            "scope": "openid profile groups email offline_access",
            "state": f"{csrf}:/",
        }
    )
    response = _found(f"{base}/dex/auth?{query}")
    response.set_cookie(CSRF_COOKIE, csrf, path="/", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", max_age=900)
    return response


@router.get("/dex/auth")
def dex_auth(request: Request) -> Response:
    return _found(f"/dex/auth/ldap?{request.url.query}")


@router.get("/dex/auth/ldap")
def dex_auth_ldap(request: Request) -> Response:
    req_id = secrets.token_hex(13)
    _remember(req_id, state=request.query_params.get("state", ""),
              redirect_uri=request.query_params.get("redirect_uri", ""))
    return _found(f"/dex/auth/ldap/login?back=&state={req_id}")


def _login_form(req_id: str, error: str = "") -> str:
    action = html.escape(f"/dex/auth/ldap/login?back=&state={req_id}")
    notice = f'<div class="loginBox__error" id="login-error">{html.escape(error)}</div>' if error else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8"><title>Sonoma Creek</title></head>
<body><div class="loginBox__content"><h1 id="login-sign-in">Sign in</h1>{notice}
<form method="post" action="{action}">
<label for="login">Email address</label><input required id="login" name="login" type="text">
<label for="password">Password</label><input required id="password" name="password" type="password">
<button id="submit-login" type="submit">Sign In</button>
</form></div></body></html>
"""


@router.get("/dex/auth/ldap/login")
def dex_login_form(state: str = "") -> Response:
    if not _peek(state):
        return HTMLResponse("<html><body>Invalid or expired login request.</body></html>", status_code=400)
    return HTMLResponse(_login_form(state))


@router.post("/dex/auth/ldap/login")
async def dex_login_submit(request: Request, state: str = "") -> Response:
    settings = settings_of(request)
    pending = _peek(state)
    if not pending:
        return HTMLResponse("<html><body>Invalid or expired login request.</body></html>", status_code=400)
    form = await request.form()
    login = str(form.get("login", ""))
    password = str(form.get("password", ""))
    good_user = hmac.compare_digest(login.encode(), settings.username.encode())
    good_password = hmac.compare_digest(password.encode(), settings.password.encode())
    if not (good_user and good_password):
        # Dex shows the form again with an error and sets no cookie.
        return HTMLResponse(_login_form(state, "Invalid username and password."), status_code=401)
    pending["user"] = login
    return Response(status_code=303, headers={"Location": f"/dex/approval?req={state}"})


@router.get("/dex/approval")
def dex_approval(request: Request, req: str = "") -> Response:
    pending = _take(req)
    if not pending or "user" not in pending:
        return HTMLResponse("<html><body>Unknown or unapproved login request.</body></html>", status_code=400)
    code = secrets.token_hex(13)
    _remember(code, user=pending["user"], state=pending["state"])
    query = urlencode({"code": code, "state": pending["state"]})
    return _found(f"{_base(request)}/oauth2/callback?{query}", status=303)


def _state_matches(request: Request, pending: dict, state: str) -> bool:
    """Login-CSRF check, as oauth2-proxy does: the callback's ``state`` must be the one this login
    started with, and its CSRF part must equal the ``_oauth2_proxy_csrf`` cookie of the browser that
    started it. Otherwise a victim opening an attacker's callback URL would be logged in as the
    attacker."""
    csrf = request.cookies.get(CSRF_COOKIE, "")
    return (bool(csrf) and hmac.compare_digest(state.encode(), str(pending.get("state", "")).encode())
            and hmac.compare_digest(state.split(":", 1)[0].encode(), csrf.encode()))


@router.get("/oauth2/callback")
def oauth2_callback(request: Request, code: str = "", state: str = "") -> Response:
    settings = settings_of(request)
    pending = _peek(code)
    if not pending or not _state_matches(request, pending, state) or not _take(code):
        return HTMLResponse("<html><body>403 Forbidden: invalid authorization code or state.</body></html>", 403)
    token = secrets.token_urlsafe(48)
    expires = time.time() + settings.session_ttl
    with settings.db.write() as conn:
        conn.execute("DELETE FROM sessions WHERE expires_at < ?", (time.time(),))
        conn.execute("INSERT INTO sessions (token, username, expires_at) VALUES (?, ?, ?)",
                     (token_hash(token), pending["user"], expires))
    response = _found("/")
    secure = request.url.scheme == "https"
    response.delete_cookie(CSRF_COOKIE, path="/")
    response.set_cookie(SESSION_COOKIE, token, path="/", httponly=True, samesite="lax", secure=secure,
                        max_age=int(settings.session_ttl) + 1)
    return response


@router.get("/")
def home() -> Response:
    """Where the login chain ends: 200 with a page, as SC's UI answers (recorded); a browser moves
    on to the project viewer, which sends it to ``/user/login`` when it has no session."""
    return HTMLResponse('<!doctype html><html lang="en"><head><title>Sonoma Creek</title>'
                        '<meta http-equiv="refresh" content="0; url=/viewer/"></head>'
                        '<body><div id="root">sc-server: <a href="/viewer/">open the viewer</a></div></body></html>')


def token_hash(token: str) -> str:
    """What the sessions table stores of a session token: its SHA-256, hex. The token is 48 random
    bytes, so a plain (unsalted, fast) hash cannot be reversed; the database alone logs no one in."""
    return hashlib.sha256(token.encode()).hexdigest()


def session_expiry(request: Request) -> float:
    """When the request's ``_oauth2_proxy`` session expires (0.0: no such session)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return 0.0
    with settings_of(request).db.read() as conn:
        row = conn.execute("SELECT expires_at FROM sessions WHERE token=?", (token_hash(token),)).fetchone()
    return row["expires_at"] if row else 0.0


def session_is_valid(request: Request) -> bool:
    """True when the request carries an unexpired ``_oauth2_proxy`` session token."""
    return session_expiry(request) >= time.time()


def unauthorized() -> Response:
    """What an ``/api/`` request without a valid session gets: 401 with an SC-style body."""
    return error_response(401, "unauthorized",
                          "Authentication required: no valid session cookie. Log in via /user/login.")


# -- Geti 2.x personal access tokens (x-api-key) ------------------------------------------------------------

PAT_PREFIX = "geti_pat_"
_BASE62 = string.digits + string.ascii_letters


def _base62(data: bytes, width: int) -> str:
    number = int.from_bytes(data, "big")
    digits = ""
    while number:
        number, digit = divmod(number, 62)
        digits = _BASE62[digit] + digits
    return digits.rjust(width, "0")


def new_api_key() -> str:
    """A fresh token in Geti's format: ``geti_pat_<43 base62 chars>_<6 base62 chars>``, 32 random bytes
    followed by their CRC32 (written little-endian) as checksum."""
    secret = secrets.token_bytes(32)
    checksum = zlib.crc32(secret).to_bytes(4, "little")
    return f"{PAT_PREFIX}{_base62(secret, 43)}_{_base62(checksum, 6)}"


def api_key_format_problem(key: str) -> str | None:
    """Why ``key`` cannot be a Geti token (the gateway answers such a header with 400), else None."""
    if not key.startswith(PAT_PREFIX) or len(key.split("_")) != 4:
        return f"it must look like {PAT_PREFIX}<secret>_<checksum> (4 parts separated by '_')"
    if not all(char in _BASE62 + "_" for char in key):
        return "it may contain only letters, digits and '_'"
    return None


def api_key_hash(key: str) -> str:
    """The only form in which the server keeps a token: its SHA-384 hex digest."""
    return hashlib.sha384(key.encode()).hexdigest()


def _plain(status: int, message: str) -> Response:
    """Geti's gateway and auth proxy refuse in plain text, not with a JSON error object."""
    return PlainTextResponse(message, status_code=status)


def invalid_token() -> Response:
    """401 for a token that is unknown, or used on another organization's path."""
    return _plain(401, "Invalid authorization token")


def api_key_refusal(request: Request, key_hash: str) -> Response | None:
    """None when the request may reach a Geti 2.x route, else the refusal Geti's gateway gives:
    400 ``Bad request`` for an ``x-api-key`` not shaped like a token; 401 ``Invalid authorization token``
    for a wrong one; 401 for an ``Authorization`` header (we issue no JWTs); 403 ``RBAC: access denied``
    without any credentials. ``Authorization`` wins over ``x-api-key`` when both are sent, as in Geti."""
    authorization = request.headers.get("authorization")
    if authorization is not None:
        if not authorization.startswith("Bearer "):
            return _plain(401, "Authorization header is in unexpected format")
        return invalid_token()
    key = request.headers.get("x-api-key")
    if key is None:
        return _plain(403, "RBAC: access denied")
    if not key.startswith(PAT_PREFIX) or len(key.split("_")) != 4:
        return _plain(400, "Bad request")
    if not key_hash or not hmac.compare_digest(api_key_hash(key), key_hash):
        return invalid_token()
    return None
