"""sc-import through a fault-injecting proxy in front of the real local server, one chosen request
at a time (the rate-based faults of ``sc-server --fault-rate`` are in test_server_faults.py): a refused
item is recorded and the rest goes on, transient 503s are retried, a connection reset on one request
is retried within the run (a media POST only after the client checked whether it landed), a server
lost for good stops the run (exit 3) and ``--resume`` finishes it with exactly one media per item.
What the server holds is always read straight from the server."""

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
    body = proxy.sc_error(413, "disk quota exceeded on node 7", "payload_too_large")
    rule = proxy.on("POST", MEDIA_POST, hits=[3]).respond(413, body)

    code, summary, _ = _import(proxy, folder, "refused-one")

    assert len(rule.fired) == 1
    assert code == 1, summary
    assert [f["key"] for f in summary["failed"]] != []
    (failed,) = summary["failed"]
    assert "413" in failed["reason"] and "disk quota exceeded on node 7" in failed["reason"], failed
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
    proxy.on("POST", MEDIA_POST, hits=[1, 2, 3]).respond(400)
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


def _posts(proxy, path_end: str) -> int:
    return sum(1 for method, path, _ in proxy.log if method == "POST" and path.endswith(path_end))


@pytest.mark.parametrize(("path", "after_forwarding", "extra_posts"), [
    (MEDIA_POST, False, 1),  # never reached the server: the check finds nothing, the POST is repeated
    (MEDIA_POST, True, 0),  # stored, the answer lost: the check finds it, no second POST, no duplicate
    (r"/annotations$", True, 1),  # stored, the answer lost: posting the latest annotation again is harmless
], ids=["media-before", "media-after", "annotations-after"])
def test_one_reset_connection_is_recovered_within_the_run_without_duplicates(
        proxy, direct_api, small_coco, server_view, path, after_forwarding, extra_posts):
    folder, truth = small_coco
    name = f"reset-{'after' if after_forwarding else 'before'}-{path.strip('/$')}"
    rule = proxy.on("POST", path, hits=[5]).reset(after_forwarding=after_forwarding)

    code, summary, output = _import(proxy, folder, name)

    assert len(rule.fired) == 1
    assert code == 0, output
    assert summary["media_created"] == len(truth.items) and not summary["failed"], summary
    annotated = sum(1 for item in truth.items if item.annotations)
    wanted = len(truth.items) if path == MEDIA_POST else annotated
    assert _posts(proxy, path.strip("$")) == wanted + extra_posts, proxy.log
    assert server_view.held(direct_api, name) == server_view.expected(truth)  # raises on duplicates


def test_a_server_lost_for_good_stops_the_run_and_resume_completes_it(proxy, direct_api, small_coco, server_view):
    folder, truth = small_coco
    name = "lost-for-good"
    rule = proxy.on("POST", MEDIA_POST, hits=range(5, 1000)).reset(after_forwarding=False)

    code, summary, output = _import(proxy, folder, name, "--retries", "2", "--retry-max-seconds", "5")

    assert len(rule.fired) >= 3
    assert code == 3, output  # a lost server is run-level: is_fatal(ConnectionLost)
    assert "ConnectionError" in summary["aborted"] and "gave up after 3 attempt" in summary["aborted"], summary
    stored = server_view.held(direct_api, name)  # raises on duplicates
    assert len(stored) == summary["media_created"] == 4, (stored, summary)

    proxy.clear()
    code, summary, output = _import(proxy, folder, name, "--resume")

    assert code == 0, output
    assert (summary["media_created"], summary["media_already_there"]) == (len(truth.items) - 4, 4)
    assert server_view.held(direct_api, name) == server_view.expected(truth)


def test_a_server_lost_right_after_creating_the_project_is_exit_3_not_2(proxy, direct_api, small_coco, server_view):
    folder, truth = small_coco
    name = "lost-after-create"
    rule = proxy.on("GET", r"/configuration/task_chain/").reset(after_forwarding=False)  # every attempt

    code, summary, output = _import(proxy, folder, name, "--retries", "1", "--retry-max-seconds", "3")

    assert len(rule.fired) == 2
    assert code == 3, output  # 2 means "nothing was created"; the project exists
    assert summary["refused"] is None and summary["project"]["id"] is not None, summary
    assert "after creating project 'lost-after-create'" in summary["aborted"], summary
    assert direct_api.find_project(name).id == summary["project"]["id"]

    proxy.clear()
    code, summary, output = _import(proxy, folder, name, "--resume")
    assert code == 0, output
    assert server_view.held(direct_api, name) == server_view.expected(truth)
