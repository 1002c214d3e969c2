"""Backups are never silently partial: an interrupted first export is refused by a restore (and its
dry run) with the count of what is missing unless ``--allow-partial`` is given; an interrupted
re-run keeps the complete backup's manifest (and the backup restorable as it was); ``--verify``
never calls a folder without a manifest identical; a re-run fetches nothing an interrupted run
already wrote and checked.

The interruption is a ``KeyboardInterrupt`` raised by a wrapper around the real API after a given
number of media downloads (the SIGKILL variants are in tests/faults/test_kill_points.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from sc_importers.export.download import download_project
from sc_importers.export.files import JOURNAL_NAME
from sc_importers.model import Rectangle

IMAGES = 12


class Interrupting:
    """The real API, except that the ``after + 1``-th media download (and every later one) raises
    KeyboardInterrupt, as Ctrl-C would; ``scene_reads`` counts annotation reads."""

    def __init__(self, api, after: int | None = None):
        self._api, self._after, self.downloads, self.scene_reads = api, after, 0, 0

    def __getattr__(self, name):
        return getattr(self._api, name)

    def download_media(self, *args, **kwargs):
        self.downloads += 1
        if self._after is not None and self.downloads > self._after:
            raise KeyboardInterrupt
        return self._api.download_media(*args, **kwargs)

    def get_annotation_scene(self, *args, **kwargs):
        self.scene_reads += 1
        return self._api.get_annotation_scene(*args, **kwargs)


def _import(server, *args: str):
    from sc_importers.cli.import_cmd import build_command

    return CliRunner().invoke(build_command(), [*args, "--host", server.url, "--username", server.username,
                                                "--password", server.password])


def _interrupted(export_api, project, folder: Path, after: int) -> None:
    with pytest.raises(KeyboardInterrupt):
        download_project(Interrupting(export_api, after), project, folder, workers=1)
    assert not (folder / "manifest.json").exists() and (folder / JOURNAL_NAME).exists()


@pytest.fixture
def project(export_api, kit, tmp_path, unique):
    uploaded = kit.upload(export_api, f"unfinished-{unique}", "detection", ["car", "person"],
                          kit.box_items(tmp_path / "src", IMAGES))
    return export_api.get_project(uploaded.project.id)


def test_unfinished_first_export_is_refused_unless_partial(export_api, export_server, exporter, project,
                                                           tmp_path, unique):
    folder = tmp_path / "backup"
    _interrupted(export_api, project, folder, after=4)

    dry = _import(export_server, str(folder), "--format", "backup", "--dry-run")
    assert dry.exit_code == 1, dry.output
    assert "unfinished" in dry.output and "8 of 12 media" in dry.output and "--allow-partial" in dry.output
    assert "Traceback" not in dry.output

    refused = _import(export_server, str(folder), "--format", "backup", "--project-name", f"no-{unique}")
    assert refused.exit_code == 2, refused.output
    assert "8 of 12 media" in refused.output
    assert export_api.find_project(f"no-{unique}") is None

    partial = _import(export_server, str(folder), "--format", "backup", "--project-name", f"part-{unique}",
                      "--allow-partial", "--json")
    assert partial.exit_code == 0, partial.output
    restored = export_api.find_project(f"part-{unique}")
    media = list(export_api.list_media(restored, "image"))
    assert len(media) == 4
    assert all(export_api.get_annotation_scene(restored, m) for m in media), "complete items only"
    assert any("allow-partial" in w for w in json.loads(partial.stdout)["warnings"])

    verified = exporter.run("--verify", str(folder), project.name)
    assert verified.exit_code == 1 and "are identical" not in verified.output
    assert "interrupted" in verified.output and "8" in verified.output or "not in the backup" in verified.output


def test_rerun_after_interruption_fetches_only_what_is_missing(export_api, exporter, project, tmp_path):
    folder = tmp_path / "backup"
    _interrupted(export_api, project, folder, after=4)
    counting = Interrupting(export_api)
    report = download_project(counting, project, folder, workers=2)
    assert report.ok and report.media_kept == 4 and report.media_downloaded == IMAGES - 4
    assert counting.downloads == IMAGES - 4
    assert counting.scene_reads == IMAGES - 4, "the finished items' annotation files are kept, not fetched again"
    assert not (folder / JOURNAL_NAME).exists()
    verified = exporter.run("--verify", str(folder), project.name)
    assert verified.exit_code == 0 and "are identical" in verified.output, verified.output


def test_killed_rerun_keeps_the_complete_backup(export_api, export_server, exporter, kit, project, tmp_path,
                                                 unique):
    folder = tmp_path / "backup"
    assert download_project(export_api, project, folder).ok
    manifest = (folder / "manifest.json").read_bytes()
    for i in range(3):  # the project grows; the re-run is interrupted after one new media
        media = export_api.upload_media(project, kit.write_image(tmp_path / "new" / f"new{i}.jpg", 900 + i), "image")
        export_api.post_annotations(project, media, [_box()])
    _interrupted_rerun = Interrupting(export_api, after=1)
    with pytest.raises(KeyboardInterrupt):
        download_project(_interrupted_rerun, project, folder, workers=1)
    assert (folder / "manifest.json").read_bytes() == manifest, "the complete backup's manifest is kept"

    restored = _import(export_server, str(folder), "--format", "backup", "--project-name", f"old-{unique}", "--json")
    assert restored.exit_code == 0, restored.output
    copy = export_api.find_project(f"old-{unique}")
    assert len(list(export_api.list_media(copy, "image"))) == IMAGES, "the backup as it was, without the re-run's"
    assert any("interrupted re-run" in w for w in json.loads(restored.stdout)["warnings"])

    assert download_project(export_api, project, folder).ok
    assert len(kit.read_manifest(folder)["media"]) == IMAGES + 3
    verified = exporter.run("--verify", str(folder), project.name)
    assert verified.exit_code == 0 and "are identical" in verified.output, verified.output


def test_verify_never_calls_a_folder_without_manifest_identical(export_api, exporter, project, tmp_path):
    folder = tmp_path / "backup"
    assert download_project(export_api, project, folder).ok
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    (copy / "manifest.json").unlink()
    result = exporter.run("--verify", str(copy), project.name)
    assert result.exit_code == 4, result.output
    assert "are identical" not in result.output and "no manifest.json" in result.output
    report = json.loads(exporter.run("--verify", str(copy), project.name, "--json").output)
    assert report["identical"] is False and report["manifest"] is False and report["differences"] == []


def _box():
    from sc_importers.model import Annotation

    return Annotation(("car",), Rectangle(10, 10, 30, 20))
