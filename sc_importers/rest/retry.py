"""The one retry policy of every request a :class:`~sc_importers.rest.session.SCSession` sends.

What is repeated (decided in :meth:`SCSession.request <sc_importers.rest.session.SCSession.request>`
with :func:`is_transient` and :func:`did_nothing`):

* any request the server did not act on: the connection could not be opened, or the server
  answered 429 or 503 (it says it did nothing; its ``Retry-After`` is honoured);
* an idempotent request (GET, HEAD, PUT, DELETE, or a POST the caller marks ``idempotent`` because
  repeating it changes nothing, like setting the latest annotation) after any transient failure:
  a broken connection, a timeout, or 408/500/502/504;
* a POST that is not idempotent after an ambiguous failure (it may have taken effect) only once the
  caller's ``took_effect`` check asked the server and found that it did not; when it did, the
  check's result is the POST's result. Without a check such a POST is not repeated, nor after a
  read timeout (the server may still be handling the first attempt, and a check cannot see that).

Waits grow exponentially (``backoff`` * 2**n, at most ``max_backoff``) with jitter, never shorter
than the server's ``Retry-After``, and all attempts of one request fit in ``max_seconds``.
"""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass

import requests

from sc_importers.rest.base import ConnectionLost, ServerError

#: Answers that may go away when the request is repeated.
TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: Answers by which the server says it did not act on the request.
NOTHING_DONE_STATUSES = frozenset({429, 503})

DEFAULT_RETRIES = 8
DEFAULT_RETRY_SECONDS = 120.0


@dataclass(frozen=True)
class RetryPolicy:
    """How often (``retries`` repetitions) and how long (``max_seconds`` for all attempts of one
    request, waits included) a transient failure is retried. ``retries=0`` sends every request once."""

    retries: int = DEFAULT_RETRIES
    max_seconds: float = DEFAULT_RETRY_SECONDS
    backoff: float = 0.25
    max_backoff: float = 15.0

    def __post_init__(self) -> None:
        if self.retries < 0:
            raise ValueError(f"--retries must be 0 or more, got {self.retries}")
        if not self.max_seconds >= 0:
            raise ValueError(f"--retry-max-seconds must be 0 or more, got {self.max_seconds}")

    def wait(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before repetition ``attempt`` (1 = the first repetition)."""
        ceiling = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        jittered = ceiling * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not a secret
        return max(jittered, retry_after or 0.0)


class Attempts:
    """The attempts of one request under a policy: ``next_wait(failure)`` says how long to wait
    before the next attempt, or None when the request must give up."""

    def __init__(self, policy: RetryPolicy):
        self.policy = policy
        self.started = time.monotonic()
        self.count = 1

    def next_wait(self, failure: ServerError) -> float | None:
        if self.count > self.policy.retries:
            return None
        wait = self.policy.wait(self.count, getattr(failure, "retry_after", None))
        if time.monotonic() + wait - self.started > self.policy.max_seconds:
            return None
        self.count += 1
        return wait

    def gave_up(self) -> str:
        """Words for a message: how many attempts were made, in how long."""
        return f"gave up after {self.count} attempt(s) in {time.monotonic() - self.started:.1f} s"


def is_transient(exc: BaseException) -> bool:
    """A failure that may pass when the request is repeated: a broken connection or a timeout
    (:class:`ConnectionLost`), or a transient answer (see ``TRANSIENT_STATUSES``)."""
    if isinstance(exc, ConnectionLost):
        return True
    return isinstance(exc, ServerError) and exc.status in TRANSIENT_STATUSES


def did_nothing(exc: BaseException) -> bool:
    """True when the failed request certainly had no effect on the server."""
    return bool(getattr(exc, "not_sent", False)) or (
        isinstance(exc, ServerError) and exc.status in NOTHING_DONE_STATUSES)


def never_sent(exc: requests.RequestException) -> bool:
    """True when ``requests`` failed before the request could reach the server (no connection)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError):
        return False
    current: BaseException | None = exc
    seen = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if type(current).__name__ in ("NewConnectionError", "ConnectionRefusedError", "NameResolutionError"):
            return True
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            current = reason
            continue
        args = [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
        current = args[0] if args else (current.__cause__ or current.__context__)
    return False


def retry_after_seconds(response: requests.Response) -> float | None:
    """The ``Retry-After`` header in seconds (a number or an HTTP date), or None."""
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
