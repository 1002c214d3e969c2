"""Why a server could not be reached, in words a user can act on.

``requests`` wraps the real cause (connection refused, a name that does not resolve, TLS spoken
to a plain-HTTP server, an untrusted certificate) a few exceptions deep; its class name alone
("ConnectionError", "SSLError") does not tell a user what to fix. The text never contains more
than the host, so no secret can leak through it.
"""

from __future__ import annotations

import socket
import ssl
from urllib.parse import urlsplit

import requests

#: (words found in the exception chain, what they mean); the first match wins.
_CONNECTION_CAUSES = (
    (("Connection refused", "ConnectionRefusedError"),
     "connection refused: nothing listens there (is the server running, is the port right?)"),
    (("Name or service not known", "NameResolutionError", "nodename nor servname", "getaddrinfo failed",
      "Temporary failure in name resolution", "No address associated with hostname"),
     "the host name does not resolve (a typo, or no network/DNS?)"),
    (("Network is unreachable", "No route to host"), "the network cannot reach the host"),
    (("Connection reset", "RemoteDisconnected", "Connection aborted"),
     "the server closed the connection without an answer"),
)


def _chain_text(exc: BaseException) -> str:
    parts, seen = [], set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.append(f"{type(current).__name__}: {current}")
        parts.extend(str(a) for a in getattr(current, "args", ()) if isinstance(a, BaseException))
        current = current.__cause__ or current.__context__
    return " | ".join(parts)


def _speaks_no_tls(text: str) -> bool:
    return "WRONG_VERSION_NUMBER" in text or "wrong version number" in text or "record layer" in text


def _untrusted(text: str) -> bool:
    return "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text


def tls_always_fails(exc: BaseException) -> bool:
    """True for a TLS failure that repeating cannot cure: https spoken to a plain-http server, or a
    certificate the client does not trust (a TLS connection cut short is not one of them)."""
    if not isinstance(exc, requests.exceptions.SSLError):
        return False
    text = _chain_text(exc)
    return _speaks_no_tls(text) or _untrusted(text)


def untrusted_certificate(exc: BaseException) -> bool:
    """True when ``exc`` is a TLS verification failure: the server's certificate is not trusted."""
    return isinstance(exc, requests.exceptions.SSLError) and _untrusted(_chain_text(exc))


def unreachable_message(exc: requests.RequestException, host: str, step: str) -> str:
    """``step: why`` (e.g. "cannot reach https://sc: connection refused: ..."), or, for a certificate the
    client does not trust, "TLS verification failed for HOST: ... --ca-bundle ...": the server was
    reached, so "cannot reach" would send the user looking in the wrong place."""
    reason = explain_unreachable(exc, host)
    return f"TLS verification failed for {host}: {reason}" if untrusted_certificate(exc) else f"{step}: {reason}"


def explain_unreachable(exc: requests.RequestException, host: str) -> str:
    """One sentence saying why ``host`` could not be reached, with a hint where one helps."""
    text = _chain_text(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        if _speaks_no_tls(text):
            plain = host.replace("https://", "http://", 1)
            return (f"TLS handshake failed: the server does not speak https there; if it is a plain-http "
                    f"server (like a local sc-server), use {plain}")
        if _untrusted(text):
            return ("its TLS certificate is not trusted (self-signed or an unknown authority): give the CA "
                    "certificate with --ca-bundle FILE (SC_CA_BUNDLE, or REQUESTS_CA_BUNDLE), or use "
                    "--no-verify-ssl for a server you trust")
        return "TLS handshake failed (SSLError)"
    if isinstance(exc, requests.Timeout):
        return "no answer in time (timed out; SC_READ_TIMEOUT sets the limit in seconds)"
    for words, meaning in _CONNECTION_CAUSES:
        if any(w in text for w in words):
            return meaning
    return f"connection failed ({type(exc).__name__})"


def speaks_https(base: str, timeout: float = 5.0) -> bool:
    """True when ``base`` (an ``http://`` URL) answers a TLS handshake: an https server that closed a
    plain-http connection. Only the handshake is made (no request, no credentials), and its certificate
    is not judged: the caller only learns that https is the protocol to use."""
    parts = urlsplit(base)
    if parts.scheme != "http" or not parts.hostname:
        return False
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # only asks "does it speak TLS?"; nothing is sent over it
    try:
        with socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout) as raw, \
                context.wrap_socket(raw, server_hostname=parts.hostname):
            return True
    except (OSError, ValueError):
        return False
