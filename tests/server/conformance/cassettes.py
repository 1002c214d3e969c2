"""Loading the recorded SC 1.0 cassettes and working out the order they must be replayed in.

Cassettes depend on each other through server-made ids: a project created in one cassette is used,
then deleted, by others. The order is derived from the ids alone (who introduces an id, who uses it,
who deletes it); the recording time only breaks ties.
"""

from __future__ import annotations

import email.utils
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

RECORDED_HOST = "https://dummy_host"
ID_RE = re.compile(r"(?<![0-9a-f])[0-9a-f]{24}(?![0-9a-f])")
NOT_JSON = object()


def _as_bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


def _first_values(headers: dict[str, list[str]] | None) -> dict[str, str]:
    """vcrpy stores every header as a list; keep the first value under a lower-case name."""
    return {k.lower(): (v[0] if isinstance(v, list) else str(v)) for k, v in (headers or {}).items()}


@dataclass(frozen=True)
class Interaction:
    """One recorded request/response pair."""

    cassette: str
    index: int
    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    status: int
    response_headers: dict[str, str]
    response_body: bytes

    @property
    def path(self) -> str:
        """Path and query of the recorded URL (the host is dropped)."""
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    @property
    def label(self) -> str:
        """`cassette#index METHOD path`, the prefix of every report line about this interaction."""
        return f"{self.cassette}#{self.index} {self.method} {self.path}"

    def response_json(self) -> Any:
        """The recorded response body as JSON, or NOT_JSON for HTML/images/empty bodies."""
        return parse_json(self.response_headers.get("content-type", ""), self.response_body)

    @property
    def started(self) -> float:
        date = self.response_headers.get("date")
        return email.utils.parsedate_to_datetime(date).timestamp() if date else 0.0


def parse_json(content_type: str, body: bytes) -> Any:
    """Body as JSON when the content type says so and it parses; NOT_JSON otherwise."""
    if "json" not in content_type.lower() or not body.strip():
        return NOT_JSON
    try:
        return json.loads(body)
    except ValueError:
        return NOT_JSON


@dataclass
class Cassette:
    """A recorded flow: its file stem and its interactions in recorded order."""

    name: str
    interactions: list[Interaction] = field(default_factory=list)

    @property
    def started(self) -> float:
        return min((i.started for i in self.interactions), default=0.0)


def load_cassette(path: Path) -> Cassette:
    """Read one vcrpy YAML file; a malformed file raises ValueError naming the file and the item."""
    name = path.name.removesuffix(".yaml")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: not a vcrpy cassette ({exc})") from exc
    cassette = Cassette(name)
    for index, item in enumerate(raw):
        try:
            request, response = item["request"], item["response"]
            cassette.interactions.append(
                Interaction(
                    cassette=name,
                    index=index,
                    method=request["method"].upper(),
                    url=request["uri"],
                    headers=_first_values(request.get("headers")),
                    body=_as_bytes(request.get("body")),
                    status=int(response["status"]["code"]),
                    response_headers=_first_values(response.get("headers")),
                    response_body=_as_bytes((response.get("body") or {}).get("string")),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}: interaction {index} is malformed ({exc!r})") from exc
    return cassette


def load_all(directory: Path) -> list[Cassette]:
    """All cassettes of a directory, in replay (dependency) order."""
    return replay_order([load_cassette(p) for p in sorted(directory.glob("*.yaml"))])


def _request_text(interaction: Interaction) -> str:
    body = b"" if interaction.headers.get("content-type", "").startswith("multipart/") else interaction.body
    return interaction.url + " " + body.decode("utf-8", "replace")


def _ids_of(cassette: Cassette) -> tuple[set[str], set[str], set[str]]:
    """(ids introduced by a response before this cassette used them, ids its requests use, ids it deletes)."""
    introduced: set[str] = set()
    used: set[str] = set()
    deleted: set[str] = set()
    for interaction in cassette.interactions:
        request_ids = set(ID_RE.findall(_request_text(interaction)))
        used |= request_ids - introduced
        if interaction.method == "DELETE":
            deleted |= set(ID_RE.findall(urlsplit(interaction.url).path)[-1:])
        response_ids = set(ID_RE.findall(interaction.response_body.decode("utf-8", "replace")))
        introduced |= response_ids - used
    return introduced, used, deleted


def replay_order(cassettes: list[Cassette]) -> list[Cassette]:
    """Topological order: an id's introducer before its users, its users before its deleter.

    When several cassettes introduce the same id (e.g. a project list shows a project created
    elsewhere), the earliest recorded one counts. Ties are broken by recording time, then name.
    """
    info = {c.name: _ids_of(c) for c in cassettes}
    by_time = sorted(cassettes, key=lambda c: (c.started, c.name))
    introducer: dict[str, str] = {}
    for cassette in by_time:
        for rid in info[cassette.name][0]:
            introducer.setdefault(rid, cassette.name)
    before: dict[str, set[str]] = {c.name: set() for c in cassettes}
    for cassette in cassettes:
        _, used, deleted = info[cassette.name]
        for rid in used:
            if rid in introducer and introducer[rid] != cassette.name:
                before[cassette.name].add(introducer[rid])
        for rid in deleted:
            for other in cassettes:
                if other.name != cassette.name and rid in info[other.name][1]:
                    before[cassette.name].add(other.name)
    ordered: list[Cassette] = []
    done: set[str] = set()
    while len(ordered) < len(cassettes):
        ready = [c for c in by_time if c.name not in done and before[c.name] <= done]
        if not ready:  # a cycle: fall back to recording time for the rest
            ready = [c for c in by_time if c.name not in done]
        ordered.append(ready[0])
        done.add(ready[0].name)
    return ordered
