"""Kill tests: SIGKILL at seeded points, then the documented way back gives the same result as a
clean run.

- ``sc-import`` killed after k media exist on the server (k seeded), then ``--resume``: the project
  equals a clean import of the same dataset (each file once, each annotation once);
- ``sc-export`` killed after k media files are written: the restore and its dry run refuse the folder
  (count of missing media), the re-run finishes it and ``--verify`` says identical; a re-run into a
  complete backup killed part-way leaves that backup's manifest, and a restore gives that backup;
- ``sc-server`` killed mid-import, restarted on the same data dir: ``--resume`` gives the clean
  import's project and SQLite's ``PRAGMA integrity_check`` is ``ok``.

The kill points come from ``random.Random(SEED)``, so a failure is reproducible; the server is
polled (not the client's output) to decide when to kill.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from sc_importers.cli.export_cmd import command as export_command
from sc_importers.cli.import_cmd import build_command
from sc_importers.synthetic import make_coco_dataset

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")]

SEED = 20261127
IMAGES = 60
#: Kill points are drawn from the first half, so the rest of the run is long enough that the kill (seen
#: by polling the server) always lands before the client finishes, on a fast machine or a loaded one.
LAST_POINT = IMAGES // 2
#: sc-import kill points (media on the server when the client is killed), drawn once from SEED
IMPORT_POINTS = sorted(random.Random(SEED).sample(range(2, LAST_POINT), 3))
EXPORT_POINTS = sorted(random.Random(SEED + 1).sample(range(2, LAST_POINT), 2))
SERVER_POINT = random.Random(SEED + 2).randrange(4, LAST_POINT)
#: a first kill of the import and a second one of its --resume (from the first quarter: the --resume, which
#: starts with part of the media there already, must still have most of its work left when it is killed)
TWICE_POINTS = sorted(random.Random(SEED + 3).sample(range(3, IMAGES // 4), 2))


def _connection(server) -> list[str]:
    return ["--host", server.url, "--username", server.username, "--password", server.password]


def _import_args(folder: Path, name: str) -> list[str]:
    return [str(folder), "--format", "coco", "--type", "segmentation", "--project-name", name]


def _env(server) -> dict:
    return {**os.environ, "SC_HOST": server.url, "SC_USERNAME": server.username, "SC_PASSWORD": server.password,
            "PYTHONUNBUFFERED": "1"}


def _popen(module: str, args: list[str], server) -> subprocess.Popen:
    code = f"from {module} import main; main()"
    return subprocess.Popen([sys.executable, "-c", code, *args], env=_env(server),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_until(process: subprocess.Popen, reached, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if reached():
            return
        time.sleep(0.01)
    raise AssertionError(f"{what} was not reached before the process ended (exit {process.poll()})")


def _media_count(api, name: str) -> int:
    project = api.find_project(name)
    return 0 if project is None else sum(1 for _ in api.list_media(project, "image"))


def project_view(api, name: str) -> list[tuple]:
    """What a user sees of a project: per image its bytes' SHA-256 and its annotations (labels,
    shape type, coordinates rounded to 1e-6), sorted; duplicates stay duplicates."""
    project = api.find_project(name)
    view = []
    for media in api.list_media(project, "image"):
        digest = hashlib.sha256()
        api.download_media(project, media, Path(os.devnull), on_chunk=digest.update)
        scene = api.get_annotation_scene(project, media) or {"annotations": []}
        shapes = []
        for annotation in scene["annotations"]:
            shape = annotation["shape"]
            numbers = ([round(v, 6) for p in shape["points"] for v in (p["x"], p["y"])] if "points" in shape
                       else [round(float(shape[k]), 6) for k in ("x", "y", "width", "height")])
            shapes.append((tuple(sorted(lb["name"] for lb in annotation["labels"])), shape["type"], tuple(numbers)))
        view.append((media.name, digest.hexdigest(), tuple(sorted(shapes))))
    return sorted(view)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("kill-data") / "data"
    make_coco_dataset(folder, IMAGES, ["dog", "cat"], seed=SEED % 1000, image_size=(320, 240), unannotated=3)
    return folder


@pytest.fixture(scope="module")
def clean(sc_server, dataset) -> tuple[str, list[tuple]]:
    """A clean, uninterrupted import of the dataset, and what it looks like."""
    from sc_importers.rest import connect

    name = f"kill-clean-{os.getpid()}"
    result = CliRunner().invoke(build_command(), [*_import_args(dataset, name), *_connection(sc_server)])
    assert result.exit_code == 0, result.output
    api = connect(sc_server.url, sc_server.username, sc_server.password)
    try:
        view = project_view(api, name)
    finally:
        api.close()
    assert len(view) == IMAGES and sum(len(shapes) for *_, shapes in view) > IMAGES
    return name, view


@pytest.fixture(scope="module")
def slowed(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A server whose every answer is 20 ms late, for the tests that kill the client: unslowed, a one-worker
    import of the 60 small images can finish while the poll that decides the kill still runs (seen in CI:
    all 60 on the server when the kill at 10 landed); slowed, it takes a few seconds."""
    from sc_importers.server.testing import running_server

    with running_server(tmp_path_factory.mktemp("slowed"), fault_rate=1.0, fault_kinds=("slow",),
                        extra_args=("--fault-slow-seconds", "0.02")) as server:
        yield server


