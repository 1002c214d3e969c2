"""Replaying recorded cassettes against a transport and listing every difference.

Per recorded interaction the replayer
- rewrites the recorded host to the transport's and every recorded id to the id the server under
  test gave for it earlier (ids are learned from answers at the same JSON path, see structure.IdMap),
- re-sends the recorded body (JSON text with ids rewritten, multipart bytes unchanged with their
  recorded boundary, login forms with the transport's credentials instead of the recorded ones),
- follows redirects hop by hop and compares each hop's status with the recorded chain,
- compares the final answer: JSON bodies structurally, other bodies by content-type class and
  non-emptiness.
Report lines look like `cassette#index METHOD path: $.json.path: expected str, got int`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from .cassettes import NOT_JSON, Cassette, Interaction, parse_json
from .structure import IdMap, compare
from .transport import Reply, Transport

REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_HOPS = 12
SESSION_COOKIE = "_oauth2_proxy"
_SETS_SESSION = re.compile(rf"(?:^|,\s*){SESSION_COOKIE}=[^;,\s]")


@dataclass(frozen=True)
class Exclusion:
    """A recorded interaction that cannot be reproduced against the server under test, why, and an
    optional replacement check that covers what can be covered."""

    reason: str
    probe: Callable[[Replayer, Interaction], list[str]] | None = None


def _location(url: str, headers: dict[str, str]) -> str | None:
    location = headers.get("location")
    return urljoin(url, location) if location else None


def is_scheme_hop(url: str, headers: dict[str, str], status: int) -> bool:
    """A redirect that only changes http<->https (TLS termination at the recorded cluster's ingress)."""
    target = _location(url, headers)
    if status not in REDIRECTS or target is None:
        return False
    a, b = urlsplit(url), urlsplit(target)
    return a.scheme != b.scheme and (a.netloc, a.path, a.query) == (b.netloc, b.path, b.query)


def recorded_chains(cassette: Cassette) -> list[list[Interaction]]:
    """Group interactions into redirect chains: a hop belongs to the chain when its URL is where the
    previous hop's Location pointed."""
    chains: list[list[Interaction]] = []
    for interaction in cassette.interactions:
        if chains:
            last = chains[-1][-1]
            if last.status in REDIRECTS and _location(last.url, last.response_headers) == interaction.url:
                chains[-1].append(interaction)
                continue
        chains.append([interaction])
    return chains


def _content_class(headers: dict[str, str]) -> str:
    return headers.get("content-type", "").split("/")[0].strip().lower() or "none"


@dataclass
class Replayer:
    """Replays cassettes in order against one transport, sharing the learned id map between them."""

    transport: Transport
    exclusions: dict[tuple[str, int], Exclusion] = field(default_factory=dict)
    ids: IdMap = field(default_factory=IdMap)
    notes: list[str] = field(default_factory=list)
    #: recorded list elements for which this is true need not exist on the server under test
    preexisting: Callable[[Any], bool] | None = None
    #: (recorded final URL, local final URL) of the last replayed chain
    _previous: tuple[str, str] | None = field(default=None, repr=False)

    # -- requests -------------------------------------------------------------------------------
    def local_url(self, interaction: Interaction) -> tuple[str, list[str]]:
        """The recorded URL on the transport's host with ids rewritten, and the unmapped ids."""
        path, unmapped = self.ids.rewrite(interaction.path)
        return self.transport.base_url.rstrip("/") + path, unmapped

    def _request(self, interaction: Interaction) -> tuple[str, dict[str, str], bytes, list[str]]:
        url, unmapped = self.local_url(interaction)
        content_type = interaction.headers.get("content-type", "")
        headers = {"Content-Type": content_type} if content_type else {}
        body = interaction.body
        if content_type.startswith("application/x-www-form-urlencoded") and self.transport.credentials:
            user, password = self.transport.credentials
            fields = dict(parse_qsl(body.decode("utf-8")))
            fields.update({"login": user, "password": password})
            body = urlencode(fields).encode("utf-8")
        elif body and not content_type.startswith("multipart/"):
            text, more = self.ids.rewrite(body.decode("utf-8"))
            body, unmapped = text.encode("utf-8"), unmapped + more
        return url, headers, body, unmapped

    def _follow(self, method: str, url: str, headers: dict[str, str], body: bytes) -> list[tuple[str, Reply]]:
        hops: list[tuple[str, Reply]] = []
        for _ in range(MAX_HOPS):
            reply = self.transport.send(method, url, headers, body)
            hops.append((url, reply))
            target = _location(url, reply.headers)
            if reply.status not in REDIRECTS or target is None:
                break
            if reply.status == 303 or (reply.status in (301, 302) and method != "GET"):
                method, headers, body = "GET", {}, b""
            url = target
        return hops

    # -- comparison -----------------------------------------------------------------------------
    def compare_answer(self, recorded: Interaction, reply: Reply, label: str | None = None) -> list[str]:
        """Status, then body structure (JSON) or content class (anything else); learns ids."""
        label = label or recorded.label
        if reply.status != recorded.status:
            excerpt = reply.body[:160].decode("utf-8", "replace").replace("\n", " ")
            return [f"{label}: status: expected {recorded.status}, got {reply.status} ({excerpt!r})"]
        expected = recorded.response_json()
        if expected is NOT_JSON:
            problems = []
            want, got = _content_class(recorded.response_headers), _content_class(reply.headers)
            if want != "none" and want != got:
                problems.append(f"{label}: content type: expected {want}/*, got {got}/*")
            if recorded.response_body and not reply.body:
                problems.append(f"{label}: body: expected a non-empty body, got an empty one")
            return problems
        actual = parse_json(reply.headers.get("content-type", ""), reply.body)
        if actual is NOT_JSON:
            kind = reply.headers.get("content-type", "no content type")
            return [f"{label}: body: expected JSON, got {kind} ({len(reply.body)} bytes)"]
        self.ids.learn(expected, actual)
        return [f"{label}: {problem}" for problem in compare(expected, actual, preexisting=self.preexisting)]

    def _compare_chain(self, chain: list[Interaction], hops: list[tuple[str, Reply]]) -> list[str]:
        recorded = [i for i in chain if not is_scheme_hop(i.url, i.response_headers, i.status)]
        local = [(u, r) for u, r in hops if not is_scheme_hop(u, r.headers, r.status)]
        problems: list[str] = []
        for hop, (_, reply) in zip(recorded[:-1], local[:-1], strict=False):
            if hop.status != reply.status:
                problems.append(f"{hop.label}: redirect hop status: expected {hop.status}, got {reply.status}")
        if len(recorded) != len(local):
            want = " -> ".join(str(i.status) for i in recorded)
            got = " -> ".join(str(r.status) for _, r in local)
            problems.append(f"{chain[0].label}: redirect chain: expected {want}, got {got}")
        problems.extend(self.compare_answer(recorded[-1], local[-1][1]))
        if chain[0].method == "POST" and chain[0].headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            problems.extend(self._check_session_cookie(chain, hops))
        return problems

    def _check_session_cookie(self, chain: list[Interaction], hops: list[tuple[str, Reply]]) -> list[str]:
        recorded = any(_SETS_SESSION.search(i.response_headers.get("set-cookie", "")) for i in chain)
        local = any(_SETS_SESSION.search(r.headers.get("set-cookie", "")) for _, r in hops)
        if recorded and not local:
            return [f"{chain[0].label}: login: expected the chain to set a {SESSION_COOKIE} cookie, none was set"]
        jar = getattr(getattr(self.transport, "session", None), "cookies", None)
        insecure = self.transport.base_url.startswith("http://")
        for cookie in jar or ():
            if cookie.name == SESSION_COOKIE and cookie.secure and insecure:
                return [f"{chain[0].label}: login: {SESSION_COOKIE} cookie is Secure on a plain-http server, "
                        "so clients never send it back"]
        return []

    # -- cassettes ------------------------------------------------------------------------------
    def replay_cassette(self, cassette: Cassette, fresh_session: bool | None = None) -> list[str]:
        """Replay one cassette; returns its report lines (empty when it conforms). A login flow
        (starting at /user/login) runs in a fresh client session by default, like a new client."""
        shared = self.transport
        if fresh_session is None:
            fresh_session = bool(cassette.interactions) and urlsplit(cassette.interactions[0].url).path == "/user/login"
        if fresh_session:
            self.transport = shared.fresh()
        try:
            problems: list[str] = []
            for chain in recorded_chains(cassette):
                problems.extend(self._replay_chain(chain))
            return problems
        finally:
            self.transport = shared

    def _replay_chain(self, chain: list[Interaction]) -> list[str]:
        first = chain[0]
        exclusion = self.exclusions.get((first.cassette, first.index))
        if exclusion is not None:
            self.notes.append(f"EXCLUDED {first.label}: {exclusion.reason}")
            return exclusion.probe(self, first) if exclusion.probe else []
        url, headers, body, unmapped = self._request(first)
        if self._previous and self._previous[0] == first.url:
            # a form posted to the page the previous chain ended on: post to where the local chain ended
            url = self._previous[1]
        problems = [
            f"{first.label}: request uses recorded id {rid}, which no earlier answer mapped to a local id"
            for rid in dict.fromkeys(unmapped)
        ]
        hops = self._follow(first.method, url, headers, body)
        self._previous = (chain[-1].url, hops[-1][0])
        problems.extend(self._compare_chain(chain, hops))
        return problems
