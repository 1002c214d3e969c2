"""One authenticated HTTP session to one server: pool, retries, timeouts, TLS, re-login.

:class:`SCSession` wraps a single ``requests.Session`` (like requests' own Session/adapter
split: the session knows the server and the login, the mounted ``HTTPAdapter`` knows
connections):

* **Pool**: ``pool_maxsize`` equals the number of worker threads, so no worker waits for or
  throws away a connection.
* **Settings read once**: the environment's proxies, CA bundle and netrc login are read when the
  session is made; each API request is then built with requests' ``PreparedRequest`` steps and sent
  through the adapter (:meth:`SCSession._dispatch`), without ``Session.request`` merging the
  session's settings again for every request (the same bytes, about a fifth less client CPU).
* **Retries**: one policy for every request, login included (:mod:`sc_importers.rest.retry`):
  requests the server did not act on are repeated, idempotent ones after any transient failure,
  and a POST that may have taken effect only after its ``took_effect`` check found that it did
  not (:meth:`SCSession.post_checked`). urllib3 itself retries nothing, so there is one place
  that decides. A dialect gets all of this by sending through the session.
* **Timeouts** on every request (connect 10 s, read 300 s; env ``SC_READ_TIMEOUT`` sets the read
  timeout in seconds, for a server known to be slow or a test of slow answers).
* **TLS** is verified by default. ``verify=False`` warns once and silences urllib3's
  per-request ``InsecureRequestWarning`` (process-wide: urllib3 has no per-session switch).
* **Expired sessions**: a 401/403, a redirect into the login pages, or an HTML page where JSON
  or file bytes were expected means the login expired. The session logs in again **once**
  (one thread logs in, the others wait and reuse the new login) and repeats the request with a
  fresh body from the caller's body factory; a second failure is an error.
* **Secrets**: the password, the session cookie and a personal access token never appear in
  ``repr``, exceptions or logs.
* **Login flows** (:mod:`sc_importers.rest.login`): SC 1.0's Dex form or a Geti personal access
  token; a caller that expects a 401/403 as an answer (a feature switched off) lists it in
  ``ok_statuses`` and gets it back instead of a new login.
"""

from __future__ import annotations

import json as jsonlib
import logging
import os
import re
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.cookies import extract_cookies_to_jar
from requests.structures import CaseInsensitiveDict

from sc_importers.rest.base import AuthenticationError, ConnectionLost, ServerError
from sc_importers.rest.login import LoginFlow, LoginInterrupted, is_login_url
from sc_importers.rest.multipart import MultipartFile
from sc_importers.rest.retry import (
    Attempts,
    RetryPolicy,
    did_nothing,
    is_transient,
    never_sent,
    retry_after_seconds,
)

log = logging.getLogger("sc_importers.rest")

#: Produces a fresh request body for each attempt (a new stream for file uploads).
BodyFactory = Callable[[], "bytes | MultipartFile"]
Expect = Literal["json", "binary", "any"]
T = TypeVar("T")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_MAX_REDIRECTS = 5
#: A URL ``PreparedRequest.prepare_url`` gives back as it is: http(s), a lowercase host name, a path
#: and a query (not empty: requests drops a bare ``?``) of characters that need no quoting (no ``%``:
#: requests unquotes some escapes) and no ``.`` or ``..`` segment (urllib3 removes them).
#: tests/rest/test_session_dispatch.py holds it to prepare_url.
_PLAIN_URL = re.compile(r"(?!.*/\.{1,2}(?:[/?]|$))https?://[a-z0-9.\-]+(?::[0-9]+)?"
                        r"/[A-Za-z0-9\-._~/:@!$&'()*+,;=]*(?:\?[A-Za-z0-9\-._~/:@!$&'()*+,;=?]+)?")
#: Bytes urllib3 reads from a streamed body (a :class:`MultipartFile`) per send; its default, 16 KiB,
#: cut a typical JPEG into several sends (TLS records) that the server then handled one by one.
SEND_BLOCK = 1 << 20


