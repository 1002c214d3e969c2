"""``connect``: log in to a server and get the :class:`ServerAPI` of its dialect.

Three dialects exist: SC 1.0 (``sc-v1``: ``/api/v1.0/...``, user name and password through a Dex
login form), Geti 2.x (``geti-v1``: ``/api/v1/...``, a personal access token) and Geti 3.x (``geti-v3``:
``/api/projects``, no login; found when neither ``product_info`` answers but ``GET /api/projects`` gives a
JSON list). Unless the
caller names one (``api="sc1"`` or ``"geti"``, the CLI's ``--api``), the dialect is found by asking
both ``product_info`` paths **before** logging in: a path that answers with a product description,
or that asks for a login, belongs to a server of that dialect; when both do (a server speaking
both), the credentials given decide. Credentials that do not fit the dialect are refused with a
message naming what is missing, before any secret is sent.
"""

from __future__ import annotations

import time
from typing import Literal
from urllib.parse import urlsplit

import requests
import urllib3

from sc_importers.project_types.base import TaskPlan
from sc_importers.rest.base import Adaptation, AuthenticationError, ConnectionLost, ServerAPI, ServerError
from sc_importers.rest.geti_v1 import API as GETI_API
from sc_importers.rest.geti_v1 import GetiV1API, discover_workspace
from sc_importers.rest.geti_v3 import API as GETI3_API
from sc_importers.rest.geti_v3 import GetiV3API, NoLogin
from sc_importers.rest.geti_v3_mapping import Geti3Choices
from sc_importers.rest.login import ApiKeyLoginFlow, DexLoginFlow, LoginInterrupted, is_login_url
from sc_importers.rest.retry import TRANSIENT_STATUSES, Attempts, RetryPolicy, never_sent, retry_after_seconds
from sc_importers.rest.sc_v1 import API as SC_V1_API
from sc_importers.rest.sc_v1 import SCv1API
from sc_importers.rest.session import SCSession, default_timeout, insecure, normalize_host, shown_host
from sc_importers.rest.unreachable import speaks_https, tls_always_fails, unreachable_message

Dialect = Literal["sc1", "geti", "geti3"]
#: Accepted spellings of ``api=`` / ``--api``.
API_CHOICES = {"sc1": "sc1", "sc-v1": "sc1", "geti": "geti", "geti-v1": "geti", "geti3": "geti3",
               "geti-v3": "geti3", "auto": None}
#: What a probe of one ``product_info`` path found: the dialect itself, a login wall, or nothing.
Probe = Literal["yes", "login", "no"]


