"""Fault injection for ``sc-server`` (``--fault-rate``; off by default): a plain ASGI middleware that
makes a deterministic share of requests fail the way real servers and networks fail.

    sc-server --data-dir D --fault-rate 0.1 --fault-seed 7 --fault-kinds 500,503,429,drop-before,drop-after,slow

Every request, the login chain included, may be hit. The kinds:

* ``503`` / ``429``: answered at once with an SC-style error body and ``Retry-After: 1``; the request
  did nothing (the server said so).
* ``500``: the request **is handled** (it took effect), then its answer is replaced by a 500, as
  when a handler crashes after committing: the ambiguous case with an answer.
* ``drop-before``: the connection is closed without an answer before the request reaches the
  application (nothing happened, but the client cannot know).
* ``drop-after``: the request is handled (it took effect) and the connection is then closed
  without an answer: the ambiguous case a client must check on before repeating a POST.
* ``slow``: the answer comes ``slow_seconds`` late (handled after the wait).

Determinism: whether and how a request is hit depends only on the seed, the method, the path
(without query) and how many requests with that method and path came before, not on timing or on
other paths, so a run with the same requests in the same order per path gets the same faults.
Every fault is logged to stdout (``sc-server: fault KIND METHOD PATH``).

Dropping a connection needs the transport, which ASGI does not expose: :class:`TrackedH11Protocol`
(uvicorn's h11 protocol that remembers each connection's transport by peer address) is what
``sc-server`` runs with; under any other server a drop degrades to headers without a body.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections import Counter
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

KINDS = ("500", "503", "429", "drop-before", "drop-after", "slow")

#: Open connections of the running server: peer (host, port) -> asyncio transport.
_transports: dict[tuple, asyncio.Transport] = {}


class TrackedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, registering its transport so a fault can abort the connection."""

    # uvicorn's H11Protocol narrows asyncio.Protocol's BaseTransport to Transport the same way (and ignores it too)
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        peer = transport.get_extra_info("peername")
        if peer:
            _transports[tuple(peer[:2])] = transport

    def connection_lost(self, exc: Exception | None) -> None:
        peer = self.transport.get_extra_info("peername") if self.transport else None
        if peer:
            _transports.pop(tuple(peer[:2]), None)
        super().connection_lost(exc)


def parse_kinds(text: str) -> tuple[str, ...]:
    """``"500,drop-after"`` -> ``("500", "drop-after")``; raises ValueError naming an unknown kind."""
    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise ValueError(f"unknown fault kind(s) {', '.join(unknown) or '(none given)'}; known: {', '.join(KINDS)}")
    return kinds


@dataclass
class FaultPlan:
    """Which share of requests fail (``rate`` in [0, 1]), with which kinds, under which seed."""

    rate: float
    seed: int = 0
    kinds: tuple[str, ...] = KINDS
    slow_seconds: float = 2.0
    _seen: Counter = field(default_factory=Counter, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    injected: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"--fault-rate must be between 0 and 1, got {self.rate}")
        parse_kinds(",".join(self.kinds))

    def draw(self, method: str, path: str) -> str | None:
        """The fault for this request (the n-th with this method and path), or None."""
        with self._lock:
            self._seen[(method, path)] += 1
            n = self._seen[(method, path)]
        digest = hashlib.sha256(f"{self.seed}\0{method}\0{path}\0{n}".encode()).digest()
        roll = int.from_bytes(digest[:8], "big") / 2**64
        if roll >= self.rate:
            return None
        kind = self.kinds[digest[8] % len(self.kinds)]
        with self._lock:
            self.injected[kind] += 1
        return kind


def _error_body(status: int) -> bytes:
    code = {429: "too_many_requests", 503: "service_unavailable"}.get(status, "internal_server_error")
    return json.dumps({"error_code": code, "http_status": status,
                       "message": f"injected fault: HTTP {status}"}).encode()


class FaultMiddleware:
    """ASGI middleware applying a :class:`FaultPlan` to every HTTP request."""

    def __init__(self, app: ASGIApp, plan: FaultPlan):
        self.app = app
        self.plan = plan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.plan.rate <= 0:
            await self.app(scope, receive, send)
            return
        kind = self.plan.draw(scope["method"], scope["path"])
        if kind is None:
            await self.app(scope, receive, send)
            return
        print(f"sc-server: fault {kind} {scope['method']} {scope['path']}", flush=True)
        if kind in ("503", "429"):
            await _answer(send, int(kind), _error_body(int(kind)), retry_after=True)
        elif kind == "drop-before":
            await _drop(scope, send)
        elif kind == "slow":
            await asyncio.sleep(self.plan.slow_seconds)
            await self.app(scope, receive, send)
        else:  # 500 and drop-after: the request takes effect, its answer is lost
            await self.app(scope, receive, _swallow)
            if kind == "500":
                await _answer(send, 500, _error_body(500))
            else:
                await _drop(scope, send)


async def _swallow(_message: Message) -> None:
    """A ``send`` that throws the application's answer away."""


async def _answer(send: Send, status: int, body: bytes, retry_after: bool = False) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry_after:
        headers.append((b"retry-after", b"1"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _drop(scope: Scope, send: Send) -> None:
    """Close the client's connection without an answer."""
    transport = _transports.get(tuple(scope.get("client") or ())[:2])
    if transport is None:  # not running under TrackedH11Protocol: cut after the headers instead
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"1000")]})
        raise ConnectionAbortedError("injected fault: connection dropped")
    transport.abort()
    for _ in range(3):  # let connection_lost run, so uvicorn does not try to answer a closed socket
        await asyncio.sleep(0)
