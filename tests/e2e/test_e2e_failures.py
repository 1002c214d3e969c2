"""What the uploader does when things go wrong: a taken name, bad items, a server that goes away,
wrong credentials. Every case against the real local server."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

from sc_importers.model import Dataset, MediaItem
from sc_importers.project_types.base import BuildOptions
from sc_importers.rest import connect
from sc_importers.synthetic import make_coco_dataset
from sc_importers.uploader import import_dataset, run_import
from sc_importers.uploader.report import EXIT_ABORTED, EXIT_ITEMS_FAILED, EXIT_REFUSED


def test_existing_project_name_is_refused_before_any_upload(api, animals, project_name):
    _, truth = animals
    first = import_dataset(api, truth, "detection", BuildOptions(), project_name)
    assert first.exit_code() == 0, first.render()
    projects_before = len(api.list_projects())

    second = import_dataset(api, truth, "detection", BuildOptions(), project_name)
    assert second.exit_code() == EXIT_REFUSED
    assert project_name in second.refused and "already exists" in second.refused
    assert second.items == [] and second.media_created == 0
    assert len(api.list_projects()) == projects_before
    project = api.get_project(first.project_id)
    assert len(list(api.list_media(project, "image"))) == len(truth.items)


def test_bad_items_are_recorded_and_the_rest_is_uploaded(api, animals, project_name, tmp_path):
    """An unreadable and a missing image: recorded as failed with the dry run's reason, never
    uploaded; the others are; exit code 1."""
    _, truth = animals
    not_an_image = tmp_path / "broken.jpg"
    not_an_image.write_bytes(b"this is text, not a JPEG\n" * 20)
    items = list(truth.items) + [
        MediaItem(path=not_an_image, key="broken.jpg", width=10, height=10),
        MediaItem(path=tmp_path / "missing.jpg", key="missing.jpg", width=10, height=10),
    ]
    dataset = Dataset(name="bad", format="test", root=tmp_path, labels=truth.labels, items=items)
    report = import_dataset(api, dataset, "detection", BuildOptions(), project_name, workers=4)

    assert report.exit_code() == EXIT_ITEMS_FAILED
    reasons = {r.key: r.error for r in report.failed}
    assert set(reasons) == {"broken.jpg", "missing.jpg"}
    # the same checks as --dry-run run first: neither is sent to the server
    assert reasons["broken.jpg"].startswith("not uploaded: unreadable image")
    assert reasons["missing.jpg"] == "not uploaded: media file not found"
    assert report.media_created == len(truth.items)
    project = api.get_project(report.project_id)
    assert len(list(api.list_media(project, "image"))) == len(truth.items)
    assert "broken.jpg" in report.render() and report.to_dict()["failed"][0]["reason"]


def test_reader_errors_skip_the_item_with_the_readers_reason(api, animals, project_name):
    from sc_importers.model import Problem

    _, truth = animals
    bad = truth.items[0]
    dataset = Dataset(name="p", format="test", root=truth.root, labels=truth.labels, items=list(truth.items),
                      problems=[Problem("error", "category 99 is unknown", "instances.json", bad.key)])
    report = import_dataset(api, dataset, "detection", BuildOptions(), project_name)
    assert report.exit_code() == EXIT_ITEMS_FAILED
    (failed,) = report.failed
    assert failed.key == bad.key and "category 99 is unknown" in failed.error and failed.media_id is None
    assert report.media_created == len(truth.items) - 1


def test_lost_server_stops_the_run_and_says_what_was_created(fresh_sc_server, tmp_path):
    truth = make_coco_dataset(tmp_path / "data", 80, ["dog"], seed=2, image_size=(480, 360))
    server = fresh_sc_server
    api = connect(server.url, server.username, server.password, workers=1)
    watcher = connect(server.url, server.username, server.password, workers=1)
    name = "lost-connection"

    def stop_after_some_media() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            project = watcher.find_project(name)
            if project is not None and len(list(watcher.list_media(project, "image"))) >= 3:
                server.stop()
                return
            time.sleep(0.05)

    thread = threading.Thread(target=stop_after_some_media)
    thread.start()
    report = import_dataset(api, truth, "detection", BuildOptions(), name, workers=1)
    thread.join()

    assert report.exit_code() == EXIT_ABORTED, report.render()
    assert 3 <= report.media_created < 80
    text = report.render()
    assert "STOPPED" in text and f"{report.media_created} media" in text and report.project_id in text
    server.restart()
    check = connect(server.url, server.username, server.password)
    stored = len(list(check.list_media(check.get_project(report.project_id), "image")))
    # the server may have stored the one item whose answer was lost with the connection
    assert stored - report.media_created in (0, 1)


def test_wrong_password_is_refused_with_a_clear_message(sc_server, animals, capsys):
    _, truth = animals
    connection = SimpleNamespace(host=sc_server.url, username=sc_server.username, password="wrong-pass",
                                 verify=True)
    upload = SimpleNamespace(project_name="never-created", workers=2, auto_train=False, iterations=None)
    code = run_import(truth, "detection", BuildOptions(), connection, upload, json_output=False)
    assert code == EXIT_REFUSED
    err = capsys.readouterr().err
    assert "cannot log in" in err and sc_server.url in err and "wrong-pass" not in err
