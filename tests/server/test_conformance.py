"""Conformance replay suite: the recorded SC 1.0 flows in /work/shared/sc-v1-recordings/, replayed
against the local server (sc_importers.server), must get the same status codes and JSON structure.

How it works (engine in tests/server/conformance/):
- Cassettes are replayed in dependency order worked out from the ids (a project's creator before its
  users, its users before its deleter), one pytest test per cassette, all against one module-scoped
  local server so state carries over exactly as on the recorded cluster.
- Recorded ids are rewritten to the ids the local server answered at the same JSON path.
- Each difference is one report line `cassette#index METHOD path: $.json.path: expected str, got int`,
  printed and appended to `<pytest tmp>/conformance*/report.txt`; a cassette with differences fails.

Decisions about what is meaningful against a plain-http local server:
- Login (client.yaml, session.yaml): replayed like a client, in a fresh session: GET /user/login and
  its redirect hops, the form POST (`login`/`password`, the local server's credentials instead of the
  recorded ones; passwords and cookie values are never printed), its redirect hops and the final page.
  Each hop's status is compared, the chain must set a non-empty `_oauth2_proxy` cookie, and the cookie
  must not be `Secure` on plain http (a client would never send it back).
- `/api/v1.0//product_info`: the first 308 (double slash) and the final 200 JSON are compared; the
  recorded http->https 308 hop is TLS termination at the cluster ingress and is not expected locally.
- The 409 `project_locked` DELETE needs a training job, which the local server does not have: it is a
  listed exclusion (see conformance/exclusions.py) replaced by an error-body-shape probe on the same
  route. Exclusions are printed with the report; they never hide a difference silently.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from sc_importers.server.testing import running_server

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conformance.cassettes import Cassette, load_all, load_cassette, replay_order  # noqa: E402
from conformance.exclusions import known_exclusions  # noqa: E402
from conformance.replay import Replayer  # noqa: E402
from conformance.structure import IdMap, compare, created_before  # noqa: E402
from conformance.transport import CassetteTransport, HttpTransport  # noqa: E402

_ROOT = Path(__file__).resolve().parents[2]
RECORDINGS = Path(os.environ.get("SC_SHARED_DIR", _ROOT.parent / "shared")) / "sc-v1-recordings"


def _cassette_names() -> list[str]:
    """Replay order for parametrization; without the recordings, file order (each test then fails
    under CI or skips through the `shared` fixture)."""
    if not RECORDINGS.is_dir():
        return ["client", "session"]
    return [c.name for c in load_all(RECORDINGS)]


@pytest.fixture(scope="module")
def recordings() -> list[Cassette]:
    if not RECORDINGS.is_dir():
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"shared test data missing: {RECORDINGS}")
    return load_all(RECORDINGS)


# -- the engine, checked against the recordings themselves -------------------------------------------


def test_structure_compare_reports_each_kind_of_difference() -> None:
    recorded = {"id": "a", "n": 1, "items": [{"name": "x", "v": 0.5}], "gone": None}
    local = {"id": 3, "n": 1.0, "items": [{"name": "x", "v": None}], "extra": True}
    assert compare(recorded, local) == [
        "$.gone: missing key (expected null)",
        "$.extra: unexpected key (bool)",
        "$.id: expected str, got int",
        "$.items[0].v: expected float, got null",
        "$.n: expected int, got float",
    ]
    older, newer = {"creation_time": "2022-04-08T07:01:38+00:00"}, {"creation_time": "2022-04-12T20:12:04+00:00"}
    listing = {"items": [older, newer]}
    assert compare(listing, {"items": []}, preexisting=created_before("2022-04-12T20:11:38+00:00")) == [
        "$.items: expected 1 element(s) (plus 1 recorded that predate the recorded flows), got 0"
    ]


def test_id_map_learns_from_same_path_and_rewrites() -> None:
    rid, rid2 = "6255dd2a234370fcf24c1d03", "6255dd2a234370fcf24c1d11"
    ids = IdMap()
    ids.learn({"id": rid, "url": f"/p/{rid}/m/{rid2} "}, {"id": "L1", "url": "/p/L1/m/L2"})
    assert ids.mapping == {rid: "L1", rid2: "L2"}
    assert ids.rewrite(f"/x/{rid2}/{'f' * 24}") == ("/x/L2/" + "f" * 24, ["f" * 24])


def test_order_comes_from_ids_not_from_recording_time(shared) -> None:
    folder = shared.recordings()
    names = ["sdk_test_configuration_manager_deletion", "TestConfigurationManager.test_get_and_set_configuration",
             "sdk_test_configuration_manager", "client"]
    cassettes = [load_cassette(folder / f"{n}.yaml") for n in names]
    undated = [Cassette(c.name, [dataclasses.replace(i, response_headers={
        k: v for k, v in i.response_headers.items() if k != "date"}) for i in c.interactions])
        for c in cassettes]
    assert [c.name for c in replay_order(undated)] == list(reversed(names))


def test_recordings_replayed_against_themselves_show_no_difference(shared, recordings) -> None:
    shared.recordings()
    replayer = Replayer(CassetteTransport(recordings))
    problems = [p for c in recordings for p in replayer.replay_cassette(c)]
    assert problems == []
    assert replayer.ids.mapping and all(k == v for k, v in replayer.ids.mapping.items())


def test_altered_recording_shows_its_differences(shared, recordings) -> None:
    shared.recordings()
    original = next(c for c in recordings if c.name == "TestImageManager.test_upload_and_delete_image")
    altered = copy.deepcopy(original)
    body = json.loads(altered.interactions[0].response_body)
    body["media_information"]["height"] = "256"
    del body["thumbnail"]
    body["name"] = None
    altered.interactions[0] = dataclasses.replace(altered.interactions[0], response_body=json.dumps(body).encode())
    altered.interactions[4] = dataclasses.replace(altered.interactions[4], status=204)
    replayer = Replayer(CassetteTransport(recordings))
    for cassette in recordings[: recordings.index(original)]:
        replayer.replay_cassette(cassette)
    problems = replayer.replay_cassette(altered)
    where = "TestImageManager.test_upload_and_delete_image#{} {} " + original.interactions[0].path
    assert problems[:3] == [
        where.format(0, "POST") + ": $.thumbnail: unexpected key (str)",
        where.format(0, "POST") + ": $.media_information.height: expected str, got int",
        where.format(0, "POST") + ": $.name: expected null, got str",
    ]
    assert len(problems) == 4 and "#4 DELETE" in problems[3] and "expected 204, got 200" in problems[3]


# -- the local server --------------------------------------------------------------------------------


def _session_start(recordings: list[Cassette]) -> str:
    """ISO time of the first recorded interaction, comparable with the bodies' `creation_time`."""
    start = min(c.started for c in recordings)
    return datetime.fromtimestamp(start, tz=timezone.utc).isoformat()