class _Adapter(HTTPAdapter):
    """requests' adapter with connections that send streamed bodies in :data:`SEND_BLOCK` pieces."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("blocksize", SEND_BLOCK)
        super().init_poolmanager(*args, **kwargs)


def default_timeout() -> tuple[float, float]:
    """(connect, read) timeouts in seconds: 10 and 300, or the read timeout from ``SC_READ_TIMEOUT``."""
    raw = os.environ.get("SC_READ_TIMEOUT", "").strip()
    if not raw:
        return (10.0, 300.0)
    try:
        read = float(raw)
    except ValueError:
        read = -1.0
    if not read > 0:
        raise ValueError(f"SC_READ_TIMEOUT must be a positive number of seconds, got {raw!r}")
    return (10.0, read)


class InsecureConnectionWarning(UserWarning):
    """TLS certificate verification was switched off for a session."""


def insecure(host: str, stacklevel: int = 2) -> None:
    """Warn (once per connection) that ``host``'s certificate is not verified, and silence urllib3's
    per-request warning. ``connect`` calls it before it probes the server; a session does unless told
    (``warn_insecure=False``) that this was done."""
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    warnings.warn(
        f"TLS certificate verification is disabled for {host}: the connection can be "
        "intercepted. Use this only for a server with a self-signed certificate you trust.",
        InsecureConnectionWarning, stacklevel=stacklevel + 1,
    )


class SessionExpired(Exception):
    """Internal: the server asked for a new login."""


def shown_host(host: str) -> str:
    """``host`` as it may be shown in messages: without a ``user:password@`` part."""
    return re.sub(r"(^|//)[^/@]*@", r"\1", host.strip())


def normalize_host(host: str) -> str:
    """``https://host[:port]`` without a trailing slash; a bare host name gets ``https://``."""
    host = host.strip().rstrip("/")
    if "://" not in host:
        host = f"https://{host}"
    parts = urlsplit(host)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"server address {shown_host(host)!r} is not an http(s) URL like https://sc.example.com")
    if "@" in parts.netloc:  # user:password@host would put the password into every message
        raise ValueError("the server address must not contain a user name or password; "
                         "give them with --username / --password")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