@pytest.fixture(scope="module")
def slowed_api(slowed):  # type: ignore[no-untyped-def]
    from sc_importers.rest import connect

    api = connect(slowed.url, slowed.username, slowed.password)
    yield api
    api.close()


def _resume(server, dataset: Path, name: str) -> dict:
    result = CliRunner().invoke(build_command(), [*_import_args(dataset, name), "--resume", "--json",
                                                 *_connection(server)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("point", IMPORT_POINTS)
def test_import_killed_then_resumed_equals_a_clean_import(slowed, slowed_api, dataset, clean, point):
    sc_server, api = slowed, slowed_api
    name = f"kill-import-{point}-{os.getpid()}"
    process = _popen("sc_importers.cli.import_cmd", [*_import_args(dataset, name), "--workers", "1"], sc_server)
    try:
        _wait_until(process, lambda: _media_count(api, name) >= point, f"{point} media on the server")
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    time.sleep(0.3)  # requests the server had fully received are committed
    before = _media_count(api, name)
    assert point <= before < IMAGES

    summary = _resume(sc_server, dataset, name)
    assert summary["media_already_there"] == before and summary["media_created"] == IMAGES - before
    assert project_view(api, name) == clean[1]


def test_resume_killed_too_then_resumed_again(slowed, slowed_api, dataset, clean):
    sc_server, api = slowed, slowed_api
    name = f"kill-twice-{os.getpid()}"
    for point, extra in zip(TWICE_POINTS, ([], ["--resume"]), strict=True):
        process = _popen("sc_importers.cli.import_cmd", [*_import_args(dataset, name), "--workers", "1", *extra],
                         sc_server)
        try:
            _wait_until(process, lambda point=point: _media_count(api, name) >= point, f"{point} media")
            process.send_signal(signal.SIGKILL)
        finally:
            process.kill()
            process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL
    time.sleep(0.3)
    assert _media_count(api, name) < IMAGES
    _resume(sc_server, dataset, name)
    assert project_view(api, name) == clean[1]


@pytest.mark.parametrize("point", EXPORT_POINTS)
def test_export_killed_then_rerun_verifies_identical(sc_server, dataset, clean, tmp_path, point):
    name = clean[0]
    target = tmp_path / "backups"
    folder = target / name
    process = _popen("sc_importers.cli.export_cmd", [name, "--target-folder", str(target), "--workers", "1"],
                     sc_server)
    try:
        _wait_until(process, lambda: sum(1 for _ in (folder / "images").rglob("*.jpg")) >= point,
                    f"{point} media files written")
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert not (folder / "manifest.json").exists()

    dry = CliRunner().invoke(build_command(), [str(folder), "--format", "backup", "--dry-run"])
    assert dry.exit_code == 1 and "unfinished" in dry.output and f"of {IMAGES} media" in dry.output, dry.output

    rerun = CliRunner().invoke(export_command, [name, "--target-folder", str(target), "--json",
                                                *_connection(sc_server)])
    assert rerun.exit_code == 0, rerun.output
    (summary,) = json.loads(rerun.output)
    # One worker: when the kill lands, the last file seen may be renamed into place but not yet journalled as
    # done (its annotations still coming): that one is downloaded again, every earlier one is kept.
    assert summary["media_kept"] >= point - 1 and summary["media_kept"] + summary["media_downloaded"] == IMAGES
    verified = CliRunner().invoke(export_command, ["--verify", str(folder), name, *_connection(sc_server)])
    assert verified.exit_code == 0 and "are identical" in verified.output, verified.output


def test_killed_rerun_keeps_the_complete_backup(sc_server, api, dataset, clean, tmp_path):
    """A complete backup, then the project grows and a re-run into the same folder is SIGKILLed
    part-way: the manifest is still the complete backup's, and a restore gives that backup."""
    name = f"kill-rerun-{os.getpid()}"
    result = CliRunner().invoke(build_command(), [*_import_args(dataset, name), *_connection(sc_server)])
    assert result.exit_code == 0, result.output
    target = tmp_path / "backups"
    folder = target / name
    first = CliRunner().invoke(export_command, [name, "--target-folder", str(target), *_connection(sc_server)])
    assert first.exit_code == 0, first.output
    manifest = (folder / "manifest.json").read_bytes()
    project = api.find_project(name)
    extra = tmp_path / "extra"
    make_coco_dataset(extra, 30, ["dog"], seed=SEED % 997, image_size=(320, 240))
    for path in sorted((extra / "images").glob("*.jpg")):
        api.upload_media(project, path.rename(path.with_name(f"new-{path.name}")), "image")
    process = _popen("sc_importers.cli.export_cmd", [name, "--target-folder", str(target), "--workers", "1"],
                     sc_server)
    try:
        _wait_until(process, lambda: sum(1 for _ in (folder / "images").rglob("new-*.jpg")) >= 3, "3 new files")
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert (folder / "manifest.json").read_bytes() == manifest

    restored = CliRunner().invoke(build_command(), [str(folder), "--format", "backup", "--project-name",
                                                    f"{name}-restored", "--json", *_connection(sc_server)])
    assert restored.exit_code == 0, restored.output
    assert project_view(api, f"{name}-restored") == clean[1], "the backup as it was before the re-run"


def test_server_killed_mid_import_then_resumed(dataset, clean, tmp_path):
    from sc_importers.rest import connect
    from sc_importers.server.testing import running_server

    name = "kill-server"
    # every answer 30 ms late: the whole import takes a few seconds, so the kill (seen by polling the
    # server) lands mid-import however fast the client is (unslowed, 60 small images take ~0.3 s)
    with running_server(tmp_path / "server-data", fault_rate=1.0, fault_kinds=("slow",),
                        extra_args=("--fault-slow-seconds", "0.03")) as server:
        api = connect(server.url, server.username, server.password)
        # a server gone for longer than --retry-max-seconds stops the run (default 120 s: shortened here)
        process = _popen("sc_importers.cli.import_cmd", [*_import_args(dataset, name), "--workers", "2",
                                                         "--retry-max-seconds", "3"], server)
        try:
            _wait_until(process, lambda: _media_count(api, name) >= SERVER_POINT, f"{SERVER_POINT} media")
            server.kill()
            try:
                process.wait(timeout=30)  # the client gives up (connection lost); never hangs for good
            except subprocess.TimeoutExpired:
                pytest.fail("sc-import did not stop within 30 s of the server's death")
        finally:
            process.kill()
            process.wait(timeout=30)
        assert process.returncode == 3, "the client reports the lost server (exit 3: stopped part-way)"
        server.start()
        api.close()
        api = connect(server.url, server.username, server.password)
        try:
            summary = _resume(server, dataset, name)
            assert summary["media_created"] + summary["media_already_there"] == IMAGES
            assert project_view(api, name) == clean[1]
        finally:
            api.close()
    database = tmp_path / "server-data" / "sc-server.sqlite3"
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
