"""How a session proves who it is: one :class:`LoginFlow` per kind of server login.

SC 1.0 puts its API behind an oauth2-proxy that sends browsers to a Dex LDAP login form; a
successful form POST ends with the ``_oauth2_proxy`` session cookie. :class:`DexLoginFlow` walks
exactly that path with plain HTTP (no browser). Geti 2.x takes a personal access token in an
``x-api-key`` header instead: :class:`ApiKeyLoginFlow`. Both sit behind the same small interface, so
:class:`~sc_importers.rest.session.SCSession` and everything above it are the same for both.

A flow never puts its secrets in messages: :meth:`LoginFlow.secrets` lists the values that the
session redacts from every exception text and log line it produces.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests
from requests.auth import AuthBase

from sc_importers.rest.base import AuthenticationError
from sc_importers.rest.retry import never_sent
from sc_importers.rest.unreachable import unreachable_message

#: Name of the cookie the SC 1.0 oauth2-proxy sets once a login succeeded.
SESSION_COOKIE = "_oauth2_proxy"

#: Answers of a login step that may pass when the login is started again (never "wrong password").
TRANSIENT_LOGIN_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

#: Path prefixes that belong to the SC 1.0 login machinery, never to the API.
LOGIN_PATH_PREFIXES = ("/user/login", "/oauth2/", "/dex/")


def is_login_url(url: str) -> bool:
    """True when ``url`` (absolute or a path) points into the login machinery."""
    path = urlsplit(url).path or url
    return any(path.startswith(prefix) for prefix in LOGIN_PATH_PREFIXES)


class LoginInterrupted(AuthenticationError):
    """A login step failed for a reason that may pass (a broken connection, a timeout, a 5xx or
    429 answer): the session starts the flow again under its retry policy. ``unreachable`` is True
    when no connection could be opened at all (nothing listens there, the name does not resolve)."""

    def __init__(self, message: str, status: int | None = None, unreachable: bool = False):
        super().__init__(message, status=status)
        self.unreachable = unreachable


def interrupted_by(exc: requests.RequestException, host: str, step: str) -> LoginInterrupted:
    """The :class:`LoginInterrupted` for a ``requests`` failure during login step ``step``."""
    unreachable = never_sent(exc) or isinstance(exc, requests.exceptions.SSLError)
    return LoginInterrupted(unreachable_message(exc, host, step), unreachable=unreachable)


class LoginFlow(ABC):
    """Logs a ``requests.Session`` in; called again (once) when the server says it expired."""

    #: Who is logging in, safe to show (a user name, never a secret).
    identity: str = ""

    @abstractmethod
    def login(self, http: requests.Session, host: str, options: dict) -> None:
        """Make ``http`` authenticated against ``host`` or raise :class:`AuthenticationError`
        (:class:`LoginInterrupted` for a failure that may pass: the session starts again).

        ``options`` (``timeout``) go to every request the flow sends; TLS verification, proxies and
        a ``~/.netrc`` login are the session's own (:class:`~sc_importers.rest.session.SCSession`
        reads the environment for them once).
        """

    @abstractmethod
    def secrets(self, http: requests.Session) -> list[str]:
        """Every secret value (password, cookie or token values) to redact from messages."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(identity={self.identity!r})"


class _FormFinder(HTMLParser):
    """Collects the forms of a page: action, method and the named inputs with their values.

    ``HTMLParser`` unescapes attribute values, so ``&amp;`` in an action URL comes out right.
    """

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append({
                "action": attributes.get("action", ""),
                "method": attributes.get("method", "get").lower(),
                "inputs": {},
            })
        elif tag == "input" and self.forms and attributes.get("name"):
            self.forms[-1]["inputs"][attributes["name"]] = attributes.get("value", "")


def find_login_form(html: str) -> dict | None:
    """The first form with a ``password`` input, or None when the page has none."""
    finder = _FormFinder()
    finder.feed(html)
    return next((form for form in finder.forms if "password" in form["inputs"]), None)


