"""Where replayed requests go: the local server over HTTP, or the recordings themselves.

Redirects are never followed here; the replayer follows them hop by hop so each hop's status can be
compared with the recording.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Protocol

import requests

from .cassettes import RECORDED_HOST, Cassette, Interaction


@dataclass
class Reply:
    """A server answer: status, headers (lower-case names) and the raw body."""

    status: int
    headers: dict[str, str]
    body: bytes


class Transport(Protocol):
    """Sends one request to a server rooted at `base_url` and returns its answer unchanged."""

    base_url: str
    #: (username, password) to put into the login form instead of the recorded ones, or None to
    #: keep the recorded form body.
    credentials: tuple[str, str] | None

    def send(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Reply: ...

    def fresh(self) -> Transport:
        """The same server with a new, logged-out client session (new cookie jar)."""
        ...


@dataclass
class HttpTransport:
    """A real HTTP server, e.g. the local sc-server; one requests.Session holds the login cookie."""

    base_url: str
    credentials: tuple[str, str] | None = None
    timeout: float = 60.0
    session: requests.Session = field(default_factory=requests.Session)

    def send(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Reply:
        response = self.session.request(
            method, url, headers=headers, data=body or None, allow_redirects=False, timeout=self.timeout
        )
        headers_out = {k.lower(): v for k, v in response.headers.items()}
        return Reply(response.status_code, headers_out, response.content)

    def fresh(self) -> HttpTransport:
        return HttpTransport(self.base_url, self.credentials, self.timeout)


class CassetteTransport:
    """Answers from recordings, for testing the engine: the n-th request for a (method, URL) gets
    the n-th recorded answer for it (the last one again when they run out). Unknown requests get 599."""

    base_url = RECORDED_HOST
    credentials = None

    def __init__(self, cassettes: list[Cassette]) -> None:
        self._cassettes = cassettes
        self._answers: dict[tuple[str, str], list[Interaction]] = defaultdict(list)
        for cassette in cassettes:
            for interaction in cassette.interactions:
                self._answers[(interaction.method, interaction.url)].append(interaction)
        self._served: dict[tuple[str, str], int] = defaultdict(int)

    def send(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Reply:
        key = (method, url)
        answers = self._answers.get(key)
        if not answers:
            return Reply(599, {"content-type": "text/plain"}, f"no recording for {method} {url}".encode())
        chosen = answers[min(self._served[key], len(answers) - 1)]
        self._served[key] += 1
        return Reply(chosen.status, dict(chosen.response_headers), chosen.response_body)

    def fresh(self) -> CassetteTransport:
        return CassetteTransport(self._cassettes)
