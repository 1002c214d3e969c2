"""A download never damages what is already in its folder: a backup of another project, or a folder
that is no backup at all, is refused before anything is written or deleted, through
``SCRESTClient.download_project`` and ``sc-export`` alike; a backup of the same project is a re-run.
``--all`` gives projects whose names map to one folder name folders of their own."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from sc_importers.client import SCRESTClient
from sc_importers.export.download import FolderInUse

#: Every test here runs against the SC 1.0 and the Geti 2.x dialect of the local server.
pytestmark = pytest.mark.both_dialects


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with the SHA-256 of its bytes."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def client(export_server, dialect):
    login = ({"api_key": export_server.api_key} if dialect == "geti" else {} if dialect == "geti3" else
             {"username": export_server.username, "password": export_server.password})
    url = export_server.geti3().url if dialect == "geti3" else export_server.url
    with SCRESTClient(url, **login) as opened:
        yield opened


@pytest.fixture
def two_projects(export_api, kit, tmp_path, unique):
    first = kit.upload(export_api, f"guard-a-{unique}", "detection", ["car", "person"],
                       kit.box_items(tmp_path / "a", 3))
    second = kit.upload(export_api, f"guard-b-{unique}", "detection", ["car", "person"],
                        kit.box_items(tmp_path / "b", 2))
    return first, second


def test_client_refuses_a_folder_holding_another_projects_backup(client, two_projects, exporter, tmp_path):
    first, second = two_projects
    folder = tmp_path / "backups" / "shared"
    assert client.download_project(first.name, target_folder=folder) == folder  # INTO the folder
    assert json.loads((folder / "project.json").read_text())["id"] == first.project.id
    before = snapshot(folder)
    assert len([f for f in before if f.startswith("images/")]) == 3

    with pytest.raises(FolderInUse) as refused:
        client.download_project(second.name, target_folder=folder)
    message = str(refused.value)
    assert str(folder) in message and first.name in message and second.name in message
    assert snapshot(folder) == before  # nothing written, nothing pruned
    verified = exporter.run("--verify", str(folder), first.name)
    assert verified.exit_code == 0 and "identical" in verified.output, verified.output

    # the same project again is a re-run: allowed, media kept
    assert client.download_project(first.name, target_folder=folder) == folder
    assert snapshot(folder).keys() == before.keys()


def test_sc_export_refuses_another_projects_backup(client, two_projects, exporter, tmp_path):
    first, second = two_projects
    target = tmp_path / "out"
    client.download_project(first.name, target_folder=target / second.name)  # A's backup where B's goes
    before = snapshot(target / second.name)

    result = exporter.run(second.name, "--target-folder", str(target))
    assert result.exit_code == 2, result.output  # refused before anything was written (the exit-code table)
    line = next(x for x in result.output.splitlines() if x.startswith(f"{second.name}: FAILED"))
    assert str(target / second.name) in line and repr(first.name) in line, line
    assert snapshot(target / second.name) == before

    (tmp_path / "both" / second.name).mkdir(parents=True)
    (tmp_path / "both" / second.name / "notes.txt").write_text("mine\n")
    partial = exporter.run(first.name, second.name, "--target-folder", str(tmp_path / "both"))
    assert partial.exit_code == 1, partial.output  # one backed up, one refused: partial


@pytest.mark.parametrize("content", ["dataset", "home"])
def test_a_folder_that_is_no_backup_is_refused(client, two_projects, exporter, kit, tmp_path, content):
    first, _ = two_projects
    folder = tmp_path / "mine"
    if content == "dataset":  # a COCO-like dataset: images/ and annotations/ a download would prune
        kit.write_image(folder / "images" / "train" / "cat.jpg", 7)
        (folder / "annotations").mkdir()
        (folder / "annotations" / "instances_train.json").write_text("{}")
    else:
        folder.mkdir()
        (folder / ".bashrc").write_text("export A=1\n")
        (folder / "notes.txt").write_text("mine\n")
    before = snapshot(folder)

    with pytest.raises(FolderInUse) as refused:
        client.download_project(first.name, target_folder=folder)
    assert str(folder) in str(refused.value) and "not a backup folder" in str(refused.value)
    assert snapshot(folder) == before

    blocked = tmp_path / "blocked"
    (blocked / first.name).mkdir(parents=True)
    (blocked / first.name / "notes.txt").write_text("mine\n")
    refused_cli = exporter.run(first.name, "--target-folder", str(blocked))
    assert refused_cli.exit_code == 2, refused_cli.output
    assert "not a backup folder" in refused_cli.output and str(blocked / first.name) in refused_cli.output
    assert snapshot(blocked / first.name) == {"notes.txt": hashlib.sha256(b"mine\n").hexdigest()}


def test_an_interrupted_start_is_resumed(client, two_projects, tmp_path):
    """A folder holding only what a download leaves before project.json (journal, .part, empty
    sub-folders) is not foreign."""
    first, _ = two_projects
    folder = tmp_path / "started"
    (folder / "images").mkdir(parents=True)
    (folder / ".sc-export-journal.jsonl").write_text("")
    (folder / "images" / ".x.part").write_bytes(b"partial")
    client.download_project(first.name, target_folder=folder)
    assert (folder / "manifest.json").is_file()


def test_all_keeps_same_folder_names_apart(export_api, exporter, kit, tmp_path, unique):
    """Names that map to one folder name (``a/b`` and ``a_b``, or differing only in case) each get
    ``name__id``; a later run into the same target refuses nothing and overwrites nothing."""
    slash = kit.upload(export_api, f"same/{unique}", "detection", ["car", "person"],
                       kit.box_items(tmp_path / "s", 2))
    under = kit.upload(export_api, f"same_{unique}", "detection", ["car", "person"],
                       kit.box_items(tmp_path / "u", 3))
    target = tmp_path / "all"
    for _ in range(2):
        result = exporter.run(slash.name, under.name, "--target-folder", str(target), "--json")
        assert result.exit_code == 0, result.output
    folders = {r["project"]: Path(r["folder"]) for r in json.loads(result.output)}
    assert folders[slash.name] != folders[under.name]
    for uploaded in (slash, under):
        saved = json.loads((folders[uploaded.name] / "project.json").read_text())
        assert saved["id"] == uploaded.project.id
        assert len(kit.read_manifest(folders[uploaded.name])["media"]) == len(uploaded.sources)