def connect(host: str, username: str | None = None, password: str | None = None, verify: bool | str = True,
            workers: int = 4, *, api_key: str | None = None, workspace: str | None = None,
            api: str | None = None, geti3: Geti3Choices | None = None,
            retry: RetryPolicy | None = None) -> ServerAPI:
    """Log in to ``host`` (``https://host`` or ``http://127.0.0.1:PORT``) and return its API.

    ``username``/``password`` log in to SC 1.0, ``api_key`` (a personal access token) to Geti 2.x;
    ``workspace`` names the Geti workspace when the organization has several; ``api`` (``"sc1"``,
    ``"geti"``, ``"geti3"``, None to detect) skips the detection. A Geti 3 server needs no credentials;
    ``geti3`` holds the user's answers to what Geti 3 cannot hold (``--chain-task`` ...). ``retry`` is
    the retry policy of every request (default: :class:`RetryPolicy`'s defaults). ``verify`` is True
    (check the server's certificate), False (do not) or the path of a CA bundle to check it against.

    Raises :class:`~sc_importers.rest.base.AuthenticationError` for wrong or missing credentials and
    :class:`~sc_importers.rest.base.ServerError` when the server speaks no known dialect.
    """
    if api is not None and api not in API_CHOICES:
        raise ValueError(f"unknown API {api!r}; choose one of sc1, geti, geti3")
    if not verify:
        insecure(normalize_host(host), stacklevel=2)  # once, before any request
    dialect = API_CHOICES.get(api or "auto") or detect_dialect(host, verify, has_token=bool(api_key),
                                                                has_password=bool(username or password),
                                                                retry=retry)
    if dialect == "geti3":
        if workspace is not None:
            raise ValueError("--workspace chooses a Geti 2.x workspace; Geti 3 has none")
        return _connect_geti3(host, verify, workers, geti3, retry)
    if geti3 is not None and geti3 != Geti3Choices():
        name = "Geti 2.x" if dialect == "geti" else "SC 1.0"
        raise ValueError(f"--chain-task, --rotated-as and --anomaly-as answer what Geti 3 cannot hold; "
                         f"{normalize_host(host)} speaks the {name} API, which holds the project as it is")
    if dialect == "geti":
        if not api_key:
            given = " (a user name and password are for SC 1.0 servers)" if username or password else ""
            raise AuthenticationError(f"{normalize_host(host)} speaks the Geti 2.x API, which needs a personal "
                                      f"access token: give it with --api-key / SC_API_KEY{given}")
        return _connect_geti(host, api_key, workspace, verify, workers, retry)
    missing = [what for what, value in (("a user name (--username / SC_USERNAME)", username),
                                        ("a password (--password / SC_PASSWORD)", password)) if not value]
    if missing:
        given = " (a personal access token is for Geti 2.x servers)" if api_key else ""
        raise AuthenticationError(f"{normalize_host(host)} speaks the SC 1.0 API, which needs "
                                  f"{' and '.join(missing)}{given}")
    if workspace is not None:
        raise ValueError("--workspace chooses a Geti workspace; an SC 1.0 server has one per user")
    try:
        return _connect_sc1(host, str(username), str(password), verify, workers, retry)
    except AuthenticationError as exc:
        if api is None and "not recognised" in str(exc):
            raise AuthenticationError(f"{exc}; if this is a Geti 2.x server, log in with a personal access "
                                      "token (--api-key / SC_API_KEY) instead", status=exc.status) from None
        raise


def connect_failure(host: str, exc: BaseException) -> str:
    """What went wrong when :func:`connect` raised ``exc``, in one line naming ``host``: "cannot log in to
    HOST: ..." only for credentials the server refused or that do not fit its dialect; "cannot reach HOST"
    for a server that is down, a wrong address or port, "TLS verification failed for HOST: ... --ca-bundle"
    for an untrusted certificate (those messages come from the failure itself); a malformed address or a
    server of no known dialect as it is. Never holds a secret (the messages are built from the host)."""
    shown = shown_host(host)
    if isinstance(exc, requests.RequestException):  # raised past the retry layer (rare)
        return unreachable_message(exc, shown, f"cannot reach {shown}")
    message = str(exc)
    if isinstance(exc, (ConnectionLost, LoginInterrupted)):
        return message if shown in message or "cannot reach" in message else f"cannot reach {shown}: {message}"
    if isinstance(exc, AuthenticationError):
        return f"cannot log in to {shown}: {message}"
    if isinstance(exc, ValueError):  # a malformed address, an option that does not fit the dialect
        return message
    names = {shown, shown.rstrip("/")}
    try:
        names.add(normalize_host(host))
    except ValueError:
        pass
    return message if any(name in message for name in names) else f"{shown}: {message}"


def adapt_offline(api: str | None, tasks: list[TaskPlan], geti3: Geti3Choices | None = None) -> Adaptation:
    """What a server of dialect ``api`` would hold of a plan of ``tasks``, without connecting (for the dry
    run, so it refuses and maps as the real run will); unchanged when the dialect is not named (auto) or
    holds every project as planned. Raises :class:`ServerError` with the choices, as ``ServerAPI.adapt``."""
    if api is not None and API_CHOICES.get(api) == "geti3":
        from sc_importers.rest.geti_v3_mapping import adapt

        return adapt(tasks, geti3 or Geti3Choices())
    return Adaptation(tasks=list(tasks))


