"""Why a server cannot be reached, said in words a user can act on; real sockets, real local server."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from sc_importers.rest import connect
from sc_importers.rest.base import ServerError
from sc_importers.server.testing import free_port


def _refusal(host: str) -> str:
    with pytest.raises(ServerError) as caught:
        connect(host, "admin", "Secret-Never-Shown-1")
    message = str(caught.value)
    assert "Secret-Never-Shown-1" not in message
    return message


def test_nothing_listening_on_the_port():
    port = free_port()
    message = _refusal(f"http://127.0.0.1:{port}")
    assert f"cannot reach http://127.0.0.1:{port}: connection refused" in message


def test_https_to_a_plain_http_server_suggests_http(sc_server):
    https = sc_server.url.replace("http://", "https://")
    message = _refusal(https)
    assert "does not speak https" in message and f"use {sc_server.url}" in message, message


def test_https_to_a_plain_http_server_fails_at_once(sc_server):
    """A TLS handshake that fails on the protocol itself fails the same way every time: repeating it under
    the retry policy only made a newcomer wait half a minute for the same hint."""
    started = time.monotonic()
    message = _refusal(sc_server.url.replace("http://", "https://"))
    assert "does not speak https" in message and "attempt(s)" not in message, message
    assert time.monotonic() - started < 5, message


def test_a_host_name_that_does_not_resolve():
    message = _refusal("http://no-such-host.invalid:5000")
    assert "the host name does not resolve" in message, message


def test_no_verify_ssl_warning_is_one_line_without_source_code(sc_server):
    code = ("from sc_importers.cli import setup_logging; setup_logging(); from sc_importers.rest import connect; "
            f"connect({sc_server.url.replace('http://', 'https://')!r}, 'a', 'b', verify=False)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    warning_lines = [line for line in result.stderr.splitlines() if "verification is disabled" in line]
    assert len(warning_lines) == 1 and warning_lines[0].startswith("Warning: TLS certificate verification"), \
        result.stderr
    assert ".py:" not in result.stderr.split("Traceback")[0], result.stderr


def test_an_untrusted_certificate_names_ca_bundle_and_fails_at_once(sc_server_tls):
    """The hint names the project's own option (--ca-bundle / SC_CA_BUNDLE), not only requests' variable,
    and an untrusted certificate is not retried: it is the same on every attempt."""
    started = time.monotonic()
    message = _refusal(sc_server_tls.url)
    assert "not trusted" in message and "--ca-bundle" in message and "attempt(s)" not in message, message
    assert time.monotonic() - started < 5, message


def test_http_to_an_https_server_suggests_https_at_once(sc_server_tls):
    """An https server closes a plain-http connection without an answer; after one such failure a TLS
    handshake (no request, no credentials) tells it apart from a transient drop, so the run stops at
    once with the fix instead of after ~33 s of retries."""
    plain = sc_server_tls.url.replace("https://", "http://")
    started = time.monotonic()
    message = _refusal(plain)
    assert f"use {sc_server_tls.url}" in message and "attempt(s)" not in message, message
    assert time.monotonic() - started < 5, message
