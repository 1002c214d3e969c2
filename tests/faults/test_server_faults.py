"""Rate-based faults injected by ``sc-server --fault-rate`` itself (server/faults.py): the injection
is deterministic per seed, each kind behaves as documented, and under 10% faults of every kind the
login, ``sc-import`` of a real dataset and ``sc-export`` of a 300-image project each finish in one
run, with every media item and annotation on the server exactly once and the backup identical.

The scripted, one-request faults (a cut body, a reset on the n-th POST) are test_fault_*.py's,
through the proxy in proxy.py."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from sc_importers.server.faults import KINDS, FaultMiddleware, FaultPlan, parse_kinds
from sc_importers.server.testing import running_server

RATE = 0.1
SEED = 7


# -- the plan and the middleware, in process ---------------------------------------------------------
def _draws(plan: FaultPlan, requests: list[tuple[str, str]]) -> list[str | None]:
    return [plan.draw(method, path) for method, path in requests]


def test_the_fault_plan_is_deterministic_per_seed_and_per_path():
    requests = [("POST", "/media/images")] * 300 + [("GET", "/projects")] * 300
    first = _draws(FaultPlan(RATE, SEED), requests)
    assert _draws(FaultPlan(RATE, SEED), requests) == first
    assert _draws(FaultPlan(RATE, SEED + 1), requests) != first
    # interleaving other paths does not change what one path gets
    mixed = [r for pair in zip(requests[:300], requests[300:], strict=True) for r in pair]
    drawn = _draws(FaultPlan(RATE, SEED), mixed)
    assert drawn[0::2] == first[:300] and drawn[1::2] == first[300:]
    hits = [kind for kind in first if kind]
    assert 0.05 * len(requests) < len(hits) < 0.15 * len(requests)
    assert set(hits) == set(KINDS)
    assert _draws(FaultPlan(0.0, SEED), requests) == [None] * len(requests)
    only = _draws(FaultPlan(1.0, SEED, ("429", "drop-after")), requests)
    assert set(only) == {"429", "drop-after"}


def test_unknown_fault_kinds_and_rates_are_refused():
    with pytest.raises(ValueError, match="unknown fault kind.*teapot"):
        parse_kinds("500,teapot")
    with pytest.raises(ValueError, match="between 0 and 1"):
        FaultPlan(1.5)


@pytest.mark.parametrize(("kind", "handled", "status"), [
    ("503", False, 503), ("429", False, 429), ("500", True, 500), ("drop-before", False, None),
    ("drop-after", True, None), ("slow", True, 200),
])
def test_each_kind_does_what_it_says(kind, handled, status):
    calls = []

    async def app(scope, receive, send):
        calls.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    sent = []

    async def send(message):
        sent.append(message)

    middleware = FaultMiddleware(app, FaultPlan(1.0, SEED, (kind,), slow_seconds=0.01))
    scope = {"type": "http", "method": "POST", "path": "/x", "client": ("127.0.0.9", 1)}
    try:
        asyncio.run(middleware(scope, None, send))
    except ConnectionAbortedError:  # a drop outside sc-server's protocol: cut after the headers
        assert kind.startswith("drop")
    assert bool(calls) is handled
    starts = [m for m in sent if m["type"] == "http.response.start"]
    if status is None:
        assert not any(m.get("body") for m in sent)  # no answer reaches the client
    else:
        assert starts[-1]["status"] == status
        headers = dict(starts[-1]["headers"])
        assert (b"retry-after" in headers) is (status in (429, 503))


# -- against a real server --------------------------------------------------------------------------
@pytest.fixture
def faulty_server(tmp_path):
    with running_server(tmp_path / "faulty", fault_rate=RATE, fault_seed=SEED) as server:
        yield server


def _env(server, **extra: str) -> dict[str, str]:
    return {**os.environ, "SC_HOST": server.url, "SC_USERNAME": server.username, "SC_PASSWORD": server.password,
            **extra}


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_drops_reach_the_client_as_closed_connections(tmp_path):
    import requests

    with running_server(tmp_path / "drops", fault_rate=1.0, fault_seed=SEED, fault_kinds=["drop-after"]) as server:
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{server.url}/api/v1.0/product_info", timeout=10)
        assert server.faults_injected()["drop-after"] >= 1


def test_login_finishes_under_heavy_faults_and_never_says_wrong_password(tmp_path):
    from sc_importers.rest import connect

    kinds = ["500", "503", "429", "drop-before", "drop-after"]  # "slow" only makes it longer
    with running_server(tmp_path / "login", fault_rate=0.2, fault_seed=SEED, fault_kinds=kinds) as server:
        for _ in range(3):
            api = connect(server.url, server.username, server.password)
            assert api.list_projects() == []
            api.close()
        log = (server.data_dir / "sc-server.log").read_text()
    login_paths = ("/user/login", "/dex/", "/oauth2/")
    login_faults = [line for line in log.splitlines()
                    if line.startswith("sc-server: fault ") and any(p in line for p in login_paths)]
    assert len(login_faults) >= 3, log


def test_dialect_detection_and_token_login_finish_under_heavy_faults(tmp_path):
    """The unauthenticated product_info probes and the Geti token check are retried like the rest."""
    from sc_importers.rest import connect

    kinds = ["500", "503", "429", "drop-before", "drop-after"]
    with running_server(tmp_path / "token", fault_rate=0.3, fault_seed=SEED, fault_kinds=kinds) as server:
        for _ in range(3):
            api = connect(server.url, api_key=server.api_key)  # no --api: the dialect is probed
            assert api.dialect == "geti-v1" and api.list_projects() == []
            api.close()
        log = (server.data_dir / "sc-server.log").read_text()
    probe_faults = [line for line in log.splitlines() if line.startswith("sc-server: fault ")
                    and ("product_info" in line or "personal_access_tokens" in line)]
    assert len(probe_faults) >= 2, log


@pytest.mark.slow
@pytest.mark.parametrize("api", ["sc1", "geti"])
def test_import_of_a_real_dataset_finishes_in_one_run_with_everything_once(faulty_server, shared, api):
    from sc_importers.rest import connect

    source = shared.datasets("voc-raccoon")
    dialect = {"SC_API": api, **({"SC_API_KEY": faulty_server.api_key} if api == "geti" else {})}
    result = _run(["sc-import", str(source), "--type", "detection", "--project-name", "raccoons", "--json"],
                  _env(faulty_server, **dialect))

    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert (summary["media_created"], summary["annotations_created"]) == (200, 217), summary
    injected = faulty_server.faults_injected()
    assert set(injected) == set(KINDS), injected  # every kind happened during the run
    api = connect(faulty_server.url, faulty_server.username, faulty_server.password)
    project = api.find_project("raccoons")
    media = list(api.list_media(project, "image"))
    names = Counter(m.name for m in media)
    assert len(media) == 200 and max(names.values()) == 1, names.most_common(3)
    boxes = sum(len(api.get_annotation_scene(project, m)["annotations"]) for m in media)
    assert boxes == 217
    assert [p.name for p in api.list_projects()] == ["raccoons"]
    api.close()


@pytest.mark.slow
def test_export_of_300_images_finishes_in_one_run_verifies_and_a_rerun_fetches_nothing(fresh_sc_server, tmp_path):
    from sc_importers.project_types.base import BuildOptions
    from sc_importers.rest import connect
    from sc_importers.synthetic import make_coco_dataset
    from sc_importers.uploader import import_dataset

    truth = make_coco_dataset(tmp_path / "coco", 300, ["dog", "cat"], seed=3, image_size=(96, 64))
    api = connect(fresh_sc_server.url, fresh_sc_server.username, fresh_sc_server.password, workers=8)
    report = import_dataset(api, truth, "detection", BuildOptions(), "three-hundred", workers=8,
                            show_progress=False)
    assert report.exit_code() == 0, report.render()
    api.close()
    faulty_server = fresh_sc_server  # the same data, served again with faults from now on
    faulty_server.fault_rate, faulty_server.fault_seed = RATE, SEED
    faulty_server.extra_args = ("--fault-slow-seconds", "0.5")  # slow, not a timeout: keep the test short
    faulty_server.restart()
    backups = tmp_path / "backups"

    result = _run(["sc-export", "three-hundred", "--target-folder", str(backups), "--workers", "8"],
                  _env(faulty_server))

    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "three-hundred: complete" in result.stdout and "300 media downloaded, 0 kept" in result.stdout
    assert sum(faulty_server.faults_injected().values()) >= 30  # the export met faults
    folder = backups / "three-hundred"
    verify = _run(["sc-export", "--verify", str(folder), "three-hundred", "--workers", "8"], _env(faulty_server))
    assert verify.returncode == 0 and "are identical" in verify.stdout, verify.stdout + verify.stderr

    again = _run(["sc-export", "three-hundred", "--target-folder", str(backups), "--workers", "8"],
                 _env(faulty_server))
    assert again.returncode == 0, again.stderr[-3000:]
    assert "0 media downloaded, 300 kept" in again.stdout, again.stdout
    assert sorted(p.name for p in (folder / "images").rglob("*") if p.is_file()) == sorted(
        p.name for p in (folder / "images").rglob("*") if p.is_file() and not p.name.endswith(".part"))
    assert len(list((folder / "images").rglob("*.*"))) == 300
    assert Path(folder / "manifest.json").is_file()


def test_a_login_failing_transiently_for_good_gives_up_without_saying_wrong_password(tmp_path):
    from sc_importers.rest import connect
    from sc_importers.rest.base import AuthenticationError
    from sc_importers.rest.retry import RetryPolicy

    with running_server(tmp_path / "always-503", fault_rate=1.0, fault_seed=SEED, fault_kinds=["503"]) as server:
        with pytest.raises(AuthenticationError) as info:
            connect(server.url, server.username, server.password, retry=RetryPolicy(retries=2, max_seconds=10))
        assert server.faults_injected()["503"] >= 3
    message = str(info.value)
    assert "wrong user name or password" not in message
    assert "HTTP 503" in message and "gave up after 3 attempt(s)" in message, message
    assert server.password not in message
