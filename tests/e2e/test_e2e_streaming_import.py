"""A real import of a COCO file starts uploading while the reader still packs the file in a thread
(``read_streaming``): it must still skip every item with a reader error, report the dataset's problems
and create what the dry run (which reads the file whole) says, over a real socket to the local server."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import sc_importers_coco.bulk as bulk
from click.testing import CliRunner
from PIL import Image
from sc_importers_coco.pending import Packing

from sc_importers.cli.import_cmd import build_command

SQUARE = [10, 10, 50, 10, 50, 50, 10, 50]


@pytest.fixture
def coco_folder(tmp_path: Path) -> Path:
    """40 images with a polygon each; every fifth also has an annotation of an unknown category (an
    item error found while packing), one image file is missing (a problem of the image list)."""
    images = []
    for n in range(1, 41):
        name = f"{n:03}.jpg"
        Image.new("RGB", (64, 48), (n * 5, 80, 120)).save(tmp_path / name, quality=80)
        images.append({"id": n, "file_name": name, "width": 64, "height": 48})
    images.append({"id": 41, "file_name": "missing.jpg", "width": 64, "height": 48})
    annotations = [{"id": n, "image_id": n, "category_id": 1 + n % 2, "segmentation": [SQUARE],
                    "bbox": [10, 10, 40, 40]} for n in range(1, 41)]
    annotations += [{"id": 100 + n, "image_id": n, "category_id": 9, "segmentation": [SQUARE],
                     "bbox": [10, 10, 40, 40]} for n in range(5, 41, 5)]
    (tmp_path / "instances.json").write_text(json.dumps({
        "images": images, "annotations": annotations,
        "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}, {"id": 3, "name": "bird"}]}))
    return tmp_path


def test_a_streamed_import_creates_what_the_dry_run_says(sc_server, project_name, coco_folder: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "_BATCH", 4)  # about 10 batches, each handed over on its own
    publish, published = Packing.publish, []

    def lingering(self: Packing, ready: int) -> None:  # the upload gets going between batches
        publish(self, ready)
        published.append(time.monotonic())
        time.sleep(0.05)

    monkeypatch.setattr(Packing, "publish", lingering)
    login = ["--host", sc_server.url, "--username", sc_server.username, "--password", sc_server.password]
    dry = CliRunner().invoke(build_command(), [str(coco_folder), "--format", "coco", "--type", "detection",
                                               "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output  # importable: the unknown categories are errors of their items only
    would = json.loads(dry.stdout)["project"]["would_create"]
    published.clear()
    done = CliRunner().invoke(build_command(), [str(coco_folder), "--format", "coco", "--type", "detection",
                                                "--project-name", project_name, "--json", *login])
    summary = json.loads(done.stdout)
    assert len(published) >= 10  # the streamed read handed its items over batch by batch
    created = (summary["media_created"], summary["annotations_created"])
    assert created == (would["media"], would["annotations"]) == (32, 32)
    failed = {item["key"]: item["reason"] for item in summary["failed"]}
    assert sorted(failed) == [f"{n:03}.jpg" for n in range(5, 41, 5)]
    assert all("unknown category id 9" in error for error in failed.values())
    assert any("missing.jpg" in error and "image file not found" in error for error in summary["dataset_errors"])
    assert any("bird" in w and "no annotation" in w for w in summary["warnings"])  # reported once the read ended
    assert done.exit_code == 1  # some items were not uploaded (the dry run said so, and exits 0: importable)
