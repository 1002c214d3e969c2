"""Recorded interactions the local server cannot reproduce, each with its justification and the
replacement check that covers what is still checkable. Every exclusion is printed in the report.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .cassettes import NOT_JSON, Interaction, parse_json
from .replay import Exclusion, Replayer
from .structure import compare

#: An id no server hands out, for provoking a not-found error.
UNKNOWN_ID = "000000000000000000000000"


def error_shape_probe(replayer: Replayer, recorded: Interaction) -> list[str]:
    """Provoke an error on the same route with an unknown id and compare the error body's structure
    (error_code, http_status, message) with the recorded error; http_status must equal the status."""
    url, _ = replayer.local_url(recorded)
    parts = urlsplit(url)
    parent = parts.path.rstrip("/").rsplit("/", 1)[0]
    probe_url = f"{parts.scheme}://{parts.netloc}{parent}/{UNKNOWN_ID}"
    label = f"{recorded.label} (error-shape probe: {recorded.method} {parent}/{UNKNOWN_ID})"
    reply = replayer.transport.send(recorded.method, probe_url, {"Content-Type": "application/json"}, b"")
    if not 400 <= reply.status < 500:
        return [f"{label}: status: expected a 4xx error, got {reply.status}"]
    actual = parse_json(reply.headers.get("content-type", ""), reply.body)
    if actual is NOT_JSON:
        return [f"{label}: body: expected a JSON error body, got {reply.headers.get('content-type')}"]
    problems = [f"{label}: {p}" for p in compare(recorded.response_json(), actual)]
    if isinstance(actual, dict) and actual.get("http_status") != reply.status:
        problems.append(f"{label}: $.http_status: {actual.get('http_status')!r} differs from the status "
                        f"{reply.status}")
    return problems


PROJECT_LOCKED = Exclusion(
    reason=(
        "409 project_locked needs a running training job; the local server has no training jobs (and "
        "no debug switch for one), so DELETE of an idle project rightly succeeds. The request is NOT sent "
        "(the recorded project also survived, so later state matches the recording); instead an error "
        "is provoked on the same route with an unknown id and the error body's structure is compared "
        "with the recorded 409 body."
    ),
    probe=error_shape_probe,
)

SCHEME_HOP_NOTE = (
    "the http->https 308 hop after /api/v1.0//product_info (TLS termination at the recorded cluster's "
    "ingress) is not expected from a plain-http local server; the 308 for the double slash and the "
    "final 200 answer are still compared"
)


def known_exclusions() -> dict[tuple[str, int], Exclusion]:
    """(cassette name, interaction index) -> exclusion, for replays against the local server."""
    segmentation = "TestSCRESTClient.test_create_single_task_project_from_dataset__Segmentation_project"
    return {(segmentation, 42): PROJECT_LOCKED}
