"""The two front doors of the uploader against the real local server: ``sc-import`` (through click
and as a console script) and the Python ``SCRESTClient``."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from click.testing import CliRunner

from sc_importers.cli.import_cmd import build_command
from sc_importers.client import ImportFailed, SCRESTClient
from sc_importers.formats import FormatError

#: Every test here runs against the SC 1.0 and the Geti 2.x dialect of the local server.
pytestmark = pytest.mark.both_dialects


def _secret(server, dialect: str) -> str:
    if dialect == "geti3":  # no login, no secret (a text no output contains)
        return "\x00no-secret\x00"
    return server.api_key if dialect == "geti" else server.password


def _client(server, dialect: str) -> SCRESTClient:
    if dialect == "geti":
        return SCRESTClient(server.url, api_key=server.api_key)
    if dialect == "geti3":
        return SCRESTClient(server.geti3().url)
    return SCRESTClient(server.url, server.username, server.password)


def test_sc_import_uploads_and_reports_json(connection, api, animals, project_name, dialect):
    folder, truth = animals
    args = [str(folder), "--format", "coco", "--type", "detection", "--project-name", project_name,
            "--labels", "cat", "--workers", "3", "--iterations", "4", "--json", *connection]
    result = CliRunner().invoke(build_command(), args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)

    with_cat = [i for i in truth.items if any(a.labels == ("cat",) for a in i.annotations)]
    cats = sum(1 for i in truth.items for a in i.annotations if a.labels == ("cat",))
    assert summary["project"]["name"] == project_name
    assert summary["media_created"] == len(with_cat)
    assert summary["annotations_created"] == cats
    assert summary["failed"] == [] and summary["exit_code"] == 0 and summary["workers"] == 3
    project = api.get_project(summary["project"]["id"])
    assert sorted(m.name for m in api.list_media(project, "image")) == sorted(i.name for i in with_cat)
    if dialect == "geti3":  # no per-project epochs: reported as not kept
        assert any(n.startswith("iterations 4 ") for n in summary["not_kept"])
    else:
        assert api.get_iterations(project, project.trainable_tasks[0]) == 4


def test_sc_import_refuses_a_taken_name(connection, api, animals, project_name):
    folder, _ = animals
    args = [str(folder), "--format", "coco", "--type", "segmentation", "--project-name", project_name,
            *connection]
    assert CliRunner().invoke(build_command(), args).exit_code == 0
    again = CliRunner().invoke(build_command(), args)
    assert again.exit_code == 2
    assert "already exists" in again.stderr and project_name in again.stderr


def test_sc_import_console_script_names_the_project_after_the_folder(sc_server, dialect, connection_env, api,
                                                                     tmp_path):
    from sc_importers.synthetic import make_coco_dataset

    folder = tmp_path / f"console-script-dataset-{dialect}"
    make_coco_dataset(folder, 4, ["dog"], seed=9, image_size=(160, 120))
    env = {**os.environ, **connection_env}
    done = subprocess.run(["sc-import", str(folder), "--type", "detection"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert folder.name in done.stdout and "media created:       4 of 4" in done.stdout
    assert _secret(sc_server, dialect) not in done.stdout + done.stderr
    project = api.find_project(folder.name)
    assert project is not None and len(list(api.list_media(project, "image"))) == 4


def test_screstclient_creates_single_task_and_chain_projects(sc_server, dialect, api, animals, project_name):
    folder, truth = animals
    client = _client(sc_server, dialect)
    assert _secret(sc_server, dialect) not in repr(client)

    project = client.create_single_task_project_from_dataset(
        project_name=project_name, project_type="detection", path_to_dataset=folder,
        labels=["dog"], number_of_images_to_upload=4, enable_auto_train=True, workers=2, iterations=6)
    assert project.name == project_name and project.trainable_tasks[0].task_type == "detection"
    assert len(list(api.list_media(project, "image"))) == 4
    task = project.trainable_tasks[0]
    if dialect == "geti3":  # one task per project, no auto-training: the chain is refused with its choices
        assert api.get_auto_training(project, task) is False and api.get_iterations(project, task) is None
        with pytest.raises(ImportFailed, match="--chain-task detection"):
            client.create_task_chain_project_from_dataset(
                project_name=project_name + "-chain", project_type="detection_to_classification",
                path_to_dataset=folder, chain_label="pet", dataset_format="coco")
        assert api.find_project(project_name + "-chain") is None
        return
    assert api.get_auto_training(project, task) is True and api.get_iterations(project, task) == 6

    chain = client.create_task_chain_project_from_dataset(
        project_name=project_name + "-chain", project_type="detection_to_classification",
        path_to_dataset=folder, chain_label="pet", dataset_format="coco")
    assert [t.task_type for t in chain.trainable_tasks] == ["detection", "classification"]
    assert len(list(api.list_media(chain, "image"))) == len(truth.items)

    with pytest.raises(ImportFailed, match="already exists"):
        client.create_single_task_project_from_dataset(project_name, "detection", folder)
    with pytest.raises(ValueError, match="task chain"):
        client.create_single_task_project_from_dataset("x", "detection_to_segmentation", folder)
    # the backup methods exist now (tested in tests/backup_roundtrip): a COCO folder is no backup
    with pytest.raises(FormatError, match="project.json"):
        client.upload_project(str(folder))