def probe(http: requests.Session, url: str, verify: bool | str) -> Probe:
    """What ``GET url`` (a ``product_info``) says without credentials: a product description
    ("yes"), a login wall (401/403 or a redirect into the login pages: "login") or neither."""
    response = http.get(url, allow_redirects=False, timeout=default_timeout(), verify=verify)
    try:
        if response.status_code in TRANSIENT_STATUSES:  # may pass: the caller's retry policy decides
            failure = ServerError(f"GET {urlsplit(url).path} answered HTTP {response.status_code}",
                                  status=response.status_code)
            failure.retry_after = retry_after_seconds(response)
            raise failure
        if response.status_code == 200:
            try:
                info = response.json()
            except ValueError:
                return "no"
            return "yes" if isinstance(info, dict) and ("product-version" in info or "build-version" in info) else "no"
        if response.status_code in (401, 403):
            return "login"
        if response.is_redirect and is_login_url(response.headers.get("Location", "")):
            return "login"
        return "no"
    finally:
        response.close()


def _probe_retrying(http: requests.Session, base: str, path: str, verify: bool | str, policy: RetryPolicy) -> Probe:
    """:func:`probe` under the retry policy: transient answers and broken connections are tried
    again; a server that cannot be connected to at all (refused, unknown name) or whose TLS handshake
    fails the same way every time (https to a plain-http server, an untrusted certificate) fails at once, and
    so does plain http to an https server (told apart from a dropped connection by a TLS handshake)."""
    attempts = Attempts(policy)
    while True:
        try:
            return probe(http, f"{base}{path}", verify)
        except requests.RequestException as exc:
            lost = ConnectionLost(unreachable_message(exc, base, f"cannot reach {base}"))
            if tls_always_fails(exc) or (never_sent(exc) and attempts.count == 1):
                raise lost from None
            if attempts.count == 1 and not never_sent(exc) and speaks_https(base):
                secure = base.replace("http://", "https://", 1)
                raise ConnectionLost(f"cannot reach {base}: the server speaks https there, not plain http: "
                                     f"use {secure}") from None
            failure: ServerError = lost
        except ServerError as exc:
            failure = exc
        wait = attempts.next_wait(failure)
        if wait is None:
            raise LoginInterrupted(f"cannot tell which API {base} speaks: {failure} ({attempts.gave_up()})",
                                   status=failure.status) from None
        time.sleep(wait)


def detect_dialect(host: str, verify: bool | str = True, has_token: bool = False, has_password: bool = False,
                   retry: RetryPolicy | None = None) -> Dialect:
    """The dialect of ``host`` from its unauthenticated ``product_info`` answers (see the module doc)."""
    base = normalize_host(host)
    policy = retry or RetryPolicy()
    if not verify:
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)  # the session warns once
    with requests.Session() as http:
        geti = _probe_retrying(http, base, f"{GETI_API}/product_info", verify, policy)
        sc1 = _probe_retrying(http, base, f"{SC_V1_API}/product_info", verify, policy)
    probes: tuple[tuple[Dialect, Probe], ...] = (("geti", geti), ("sc1", sc1))
    candidates = [d for d, p in probes if p != "no"]
    if not candidates and _is_geti3(base, verify):
        return "geti3"
    if len(candidates) == 1:
        return candidates[0]
    if len(candidates) == 2:
        if has_token != has_password:  # a server (or a gateway) that answers on both paths
            return "geti" if has_token else "sc1"
        if not has_token:  # no credentials at all: say both ways in, not only the one that answered first
            raise AuthenticationError(
                f"no credentials given, and {base} speaks both the SC 1.0 and the Geti 2.x API: give a user name "
                "and password (--username / SC_USERNAME, --password / SC_PASSWORD) or a personal access token "
                "(--api-key / SC_API_KEY); --api geti|sc1 names the API")
        answered = [d for d, p in probes if p == "yes"]
        if len(answered) == 1:
            return answered[0]
        raise AuthenticationError(
            f"{base} answers on both the Geti 2.x and the SC 1.0 API paths: give either a personal access "
            "token (--api-key) or a user name and password, or choose with --api geti|sc1")
    raise ServerError(
        f"{base} does not look like an SC 1.0, Geti 2.x or Geti 3 server: neither GET {GETI_API}/product_info nor "
        f"GET {SC_V1_API}/product_info answered with a product description or a login request, nor GET "
        f"{GETI3_API}/projects with a project list; check the address (or name the API with --api)")


