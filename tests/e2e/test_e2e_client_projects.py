"""SCRESTClient's project methods, its report on success, and from_env, against a real local sc-server."""

from __future__ import annotations

from pathlib import Path

import pytest

from sc_importers.client import SCRESTClient
from sc_importers.export.download import ProjectNotFound
from sc_importers.synthetic import make_coco_dataset


def test_from_env_projects_and_the_report_on_success(fresh_sc_server, tmp_path: Path, monkeypatch):
    for key in ("SC_API_KEY", "SC_PROFILE", "SC_API", "SC_CA_BUNDLE", "SC_NO_VERIFY_SSL", "SC_WORKSPACE"):
        monkeypatch.delenv(key, raising=False)
    (tmp_path / "empty-config.toml").write_text("")  # no profile (a missing SC_CONFIG file is an error)
    monkeypatch.setenv("SC_CONFIG", str(tmp_path / "empty-config.toml"))
    monkeypatch.setenv("SC_HOST", fresh_sc_server.url)
    monkeypatch.setenv("SC_USERNAME", fresh_sc_server.username)
    monkeypatch.setenv("SC_PASSWORD", fresh_sc_server.password)
    make_coco_dataset(tmp_path / "coco", 5, ["dog", "cat"], seed=2, image_size=(64, 48))
    with SCRESTClient.from_env() as client:
        assert client.last_report is None
        project = client.create_single_task_project_from_dataset("Pets", "detection", tmp_path / "coco")
        report = client.last_report.to_dict()
        assert report["media_created"] == 5 and report["exit_code"] == 0
        assert [p.name for p in client.list_projects()] == ["Pets"]
        assert client.get_project("Pets").id == project.id
        with pytest.raises(ProjectNotFound, match="projects there: Pets"):
            client.get_project("Cows")
        client.delete_project("Pets")
        assert client.list_projects() == []

    monkeypatch.delenv("SC_HOST")
    with pytest.raises(ValueError, match="SC_HOST"):
        SCRESTClient.from_env()