@pytest.fixture(scope="module")
def replayer(recordings, tmp_path_factory):
    """One local server for the whole replay, logged in like a client; the id map is shared."""
    with running_server(tmp_path_factory.mktemp("conformance-server")) as server:
        transport = HttpTransport(server.url, credentials=(server.username, server.password))
        # the recorded workspace already held 4 projects from 2022-04-08 when the flows were recorded
        preexisting = created_before(_session_start(recordings))
        engine = Replayer(transport, exclusions=known_exclusions(), preexisting=preexisting)
        # log the shared session in and learn the workspace id (differences are reported by the
        # client/session tests, which replay the same flow in their own fresh sessions)
        engine.replay_cassette(next(c for c in recordings if c.name == "client"), fresh_session=False)
        engine.report = tmp_path_factory.mktemp("conformance") / "report.txt"
        yield engine


@pytest.mark.parametrize("name", _cassette_names())
def test_cassette_conforms(name: str, shared, recordings, replayer) -> None:
    shared.recordings(f"{name}.yaml")
    cassette = next(c for c in recordings if c.name == name)
    before = len(replayer.notes)
    problems = replayer.replay_cassette(cassette)
    lines = [*replayer.notes[before:], *problems]
    with replayer.report.open("a", encoding="utf-8") as report:
        report.write(f"== {name}: {len(problems)} difference(s)\n" + "".join(f"{x}\n" for x in lines))
    print(f"\n== {name} ({len(cassette.interactions)} interactions, report: {replayer.report})")
    print("\n".join(lines))
    assert not problems, f"{len(problems)} difference(s) against the recording:\n" + "\n".join(problems)
