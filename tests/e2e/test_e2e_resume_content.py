"""``--resume`` tells files apart by content, never by name alone: another dataset whose different
images share file names is uploaded in full into the existing project (adding a dataset to a
project), a second resume of it uploads nothing, and without the upload journal the media already
there are recognised by hashing the server's bytes. The summary says what was matched by what."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from sc_importers.cli.import_cmd import build_command
from sc_importers.synthetic import make_coco_dataset

IMAGES = 10


def _import(server, folder: Path, name: str, *extra: str):
    return CliRunner().invoke(build_command(), [
        str(folder), "--format", "coco", "--type", "detection", "--project-name", name, "--workers", "4",
        "--host", server.url, "--username", server.username, "--password", server.password, *extra])


def _json(result) -> dict:
    assert result.stdout.strip(), result.output
    return json.loads(result.stdout)


def _hashes(api, project) -> list[str]:
    import hashlib

    out = []
    for media in api.list_media(project, "image"):
        digest = hashlib.sha256()
        api.download_media(project, media, Path(os.devnull), on_chunk=digest.update)
        out.append(digest.hexdigest())
    return sorted(out)


def _file_hashes(folder: Path) -> list[str]:
    import hashlib

    return sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in (folder / "images").glob("*.jpg"))


def test_other_dataset_with_the_same_file_names_is_added_not_skipped(sc_server, api, tmp_path, project_name):
    first, second = tmp_path / "first", tmp_path / "second"
    make_coco_dataset(first, IMAGES, ["dog", "cat"], seed=1, image_size=(200, 150))
    make_coco_dataset(second, IMAGES, ["dog", "cat"], seed=2, image_size=(200, 150))
    assert sorted(p.name for p in (first / "images").iterdir()) == sorted(p.name for p in (second / "images").iterdir())

    created = _import(sc_server, first, project_name, "--json")
    assert created.exit_code == 0, created.output

    added = _import(sc_server, second, project_name, "--resume", "--json")
    assert added.exit_code == 0, added.output
    summary = _json(added)
    assert summary["media_created"] == IMAGES and summary["media_already_there"] == 0, summary
    assert summary["resume_matches"]["same_name_other_content"] == IMAGES
    assert summary["media_on_server_not_in_dataset"] == IMAGES
    project = api.find_project(project_name)
    assert _hashes(api, project) == sorted(_file_hashes(first) + _file_hashes(second)), "both datasets, once each"

    again = _import(sc_server, second, project_name, "--resume")
    assert again.exit_code == 0, again.output
    assert f"media created:       0 of {IMAGES}" in again.stdout
    assert f"already there:       {IMAGES} media" in again.stdout
    assert f"matched by content: {IMAGES} by the upload journal's hashes, 0 by hashing the server's bytes" \
        in again.stdout
    assert len(list(api.list_media(project, "image"))) == 2 * IMAGES


def test_without_the_journal_media_are_matched_by_their_bytes(sc_server, api, tmp_path, project_name,
                                                             monkeypatch):
    folder = tmp_path / "data"
    make_coco_dataset(folder, IMAGES, ["dog", "cat"], seed=3, image_size=(200, 150))
    created = _import(sc_server, folder, project_name, "--json")
    assert created.exit_code == 0, created.output
    # another machine, or a lost state dir: the journal knows nothing of this project
    monkeypatch.setenv("SC_IMPORTERS_STATE_DIR", str(tmp_path / "empty-state"))
    # one file of the dataset changed since: same name, other bytes -> uploaded as a new media
    changed = folder / "images" / "000003.jpg"
    other = tmp_path / "other"
    make_coco_dataset(other, 4, ["dog"], seed=99, image_size=(200, 150))
    changed.write_bytes((other / "images" / "000003.jpg").read_bytes())

    resumed = _json(_import(sc_server, folder, project_name, "--resume", "--json"))
    assert resumed["exit_code"] == 0, resumed
    assert resumed["media_already_there"] == IMAGES - 1 and resumed["media_created"] == 1
    assert resumed["resume_matches"] == {"by_upload_journal": 0, "by_downloaded_content": IMAGES - 1,
                                         "same_name_other_content": 1}
    project = api.find_project(project_name)
    assert len(list(api.list_media(project, "image"))) == IMAGES + 1


def test_an_unwritable_journal_is_a_warning_not_a_failure(sc_server, api, tmp_path, project_name, monkeypatch):
    folder = tmp_path / "data"
    make_coco_dataset(folder, 4, ["dog", "cat"], seed=5, image_size=(200, 150))
    blocker = tmp_path / "state-is-a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SC_IMPORTERS_STATE_DIR", str(blocker))
    summary = _json(_import(sc_server, folder, project_name, "--json"))
    assert summary["exit_code"] == 0 and summary["media_created"] == 4, summary
    assert any("cannot write the upload journal" in w for w in summary["warnings"]), summary["warnings"]
    resumed = _json(_import(sc_server, folder, project_name, "--resume", "--json"))
    assert resumed["media_created"] == 0 and resumed["resume_matches"]["by_downloaded_content"] == 4