def _is_geti3(base: str, verify: bool | str) -> bool:
    """Whether ``base`` answers ``GET /api/projects`` with a JSON list (Geti 3, which has no login)."""
    try:
        response = requests.get(f"{base}{GETI3_API}/projects", allow_redirects=False, timeout=default_timeout(),
                                verify=verify)
    except requests.RequestException:
        return False
    with response:
        if response.status_code != 200:
            return False
        try:
            return isinstance(response.json(), list)
        except ValueError:
            return False


def _connect_geti3(host: str, verify: bool | str, workers: int, choices: Geti3Choices | None,
                   retry: RetryPolicy | None) -> ServerAPI:
    session = SCSession(host, NoLogin(), verify=verify, workers=workers, warn_insecure=False, retry=retry)
    try:
        session.login()
        try:
            listing = session.get_json(f"{GETI3_API}/projects")
        except LoginInterrupted:
            raise
        except AuthenticationError:  # a login wall: SC 1.0 / Geti 2.x (or a gateway), never Geti 3
            raise AuthenticationError(
                f"{session.host} answers GET {GETI3_API}/projects only after a login: it needs a login, so it "
                "is not a Geti 3 server (which has none); use --api sc1 or --api geti, or leave --api out to "
                "detect the API", status=401) from None
        if not isinstance(listing, list):
            raise ServerError(f"{session.host} does not look like a Geti 3 server: GET {GETI3_API}/projects "
                              "is no project list")
        return GetiV3API(session, choices)
    except BaseException:
        session.close()
        raise


def _connect_geti(host: str, api_key: str, workspace: str | None, verify: bool | str, workers: int,
                  retry: RetryPolicy | None) -> ServerAPI:
    flow = ApiKeyLoginFlow(api_key)
    session = SCSession(host, flow, verify=verify, workers=workers, warn_insecure=False, retry=retry)
    try:
        session.login()
        info = session.get_json(f"{GETI_API}/product_info")
        if not isinstance(info, dict):
            raise ServerError(f"{session.host}: GET {GETI_API}/product_info is no product description")
        workspace_id = discover_workspace(session, str(flow.organization_id), workspace)
        return GetiV1API(session, str(flow.organization_id), workspace_id, info)
    except BaseException:
        session.close()
        raise


def _connect_sc1(host: str, username: str, password: str, verify: bool | str, workers: int,
                 retry: RetryPolicy | None) -> ServerAPI:
    session = SCSession(host, DexLoginFlow(username, password), verify=verify, workers=workers,
                        warn_insecure=False, retry=retry)
    try:
        session.login()
        response = session.request("GET", f"{SC_V1_API}/product_info", expect="any", ok_statuses=(404,))
        info = _json_or_none(response)
        if response.status_code == 200 and isinstance(info, dict) and "product-version" in info:
            api = SCv1API(session)
            api.workspace_id  # noqa: B018 - fail early if the user has no workspace
            return api
        raise ServerError(
            f"{session.host} does not look like an SC 1.0 server: GET {SC_V1_API}/product_info "
            f"answered HTTP {response.status_code}"
            + (f" with {sorted(info)[:5]}" if isinstance(info, dict) else ""),
            status=response.status_code,
        )
    except BaseException:
        session.close()
        raise


def _json_or_none(response: requests.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None
