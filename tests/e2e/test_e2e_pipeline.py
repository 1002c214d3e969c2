"""The import's pipeline: the dry run's per-item checks run in the upload workers, right before each
item's upload, and the project is created when the first item passes them. So the dry run and the
import skip the same items with the same exit codes, a dataset whose items all fail creates
nothing, and uploading starts before the last item was checked."""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
import weakref
from collections.abc import Sequence
from pathlib import Path

from click.testing import CliRunner

from sc_importers.cli.import_cmd import build_command
from sc_importers.model import Rectangle
from sc_importers.plugins import format_readers
from sc_importers.project_types.base import BuildOptions
from sc_importers.synthetic import ANNOTATION_FILE, IMAGES_DIR, make_coco_dataset
from sc_importers.uploader import import_dataset
from sc_importers.validation import build_report, validate


def _run(server, *args: str):
    login = ["--host", server.url, "--username", server.username, "--password", server.password]
    return CliRunner().invoke(build_command(), [*args, *login])


def _broken_dataset(folder: Path) -> tuple[Path, dict[str, str]]:
    """Eight images: one truncated JPEG, one whose file is gone, one with a box off the image
    (the COCO reader reports the last two itself). Returns the folder and the broken images'
    file names -> the kind of problem."""
    make_coco_dataset(folder, 8, ["dog", "cat"], seed=3, image_size=(64, 48))
    coco = json.loads((folder / ANNOTATION_FILE).read_text())
    names = [image["file_name"] for image in coco["images"]]
    truncated, missing, off = names[1], names[4], names[6]
    images = folder / IMAGES_DIR
    data = (images / truncated).read_bytes()
    (images / truncated).write_bytes(data[: len(data) // 2])
    (images / missing).unlink()
    off_id = next(i["id"] for i in coco["images"] if i["file_name"] == off)
    for ann in coco["annotations"]:
        if ann["image_id"] == off_id:
            ann["segmentation"] = [[v + 5000 for v in polygon] for polygon in ann["segmentation"]]
            ann["bbox"] = [ann["bbox"][0] + 5000, ann["bbox"][1] + 5000, *ann["bbox"][2:]]
    (folder / ANNOTATION_FILE).write_text(json.dumps(coco))
    return folder, {truncated: "unreadable", missing: "missing", off: "outside"}


def test_dry_run_and_import_skip_the_same_items(sc_server, tmp_path, project_name):
    folder, broken = _broken_dataset(tmp_path / "broken")
    dry = _run(sc_server, str(folder), "--format", "coco", "--type", "detection", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output  # importable: the other five images go up
    report = json.loads(dry.stdout)
    assert report["media"]["skipped"] == 2  # the missing image is no item: the reader dropped it
    done = _run(sc_server, str(folder), "--format", "coco", "--type", "detection", "--project-name",
                project_name, "--json")
    assert done.exit_code == 1, done.output  # some items were not uploaded
    summary = json.loads(done.stdout)
    assert summary["media_created"] == report["project"]["would_create"]["media"] == 5
    failed = {Path(f["key"]).name: f["reason"] for f in summary["failed"]}
    by_kind = {kind: Path(name).name for name, kind in broken.items()}
    assert set(failed) == {by_kind["unreadable"], by_kind["outside"]}, failed
    assert all(reason.startswith("not uploaded:") for reason in failed.values())
    assert "unreadable image" in failed[by_kind["unreadable"]]
    assert [by_kind["missing"] in e for e in summary["dataset_errors"]] == [True]


def test_the_per_item_check_is_the_dry_runs(api, tmp_path, project_name):
    """Files broken after reading and a shape moved off its image in memory, so that only the
    per-item check (not the reader) can find them: the dry run's verdict and the import's agree."""
    folder = tmp_path / "late-breakage"
    make_coco_dataset(folder, 8, ["dog", "cat"], seed=6, image_size=(64, 48))
    dataset = format_readers()["coco"].read(folder)
    dataset = dataclasses.replace(dataset, items=list(dataset.items))  # items built once, to change one below
    truncated, missing, off = dataset.items[1], dataset.items[4], dataset.items[6]
    truncated.path.write_bytes(truncated.path.read_bytes()[:300])
    missing.path.unlink()
    off.annotations = [dataclasses.replace(a, shape=Rectangle(500, 500, 4, 4)) for a in off.annotations]
    problems = validate(dataset)
    dry = build_report(dataset, dataset, problems, None)
    assert dry["media"]["skipped"] == 3 and dry["importable"]
    kinds = {p.item: p.kind for p in problems if p.severity == "error"}
    assert kinds == {truncated.key: "unreadable_image", missing.key: "missing_file", off.key: "shape_outside_image"}
    report = import_dataset(api, dataset, "detection", BuildOptions(), project_name, workers=4, show_progress=False)
    assert report.exit_code() == 1, report.render()
    assert report.media_created == dry["media"]["total"] - dry["media"]["skipped"] == 5
    assert {r.key for r in report.failed} == set(kinds)
    assert all(r.media_id is None and r.error.startswith("not uploaded:") for r in report.failed)
    assert len(list(api.list_media(api.get_project(report.project_id), "image"))) == 5


def test_a_dataset_whose_items_all_fail_creates_no_project(sc_server, api, tmp_path, project_name):
    folder = tmp_path / "all-broken"
    make_coco_dataset(folder, 4, ["dog"], seed=4, image_size=(32, 24))
    for image in (folder / IMAGES_DIR).iterdir():
        image.write_bytes(image.read_bytes()[:100])  # every JPEG cut short
    dry = _run(sc_server, str(folder), "--format", "coco", "--type", "detection", "--dry-run", "--json")
    assert dry.exit_code == 1, dry.output
    assert "every media item has an error" in json.loads(dry.stdout)["blockers"]
    done = _run(sc_server, str(folder), "--format", "coco", "--type", "detection", "--project-name",
                project_name, "--json")
    assert done.exit_code == 2, done.output
    summary = json.loads(done.stdout)
    assert "no media to import (4 item(s) have errors)" in summary["refused"]
    assert summary["project"]["id"] is None
    assert api.find_project(project_name) is None


def test_the_first_upload_happens_before_the_last_item_is_checked(sc_server, api, tmp_path, project_name):
    """The last image's file appears only once the server holds a media of the project: an import
    that checked every item before creating the project would find it missing and skip it."""
    folder = tmp_path / "late"
    make_coco_dataset(folder, 40, ["dog", "cat"], seed=5, image_size=(64, 48))
    dataset = format_readers()["coco"].read(folder)
    last = dataset.items[-1].path
    held = last.read_bytes()
    last.unlink()
    seen: list[float] = []
    stop = threading.Event()

    def watch() -> None:  # another client, as a person watching the project fill up would be
        while not stop.is_set():
            project = api.find_project(project_name)
            if project is not None and next(iter(api.list_media(project, "image")), None) is not None:
                seen.append(time.monotonic())
                last.write_bytes(held)
                return
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        report = import_dataset(api, dataset, "detection", BuildOptions(), project_name, workers=1,
                                show_progress=False)
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert seen, "the server never held a media during the import"
    assert report.exit_code() == 0, report.render()
    assert report.media_created == 40


class _OnDemand(Sequence):
    """A lazily read dataset's items: each access builds a fresh item; ``peak`` is the most built
    items alive at once (an uploader holding a list of them would reach the dataset's size)."""

    def __init__(self, items: list):
        self._items = items
        self._lock = threading.Lock()
        self.alive = self.peak = 0

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        item = dataclasses.replace(self._items[index])
        with self._lock:
            self.alive += 1
            self.peak = max(self.peak, self.alive)
        weakref.finalize(item, self._gone)
        return item

    def _gone(self) -> None:
        with self._lock:
            self.alive -= 1


def test_a_lazy_sequence_of_items_is_uploaded_without_being_held(api, tmp_path, project_name, capsys):
    folder = tmp_path / "lazy"
    make_coco_dataset(folder, 120, ["dog", "cat"], seed=9, image_size=(32, 24))
    read = format_readers()["coco"].read(folder)
    lazy = _OnDemand(read.items)
    dataset = dataclasses.replace(read, items=lazy)
    report = import_dataset(api, dataset, "detection", BuildOptions(), project_name, workers=2, show_progress=True)
    assert report.exit_code() == 0, report.render()
    assert report.media_created == 120 and report.planned == 120
    assert report.annotations_created == sum(len(i.annotations) for i in read.items)
    assert lazy.peak <= 2 * 2 + 4, lazy.peak  # the engine's items in flight, not the dataset
    err = capsys.readouterr().err
    assert re.search(r"media: 100%.*120/120", err), err
    n = report.annotations_created
    assert re.search(rf"annotations: 100%.*{n}/{n}", err), err  # no total up front, but it ends clean