class SCSession:
    """An authenticated, thread-safe HTTP session to one server (see the module doc)."""

    def __init__(
        self, host: str, login: LoginFlow, *, verify: bool | str = True, workers: int = 4,
        timeout: tuple[float, float] | None = None, retry: RetryPolicy | None = None,
        warn_insecure: bool = True,
    ):
        self.host = normalize_host(host)
        self.verify = verify
        self.workers = max(1, workers)
        self.timeout = timeout or default_timeout()
        self._login_flow = login
        self._auth_lock = threading.Lock()
        self._generation = 0  # number of successful logins
        self.http = requests.Session()
        self.http.headers["User-Agent"] = "sc-importers"
        self.retry = retry or RetryPolicy()
        adapter = _Adapter(pool_connections=2, pool_maxsize=self.workers, max_retries=0)
        self.http.mount("https://", adapter)
        self.http.mount("http://", adapter)
        self._from_environment(verify)
        if not verify and warn_insecure:
            insecure(self.host, stacklevel=3)

    def _from_environment(self, verify: bool | str) -> None:
        """What requests takes from the environment, read once and set on the session: the
        proxies for this host (``HTTPS_PROXY``, ``NO_PROXY`` ...), the CA bundle when ``verify`` is
        True (``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``) and a ``~/.netrc`` login for the host.

        requests looks all of them up again for every request while ``trust_env`` is on; with 16
        upload threads that was a tenth of the client's CPU per uploaded image. So the session
        turns it off; every request (the login flow's too) uses what was read here."""
        settings = self.http.merge_environment_settings(self.host, {}, None, verify, None)
        self.http.proxies, self.http.verify = settings["proxies"], settings["verify"]
        netrc = requests.utils.get_netrc_auth(self.host)
        if netrc:
            self.http.auth = netrc
        self.http.trust_env = False

    def __repr__(self) -> str:
        return (f"SCSession(host={self.host!r}, user={self._login_flow.identity!r}, "
                f"verify={self.verify}, workers={self.workers}, logged_in={self.logged_in})")

    @property
    def logged_in(self) -> bool:
        return self._generation > 0

    # -- login ------------------------------------------------------------------------------
    def login(self) -> None:
        """Log in now (``connect`` does this once; later logins happen on expiry)."""
        with self._auth_lock:
            self._do_login()

    def _do_login(self) -> None:
        """Run the login flow, again from its start after a transient failure (the flow raises
        :class:`LoginInterrupted`), within the retry policy. The first login of a session does not
        wait for a server that refuses connections or whose name does not resolve: nothing listens
        there yet, and the user should hear so at once."""
        log.info("logging in to %s as %s", self.host, self._login_flow.identity)
        attempts = Attempts(self.retry)
        while True:
            # A flow's messages are built from the host, the user name and HTTP statuses, never from
            # a secret, so they are not redacted: replacing a password that happens to be a word of
            # the message ("wrong", "login") would show the password by its place in the sentence.
            try:
                self._login_flow.login(self.http, self.host, {"timeout": self.timeout})
            except LoginInterrupted as exc:
                if exc.unreachable and self._generation == 0:
                    raise
                wait = attempts.next_wait(exc)
                if wait is None:
                    raise LoginInterrupted(f"{exc} ({attempts.gave_up()})", status=exc.status) from None
                log.info("login interrupted (%s); trying again in %.1f s", exc, wait)
                time.sleep(wait)
                continue
            self._generation += 1
            return

    def _relogin(self, seen_generation: int) -> None:
        """Log in again unless another thread already did since ``seen_generation``."""
        with self._auth_lock:
            if self._generation == seen_generation:
                self._do_login()

    # -- requests ---------------------------------------------------------------------------
    def url(self, path: str) -> str:
        """Absolute URL of an API path (``/api/...``) or of an absolute URL the server gave."""
        return path if "://" in path else f"{self.host}/{path.lstrip('/')}"

    def request(
        self, method: str, path: str, *, params: dict | None = None, json: Any = None,
        body: BodyFactory | None = None, headers: dict | None = None, expect: Expect = "json",
        stream: bool = False, ok_statuses: tuple[int, ...] = (), idempotent: bool | None = None,
    ) -> requests.Response:
        """Send one API request under the retry policy (see :mod:`sc_importers.rest.retry`),
        logging in again once if the session expired.

        ``body`` is a factory called for each attempt (a file stream cannot be sent twice).
        ``idempotent`` (default: by method) says whether repeating the request after it may have
        taken effect is harmless; a POST that is not is repeated only when the server certainly
        did nothing (use :meth:`post_checked` to have it checked instead).
        Statuses >= 400 raise :class:`ServerError` unless listed in ``ok_statuses``.
        """
        return self._retrying(method.upper(), path, idempotent, None, params=params, json=json, body=body,
                              headers=headers, expect=expect, stream=stream, ok_statuses=ok_statuses)

    def post_checked(self, path: str, *, parse: Callable[[requests.Response], T],
                     took_effect: Callable[[], T | None], json: Any = None,
                     body: BodyFactory | None = None) -> T:
        """POST something that must exist once (a media upload, a new project): after an ambiguous
        failure (a broken connection, a timeout, a 5xx that may come after the effect),
        ``took_effect()`` asks the server whether the first attempt took effect and returns its
        result (then it is this call's result) or None (then the POST is repeated). ``parse``
        turns a successful answer into the result."""
        outcome = self._retrying("POST", path, False, took_effect, params=None, json=json, body=body,
                                 headers=None, expect="json", stream=False, ok_statuses=())
        return outcome.value if isinstance(outcome, _Found) else parse(outcome)

    def _retrying(self, method: str, path: str, idempotent: bool | None, took_effect: Callable[[], object] | None,
                  **send: Any) -> Any:
        repeatable = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        attempts = Attempts(self.retry)
        while True:
            try:
                return self._send_relogging(method, path, send)
            except ServerError as exc:
                if not is_transient(exc) or isinstance(exc, AuthenticationError):
                    raise
                failure = exc
            if not (repeatable or did_nothing(failure)):
                if took_effect is None:
                    raise failure
                found = took_effect()
                if found is not None:
                    log.info("%s %s failed (%s) but had taken effect", method, _path_only(path), failure)
                    return _Found(found)
                if getattr(failure, "timed_out", False):  # it may still be running on the server
                    failure.args = (f"{failure} (not repeated: the server may still be handling it)",)
                    raise failure
            wait = attempts.next_wait(failure)
            if wait is None:
                failure.args = (f"{failure} ({attempts.gave_up()})",)
                raise failure
            log.info("%s %s failed (%s); trying again in %.1f s", method, _path_only(path), failure, wait)
            time.sleep(wait)

    def _send_relogging(self, method: str, path: str, send: dict) -> requests.Response:
        for attempt in (1, 2):
            generation = self._generation
            try:
                return self._send(method, path, **send)
            except SessionExpired as exc:
                if attempt == 2:
                    raise AuthenticationError(
                        f"{method} {_path_only(path)}: the server still refuses the session after "
                        f"logging in again ({exc})", status=401,
                    ) from None
                log.info("session to %s expired (%s); logging in again", self.host, exc)
                self._relogin(generation)
        raise AssertionError("unreachable")

    def _send(self, method: str, path: str, *, params: dict | None, json: Any, body: BodyFactory | None,
              headers: dict | None, expect: Expect, stream: bool, ok_statuses: tuple[int, ...]) -> requests.Response:
        url = self.url(path)
        all_headers = {"Accept": "application/json"} if expect == "json" else {}
        if json is not None:
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        for _ in range(_MAX_REDIRECTS + 1):
            data = jsonlib.dumps(json) if json is not None else (body() if body else None)
            if isinstance(data, MultipartFile):
                all_headers["Content-Type"] = data.content_type
            log.debug("%s %s", method, _path_only(url))
            try:
                response = self._dispatch(method, url, params, data, all_headers, stream)
            except requests.RequestException as exc:
                lost = ConnectionLost(
                    f"{method} {_path_only(url)} on {self.host} failed: {type(exc).__name__}: "
                    f"{self.redact(_strip_queries(str(exc)))}")
                lost.not_sent = never_sent(exc)
                lost.timed_out = isinstance(exc, requests.Timeout) and not lost.not_sent
                raise lost from None
            finally:
                if isinstance(data, MultipartFile):
                    data.close()
            if response.is_redirect:
                target = urljoin(url, response.headers.get("Location", ""))
                response.close()
                if is_login_url(target):
                    raise SessionExpired(f"redirected to the login page {_path_only(target)}")
                url, params = target, None  # the target URL carries its own query
                if response.status_code in (301, 302, 303) and method not in ("GET", "HEAD"):
                    raise ServerError(f"{method} {_path_only(path)} was redirected to "
                                      f"{_path_only(target)}; not repeating it as GET",
                                      status=response.status_code)
                continue
            self._check(method, path, response, expect, ok_statuses)
            return response
        raise ServerError(f"{method} {_path_only(path)}: too many redirects")

    def _dispatch(self, method: str, url: str, params: dict | None, data: bytes | str | MultipartFile | None,
                  headers: dict, stream: bool) -> requests.Response:
        """Send one request as ``self.http.request(..., allow_redirects=False)`` would, through the
        session's adapter (its pools, TLS settings, proxies and error mapping), built with requests'
        own ``PreparedRequest`` steps but without ``Session.request``'s merging of settings for
        every request: this session read them once (:meth:`_from_environment`), and the merging,
        the second parse of a plain URL and ``Session.send``'s bookkeeping were about a quarter of
        the client's CPU per request (tests/rest/test_session_dispatch.py holds the bytes sent equal)."""
        http = self.http
        prepared = requests.PreparedRequest()
        prepared.prepare_method(method)
        if params or not _PLAIN_URL.fullmatch(url):
            prepared.prepare_url(url, params)
        else:  # nothing to quote or add: what prepare_url would give
            prepared.url = url
        merged = CaseInsensitiveDict(http.headers)
        merged.update(headers)
        prepared.prepare_headers(merged)
        prepared.prepare_cookies(http.cookies)
        prepared.prepare_body(data, None)
        prepared.prepare_auth(http.auth, url)
        prepared.prepare_hooks({})
        response = http.get_adapter(prepared.url or url).send(prepared, stream=stream, timeout=self.timeout,
                                                        verify=http.verify, cert=http.cert, proxies=http.proxies)
        extract_cookies_to_jar(http.cookies, prepared, response.raw)  # a cookie the server set stays
        if not stream:
            response.content  # noqa: B018 - read now: the connection goes back to the pool
        return response

    def _check(self, method: str, path: str, response: requests.Response, expect: Expect,
               ok_statuses: tuple[int, ...]) -> None:
        status = response.status_code
        ctype = response.headers.get("Content-Type", "")
        if status in (401, 403) and status not in ok_statuses:
            response.close()
            raise SessionExpired(f"HTTP {status}")
        if is_login_url(response.url):
            response.close()
            raise SessionExpired("answered by the login page")
        if status < 400 and expect != "any" and "text/html" in ctype and status != 204:
            response.close()
            raise SessionExpired("an HTML page came instead of " + ("JSON" if expect == "json" else "data"))
        if status >= 400 and status not in ok_statuses:
            raise self.error_from(method, path, response)

    def error_from(self, method: str, path: str, response: requests.Response) -> ServerError:
        """A :class:`ServerError` carrying the server's ``error_code`` and ``message``."""
        code, message = None, ""
        try:
            payload = response.json()
            if isinstance(payload, dict):
                code = payload.get("error_code")
                message = payload.get("message") or payload.get("detail") or ""
                if not isinstance(message, str):
                    message = jsonlib.dumps(message)
        except ValueError:
            message = response.text[:300] if "html" not in response.headers.get("Content-Type", "") else ""
        text = f"{method} {_path_only(path)}: HTTP {response.status_code}"
        text += f" {code}" if code else ""
        text += f": {self.redact(message)}" if message else ""
        error = ServerError(text, status=response.status_code, code=code)
        error.retry_after = retry_after_seconds(response)
        return error

    # -- conveniences -----------------------------------------------------------------------
    def get_json(self, path: str, params: dict | None = None) -> Any:
        return self.request("GET", path, params=params).json()

    def post_json(self, path: str, payload: Any, idempotent: bool = False) -> Any:
        """POST ``payload``; ``idempotent`` True when sending it twice has the effect of sending it
        once (setting a value, posting the latest annotation), so it is repeated after any
        transient failure."""
        response = self.request("POST", path, json=payload, idempotent=idempotent)
        return response.json() if response.content else None

    def delete(self, path: str) -> None:
        self.request("DELETE", path, expect="any")

    def download(self, path: str, target: Path, chunk: int = 1 << 20,
                 on_chunk: Callable[[bytes], None] | None = None) -> int:
        """Stream ``path``'s bytes into ``target``; returns the number of bytes written.

        ``on_chunk`` (optional) sees every chunk written, e.g. to hash it on the way. A transfer
        that breaks off is started again from the first byte under the retry policy, when
        ``on_chunk`` is None or can start over (it has a ``reset()`` method)."""
        attempts = Attempts(self.retry)
        restart: Callable[[], object] | None = (
            getattr(on_chunk, "reset", None) if on_chunk is not None else (lambda: None))
        while True:
            response = self.request("GET", path, expect="binary", stream=True, headers={"Accept": "*/*"})
            written = 0
            try:
                with open(target, "wb") as out:
                    for part in response.iter_content(chunk):
                        out.write(part)
                        written += len(part)
                        if on_chunk is not None:
                            on_chunk(part)
                return written
            except requests.RequestException as exc:
                lost = ConnectionLost(f"GET {_path_only(path)}: download interrupted: {type(exc).__name__}")
            finally:
                response.close()
            wait = attempts.next_wait(lost) if restart is not None else None
            if wait is None or restart is None:
                raise ConnectionLost(f"{lost} ({attempts.gave_up()})") from None
            log.info("%s; downloading again in %.1f s", lost, wait)
            time.sleep(wait)
            restart()

    def redact(self, text: str) -> str:
        """``text`` with every secret of the login flow replaced by ``***``.

        Only for text that comes from elsewhere (a server's answer, a library's exception): our
        own sentences around it never hold a secret and are left whole (see :meth:`_do_login`)."""
        for secret in self._login_flow.secrets(self.http):
            if secret:
                text = text.replace(secret, "***")
        return text

    def close(self) -> None:
        self.http.close()


class _Found:
    """What a ``took_effect`` check found: the result of a POST whose answer was lost."""

    def __init__(self, value: Any):
        self.value = value


def _path_only(url: str) -> str:
    """The path of a URL without its query (queries can carry login codes)."""
    return urlsplit(url).path or url


def _strip_queries(text: str) -> str:
    return re.sub(r"\?[^\s'\")]*", "", text)
