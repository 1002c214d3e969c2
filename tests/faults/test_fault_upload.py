"""sc-import through a fault-injecting proxy in front of the real local server: a refused item is
recorded and the rest goes on, transient 503s are retried, a lost connection stops the run and
``--resume`` finishes it with exactly one media per item, also when the server stored a media whose
answer never reached the client. What the server holds is always read straight from the server."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sc_importers.cli.import_cmd import build_command

MEDIA_POST = r"/media/images$"


def _import(proxy, folder, name: str, *extra: str) -> tuple[int, dict, str]:
    server = proxy.server
    args = [str(folder), "--format", "coco", "--type", "detection", "--project-name", name, "--host", proxy.url,
            "--username", server.username, "--password", server.password, "--workers", "4", "--json", *extra]
    result = CliRunner().invoke(build_command(), args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    try:
        summary = json.loads(result.stdout)
    except ValueError as exc:
        raise AssertionError(f"no JSON summary (exit {result.exit_code}): {result.output}") from exc
    return result.exit_code, summary, result.output


def test_refused_media_is_recorded_and_resume_uploads_only_it(proxy, direct_api, small_coco, server_view):
    folder, truth = small_coco
    body = proxy.sc_error(500, "disk quota exceeded on node 7")
    rule = proxy.on("POST", MEDIA_POST, hits=[3]).respond(500, body)

    code, summary, _ = _import(proxy, folder, "refused-one")

    assert len(rule.fired) == 1
    assert code == 1, summary
    assert [f["key"] for f in summary["failed"]] != []
    (failed,) = summary["failed"]
    assert "500" in failed["reason"] and "disk quota exceeded on node 7" in failed["reason"], failed
    assert summary["media_created"] == len(truth.items) - 1
    failed_name = next(item.name for item in truth.items if item.key == failed["key"])
    want = server_view.expected(truth)
    have = server_view.held(direct_api, "refused-one")
    assert have == {k: v for k, v in want.items() if k != failed_name}

    proxy.clear()
    posts_before = sum(1 for method, path, _ in proxy.log if method == "POST" and path.endswith("/media/images"))
    code, summary, _ = _import(proxy, folder, "refused-one", "--resume")
    posts = sum(1 for method, path, _ in proxy.log if method == "POST" and path.endswith("/media/images"))
    assert code == 0, summary
    assert (summary["media_created"], summary["media_already_there"]) == (1, len(truth.items) - 1)
    assert posts - posts_before == 1
    assert server_view.held(direct_api, "refused-one") == want


def test_two_503_on_the_media_listing_are_retried(proxy, direct_api, small_coco, server_view):
    folder, truth = small_coco
    proxy.on("POST", MEDIA_POST, hits=[1, 2, 3]).respond(500)
    code, _, _ = _import(proxy, folder, "listing-503")
    assert code == 1
    proxy.clear()
    rule = proxy.on("GET", MEDIA_POST, hits=[1, 2]).respond(503)

    code, summary, output = _import(proxy, folder, "listing-503", "--resume")

    assert len(rule.fired) == 2, proxy.log
    listing = [action for method, path, action in proxy.log if method == "GET" and path.endswith("/media/images")]
    assert listing[:3] == ["respond", "respond", "pass"], listing
    assert code == 0, output
    assert (summary["media_created"], summary["media_already_there"]) == (3, len(truth.items) - 3)
    assert server_view.held(direct_api, "listing-503") == server_view.expected(truth)


@pytest.mark.parametrize(("path", "after_forwarding"), [
    (MEDIA_POST, False),  # the upload never reached the server
    (MEDIA_POST, True),  # the server stored the media, the client never heard back: duplicate hazard
    (r"/annotations$", True),  # the server stored the annotations, the client never heard back
], ids=["media-before", "media-after", "annotations-after"])
def test_reset_connection_stops_the_run_and_resume_completes_without_duplicates(
        proxy, direct_api, small_coco, server_view, path, after_forwarding):
    folder, truth = small_coco
    name = f"reset-{'after' if after_forwarding else 'before'}-{path.strip('/$')}"
    rule = proxy.on("POST", path, hits=[5]).reset(after_forwarding=after_forwarding)

    code, summary, output = _import(proxy, folder, name)

    assert len(rule.fired) == 1
    assert code == 3, output  # a lost connection is run-level: is_fatal(ConnectionLost)
    assert "ConnectionError" in summary["aborted"], summary["aborted"]
    stored = server_view.held(direct_api, name)  # raises on duplicates
    # the reset media is on the server but not counted as created exactly when the server got it
    unheard = path == MEDIA_POST and after_forwarding
    assert len(stored) == summary["media_created"] + unheard, (stored, summary)
    (failed,) = [f for f in summary["failed"] if "ConnectionResetError" in f["reason"]]
    failed_name = next(item.name for item in truth.items if item.key == failed["key"])
    if path == MEDIA_POST:
        assert (failed_name in stored) is after_forwarding, (failed_name, stored)
    else:  # the client counted no annotation for it, yet the server holds them
        assert failed["annotations_posted"] == 0 and stored[failed_name] is not None

    proxy.clear()
    code, summary, output = _import(proxy, folder, name, "--resume")

    assert code == 0, output
    assert summary["media_created"] + summary["media_already_there"] == len(truth.items)
    assert server_view.held(direct_api, name) == server_view.expected(truth)