class DexLoginFlow(LoginFlow):
    """User name and password through SC 1.0's oauth2-proxy + Dex LDAP login form.

    The steps, as recorded against a real SC 1.0 server: ``GET /user/login`` and follow the
    redirects (oauth2-proxy start, Dex auth, the LDAP connector) to the login page; POST the form
    fields ``login`` and ``password`` to the form's own action URL (it carries Dex's ``state``,
    so it is parsed from the page, never built); follow the redirects (approval, oauth2 callback)
    until the ``_oauth2_proxy`` cookie is set.
    """

    def __init__(self, username: str, password: str):
        if not username:
            raise AuthenticationError("no user name given for the SC login")
        self.identity = username
        self._password = password

    def secrets(self, http: requests.Session) -> list[str]:
        values = [self._password] if self._password else []
        values.extend(c.value for c in http.cookies if c.value and c.name.startswith(SESSION_COOKIE))
        return values

    def login(self, http: requests.Session, host: str, options: dict) -> None:
        for cookie in [c for c in http.cookies if c.name.startswith(SESSION_COOKIE)]:
            http.cookies.clear(cookie.domain, cookie.path, cookie.name)
        try:
            page = http.get(f"{host}/user/login", allow_redirects=True, **options)
        except requests.RequestException as exc:
            raise interrupted_by(exc, host, f"cannot reach the login page of {host}") from None
        if self._has_session(http):
            return  # the proxy let us straight through
        if page.status_code in TRANSIENT_LOGIN_STATUSES:
            raise LoginInterrupted(f"the login page of {host} answered HTTP {page.status_code}",
                                   status=page.status_code)
        form = find_login_form(page.text) if page.ok else None
        if form is None:
            raise AuthenticationError(
                f"the login flow of {host} was not recognised: GET /user/login ended at "
                f"{urlsplit(page.url).path} with HTTP {page.status_code} and no login form"
            )
        fields = dict(form["inputs"])
        fields.update({"login": self.identity, "password": self._password})
        action = urljoin(page.url, form["action"] or page.url)
        try:
            answer = http.post(action, data=fields, allow_redirects=True, **options)
        except requests.RequestException as exc:
            raise interrupted_by(exc, host, f"login to {host} as {self.identity!r} interrupted") from None
        if not self._has_session(http) and answer.status_code in TRANSIENT_LOGIN_STATUSES:
            raise LoginInterrupted(f"login to {host} as {self.identity!r} interrupted: the server answered "
                                   f"HTTP {answer.status_code}", status=answer.status_code)
        if not self._has_session(http):
            again = find_login_form(answer.text) is not None
            reason = (
                "wrong user name or password (the server showed the login form again)"
                if again or answer.status_code in (200, 401, 403)
                else f"the server answered HTTP {answer.status_code} without a session cookie"
            )
            raise AuthenticationError(f"login to {host} as {self.identity!r} failed: {reason}",
                                      status=answer.status_code)

    @staticmethod
    def _has_session(http: requests.Session) -> bool:
        return any(c.name == SESSION_COOKIE and c.value for c in http.cookies)


#: Where a Geti 2.x server says which organization a personal access token belongs to.
TOKEN_ORGANIZATION_PATH = "/api/v1/personal_access_tokens/organization"


class _ApiKeyAuth(AuthBase):
    """Adds ``x-api-key`` (and Geti's CSRF header on changing requests) to requests for ``host``
    only: a redirect to another host (a presigned storage URL) never receives the token."""

    def __init__(self, key: str, host: str):
        self._key = key
        self._netloc = urlsplit(host).netloc

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if urlsplit(request.url or "").netloc == self._netloc:
            request.headers["x-api-key"] = self._key
            if (request.method or "GET").upper() not in ("GET", "HEAD", "OPTIONS"):
                request.headers["x-geti-csrf-protection"] = "1"
        return request

    def __repr__(self) -> str:
        return "_ApiKeyAuth(***)"


class ApiKeyLoginFlow(LoginFlow):
    """A Geti 2.x personal access token, sent as ``x-api-key`` on every request to the server.

    "Logging in" asks ``GET /api/v1/personal_access_tokens/organization``, which answers only for a
    valid token, and keeps the organization id it names (:attr:`organization_id`). A refused token
    is an :class:`AuthenticationError` saying what the server said (plain text such as "Invalid
    authorization token" or "Access token is expired"), never the token itself.
    """

    identity = "personal access token"

    def __init__(self, api_key: str):
        api_key = (api_key or "").strip()
        if not api_key:
            raise AuthenticationError("no personal access token given for the Geti login (--api-key / SC_API_KEY)")
        self._key = api_key
        self.organization_id: str | None = None

    def secrets(self, http: requests.Session) -> list[str]:
        return [self._key]

    def login(self, http: requests.Session, host: str, options: dict) -> None:
        http.auth = _ApiKeyAuth(self._key, host)
        try:
            answer = http.get(f"{host}{TOKEN_ORGANIZATION_PATH}", allow_redirects=False, **options)
        except requests.RequestException as exc:
            raise interrupted_by(exc, host, f"cannot reach {host} to check the personal access token") from None
        if answer.status_code in TRANSIENT_LOGIN_STATUSES:
            raise LoginInterrupted(f"the token check of {host} answered HTTP {answer.status_code}",
                                   status=answer.status_code)
        if answer.status_code in (400, 401, 403):
            said = answer.text.strip().replace(self._key, "***")[:200] if "html" not in answer.headers.get(
                "Content-Type", "") else ""
            hint = (" (Geti personal access tokens start with geti_pat_)"
                    if answer.status_code == 400 or not self._key.startswith("geti_pat_") else "")
            raise AuthenticationError(
                f"{host} refused the personal access token: HTTP {answer.status_code}"
                + (f" {said!r}" if said else "") + hint, status=answer.status_code)
        if answer.status_code != 200:
            raise AuthenticationError(
                f"the token login of {host} was not recognised: GET {TOKEN_ORGANIZATION_PATH} answered "
                f"HTTP {answer.status_code}", status=answer.status_code)
        self.organization_id = organization_of(_json(answer), host)


def _json(response: requests.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


def organization_of(body: object, host: str) -> str:
    """The organization id of a token: ``organizationId``, or the earliest-created of ``organizations``."""
    if isinstance(body, dict) and isinstance(body.get("organizationId"), str) and body["organizationId"]:
        return body["organizationId"]
    orgs = body.get("organizations") if isinstance(body, dict) else None
    if isinstance(orgs, list):
        valid = [o for o in orgs if isinstance(o, dict) and isinstance(o.get("organizationId"), str)]
        if valid:
            return min(valid, key=lambda o: str(o.get("organizationCreatedAt", "")))["organizationId"]
    raise AuthenticationError(f"{host}: GET {TOKEN_ORGANIZATION_PATH} named no organization "
                              f"(expected 'organizationId', got {str(body)[:100]})")
